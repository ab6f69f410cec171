"""REMEMBER: store emotion readings and read them back (mood state builds on these)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.interactions.models import Interaction
from heartline.mood.models import EmotionReading


def store_reading(session: Session, *, interaction: Interaction, reading: dict[str, Any]) -> EmotionReading:
    """Insert or replace the reading of one interaction (idempotent: one row per interaction)."""
    row = session.scalar(
        select(EmotionReading).where(EmotionReading.interaction_id == interaction.id)
    )
    values = {
        "customer_id": interaction.customer_id,
        "occurred_at": interaction.occurred_at,
        "channel": interaction.channel,
        "model": reading["model"],
        "sentiment": reading.get("sentiment"),
        "valence": float(reading.get("valence") or 0.0),
        "top_emotion": reading.get("top_emotion"),
        "intensity": float(reading.get("intensity") or 0.0),
        "confidence": float(reading.get("confidence") or 0.0),
        "sarcasm": float(reading.get("sarcasm") or 0.0),
        "needs_review": bool(reading.get("needs_review")),
        "data": reading,
    }
    if row is None:
        row = EmotionReading(interaction_id=interaction.id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
    session.flush()
    return row


def readings_for(session: Session, *, interaction_ids: Sequence[int]) -> dict[int, EmotionReading]:
    """Readings keyed by interaction id (missing ids are simply absent)."""
    if not interaction_ids:
        return {}
    rows = session.scalars(
        select(EmotionReading).where(EmotionReading.interaction_id.in_(list(interaction_ids)))
    )
    return {r.interaction_id: r for r in rows}


def delete_reading(session: Session, *, interaction_id: int) -> None:
    """Remove an interaction's reading (consent withdrawn, message erased)."""
    row = session.scalar(select(EmotionReading).where(EmotionReading.interaction_id == interaction_id))
    if row is not None:
        session.delete(row)
        session.flush()
