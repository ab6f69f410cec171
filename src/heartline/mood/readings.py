"""Stored readings: one row per scored interaction, written by the score stage, read by every
other domain through mood.service (with their reviewers' corrections applied)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.emotion.reading import Reading
from heartline.emotion.taxonomy import HOLD_MARKETING_INTENTS
from heartline.enums import ConversationStatus
from heartline.interactions import service as interaction_service
from heartline.mood import review
from heartline.mood.models import Complaint, EmotionReading
from heartline.mood.points import INTENT_MIN_CONFIDENCE


class ScoredMessage(Protocol):
    """What storing a reading needs of its interaction (the interactions domain's row)."""

    @property
    def id(self) -> int: ...
    @property
    def customer_id(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def channel(self) -> str: ...


def store_reading(
    session: Session, *, interaction: ScoredMessage, reading: Reading
) -> EmotionReading:
    """Insert or replace the reading of one interaction (idempotent: one row per interaction)."""
    row = session.scalar(
        select(EmotionReading).where(EmotionReading.interaction_id == interaction.id)
    )
    values = {
        "customer_id": interaction.customer_id,
        "occurred_at": interaction.occurred_at,
        "channel": interaction.channel,
        "model": reading.model,
        "language": reading.language,
        "sentiment": reading.sentiment,
        "valence": float(reading.valence),
        "top_emotion": reading.top_emotion,
        "intensity": float(reading.intensity),
        "confidence": float(reading.confidence),
        "sarcasm": float(reading.sarcasm),
        "needs_review": bool(reading.needs_review),
        "data": reading.to_dict(),
    }
    new = row is None
    if row is None:
        row = EmotionReading(interaction_id=interaction.id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.flush()
        review.reapply(session, row)  # a reviewer's correction outlives a re-score
    session.flush()
    review.sync_reasons(session, row, new=new)
    return row


def readings_for(session: Session, *, interaction_ids: Sequence[int]) -> dict[int, EmotionReading]:
    """Readings keyed by interaction id (missing ids are simply absent)."""
    if not interaction_ids:
        return {}
    rows = session.scalars(
        select(EmotionReading).where(EmotionReading.interaction_id.in_(list(interaction_ids)))
    )
    return {r.interaction_id: r for r in rows}


def reading_for(session: Session, *, interaction_id: int) -> EmotionReading | None:
    """The reading of one interaction, or None."""
    return session.scalar(
        select(EmotionReading).where(EmotionReading.interaction_id == interaction_id)
    )


def delete_reading(session: Session, *, interaction_id: int) -> None:
    """Remove an interaction's reading (consent withdrawn, message erased)."""
    row = reading_for(session, interaction_id=interaction_id)
    if row is not None:
        session.delete(row)
        session.flush()


def interactions_with_reading(
    *, needs_review: bool | None = None, language: str | None = None
) -> Select[int]:
    """A select of the interaction ids whose reading matches (for an `IN` filter elsewhere)."""
    stmt = select(EmotionReading.interaction_id)
    if needs_review is not None:
        stmt = stmt.where(EmotionReading.needs_review == needs_review)
    if language is not None:
        stmt = stmt.where(EmotionReading.language == language.lower())
    return stmt


def current_readings(*, model_ids: Sequence[str], languages: Sequence[str]) -> Select[int]:
    """A select of the interaction ids whose reading needs no re-score: made by one of these
    models, and not left unread in a language the engine now reads."""
    er = EmotionReading
    return select(er.interaction_id).where(
        er.model.in_(list(model_ids)),
        er.sentiment.is_not(None) | er.language.is_(None) | er.language.not_in(list(languages)),
    )


def latest_reading(session: Session, *, customer_id: int) -> EmotionReading | None:
    """The customer's newest scored reading, however old (the mood state reads one year)."""
    return session.scalar(
        select(EmotionReading)
        .where(
            EmotionReading.customer_id == customer_id,
            EmotionReading.sentiment.is_not(None),
            EmotionReading.occurred_at <= utcnow(),
        )
        .order_by(EmotionReading.occurred_at.desc(), EmotionReading.id.desc())
        .limit(1)
    )


def latest_languages(session: Session, *, customer_ids: Sequence[int]) -> dict[int, str]:
    """The language of each customer's latest read message (customers without one are absent)."""
    if not customer_ids:
        return {}
    er = EmotionReading
    last = (
        select(func.max(er.id))
        .where(er.customer_id.in_(list(customer_ids)), er.language.is_not(None))
        .group_by(er.customer_id)
    )
    rows = session.execute(select(er.customer_id, er.language).where(er.id.in_(last)))
    return {int(cid): str(lang) for cid, lang in rows}


def intent_holds(session: Session, *, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Customers with a churn threat or privacy request in a conversation that is still open
    or pending: until a person resolves it, marketing must wait. Newest such message wins.

    The intent is read from the stored reading's JSON, filtered in the database; the
    conversations of the (few) matching messages are then asked of the interactions domain."""
    ids = list(customer_ids)
    if not ids:
        return {}
    intent = EmotionReading.data["intent"].as_string()
    confidence = EmotionReading.data["intent_confidence"].as_float()
    stmt = (
        select(
            EmotionReading.customer_id,
            EmotionReading.interaction_id,
            EmotionReading.occurred_at,
            intent,
            confidence,
        )
        .where(
            EmotionReading.customer_id.in_(ids),
            intent.in_(sorted(HOLD_MARKETING_INTENTS)),
            confidence >= INTENT_MIN_CONFIDENCE,
        )
        .order_by(EmotionReading.occurred_at, EmotionReading.id)
    )
    rows = session.execute(stmt).all()
    convs = interaction_service.conversation_ids_of(
        session, interaction_ids=[r.interaction_id for r in rows]
    )
    waiting = {
        c.id
        for c in interaction_service.conversations_by_ids(
            session, ids=sorted({c for c in convs.values() if c is not None})
        )
        if c.status in (ConversationStatus.OPEN, ConversationStatus.PENDING)
    }
    out: dict[int, dict[str, Any]] = {}
    for cid, iid, at, name, conf in rows:
        conv = convs.get(iid)
        if conv in waiting:
            out[cid] = {
                "intent": name,
                "confidence": round(float(conf), 3),
                "at": at,
                "interaction_id": iid,
                "conversation_id": conv,
            }
    return out


def forget_text(session: Session, *, interaction_ids: Sequence[int]) -> None:
    """Drop every copy of these messages' words from readings (evidence phrases, sentence
    texts) and complaints (evidence), keeping the numbers (retention, consent withdrawal)."""
    if not interaction_ids:
        return
    for reading in session.scalars(
        select(EmotionReading).where(EmotionReading.interaction_id.in_(interaction_ids))
    ):
        data = dict(reading.data or {})
        data["evidence"] = []
        data["sentences"] = [
            {k: v for k, v in s.items() if k != "text"} if isinstance(s, dict) else {}
            for s in data.get("sentences") or []
        ]
        reading.data = data
    for complaint in session.scalars(
        select(Complaint).where(Complaint.interaction_id.in_(interaction_ids))
    ):
        complaint.evidence = {}
    session.flush()
