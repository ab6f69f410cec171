"""Pydantic building blocks shared by every domain's schemas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from heartline.api.validation import bound_problem, check_bounds

T = TypeVar("T")


def _to_utc(value: datetime) -> datetime:
    # A naive timestamp from an integrator is taken as UTC, the documented convention.
    problem = bound_problem(value)  # year 1 would overflow in UTC
    if problem:
        raise ValueError(problem)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/Paris)"
        ) from exc
    return value


UTCDatetime = Annotated[datetime, AfterValidator(_to_utc)]
TimeZone = Annotated[str, AfterValidator(_check_zone)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class BoundedModel(BaseModel):
    """A request body whose numbers, dates and text are bounded (api.validation.check_bounds),
    so nothing out of a column's range reaches the database: a 422 naming the field."""

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        if not isinstance(value, BaseModel):  # nested models check their own fields
            check_bounds(value)
        return value


class InModel(BoundedModel):
    """Input models reject unknown fields, so a typo is a 422 naming it, not silent loss;
    and are bounded like every request body (BoundedModel)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutModel(BaseModel):
    """Output models read straight from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """A page of a list: items plus the total and where this page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


UpsertStatus = Literal["created", "updated", "unchanged"]


@dataclass
class UpsertResult(Generic[T]):
    """What an idempotent upsert did."""

    obj: T
    status: UpsertStatus


class BulkItemResult(BaseModel):
    """One item's outcome in a bulk call: stored, or rejected with the reason."""

    index: int
    status: Literal["created", "updated", "unchanged", "error"]
    id: int | None = None
    external_id: str | None = None
    error: dict[str, Any] | None = None


class BulkResult(BaseModel):
    """Counts plus per-item results; good items are stored even when others fail."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    results: list[BulkItemResult] = Field(default_factory=list)


def apply_fields(obj: object, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed
