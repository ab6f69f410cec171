"""Emotion readings: one per scored interaction, with the model that made it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, JSONType, UTCDateTime, utcnow


class EmotionReading(Base):
    """The engine's reading of one interaction; `data` holds the full Reading.to_dict()."""

    __tablename__ = "emotion_readings"
    __table_args__ = (
        Index("ix_readings_customer_time", "customer_id", "occurred_at"),
        Index("ix_readings_review", "needs_review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    # Denormalised so mood and metrics queries need no join to interactions.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100))
    sentiment: Mapped[str | None] = mapped_column(String(10))
    valence: Mapped[float] = mapped_column(Float, default=0.0)
    top_emotion: Mapped[str | None] = mapped_column(String(30))
    intensity: Mapped[float] = mapped_column(Float, default=0.0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    sarcasm: Mapped[float] = mapped_column(Float, default=0.0)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
