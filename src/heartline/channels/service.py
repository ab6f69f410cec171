"""Channels' public surface: choosing a customer's channel, the delivery adapters the outbox
hands messages to, and the guarded check of a user-configured URL (DESIGN rule 12).

Channels sit below the domains that send (playbooks' outbox, agents' replies): they never
import those domains; what they need to know about a customer comes in as `Reachable`.
"""

from __future__ import annotations

from heartline.channels.base import Adapter, DeliveryError, OutboundMessage
from heartline.channels.email import message_id
from heartline.channels.netguard import Allow, UnsafeTarget, check_url
from heartline.channels.registry import (
    MESSAGE_CHANNELS,
    ChannelChoice,
    Reachable,
    adapter_for,
    choose_channel,
    erase_local_copies,
)
from heartline.config import get_settings

__all__ = [
    "MESSAGE_CHANNELS",
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
]


def check_webhook_target(url: str, *, resolve_host: bool = False) -> None:
    """UnsafeTarget unless `url` may be a webhook target under the admin's allow-list (by
    default offline: form and address literals; delivery checks the resolved address)."""
    check_url(url, Allow(get_settings().webhook_allow_list()), resolve_host=resolve_host)
