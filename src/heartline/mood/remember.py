"""The REMEMBER stage's first step: a scored message's complaint (reason, order, evidence), a
suspected sarcasm flagged for review, and complaint episodes closed by a resolution."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.mood import complaints, review
from heartline.mood.models import Complaint, EmotionReading
from heartline.mood.readings import reading_for

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
    row = reading_for(session, interaction_id=interaction_id)
    existing = complaint_for(session, interaction_id=interaction_id)
    if row is None:
        if existing is not None:
            session.delete(existing)
            session.flush()
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
        session.flush()
        return interaction.customer_id
    orders = customer_service.customer_orders(
        session, customer_id=interaction.customer_id, limit=50
    )
    order_id, how = complaints.link_order(
        text=interaction.text,
        reason=result.reason,
        orders=orders,
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
    _upsert_complaint(session, interaction_id, existing, values)
    return interaction.customer_id


def _upsert_complaint(
    session: Session, interaction_id: int, existing: Complaint | None, values: dict[str, Any]
) -> None:
    if existing is None:
        session.add(Complaint(interaction_id=interaction_id, **values))
    else:
        for key, value in values.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)
    session.flush()


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
