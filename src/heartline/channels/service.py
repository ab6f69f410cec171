"""Channels' public surface: choosing a customer's channel, the delivery adapters the outbox
hands messages to, and the guarded check of a user-configured URL (DESIGN rule 12).

Channels sit below the domains that send (playbooks' outbox, agents' replies): they never
import those domains; what they need to know about a customer comes in as `Reachable`.
"""

from __future__ import annotations

from typing import Any

import httpx

from heartline.channels.base import Adapter, DeliveryError, OutboundMessage
from heartline.channels.email import message_id
from heartline.channels.netguard import Allow, UnsafeTarget, check_url, guarded_client
from heartline.channels.registry import (
    MESSAGE_CHANNELS,
    ChannelChoice,
    Reachable,
    adapter_for,
    choose_channel,
    erase_local_copies,
)
from heartline.channels.whatsapp import OUTSIDE_WINDOW as WHATSAPP_OUTSIDE_WINDOW
from heartline.channels.whatsapp import RETRYABLE_CODES as WHATSAPP_RETRYABLE
from heartline.channels.whatsapp import WINDOW as WHATSAPP_WINDOW
from heartline.channels.whatsapp import signature_ok as whatsapp_signature_ok
from heartline.channels.whatsapp import wa_id
from heartline.config import get_settings

__all__ = [
    "MESSAGE_CHANNELS",
    "WHATSAPP_OUTSIDE_WINDOW",
    "WHATSAPP_RETRYABLE",
    "WHATSAPP_WINDOW",
    "Adapter",
    "ChannelChoice",
    "DeliveryError",
    "OutboundMessage",
    "Reachable",
    "UnsafeTarget",
    "adapter_for",
    "check_webhook_target",
    "choose_channel",
    "erase_local_copies",
    "message_id",
    "post_json",
    "wa_id",
    "whatsapp_cloud_api",
    "whatsapp_signature_ok",
]


def check_webhook_target(url: str, *, resolve_host: bool = False) -> None:
    """UnsafeTarget unless `url` may be a webhook target under the admin's allow-list (by
    default offline: form and address literals; delivery checks the resolved address)."""
    check_url(url, Allow(get_settings().webhook_allow_list()), resolve_host=resolve_host)


def whatsapp_cloud_api() -> bool:
    """Whether WhatsApp goes through Meta's Cloud API (so its 24-hour window applies)."""
    from heartline.channels.whatsapp import configured

    return configured(get_settings())


def post_json(url: str, body: Any, *, timeout: float = 5.0) -> httpx.Response:
    """POST JSON to an admin-configured URL (team alerts) through the SSRF guard: UnsafeTarget
    when the address is not allowed, httpx.HTTPError when it cannot be reached."""
    allow = Allow(get_settings().webhook_allow_list())
    check_url(url, allow)
    with guarded_client(allow, timeout=timeout) as client:
        return client.post(url, json=body)
