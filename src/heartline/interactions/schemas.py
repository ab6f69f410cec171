"""Interaction, conversation, survey and timeline payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from heartline.api.validation import INT_MAX, YEARS, check_bounds
from heartline.customers.schemas import CustomerRef
from heartline.enums import SURVEY_RANGES, Channel, Direction, SurveyKind
from heartline.schemas import ExternalId, OutModel, ShortText, UTCDatetime

# Long emails are fine; a 100k-character cap stops a pasted log from stalling the engine.
MAX_TEXT = 100_000
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
]


def _bounded_fast(value: Any) -> Any:
    """BoundedModel's check (api.validation.check_bounds), with the common cases (text
    without NUL, None, a 32-bit int) answered first: a history import validates millions of
    messages, and the general check was half of validating one."""
    kind = type(value)
    if value is None or (isinstance(value, str) and "\x00" not in value):  # enums too
        return value
    if (kind is int and -INT_MAX <= value <= INT_MAX) or (kind is dict and not value):
        return value
    if kind is datetime and YEARS[0] <= value.year <= YEARS[1]:
        return value
    check_bounds(value)  # anything else, and every failure, exactly as BoundedModel says it
    return value


class InteractionIn(CustomerRef):
    """A message from or to a customer (idempotent by external_id)."""

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any) -> Any:  # overrides BoundedModel's: same rule, faster
        return _bounded_fast(value)

    external_id: ExternalId | None = None
    conversation_external_id: ExternalId | None = None
    conversation_id: int | None = Field(default=None, ge=1)
    order_external_id: ExternalId | None = None
    channel: Channel
    direction: Direction = Direction.INBOUND
    author: ShortText = ""
    subject: Annotated[str, StringConstraints(max_length=500)] = ""
    text: MessageText
    occurred_at: UTCDatetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class SurveyIn(CustomerRef):
    """A survey answer; its comment, if any, is stored (and scored) as an interaction."""

    external_id: ExternalId | None = None
    kind: SurveyKind
    score: int
    comment: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)] | None
    ) = None
    channel: Channel = Channel.SURVEY
    conversation_external_id: ExternalId | None = None
    conversation_id: int | None = Field(default=None, ge=1)
    order_external_id: ExternalId | None = None
    responded_at: UTCDatetime | None = None

    @model_validator(mode="after")
    def _score_in_range(self) -> SurveyIn:
        low, high = SURVEY_RANGES[self.kind]
        if not low <= self.score <= high:
            raise ValueError(
                f"score: {self.kind.value.upper()} scores run {low}-{high}, got {self.score}"
            )
        return self


class ReadingOut(OutModel):
    """The stored emotion reading of an interaction (full detail under `data`)."""

    id: int
    model: str
    sentiment: str | None
    valence: float
    top_emotion: str | None
    intensity: float
    confidence: float
    sarcasm: float
    needs_review: bool
    data: dict[str, Any]


class InteractionOut(OutModel):
    """An interaction as the API returns it, with its reading once scored."""

    id: int
    external_id: str | None
    customer_id: int
    conversation_id: int | None
    order_id: int | None
    channel: str
    direction: str
    author: str
    subject: str
    text: str
    occurred_at: datetime
    metadata: dict[str, Any] = Field(validation_alias="meta")
    analysis_status: str
    analysis_note: str | None
    reading: ReadingOut | None = None


class ConversationOut(OutModel):
    """A ticket."""

    id: int
    external_id: str | None
    customer_id: int
    subject: str
    channel: str
    status: str
    queue: str
    priority: int
    assignee_id: int | None
    team_id: int | None
    sla_due_at: datetime | None
    routing: dict[str, Any]
    opened_at: datetime
    last_activity_at: datetime
    last_inbound_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    snoozed_until: datetime | None = None


class SurveyOut(OutModel):
    """A stored survey answer."""

    id: int
    external_id: str | None
    customer_id: int
    kind: str
    score: int
    interaction_id: int | None
    conversation_id: int | None
    order_id: int | None
    responded_at: datetime


class TimelineItem(OutModel):
    """One entry of a customer's timeline: kind says which of the payloads is set."""

    kind: Literal["interaction", "order", "survey"]
    at: datetime
    interaction: InteractionOut | None = None
    order: dict[str, Any] | None = None
    survey: SurveyOut | None = None
