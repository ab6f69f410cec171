"""HTTP for CX metrics (managers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from heartline.api.deps import Db, Manager
from heartline.metrics import service
from heartline.schemas import UTCDatetime

router = APIRouter(prefix="/metrics", tags=["metrics"])
Slice = Literal["channel", "team", "agent", "queue", "category", "language"]


@dataclass(frozen=True)
class Filters:
    """The period and slice filters shared by the dashboard endpoints."""

    start: datetime | None
    end: datetime | None
    where: dict[str, Any]


def filters(
    start: UTCDatetime | None = Query(None, alias="from"),
    end: UTCDatetime | None = Query(None, alias="to"),
    channel: str | None = Query(None, max_length=20),
    team: int | None = None,
    agent: int | None = None,
    queue: str | None = Query(None, max_length=60),
    category: str | None = Query(None, max_length=120),
    language: str | None = Query(None, max_length=10, description="ISO 639-1, e.g. de"),
) -> Filters:
    """Parse `from`, `to` and the slice filters once for every metrics endpoint."""
    where = {"channel": channel, "team": team, "agent": agent, "queue": queue, "category": category,
             "language": language}  # fmt: skip
    return Filters(start=start, end=end, where=where)


Filtered = Annotated[Filters, Depends(filters)]


@router.get("/summary")
def summary(db: Db, _: Manager, f: Filtered) -> dict[str, Any]:
    """Readings, valence, sentiment/emotion mix, CSAT/NPS/CES, complaint reasons, recovery."""
    return service.summary(db, start=f.start, end=f.end, where=f.where)


@router.get("/sentiment-trend")
def sentiment_trend(
    db: Db,
    _: Manager,
    f: Filtered,
    bucket: Literal["day", "week"] = "day",
    by: Slice | None = None,
) -> list[dict[str, Any]]:
    """Average valence, sentiment shares and emotion mix per day or week, optionally per slice."""
    return service.sentiment_trend(
        db, bucket=bucket, by=by, start=f.start, end=f.end, where=f.where
    )


@router.get("/surveys")
def surveys(db: Db, _: Manager, f: Filtered, by: Slice | None = None) -> list[dict[str, Any]]:
    """CSAT (share of 4-5), NPS (promoters minus detractors) and CES, per slice."""
    return service.surveys(db, start=f.start, end=f.end, by=by, where=f.where)


@router.get("/retention")
def retention(
    db: Db, _: Manager, as_of: UTCDatetime | None = None, active_days: int = Query(90, ge=7, le=730)
) -> list[dict[str, Any]]:
    """Retention and churn rate by first-order month."""
    return service.retention(db, as_of=as_of, active_days=active_days)


@router.get("/recovery")
def recovery(
    db: Db,
    _: Manager,
    start: UTCDatetime | None = Query(None, alias="from"),
    end: UTCDatetime | None = Query(None, alias="to"),
) -> dict[str, Any]:
    """Resolved negative episodes and the share that became recovery stories."""
    return service.recovery(db, start=start, end=end)
