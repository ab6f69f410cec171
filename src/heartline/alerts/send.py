"""Posting an alert to a Slack-compatible incoming webhook: `{"text", "blocks"}` as JSON
(Slack, Mattermost, Rocket.Chat and Discord's /slack endpoint take it); the target goes through
the SSRF guard like every outbound webhook."""

from __future__ import annotations

from typing import Any

import httpx

from heartline.channels import service as channel_service

TIMEOUT_S = 5.0


def payload(text: str, link: str | None) -> dict[str, Any]:
    """Slack's message shape: a plain `text` fallback and one mrkdwn section with the link."""
    body = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if link:
        body += f"\n<{link}|Open the conversation>"
    return {
        "text": text + (f" {link}" if link else ""),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}],
    }


def post(url: str, text: str, link: str | None) -> str | None:
    """Send; None when the webhook took it, else why not (in words)."""
    try:
        response = channel_service.post_json(url, payload(text, link), timeout=TIMEOUT_S)
    except channel_service.UnsafeTarget as exc:
        return f"the webhook address is not allowed: {exc}"
    except httpx.HTTPError as exc:
        return f"could not reach the webhook: {type(exc).__name__}"
    if response.status_code >= 300:
        return f"the webhook answered {response.status_code}: {response.text[:120]}"
    return None
