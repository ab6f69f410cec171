"""The REMEMBER stage's first step: a scored message's complaint (reason, order, evidence), a
suspected sarcasm flagged for review, and complaint episodes closed by a resolution."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.mood import complaints, review
from heartline.mood.models import Complaint, EmotionReading
from heartline.mood.readings import readings_for

# Short positive messages about a complaint topic ("Great, another delay.") are often sarcasm
# the engine missed: send them to a reviewer rather than trusting the positive reading.
SARCASM_SUSPECT_MAX_WORDS = 12
SARCASM_SUSPECT_MIN_EVIDENCE = 1.0
SARCASM_SUSPECT_REASON = "positive_words_about_complaint"


def complaint_for(session: Session, *, interaction_id: int) -> Complaint | None:
    """The complaint (reason, order, confidence) of a negative message."""
    return session.scalar(select(Complaint).where(Complaint.interaction_id == interaction_id))


def _suspect_sarcasm(row: EmotionReading, result: complaints.ReasonResult, text: str) -> bool:
    """A short, unreviewed positive message with clear complaint words."""
    return (
        row.sentiment == "positive"
        and not (row.data or {}).get("review")
        and not row.needs_review
        and result.reason != "other"
        and result.scores[result.reason] >= SARCASM_SUSPECT_MIN_EVIDENCE
        and len(text.split()) <= SARCASM_SUSPECT_MAX_WORDS
    )


def _flag_for_review(session: Session, row: EmotionReading, reason: str) -> None:
    row.needs_review = True
    data = dict(row.data or {})
    data["review_reasons"] = [*(data.get("review_reasons") or []), reason]
    row.data = data
    review.sync_reasons(session, row)


def _is_complaint(row: EmotionReading) -> bool:
    # a complaint stated in neutral words ("order 123 has not arrived") is one too
    stated = row.sentiment == "neutral" and (row.data or {}).get("complaint_severity") not in (
        None,
        "none",
    )
    return row.sentiment == "negative" or stated


def remember_interaction(session: Session, *, interaction_id: int) -> int | None:
    """Classify a scored message's complaint reason and link its order (idempotent).

    Returns the customer id whose mood should be updated, or None if there is no reading."""
    interaction = interaction_service.find_interaction(session, interaction_id=interaction_id)
    if interaction is None:
        return None
    return remember_messages(session, interactions=[interaction]).get(interaction_id)


def remember_messages(
    session: Session,
    *,
    interactions: Sequence[Any],
    orders: dict[int, list[Any]] | None = None,
) -> dict[int, int]:
    """``remember_interaction`` for a batch: readings and complaints read in one query each,
    a customer's orders once (``orders``: read already, by customer), one flush at the end.
    Returns {interaction id: customer id whose mood should be updated}."""
    ids = [i.id for i in interactions]
    readings = readings_for(session, interaction_ids=ids)
    existing = complaints_for(session, interaction_ids=ids)
    orders = {} if orders is None else orders
    out: dict[int, int] = {}
    inserts: list[dict[str, Any]] = []
    with session.no_autoflush:  # one flush for the batch
        for interaction in interactions:
            cid = _remember_one(
                session,
                interaction,
                (readings.get(interaction.id), existing.get(interaction.id)),
                orders,
                inserts,
            )
            if cid is not None:
                out[interaction.id] = cid
    session.flush()
    _insert_complaints(session, inserts)
    return out


def _remember_one(
    session: Session,
    interaction: Any,
    stored: tuple[EmotionReading | None, Complaint | None],
    orders: dict[int, list[Any]],
    inserts: list[dict[str, Any]],
) -> int | None:
    row, existing = stored
    if row is None:
        if existing is not None:
            session.delete(existing)
        return interaction.customer_id if interaction.direction == Direction.INBOUND else None
    data_in = row.data or {}
    result = complaints.classify_with_intent(
        interaction.text, data_in.get("intent"), float(data_in.get("intent_confidence") or 0.0)
    )
    if _suspect_sarcasm(row, result, interaction.text):
        _flag_for_review(session, row, SARCASM_SUSPECT_REASON)
    if not _is_complaint(row):
        if existing is not None:  # e.g. a correction turned it positive
            session.delete(existing)
        return int(interaction.customer_id)
    if interaction.customer_id not in orders:
        orders[interaction.customer_id] = customer_service.customer_orders(
            session, customer_id=interaction.customer_id, limit=500
        )
    order_id, how = complaints.link_order(
        text=interaction.text,
        reason=result.reason,
        orders=orders[interaction.customer_id][:50],
        at=interaction.occurred_at,
        explicit_order_id=interaction.order_id,
    )
    values: dict[str, Any] = {
        "customer_id": interaction.customer_id,
        "conversation_id": interaction.conversation_id,
        "order_id": order_id,
        "reason": result.reason,
        "confidence": result.confidence,
        "intensity": round(max(row.intensity, -row.valence), 4),
        "evidence": complaints.explain(result, how),
        "occurred_at": interaction.occurred_at,
    }
    if existing is None:
        inserts.append({"interaction_id": interaction.id, **values})
    else:
        _upsert_complaint(session, interaction.id, existing, values)
    return int(interaction.customer_id)


def _insert_complaints(session: Session, rows: list[dict[str, Any]]) -> None:
    """New complaints in one multi-row insert; one another worker stored meanwhile is left
    as it is (ON CONFLICT DO NOTHING on the unique interaction id): same message, same words."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    for start in range(0, len(rows), 200):
        chunk = [{**r, "created_at": now} for r in rows[start : start + 200]]
        session.execute(
            insert(Complaint)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["interaction_id"])
        )


