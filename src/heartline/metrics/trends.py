"""Reading the daily rollup for trends: which grain serves a slice and its filters, the days a
period covers, and the summed rows per bucket and slice (a trend's widest levels bucketed in
SQL: weeks for long ranges, the top N slices with the rest summed into one OTHERS row)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from typing import Any

from sqlalchemy import case, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from heartline.emotion.taxonomy import CS_EMOTIONS, SENTIMENTS
from heartline.metrics.models import DailyReadingRollup as R
from heartline.metrics.reports import bucket_of
from heartline.metrics.rollup import DIM_COLUMNS, READING_MEASURES

__all__ = ["OTHERS", "day_bounds", "grain_for", "reading_rows"]


def day_bounds(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """Rollup days that overlap [start, end) (the rollup is day-granular)."""
    end_utc = end.astimezone(UTC)
    last = end_utc.date() if end_utc.time() != time_of_day() else end_utc.date() - timedelta(1)
    return [R.day >= start.astimezone(UTC).date(), R.day <= last]


def grain_for(needs: set[str]) -> str:
    """The narrowest rollup grain that holds every dimension asked for."""
    if needs <= {"channel"}:
        return "channel"
    if len(needs) == 1:
        return next(iter(needs))
    if "category" in needs:
        return "category_full"
    return "full" if "agent" in needs else "slices"  # slices: full without the agent


# The key of the row that sums every slice outside a trend's top N (`top=`).
OTHERS = "(others)"


def _top_keys(
    session: Session, *, grain: str, by: str, conds: list[ColumnElement[bool]], top: int
) -> list[Any]:
    """The `top` values of a slice with the most readings over the filtered days."""
    col = getattr(R, DIM_COLUMNS[by])
    stmt = select(col).where(*conds).group_by(col).order_by(func.sum(R.n).desc(), col).limit(top)
    return list(session.scalars(stmt))


def _folded(key: Any, by: str, kept: list[Any]) -> ColumnElement[Any]:
    """The slice column with every value outside `kept` replaced by one stand-in (-1 for ids,
    OTHERS for names); NULL (no agent, no team...) is a key of its own when it is kept."""
    inside: list[ColumnElement[bool]] = []
    if [k for k in kept if k is not None]:
        inside.append(key.in_([k for k in kept if k is not None]))
    if None in kept:
        inside.append(key.is_(None))
    other: ColumnElement[Any] = literal_column("-1" if by in ("team", "agent") else f"'{OTHERS}'")
    # Nothing kept means no rows match: group by the column itself (a bare constant in GROUP
    # BY is an error on PostgreSQL).
    return case((or_(*inside), key), else_=other) if inside else key


def reading_rows(
    session: Session,
    *,
    bucket: str | None,
    by: str | None,
    start: datetime,
    end: datetime,
    where: dict[str, Any],
    top: int | None = None,
) -> list[dict[str, Any]]:
    """Summed rollup rows per (bucket, key), each with its sentiment and emotion counts.

    Buckets are grouped in SQL, so a year by week returns 53 rows per key whatever the days
    read; with `top`, the slices beyond the `top` with most readings are summed in SQL into
    one row keyed OTHERS."""
    grain = grain_for({*where, *([by] if by else [])})
    conds = [
        R.grain == grain,
        *day_bounds(start, end),
        *(getattr(R, DIM_COLUMNS[k]) == v for k, v in where.items()),
    ]
    cols: list[Any] = []
    if bucket:
        cols.append(bucket_of(session, R.day, bucket))
    folded: set[Any] | None = None
    if by:
        key: Any = getattr(R, DIM_COLUMNS[by])
        if top:
            kept = _top_keys(session, grain=grain, by=by, conds=conds, top=top)
            folded, key = set(kept), _folded(key, by, kept)
        cols.append(key)
    sums = [func.sum(getattr(R, m)) for m in READING_MEASURES]
    stmt = select(*cols, *sums).where(*conds)
    if cols:
        stmt = stmt.group_by(*cols)
    k = len(cols)
    s0, e0 = k + READING_MEASURES.index("s_negative"), k + READING_MEASURES.index("e_anger")
    sentiment_at = list(enumerate((*SENTIMENTS, "none"), s0))
    emotion_at = list(enumerate(CS_EMOTIONS, e0))
    out = []
    # Core rows fetched at once and unpacked by position: a year by day x agent is ~20k rows.
    for row in session.connection().execute(stmt).all():
        n = int(row[k] or 0)
        if not n:
            continue
        slice_key = row[k - 1] if by else "all"
        if folded is not None and slice_key not in folded:
            slice_key = OTHERS
        out.append(
            {
                "bucket": str(row[0]) if bucket else None,
                "key": slice_key,
                "n": n,
                "valence_sum": float(row[k + 1] or 0),
                "sentiment": {s: int(row[i]) for i, s in sentiment_at if row[i]},
                "emotions": {e: int(row[i]) for i, e in emotion_at if row[i]},
            }
        )
    return out
