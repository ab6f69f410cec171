"""WhatsApp Business Cloud API: send a message (free text inside the customer-service window,
an approved template outside it) and check Meta's webhook signatures.

POST {api_base}/{phone_number_id}/messages with `Authorization: Bearer <token>` and JSON
`{"messaging_product": "whatsapp", "to", "type": "text" | "template", ...}`; Meta answers
`{"messages": [{"id": "wamid..."}]}` or `{"error": {"message", "type", "code", ...}}`.

Whether the window is open is not this module's to know: the outbox looks up the customer's
last WhatsApp message and passes `whatsapp_window_open` in the message's meta, with the
playbook's `whatsapp_template` (name, language, rendered parameters) when it names one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from heartline.channels.base import DeliveryError, OutboundMessage
from heartline.channels.netguard import Allow, UnsafeTarget, check_url, guarded_client
from heartline.config import Settings

SIGNATURE_HEADER = "X-Hub-Signature-256"
WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = "outside WhatsApp's 24-hour window: needs an approved template"
MAX_TEXT = 4096  # Meta's limit for a text message's body
# Error codes worth another try later (throughput and rate limits, a passing outage);
# every other refusal is final.
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
REENGAGEMENT = 131047


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether the header is Meta's signature of exactly these bytes (constant time)."""
    return bool(secret and header) and hmac.compare_digest(sign(secret, body), str(header))


def wa_id(phone: str) -> str:
    """A phone number as WhatsApp writes it: digits only, country code first, no '+'."""
    return re.sub(r"\D", "", phone)


def configured(settings: Settings) -> bool:
    """Whether the Cloud API is set up to send (phone number id and token)."""
    return bool(settings.whatsapp_phone_number_id and settings.whatsapp_token)


def payload(message: OutboundMessage) -> dict[str, Any]:
    """The request body: text inside the window, the named template outside it.
    DeliveryError (permanent) when neither may go: free text outside the window."""
    base = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    to = wa_id(message.recipient)
    if message.meta.get("whatsapp_window_open") is True:
        if len(message.body) > MAX_TEXT:
            raise DeliveryError(
                f"longer than WhatsApp's {MAX_TEXT} characters for a message", permanent=True
            )
        text = {"preview_url": False, "body": message.body}
        return {**base, "to": to, "type": "text", "text": text}
    template = message.meta.get("whatsapp_template")
    if not isinstance(template, dict) or not template.get("name"):
        raise DeliveryError(OUTSIDE_WINDOW, permanent=True)
    body: dict[str, Any] = {
        "name": template["name"],
        "language": {"code": template.get("language") or "en"},
    }
    params = [str(p) for p in template.get("parameters") or []]
    if params:
        body["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {**base, "to": to, "type": "template", "template": body}


def _refusal(resp: httpx.Response) -> DeliveryError:
    """What Meta's error answer means for the outbox: retry later, or give up with why."""
    try:
        err = resp.json().get("error") or {}
    except (ValueError, AttributeError):
        err = {}
    code = err.get("code") if isinstance(err, dict) else None
    words = str(err.get("message") or "") if isinstance(err, dict) else ""
    said = f"WhatsApp answered {resp.status_code}" + (f" ({code} {words})" if code else "")
    if code == REENGAGEMENT:
        return DeliveryError(f"{OUTSIDE_WINDOW} ({said})", permanent=True)
    retry = code in RETRYABLE_CODES or resp.status_code >= 500 or resp.status_code in (408, 429)
    return DeliveryError(said[:500], permanent=not retry)


class CloudApiAdapter:
    """Sends through Meta's Graph API. Meta does not dedupe on our idempotency key, so a send
    that broke off after the hand-over is never resent automatically (resend_safe False)."""

    name = "whatsapp"
    resend_safe = False
    window = WINDOW  # the outbox tells it whether the customer wrote within this

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.allow = Allow(settings.webhook_allow_list())
        self.client = client

    def url(self) -> str:
        s = self.settings
        return f"{s.whatsapp_api_base.rstrip('/')}/{s.whatsapp_phone_number_id}/messages"

    def send(self, message: OutboundMessage, *, handover: Callable[[], None]) -> str:
        """POST the message; returns Meta's message id (wamid...)."""
        body = payload(message)
        url = self.url()
        try:
            check_url(url, self.allow)
        except UnsafeTarget as exc:
            raise DeliveryError(f"WhatsApp address refused: {exc}", permanent=True) from None
        headers = {"Authorization": f"Bearer {self.settings.whatsapp_token}"}
        handover()
        try:
            client = self.client or guarded_client(self.allow)
            try:
                resp = client.post(url, json=body, headers=headers)
            finally:
                if self.client is None:
                    client.close()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise DeliveryError(f"WhatsApp unreachable: {exc}") from exc
        except httpx.HTTPError as exc:  # sent, but no answer: it may have gone out
            raise DeliveryError(f"WhatsApp did not answer: {exc}", unconfirmed=True) from exc
        if resp.status_code >= 300:
            raise _refusal(resp)
        try:
            return str(resp.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise DeliveryError(
                f"WhatsApp sent no message id: {resp.text[:200]}", unconfirmed=True
            ) from exc
