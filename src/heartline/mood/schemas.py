"""Mood, churn, segment and review payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from heartline.emotion.taxonomy import CS_EMOTIONS, INTENTS
from heartline.schemas import InModel, OutModel


class ChurnOut(BaseModel):
    """Churn risk with each reason's weight and contribution."""

    risk: float  # the weighted score (0-1), what rules and segments compare
    level: Literal["low", "medium", "high"]
    # the score read as the chance this customer leaves (calibrated, mood/churn.py); what a
    # person is shown: "High · 63 % likely to leave", never the raw score beside "high"
    probability: float = 0.0
    reasons: list[dict[str, Any]]


class MoodOut(BaseModel):
    """A customer's emotional memory, with a line an agent reads in two seconds."""

    customer_id: int
    summary: str
    label: str
    valence: float
    baseline_valence: float
    usually: str | None
    trajectory: Literal["improving", "worsening", "stable"]
    dominant_emotions: list[str]
    profile: dict[str, float]
    last_negative: dict[str, Any] | None
    open_issues: list[dict[str, Any]]
    readings_count: int
    last_reading_at: datetime | None
    # The newest reading of any age: {interaction_id, at, label, sentiment, intent, age_days,
    # age ("5 months ago")}; None when the customer never wrote anything scored.
    last_reading: dict[str, Any] | None = None
    churn: ChurnOut
    segments: list[str]
    recovery_stories: list[dict[str, Any]]
    updated_at: datetime


class SegmentIn(InModel):
    """A custom segment: a filter over mood, churn, orders, channel and tags."""

    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    definition: dict[str, Any]


class SegmentOut(OutModel):
    """A segment and its current size."""

    key: str
    name: str
    description: str
    builtin: bool
    definition: dict[str, Any]
    members: int = 0


class MemberOut(BaseModel):
    """A segment member with the mood that put them there."""

    customer_id: int
    external_id: str | None
    name: str
    email: str | None
    mood: str | None
    valence: float | None
    churn_risk: float | None
    summary: str | None
    since: datetime


class ReviewIn(InModel):
    """Confirm the reading, or correct sentiment, emotions, sarcasm and/or intent."""

    action: Literal["confirm", "correct"] = "correct"
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    emotions: list[str] = Field(default_factory=list, max_length=5)
    sarcasm: bool | None = None
    intent: str | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] = ""

    @field_validator("intent")
    @classmethod
    def _known_intent(cls, value: str | None) -> str | None:
        if value is not None and value not in INTENTS:
            raise ValueError(f"unknown intent {value!r}; use {', '.join(INTENTS)}")
        return value

    @field_validator("emotions")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        bad = [e for e in value if e not in CS_EMOTIONS]
        if bad:
            raise ValueError(f"unknown emotion(s) {', '.join(bad)}; use {', '.join(CS_EMOTIONS)}")
        return list(dict.fromkeys(value))


class ReviewOut(OutModel):
    """A stored review, with the model's original output."""

    id: int
    reading_id: int
    interaction_id: int
    action: str
    sentiment: str | None
    emotions: list[str]
    sarcasm: bool | None
    intent: str | None = None
    note: str
    reviewer: str
    original: dict[str, Any]
    created_at: datetime


class ReviewItem(BaseModel):
    """A reading waiting for review, with the message and why it was flagged."""

    reading_id: int
    interaction_id: int
    customer_id: int
    channel: str
    text: str
    occurred_at: datetime
    sentiment: str | None
    valence: float
    top_emotion: str | None
    sarcasm: float
    confidence: float
    review_reasons: list[str]
    evidence: list[dict[str, Any]]
    model: str
