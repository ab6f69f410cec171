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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from heartline.channels.base import Adapter, DeliveryError, OutboundMessage
from heartline.channels.registry import MESSAGE_CHANNELS, adapter_for
from heartline.config import Settings, get_settings
from heartline.db import utcnow
from heartline.enums import Direction
from heartline.errors import AppError, ErrorCode, not_found
from heartline.playbooks.models import OutboxMessage, PlaybookRun

log = logging.getLogger(__name__)

# How long a claimed row is protected before recovery may look at it: longer than any send.
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
# A reply within this window after a message counts as that message's outcome.
REPLY_WINDOW = timedelta(days=14)
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
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


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
        OutboxMessage.status == "sending", OutboxMessage.lease_until < now
    )
    for msg in session.scalars(stmt):
        adapter = (adapters or {}).get(msg.channel) or adapter_for(msg.channel, settings)
        if msg.phase == "handed_over" and not adapter.resend_safe:
            msg.status, msg.phase, msg.lease_until = "dead", None, None
            msg.last_error = UNCONFIRMED.format(channel=msg.channel, key=msg.idempotency_key)
            dead.append(msg.id)
        else:
            msg.status, msg.phase, msg.lease_until, msg.next_attempt_at = "queued", None, None, now
            requeued.append(msg.id)
    session.commit()
    return requeued, dead


