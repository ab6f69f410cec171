"""HTTP for CX metrics (managers)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from heartline.api.deps import Db, Manager
from heartline.metrics import service
from heartline.schemas import UTCDatetime

router = APIRouter(prefix="/metrics", tags=["metrics"])
Slice = Literal["channel", "team", "agent", "queue", "category"]


def _where(
    channel: str | None,
    team: int | None,
    agent: int | None,
    queue: str | None,
    category: str | None,
) -> dict[str, Any]:
    return {"channel": channel, "team": team, "agent": agent, "queue": queue, "category": category}


@router.get("/summary")
def summary(
    db: Db,
    _: Manager,
    start: UTCDatetime | None = Query(None, alias="from"),
    end: UTCDatetime | None = Query(None, alias="to"),
    channel: str | None = Query(None, max_length=20),
    team: int | None = None,
    agent: int | None = None,
    queue: str | None = Query(None, max_length=60),
    category: str | None = Query(None, max_length=120),
) -> dict[str, Any]:
    """Readings, valence, sentiment/emotion mix, CSAT/NPS/CES, complaint reasons, recovery."""
    return service.summary(
        db, start=start, end=end, where=_where(channel, team, agent, queue, category)
    )


@router.get("/sentiment-trend")
def sentiment_trend(
    db: Db,
    _: Manager,
    bucket: Literal["day", "week"] = "day",
    by: Slice | None = None,
    start: UTCDatetime | None = Query(None, alias="from"),
    end: UTCDatetime | None = Query(None, alias="to"),
    channel: str | None = Query(None, max_length=20),
    team: int | None = None,
    agent: int | None = None,
    queue: str | None = Query(None, max_length=60),
    category: str | None = Query(None, max_length=120),
) -> list[dict[str, Any]]:
    """Average valence, sentiment shares and emotion mix per day or week, optionally per slice."""
    return service.sentiment_trend(
        db,
        bucket=bucket,
        by=by,
        start=start,
        end=end,
        where=_where(channel, team, agent, queue, category),
    )


@router.get("/surveys")
def surveys(
    db: Db,
    _: Manager,
    by: Slice | None = None,
    start: UTCDatetime | None = Query(None, alias="from"),
    end: UTCDatetime | None = Query(None, alias="to"),
    channel: str | None = Query(None, max_length=20),
    team: int | None = None,
    agent: int | None = None,
    queue: str | None = Query(None, max_length=60),
    category: str | None = Query(None, max_length=120),
) -> list[dict[str, Any]]:
    """CSAT (share of 4-5), NPS (promoters minus detractors) and CES, per slice."""
    return service.surveys(
        db, start=start, end=end, by=by, where=_where(channel, team, agent, queue, category)
    )


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
