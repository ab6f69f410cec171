"""Agents' replies through the outbox, and what customers answer to what we sent (channel
outcomes: reply rate and the replies' feeling per channel)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.playbooks.models import OutboxMessage
from heartline.playbooks.schemas import OutboxStatus

# A reply within this window after a message counts as that message's outcome.
REPLY_WINDOW = timedelta(days=14)


def reply_key(interaction_id: int) -> str:
    """The outbox idempotency key (and so the Message-ID) of an agent's reply."""
    return f"reply:{interaction_id}"


def _reply_target(
    session: Session, *, customer_id: int, channel: str, body: str, interaction_id: int
) -> tuple[str, str, str] | None:
    """(channel, recipient, body) a reply goes out with, or None when it cannot go out.

    Email, SMS and WhatsApp go to the customer's address on that channel. Chat, social and
    review replies live in the integrator's own system, so they go out as a signed
    `reply.created` webhook when one is configured."""
    customer = customer_service.get_customer(session, customer_id=customer_id)
    address = {"email": customer.email, "sms": customer.phone, "whatsapp": customer.phone}
    recipient = address.get(channel)
    if recipient:
        return channel, recipient, body
    webhook_url = get_settings().webhook_url
    if not webhook_url:
        return None
    event = {
        "event": "reply.created",
        "customer_id": customer_id,
        "customer_external_id": customer.external_id,
        "channel": channel,
        "interaction_id": interaction_id,
        "text": body,
    }
    return "webhook", webhook_url, json.dumps(event)


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
    Idempotent per reply interaction (see `_reply_target` for where it goes)."""
    key = reply_key(interaction_id)
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    now = now or utcnow()
    target = _reply_target(
        session, customer_id=customer_id, channel=channel, body=body, interaction_id=interaction_id
    )
    if target is None:
        return None
    msg = OutboxMessage(
        idempotency_key=key,
        customer_id=customer_id,
        channel=target[0],
        recipient=target[1],
        category="service",
        subject=subject or "Re: your message",
        body=target[2],
        status=OutboxStatus.QUEUED,
        next_attempt_at=now,
        interaction_id=interaction_id,
        created_at=now,
        updated_at=now,
        meta={"reply": True, "channel_requested": channel, **(thread or {})},
    )
    session.add(msg)
    session.flush()
    return msg


def record_replies(
    session: Session,
    *,
    interactions: Sequence[tuple[int, int, datetime]],
    valence_of: Callable[[int], float | None],
) -> list[int]:
    """Link inbound replies (id, customer_id, at) to the message they answer; outbox ids.

    The batch's candidates (sent, unanswered, in the reply window of any of its messages)
    are read in one query; each message, in the order given, takes its customer's latest."""
    if not interactions:
        return []
    first = min(at for _, _, at in interactions) - REPLY_WINDOW
    last = max(at for _, _, at in interactions)
    candidates: dict[int | None, list[OutboxMessage]] = {}
    for sent in session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.customer_id.in_(sorted({c for _, c, _ in interactions})),
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at <= last,
            OutboxMessage.sent_at >= first,
            OutboxMessage.replied_at.is_(None),
            OutboxMessage.channel != "webhook",
        )
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id)
    ):
        candidates.setdefault(sent.customer_id, []).append(sent)
    linked: list[int] = []
    for interaction_id, customer_id, at in interactions:
        msg = next(
            (
                m
                for m in candidates.get(customer_id, ())
                if m.replied_at is None
                and m.sent_at is not None
                and at - REPLY_WINDOW <= m.sent_at <= at
            ),
            None,
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
        .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.channel != "webhook")
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


def record_channel_outcomes(session: Session, *, interaction_ids: Sequence[int]) -> list[int]:
    """Link new inbound messages to the outbound message they reply to (channel outcomes)."""
    from heartline.mood import service as mood_service

    found = interaction_service.interactions_by_ids(session, ids=interaction_ids)
    rows = [
        (i.id, i.customer_id, i.occurred_at)
        for i in sorted(found.values(), key=lambda i: i.id)
        if i.direction == Direction.INBOUND
    ]
    if not rows:
        return []
    readings = mood_service.readings_for(session, interaction_ids=[r[0] for r in rows])

    def valence_of(interaction_id: int) -> float | None:
        reading = readings.get(interaction_id)
        return None if reading is None else float(reading.valence)

    return record_replies(session, interactions=rows, valence_of=valence_of)