def _claim(session: Session, outbox_id: int, now: datetime) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "queued")
        .values(
            status="sending",
            phase="claimed",
            lease_until=now + LEASE,
            attempts=OutboxMessage.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


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
            text=msg.body,
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
    msg.status, msg.phase, msg.lease_until = "sent", None, None
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
        msg.status = "dead"
        note = UNCONFIRMED.format(channel=msg.channel, key=msg.idempotency_key)
        msg.last_error = f"{note} ({exc})"[:2000]
    elif exc.permanent or msg.attempts >= settings.outbox_max_attempts:
        msg.status = "dead"
        if not exc.permanent:
            msg.last_error = f"gave up after {msg.attempts} attempts: {exc}"[:2000]
    else:
        msg.status, msg.next_attempt_at = "queued", now + backoff(msg.attempts)
    session.commit()
    return msg.status == "dead"


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
    adapter = (adapters or {}).get(msg.channel) or adapter_for(msg.channel, settings)

    def handover() -> None:
        msg.phase = "handed_over"
        session.commit()

    body = msg.body
    if msg.channel in MESSAGE_CHANNELS and msg.customer_id is not None:
        from heartline.privacy import transparency  # every message says why we read them

        body = transparency.with_footer(
            session, body, customer_id=msg.customer_id, channel=msg.channel, settings=settings
        )
    outbound = OutboundMessage(
        idempotency_key=msg.idempotency_key,
        channel=msg.channel,
        recipient=msg.recipient,
        subject=msg.subject,
        body=body,
        meta=dict(msg.meta or {}),
    )
    try:
        provider_id = adapter.send(outbound, handover=handover)
    except DeliveryError as exc:
        dead = _mark_failed(session, msg, exc, now, settings)
        (report.dead if dead else report.retrying).append(msg.id)
        log.warning("outbox %s %s: %s", msg.id, "dead" if dead else "will retry", exc)
        return msg.status
    _mark_sent(session, msg, provider_id, now)
    report.sent.append(msg.id)
    return "sent"


def reply_key(interaction_id: int) -> str:
    """The outbox idempotency key (and so the Message-ID) of an agent's reply."""
    return f"reply:{interaction_id}"


def enqueue_reply(
    session: Session,
    *,
    customer_id: int,
    channel: str,
    body: str,
    interaction_id: int,
    subject: str = "",
    thread: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue an agent's reply (already on the timeline) for delivery; None if it cannot go out.
    `thread` (in_reply_to, references) threads an email reply in the customer's mail app.

    Email, SMS and WhatsApp go to the customer's address on that channel. Chat, social and
    review replies live in the integrator's own system, so they go out as a signed
    `reply.created` webhook when one is configured. Idempotent per reply interaction.
    """
    import json

    from heartline.customers import service as customer_service

    key = reply_key(interaction_id)
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    now = now or utcnow()
    settings = get_settings()
    customer = customer_service.get_customer(session, customer_id=customer_id)
    address = {"email": customer.email, "sms": customer.phone, "whatsapp": customer.phone}
    recipient = address.get(channel)
    target = channel
    if not recipient:
        if not settings.webhook_url:
            return None
        target, recipient = "webhook", settings.webhook_url
        body = json.dumps(
            {
                "event": "reply.created",
                "customer_id": customer_id,
                "customer_external_id": customer.external_id,
                "channel": channel,
                "interaction_id": interaction_id,
                "text": body,
            }
        )
    msg = OutboxMessage(
        idempotency_key=key,
        customer_id=customer_id,
        channel=target,
        recipient=recipient,
        category="service",
        subject=subject or "Re: your message",
        body=body,
        status="queued",
        next_attempt_at=now,
        interaction_id=interaction_id,
        created_at=now,
        updated_at=now,
        meta={"reply": True, "channel_requested": channel, **(thread or {})},
    )
    session.add(msg)
    session.flush()
    return msg


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
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
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


# --- operator actions (services: flush, the caller commits) ---


def get_message(session: Session, *, outbox_id: int) -> OutboxMessage:
    """One outbox row, or a 404."""
    msg = session.get(OutboxMessage, outbox_id)
    if msg is None:
        raise not_found("outbox message", outbox_id)
    return msg


def _require(msg: OutboxMessage, *statuses: str) -> None:
    if msg.status not in statuses:
        raise AppError(
            ErrorCode.CONFLICT,
            f"outbox message {msg.id} is {msg.status}; this needs {' or '.join(statuses)}",
        )


def _set_run_status(session: Session, msg: OutboxMessage, status: str, note: str) -> None:
    run = session.get(PlaybookRun, msg.run_id) if msg.run_id else None
    if run is not None:
        run.status = status
        run.reasons = [*run.reasons, note]


def approve(
    session: Session,
    *,
    outbox_id: int,
    by: str,
    subject: str | None = None,
    body: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Release a draft (optionally edited) to the queue."""
    msg = get_message(session, outbox_id=outbox_id)
    _require(msg, "draft")
    now = now or utcnow()
    if subject is not None:
        msg.subject = subject
    if body is not None:
        msg.body = body
    msg.status, msg.decided_by, msg.next_attempt_at = "queued", by, now
    _set_run_status(session, msg, "fired", f"approved by {by}")
    session.flush()
    return msg


def reject(session: Session, *, outbox_id: int, by: str, note: str | None = None) -> OutboxMessage:
    """Discard a draft; the run records who rejected it."""
    msg = get_message(session, outbox_id=outbox_id)
    _require(msg, "draft")
    msg.status, msg.decided_by = "rejected", by
    _set_run_status(session, msg, "rejected", f"rejected by {by}" + (f": {note}" if note else ""))
    session.flush()
    return msg


def requeue(
    session: Session, *, outbox_id: int, by: str, now: datetime | None = None
) -> OutboxMessage:
    """Give a dead message a fresh set of attempts (after a person checked it)."""
    msg = get_message(session, outbox_id=outbox_id)
    _require(msg, "dead")
    msg.status, msg.attempts, msg.next_attempt_at = "queued", 0, now or utcnow()
    msg.decided_by = by
    session.flush()
    return msg


def list_messages(
    session: Session,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[OutboxMessage], int]:
    """Outbox rows, newest first, with the total matching."""
    stmt = select(OutboxMessage)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if customer_id is not None:
        stmt = stmt.where(OutboxMessage.customer_id == customer_id)
    if channel:
        stmt = stmt.where(OutboxMessage.channel == channel)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
    return list(rows), total


# --- channel outcomes ---


def record_replies(
    session: Session,
    *,
    interactions: Sequence[tuple[int, int, datetime]],
    valence_of: Callable[[int], float | None],
) -> list[int]:
    """Link inbound replies (id, customer_id, at) to the message they answer; outbox ids."""
    linked: list[int] = []
    for interaction_id, customer_id, at in interactions:
        msg = session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.customer_id == customer_id,
                OutboxMessage.status == "sent",
                OutboxMessage.sent_at <= at,
                OutboxMessage.sent_at >= at - REPLY_WINDOW,
                OutboxMessage.replied_at.is_(None),
                OutboxMessage.channel != "webhook",
            )
            .order_by(OutboxMessage.sent_at.desc())
            .limit(1)
        )
        if msg is None or msg.interaction_id == interaction_id:
            continue
        msg.replied_at, msg.reply_interaction_id = at, interaction_id
        msg.reply_valence = valence_of(interaction_id)
        linked.append(msg.id)
    session.flush()
    return linked


def channel_outcomes(session: Session, *, since: datetime | None = None) -> list[dict[str, object]]:
    """Per channel: messages sent, replies, reply rate and the replies' mean valence."""
    stmt = (
        select(
            OutboxMessage.channel,
            func.count(),
            func.count(OutboxMessage.replied_at),
            func.avg(OutboxMessage.reply_valence),
        )
        .where(OutboxMessage.status == "sent", OutboxMessage.channel != "webhook")
        .group_by(OutboxMessage.channel)
        .order_by(OutboxMessage.channel)
    )
    if since is not None:
        stmt = stmt.where(OutboxMessage.sent_at >= since)
    return [
        {
            "channel": ch,
            "sent": n,
            "replied": r,
            "reply_rate": round(r / n, 3) if n else 0.0,
            "mean_reply_valence": None if v is None else round(float(v), 3),
        }
        for ch, n, r, v in session.execute(stmt)
    ]
