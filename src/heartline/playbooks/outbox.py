"""The durable outbox: claim, hand over, confirm; retries with backoff; a dead-letter state.

Delivery is a unit of work of its own, so these functions commit (like pipeline tasks). The
protocol that keeps a message from ever going out twice:

1. claim: one UPDATE moves the row from `queued` to `sending` (phase `claimed`, a lease, the
   attempt counted) only if it is still queued, and commits. Two workers cannot both win.
2. hand over: right before the provider could first receive the message (SMTP DATA, the HTTP
   request), the phase becomes `handed_over` and commits.
3. send, passing the idempotency key (email Message-ID, Idempotency-Key / X-Heartline-Delivery
   headers), then mark `sent`, write the timeline entry and commit.

A crash leaves the row in `sending` until its lease expires. Recovery then knows how far it got:
`claimed` never reached the provider, so it is queued again; `handed_over` may have, so it is
resent only where the provider dedupes on the idempotency key (HTTP providers, webhooks, the
file sinks). Plain SMTP cannot be asked, so such a row goes to `dead` with the reason, visible
in GET /api/v1/outbox, for a person to check and requeue: at most once, never twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heartline.channels import service as channels
from heartline.channels.service import MESSAGE_CHANNELS, Adapter, DeliveryError, OutboundMessage
from heartline.config import Settings, get_settings
from heartline.db import utcnow
from heartline.enums import Direction
from heartline.playbooks.models import OutboxMessage
from heartline.playbooks.replies import reply_key
from heartline.playbooks.schemas import OutboxPhase, OutboxStatus
from heartline.privacy import service as privacy_service

log = logging.getLogger(__name__)

# How long a claimed row is protected before recovery may look at it: longer than any send.
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
UNCONFIRMED = (
    "delivery unconfirmed: stopped after handing the message to the {channel} "
    "server and before recording the outcome; not resent automatically to avoid a "
    "duplicate (idempotency key {key}). Check and requeue if it did not arrive."
)


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4, ... minutes, capped at 6 hours."""
    return min(BACKOFF_BASE * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


def recover_stale(
    session: Session,
    *,
    now: datetime,
    settings: Settings | None = None,
    adapters: dict[str, Adapter] | None = None,
) -> tuple[list[int], list[int]]:
    """Requeue or dead-letter `sending` rows whose lease ran out (a crashed sender)."""
    settings = settings or get_settings()
    requeued: list[int] = []
    dead: list[int] = []
    stmt = select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now
    )
    for msg in session.scalars(stmt):
        adapter = (adapters or {}).get(msg.channel) or channels.adapter_for(msg.channel, settings)
        if msg.phase == OutboxPhase.HANDED_OVER and not adapter.resend_safe:
            msg.status, msg.phase, msg.lease_until = OutboxStatus.DEAD, None, None
            msg.last_error = UNCONFIRMED.format(channel=msg.channel, key=msg.idempotency_key)
            dead.append(msg.id)
        else:
            msg.status, msg.phase, msg.lease_until = OutboxStatus.QUEUED, None, None
            msg.next_attempt_at = now
            requeued.append(msg.id)
    session.commit()
    return requeued, dead


