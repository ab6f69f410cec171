"""HTTP for CX metrics (managers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from heartline.api.deps import Db, Manager
from heartline.emotion.taxonomy import CS_EMOTIONS
from heartline.errors import AppError, ErrorCode
from heartline.metrics import service
from heartline.schemas import UTCDatetime

router = APIRouter(prefix="/metrics", tags=["metrics"])
Slice = Literal["channel", "team", "agent", "queue", "category", "language"]
Bucket = Literal["day", "week", "month"]
Format = Literal["json", "csv"]


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


# By agent, a trend keeps the agents with most messages and sums the rest in one row.
TOP_AGENTS = 10


@router.get("/sentiment-trend")
def sentiment_trend(
    db: Db,
    _: Manager,
    f: Filtered,
    bucket: Bucket | None = Query(
        None, description="day, week or month; by default days up to 62 days, weeks to a year"
    ),
    by: Slice | None = None,
    top: int | None = Query(
        None,
        ge=0,
        le=1000,
        description="keep the N slices with most messages and sum the rest in one row keyed "
        f"'{service.OTHERS}'; 0 keeps every slice; by agent the default is {TOP_AGENTS}",
    ),
    format: Format = "json",
) -> Any:
    """Average valence, sentiment shares and emotion mix per day, ISO week or month (UTC),
    optionally per slice; `format=csv` for a spreadsheet."""
    first, last = service.report_days(f.start, f.end)
    bars = bucket or service.default_bucket((last - first).days + 1)
    if top is None:
        top = TOP_AGENTS if by == "agent" else 0
    rows = service.sentiment_trend(
        db, bucket=bars, by=by, start=f.start, end=f.end, where=f.where, top=top or None
    )
    if format == "json":
        return rows
    cols = ("bucket", "key", "n", "avg_valence", "negative_share")
    emotions = sorted({e for r in rows for e in r["emotions"]})
    out = ([*(r[c] for c in cols), *(r["emotions"].get(e, 0) for e in emotions)] for r in rows)
    return _csv("sentiment-trend", service.to_csv([*cols, *emotions], out))


@router.get("/survey-trend")
def survey_trend(
    db: Db, _: Manager, f: Filtered, bucket: Bucket = "day", format: Format = "json"
) -> Any:
    """CSAT (% of 4-5), NPS and CES per day, ISO week or month (UTC) with the answers behind
    each; `format=csv` for a spreadsheet."""
    start, end = service.report_days(f.start, f.end)
    rows = service.survey_trend(db, bucket=bucket, start=start, end=end, where=f.where)
    keys = ("bucket", "csat", "csat_n", "nps", "nps_n", "ces", "ces_n")
    if format == "json":
        return [{k: r[k] for k in keys} for r in rows]
    return _csv("survey-trend", service.to_csv(keys, ([r[k] for k in keys] for r in rows)))


@router.get("/readings")
def readings(
    db: Db,
    _: Manager,
    f: Filtered,
    emotion: str | None = Query(None, max_length=20),
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    format: Format = "json",
) -> Any:
    """The scored messages behind a figure of the other endpoints (same filters), newest
    first: `total` and a page of `items`; `format=csv` for the page as a spreadsheet."""
    if emotion is not None and emotion not in CS_EMOTIONS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"emotion: {emotion!r} is not one of {', '.join(CS_EMOTIONS)}",
            details=[{"field": "emotion", "message": "unknown emotion", "type": "value_error"}],
        )
    start, end = service.report_range(f.start, f.end)
    where = {**f.where, "emotion": emotion, "sentiment": sentiment}
    items, total = service.readings_behind(
        db, start=start, end=end, where=where, limit=limit, offset=offset
    )
    if format == "json":
        return {"total": total, "items": items}
    keys = [k for k in (items[0] if items else {"reading_id": 0})]
    return _csv("readings", service.to_csv(keys, ([r[k] for k in keys] for r in items)))


def _csv(name: str, text: str) -> Response:
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="heartline-{name}.csv"'},
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
