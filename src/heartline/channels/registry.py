"""Pick a customer's channel (preference, consent, region default, fallback) and its adapter."""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from heartline.channels.base import Adapter
from heartline.config import Settings, get_settings
from heartline.enums import Channel

MESSAGE_CHANNELS = ("email", "sms", "whatsapp")
# Where a customer states no preference and their region has no default.
FALLBACK_ORDER = ("email", "sms")


class Reachable(Protocol):
    """What choosing a channel needs to know about a customer (a playbook's CustomerContext
    is one): channels know nothing of the domains that ask them."""

    @property
    def email(self) -> str | None: ...

    @property
    def phone(self) -> str | None: ...

    @property
    def region(self) -> str | None: ...

    @property
    def preferred_channel(self) -> str | None: ...

    @property
    def channel_consent(self) -> Mapping[str, bool]: ...


@dataclass(frozen=True)
class ChannelChoice:
    """The channel, the address on it, and why it was chosen."""

    channel: str
    recipient: str
    why: str


def _address(ctx: Reachable, channel: str) -> str | None:
    return ctx.email if channel == Channel.EMAIL else ctx.phone


def _consented(ctx: Reachable, channel: str) -> bool:
    # WhatsApp needs an explicit opt-in (its business policy); others are allowed unless refused.
    given = ctx.channel_consent.get(channel)
    return given is True if channel == "whatsapp" else given is not False


def choose_channel(
    ctx: Reachable, *, forced: str | None = None, settings: Settings | None = None
) -> tuple[ChannelChoice | None, list[str]]:
    """The first usable channel, and why each earlier candidate was passed over."""
    settings = settings or get_settings()
    candidates: list[tuple[str, str]] = []
    if forced:
        candidates.append((forced, "playbook channel"))
    else:
        if ctx.preferred_channel:
            candidates.append((ctx.preferred_channel, "customer preference"))
        region_default = settings.channel_region_defaults.get((ctx.region or "").upper())
        if region_default:
            candidates.append((region_default, f"default for region {ctx.region}"))
        candidates += [(c, "fallback") for c in FALLBACK_ORDER]
    skipped: list[str] = []
    seen: set[str] = set()
    for channel, why in candidates:
        if channel in seen:
            continue
        seen.add(channel)
        if channel not in MESSAGE_CHANNELS:
            skipped.append(f"{channel}: not a messaging channel")
        elif not _consented(ctx, channel):
            skipped.append(f"{channel}: no consent")
        elif not _address(ctx, channel):
            skipped.append(f"{channel}: no address")
        else:
            return ChannelChoice(channel, str(_address(ctx, channel)), why), skipped
    return None, skipped


def adapter_for(channel: str, settings: Settings | None = None) -> Adapter:
    """The configured sender for a channel (file sinks when nothing is configured)."""
    from heartline.channels import whatsapp
    from heartline.channels.email import FileMailAdapter, SmtpAdapter
    from heartline.channels.sms import FileTextAdapter, TwilioStyleAdapter
    from heartline.channels.webhook import WebhookAdapter

    settings = settings or get_settings()
    if channel == Channel.EMAIL:
        return SmtpAdapter(settings) if settings.smtp_host else FileMailAdapter(settings)
    if channel == Channel.WHATSAPP and whatsapp.configured(settings):
        return whatsapp.CloudApiAdapter(settings)
    if channel in (Channel.SMS, Channel.WHATSAPP):
        if settings.sms_provider_url:
            return TwilioStyleAdapter(settings, channel)
        return FileTextAdapter(settings, channel)
    if channel == "webhook":
        return WebhookAdapter(settings)
    raise ValueError(f"no adapter for channel {channel!r}")


def erase_local_copies(keys: Sequence[str], settings: Settings | None = None) -> int:
    """Delete the file sinks' copies (data_dir/outbox: .eml and texts) of these outbox
    messages, for erasure; returns how many files went. Keys are our own idempotency keys."""
    folder = Path((settings or get_settings()).data_dir) / "outbox"
    gone = 0
    for key in keys:
        if not key or "/" in key or key.startswith("."):
            continue
        for path in folder.glob(f"{glob.escape(key)}.*"):
            path.unlink(missing_ok=True)
            gone += 1
    return gone
