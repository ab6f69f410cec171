"""Emotional memory: readings, complaints, mood state, recovery stories, reviews, segments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, JSONType, UTCDateTime, utcnow


class EmotionReading(Base):
    """The engine's reading of one interaction; `data` holds the full Reading.to_dict()."""

    __tablename__ = "emotion_readings"
    __table_args__ = (
        Index("ix_readings_customer_time", "customer_id", "occurred_at"),
        # Added in 0002: dashboards filter readings by time range.
        Index("ix_readings_time", "occurred_at"),
        # Added in 0010: filters and dashboards slice readings by language.
        Index("ix_readings_language", "language", "occurred_at"),
        # 0027: the waiting readings in queue order (replaces an index on needs_review): the
        # review queue pages through it and counts it; readings that wait are few.
        Index(
            "ix_readings_review_queue",
            "occurred_at",
            "id",
            sqlite_where=text("needs_review = 1"),
            postgresql_where=text("needs_review"),
        ),
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
    language: Mapped[str | None] = mapped_column(String(10))  # ISO 639-1, as detected
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


class Complaint(Base):
    """A negative message's complaint reason: one row per negative interaction (an episode)."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_customer_time", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(30))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    intensity: Mapped[float] = mapped_column(Float, default=0.0)
    # The words that matched and how the order was found: shown to agents as the "why".
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the conversation was resolved; kept if the ticket is later reopened.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MoodState(Base):
    """A customer's emotional memory, recomputed from readings on every reading, survey and
    resolution (so recomputing twice gives the same row)."""

    __tablename__ = "mood_states"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(30), default="unknown")
    valence: Mapped[float] = mapped_column(Float, default=0.0)
    baseline_valence: Mapped[float] = mapped_column(Float, default=0.0)
    trajectory: Mapped[str] = mapped_column(String(12), default="stable")
    dominant: Mapped[list[str]] = mapped_column(JSONType, default=list)
    profile: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    last_negative: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    open_issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    readings_count: Mapped[int] = mapped_column(Integer, default=0)
    last_reading_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    churn_risk: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    churn_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    summary: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RecoveryStory(Base):
    """A negative episode followed, after resolution, by positive feeling."""

    __tablename__ = "recovery_stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    negative_interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    positive_interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(30))
    from_label: Mapped[str] = mapped_column(String(30))
    to_label: Mapped[str] = mapped_column(String(30))
    from_valence: Mapped[float] = mapped_column(Float)
    to_valence: Mapped[float] = mapped_column(Float)
    negative_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recovered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReadingReview(Base):
    """A reviewer's confirmation or correction of a reading; `original` keeps the model output."""

    __tablename__ = "reading_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    reading_id: Mapped[int] = mapped_column(
        ForeignKey("emotion_readings.id", ondelete="CASCADE"), index=True
    )
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(10))  # confirm | correct
    sentiment: Mapped[str | None] = mapped_column(String(10))
    emotions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sarcasm: Mapped[bool | None] = mapped_column(Boolean)
    # what the customer wants, as the reviewer reads it (taxonomy.INTENTS); None keeps the model's
    intent: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(1000), default="")
    original: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    reviewer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewer: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReadingReviewReason(Base):
    """Why a reading was flagged for a reviewer, one row per reason, kept in step with the
    reading's ``data["review_reasons"]`` (added in 0012: the review queue filters and pages by
    reason in SQL)."""

    __tablename__ = "reading_review_reasons"
    __table_args__ = (Index("ix_reading_review_reasons_reason", "reason", "reading_id"),)

    reading_id: Mapped[int] = mapped_column(
        ForeignKey("emotion_readings.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(60), primary_key=True)


class Segment(Base):
    """A named group of customers: built-in or custom, defined by a validated filter."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SegmentMember(Base):
    """Current membership, kept by the pipeline (one row per segment and customer)."""

    __tablename__ = "segment_members"

    segment_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
