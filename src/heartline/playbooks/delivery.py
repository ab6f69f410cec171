"""What a provider reports after a send (WhatsApp's status callbacks): the outbox row found by
the provider's message id moves sent -> delivered -> read, never backwards; `failed` records
the provider's error and follows the outbox's rules (retryable: queued again with backoff
until the attempts run out; anything else: dead, with the reason). No commits here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.config import Settings, get_settings
from heartline.playbooks.models import OutboxMessage
from heartline.playbooks.outbox import backoff
from heartline.playbooks.schemas import OutboxStatus

RANK = {"sent": 1, "delivered": 2, "read": 3}


def record_delivery_status(
    session: Session,
    *,
    channel: str,
    provider_message_id: str,
    status: str,
    at: datetime,
    error: str | None = None,
    retryable: bool = False,
    settings: Settings | None = None,
) -> str | None:
    """Apply one status report; returns what changed ("delivered", "read", "retrying",
    "dead"), "unchanged", or None when no message of ours has that id."""
    msg = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.provider_message_id == provider_message_id[:200],
            OutboxMessage.channel == channel,
        )
    )
    if msg is None:
        return None
    if status == "failed":
        return _failed(msg, error or "failed", retryable, at, settings or get_settings())
    if status not in RANK:
        return "unchanged"
    if msg.delivery_status and RANK[status] <= RANK.get(msg.delivery_status, 0):
        return "unchanged"  # reports arrive out of order: read is never undone by delivered
    msg.delivery_status, msg.delivery_status_at = status, at
    session.flush()
    return status


def _failed(
    msg: OutboxMessage, error: str, retryable: bool, at: datetime, settings: Settings
) -> str:
    if msg.delivery_status in ("delivered", "read"):
        return "unchanged"  # it reached the phone already; a late failure changes nothing
    msg.delivery_status, msg.delivery_status_at = "failed", at
    note = f"WhatsApp could not deliver it: {error}"
    if retryable and msg.attempts < settings.outbox_max_attempts:
        msg.status, msg.next_attempt_at = OutboxStatus.QUEUED, at + backoff(msg.attempts)
        msg.last_error, msg.provider_message_id = note[:2000], None
        return "retrying"
    if retryable:
        note = f"gave up after {msg.attempts} attempts: {note}"
    msg.status, msg.last_error = OutboxStatus.DEAD, note[:2000]
    return "dead"
