"""What the memory reads: each stored reading as a Point (a reviewer's correction applied,
emotions synthesised from sentiment when the engine gave none) and its confident intent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.emotion.taxonomy import CS_ADJECTIVES, NEGATIVE_CS
from heartline.interactions import service as interaction_service
from heartline.mood.models import EmotionReading

# The taxonomy's adjective for each customer-service emotion (frustrated, delighted...).
EMOTION_LABEL = CS_ADJECTIVES
# How much history the state reads: enough for a baseline, bounded for busy customers.
HISTORY = timedelta(days=365)
MAX_READINGS = 300
# An intent counts (churn threat, privacy request) only when the model is at least this sure:
# below it, the top intent is a guess among eleven and acting on it would mislead.
INTENT_MIN_CONFIDENCE = 0.5


def intent_of(data: dict[str, Any] | None) -> str | None:
    """The intent of a stored reading's data, or None when absent or not confident."""
    data = data or {}
    intent = data.get("intent")
    if not intent or float(data.get("intent_confidence") or 0.0) < INTENT_MIN_CONFIDENCE:
        return None
    return str(intent)


@dataclass
class Point:
    """One reading as the memory sees it (corrections already applied)."""

    interaction_id: int
    at: datetime
    channel: str
    sentiment: str | None
    valence: float
    intensity: float
    emotions: dict[str, float]
    conversation_id: int | None
    intent: str | None = None  # only when confident (see intent_of)

    @property
    def top(self) -> str | None:
        """The strongest emotion."""
        return max(self.emotions, key=lambda k: self.emotions[k]) if self.emotions else None

    @property
    def label(self) -> str:
        """An adjective for the reading: frustrated, delighted, neutral..."""
        return EMOTION_LABEL.get(self.top or "", "neutral")


def emotions_of(row: EmotionReading) -> dict[str, float]:
    """Customer-service emotions of a reading; synthesised from sentiment when the engine gave
    none (lexicon fallback), and replaced by a reviewer's correction."""
    review = (row.data or {}).get("review") or {}
    if review.get("emotions"):
        names = [e for e in review["emotions"] if e in EMOTION_LABEL]
        if names:
            return {e: round(1.0 / len(names), 3) for e in names}
    cs = {
        k: float(v)
        for k, v in ((row.data or {}).get("cs_emotions") or {}).items()
        if k in EMOTION_LABEL
    }
    if cs:
        ranked = sorted(cs.items(), key=lambda kv: kv[1], reverse=True)
        # A corrected sentiment must not keep emotions of the opposite sign (the taxonomy's
        # signs: confusion and surprise are neither).
        if row.sentiment == "negative":
            ranked = [kv for kv in ranked if kv[0] in NEGATIVE_CS] or [("frustration", 1.0)]
        elif row.sentiment == "positive":
            ranked = [kv for kv in ranked if kv[0] not in NEGATIVE_CS | {"neutral"}] or [
                ("satisfaction", 1.0)
            ]
        top = ranked[:4]
        total = sum(v for _, v in top) or 1.0
        return {k: round(v / total, 3) for k, v in top}
    if row.sentiment == "negative":
        return {"anger": 1.0} if row.intensity >= 0.85 else {"frustration": 1.0}
    if row.sentiment == "positive":
        return {"joy": 1.0} if row.valence >= 0.6 else {"satisfaction": 1.0}
    return {"neutral": 1.0}


def point_of(row: EmotionReading, conversation_id: int | None) -> Point:
    """One stored reading as the memory sees it."""
    return Point(
        row.interaction_id,
        row.occurred_at,
        row.channel,
        row.sentiment,
        row.valence,
        row.intensity,
        emotions_of(row),
        conversation_id,
        intent_of(row.data),
    )


def load_points(session: Session, customer_id: int, now: datetime) -> list[Point]:
    """The customer's scored readings of the last year (at most MAX_READINGS), oldest first."""
    rows = list(
        session.scalars(
            select(EmotionReading)
            .where(
                EmotionReading.customer_id == customer_id,
                EmotionReading.occurred_at >= now - HISTORY,
                EmotionReading.occurred_at <= now,
                EmotionReading.sentiment.is_not(None),
            )
            .order_by(EmotionReading.occurred_at.desc(), EmotionReading.id.desc())
            .limit(MAX_READINGS)
        )
    )
    convs = interaction_service.conversation_ids_of(
        session, interaction_ids=[r.interaction_id for r in rows]
    )
    points = [point_of(r, convs[r.interaction_id]) for r in rows if r.interaction_id in convs]
    points.reverse()
    return points


def older_point(session: Session, customer_id: int, now: datetime) -> Point | None:
    """The newest reading before the history window, when there is none inside it."""
    row = session.scalar(
        select(EmotionReading)
        .where(
            EmotionReading.customer_id == customer_id,
            EmotionReading.occurred_at < now - HISTORY,
            EmotionReading.sentiment.is_not(None),
        )
        .order_by(EmotionReading.occurred_at.desc(), EmotionReading.id.desc())
        .limit(1)
    )
    return point_of(row, None) if row is not None else None