def _claim(session: Session, outbox_id: int, now: datetime) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(
            status=OutboxStatus.SENDING,
            phase=OutboxPhase.CLAIMED,
            lease_until=now + LEASE,
            attempts=OutboxMessage.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _sent_words(msg: OutboxMessage) -> str:
    """What the customer got: the text, or the WhatsApp template sent in its place."""
    template = (msg.meta or {}).get("whatsapp_template")
    if (msg.meta or {}).get("sent_as") != "whatsapp_template" or not template:
        return msg.body
    filled = ", ".join(str(p) for p in template.get("parameters") or [])
    return f"(WhatsApp template {template.get('name')}{f': {filled}' if filled else ''})"


def _timeline(session: Session, msg: OutboxMessage, now: datetime) -> int | None:
    """Record the sent message as an outbound interaction on the customer's timeline."""
    if msg.channel not in MESSAGE_CHANNELS or msg.customer_id is None:
        return None
    from heartline.interactions import service as interaction_service
    from heartline.interactions.schemas import InteractionIn

    result = interaction_service.ingest_interaction(
        session,
        data=InteractionIn(
            customer_id=msg.customer_id,
            external_id=f"outbox:{msg.idempotency_key}",
            channel=msg.channel,
            direction=Direction.OUTBOUND,
            author=f"Heartline playbook: {msg.playbook_key}" if msg.playbook_key else "Heartline",
            subject=msg.subject[:500],
            text=_sent_words(msg),
            occurred_at=now,
            metadata={
                "playbook": msg.playbook_key,
                "outbox_id": msg.id,
                "run_id": msg.run_id,
                "idempotency_key": msg.idempotency_key,
                "category": msg.category,
            },
        ),
    )
    inter = result.obj
    if result.status == "created" and inter.conversation_id is not None:
        # Threaded into an open ticket on the same channel: an automated message is not a
        # person's first response, so it must not stop that ticket's response clock.
        conv = interaction_service.get_conversation(session, conversation_id=inter.conversation_id)
        if conv.first_response_at == inter.occurred_at:
            conv.first_response_at = None
            session.flush()
    return inter.id


def _mark_sent(session: Session, msg: OutboxMessage, provider_id: str, now: datetime) -> None:
    msg.status, msg.phase, msg.lease_until = OutboxStatus.SENT, None, None
    msg.provider_message_id, msg.sent_at, msg.last_error = provider_id[:200], now, None
    if msg.interaction_id is None:  # an agent's reply is on the timeline already
        msg.interaction_id = _timeline(session, msg, now)
    session.commit()


def _mark_failed(
    session: Session, msg: OutboxMessage, exc: DeliveryError, now: datetime, settings: Settings
) -> bool:
    """Schedule a retry, or dead-letter it; True if it is dead. An unconfirmed failure (the
    message may have arrived) is never retried: a person checks, then requeues."""
    msg.phase, msg.lease_until, msg.last_error = None, None, str(exc)[:2000]
    if exc.unconfirmed:
        msg.status = OutboxStatus.DEAD
        note = UNCONFIRMED.format(channel=msg.channel, key=msg.idempotency_key)
        msg.last_error = f"{note} ({exc})"[:2000]
    elif exc.permanent or msg.attempts >= settings.outbox_max_attempts:
        msg.status = OutboxStatus.DEAD
        if not exc.permanent:
            msg.last_error = f"gave up after {msg.attempts} attempts: {exc}"[:2000]
    else:
        msg.status, msg.next_attempt_at = OutboxStatus.QUEUED, now + backoff(msg.attempts)
    session.commit()
    return msg.status == OutboxStatus.DEAD


def _adapter_meta(
    session: Session, msg: OutboxMessage, adapter: Adapter, now: datetime
) -> dict[str, Any]:
    """The row's meta, plus whether the customer wrote within the adapter's window (WhatsApp's
    24 hours: free text may go only then, a template otherwise)."""
    meta = dict(msg.meta or {})
    window: timedelta | None = getattr(adapter, "window", None)
    if window is not None and msg.customer_id is not None:
        from heartline.interactions import service as interaction_service

        last = interaction_service.last_inbound_at(
            session, customer_id=msg.customer_id, channel=msg.channel
        )
        meta["whatsapp_window_open"] = last is not None and last > now - window
    return meta


def deliver_one(
    session: Session,
    *,
    outbox_id: int,
    now: datetime | None = None,
    settings: Settings | None = None,
    adapters: dict[str, Adapter] | None = None,
    report: DeliveryReport | None = None,
) -> str:
    """Claim and send one queued message; returns its status afterwards."""
    now = now or utcnow()
    settings = settings or get_settings()
    report = report if report is not None else DeliveryReport()
    if not _claim(session, outbox_id, now):
        return "skipped"
    msg = session.get(OutboxMessage, outbox_id, populate_existing=True)
    assert msg is not None
    adapter = (adapters or {}).get(msg.channel) or channels.adapter_for(msg.channel, settings)

    def handover() -> None:
        msg.phase = OutboxPhase.HANDED_OVER
        session.commit()

    body = msg.body
    if msg.channel in MESSAGE_CHANNELS and msg.customer_id is not None:
        # Every message to a customer says why we read their messages, and links their choices.
        body = privacy_service.with_footer(
            session, body, customer_id=msg.customer_id, channel=msg.channel, settings=settings
        )
    outbound = OutboundMessage(
        idempotency_key=msg.idempotency_key,
        channel=msg.channel,
        recipient=msg.recipient,
        subject=msg.subject,
        body=body,
        meta=_adapter_meta(session, msg, adapter, now),
    )
    try:
        provider_id = adapter.send(outbound, handover=handover)
    except DeliveryError as exc:
        dead = _mark_failed(session, msg, exc, now, settings)
        (report.dead if dead else report.retrying).append(msg.id)
        log.warning("outbox %s %s: %s", msg.id, "dead" if dead else "will retry", exc)
        return msg.status
    if outbound.meta.get("whatsapp_window_open") is False:  # the adapter sent the template
        msg.meta = {**(msg.meta or {}), "sent_as": "whatsapp_template"}
    _mark_sent(session, msg, provider_id, now)
    report.sent.append(msg.id)
    return OutboxStatus.SENT


def deliver_reply(
    session: Session, *, interaction_id: int, now: datetime | None = None
) -> str | None:
    """Deliver the queued reply of an interaction now (a failure is retried by the scheduler)."""
    msg_id = session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == reply_key(interaction_id))
    )
    return None if msg_id is None else deliver_one(session, outbox_id=msg_id, now=now)


def deliver_due(
    session: Session,
    *,
    now: datetime | None = None,
    limit: int = 200,
    ids: Sequence[int] | None = None,
    settings: Settings | None = None,
    adapters: dict[str, Adapter] | None = None,
) -> DeliveryReport:
    """Recover stale sends, then send queued messages that are due (oldest first)."""
    now = now or utcnow()
    settings = settings or get_settings()
    report = DeliveryReport()
    report.recovered, report.dead = recover_stale(
        session, now=now, settings=settings, adapters=adapters
    )
    stmt = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(list(ids)))
    for outbox_id in list(session.scalars(stmt)):
        deliver_one(
            session,
            outbox_id=outbox_id,
            now=now,
            settings=settings,
            adapters=adapters,
            report=report,
        )
    return report