def _upsert_complaint(
    session: Session, interaction_id: int, existing: Complaint | None, values: dict[str, Any]
) -> None:
    if existing is None:
        session.add(Complaint(interaction_id=interaction_id, **values))
    else:
        for key, value in values.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)


def complaints_for(session: Session, *, interaction_ids: Sequence[int]) -> dict[int, Complaint]:
    """The complaints of these messages, keyed by interaction id (one query)."""
    ids = list(interaction_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Complaint).where(Complaint.interaction_id.in_(ids)))
    return {c.interaction_id: c for c in rows}


def previous_negatives(
    session: Session, *, messages: Sequence[tuple[int, int, datetime]]
) -> dict[int, datetime | None]:
    """For each message (interaction id, customer id, at): when its customer's last negative
    episode before it occurred (``previous_negative`` for a batch, one query)."""
    if not messages:
        return {}
    latest = max(at for _, _, at in messages)
    rows = session.execute(
        select(Complaint.customer_id, Complaint.interaction_id, Complaint.occurred_at)
        .where(
            Complaint.customer_id.in_(sorted({c for _, c, _ in messages})),
            Complaint.occurred_at <= latest,
        )
        .order_by(Complaint.occurred_at.desc(), Complaint.id.desc())
    ).all()
    by_customer: dict[int, list[tuple[int, datetime]]] = {}
    for cid, iid, at in rows:
        by_customer.setdefault(cid, []).append((iid, at))
    out: dict[int, datetime | None] = {}
    for iid, cid, at in messages:
        out[iid] = next(
            (when for other, when in by_customer.get(cid, ()) if when <= at and other != iid),
            None,
        )
    return out


def previous_negative(
    session: Session,
    *,
    customer_id: int,
    before: datetime,
    exclude_interaction_id: int | None = None,
) -> Complaint | None:
    """The customer's last negative episode before a moment ("frustrated last time")."""
    stmt = select(Complaint).where(
        Complaint.customer_id == customer_id, Complaint.occurred_at <= before
    )
    if exclude_interaction_id is not None:
        stmt = stmt.where(Complaint.interaction_id != exclude_interaction_id)
    return session.scalar(stmt.order_by(Complaint.occurred_at.desc(), Complaint.id.desc()).limit(1))


def resolve_conversation(
    session: Session, *, conversation_id: int, resolved_at: datetime
) -> int | None:
    """Mark a conversation's open complaints resolved; returns the customer to update."""
    rows = list(
        session.scalars(
            select(Complaint).where(
                Complaint.conversation_id == conversation_id,
                Complaint.resolved_at.is_(None),
                Complaint.occurred_at <= resolved_at,
            )
        )
    )
    for row in rows:
        row.resolved_at = resolved_at
    session.flush()
    return rows[0].customer_id if rows else None
