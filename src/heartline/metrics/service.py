"""CX metrics: CSAT, NPS, CES, sentiment trend, emotion mix, recovery and retention.

Reading figures (trend, sentiment and emotion mix, valence) and survey scores come from the
daily rollup kept by the pipeline (metrics/rollup.py): every slice and filter reads one grain of
it, so a year's dashboard sums thousands of rows, not a million readings. Complaint reasons,
recovery and retention read their own (smaller) tables live.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.emotion.taxonomy import SENTIMENTS
from heartline.metrics.models import DailyReadingRollup as R
from heartline.metrics.reports import (
    BUCKETS,
    MIN_ANSWERS,
    bucket_spans,
    bucket_start,
    default_bucket,
    to_csv,
    week_of_day,
)
from heartline.metrics.reports import survey_trend as _survey_trend
from heartline.metrics.rollup import (
    DIM_COLUMNS,
    NO_VALUE,
    READING_FILTERS,
    READING_MEASURES,
    SURVEY_MEASURES,
    day_of,
    readings_behind,
    rebuild_rollup,
    refresh_recent,
    refresh_rollup,
)
from heartline.metrics.trends import OTHERS
from heartline.metrics.trends import day_bounds as _day_bounds
from heartline.metrics.trends import grain_for as _grain
from heartline.metrics.trends import reading_rows as _reading_rows
from heartline.mood import service as mood_service

__all__ = [
    "BUCKETS",
    "DIM_COLUMNS",
    "MIN_ANSWERS",
    "NO_VALUE",
    "OTHERS",
    "READING_FILTERS",
    "READING_MEASURES",
    "SLICES",
    "SURVEY_MEASURES",
    "R",
    "bucket_spans",
    "bucket_start",
    "compare_periods",
    "day_of",
    "default_bucket",
    "readings_behind",
    "rebuild_rollup",
    "recovery",
    "refresh_recent",
    "refresh_rollup",
    "report_days",
    "report_range",
    "retention",
    "retention_rate",
    "sentiment_trend",
    "slice_values",
    "summary",
    "survey_trend",
    "surveys",
    "to_csv",
    "week_of_day",
]

SLICES = ("channel", "team", "agent", "queue", "category", "language")


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or utcnow()
    return start or end - timedelta(days=30), end


def report_range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """A report's period: `end` defaults to now, `start` to 30 days before it."""
    return _range(start, end)


def report_days(start: datetime | None, end: datetime | None) -> tuple[date, date]:
    """The first and last UTC day a period [start, end) touches (the rollup's days)."""
    start, end = _range(start, end)
    end_utc = end.astimezone(UTC)
    last = end_utc.date() if end_utc.time() != time_of_day() else end_utc.date() - timedelta(1)
    return start.astimezone(UTC).date(), max(last, start.astimezone(UTC).date())


def sentiment_trend(
    session: Session,
    *,
    bucket: str = "day",
    by: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    where: dict[str, Any] | None = None,
    top: int | None = None,
) -> list[dict[str, Any]]:
    """Valence, sentiment shares and emotion mix per day, ISO week or month (optionally per
    slice; with `top`, the `top` slices with most readings and one OTHERS row for the rest)."""
    start, end = _range(start, end)
    where = {k: v for k, v in (where or {}).items() if v is not None}
    rows = _reading_rows(session, bucket=bucket, by=by, start=start, end=end, where=where, top=top)
    out = []
    for item in sorted(rows, key=lambda i: (i["bucket"] or "", str(i["key"]))):
        n, vsum = item["n"], item.pop("valence_sum")
        item["avg_valence"] = round(vsum / n, 4)
        item["negative_share"] = round(item["sentiment"].get("negative", 0) / n, 4)
        out.append(item)
    return out


def survey_trend(
    session: Session,
    *,
    bucket: str,
    start: date,
    end: date,
    where: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """CSAT (%), NPS and CES per day, ISO week or month of [start, end] (UTC days), with the
    number of answers behind each (a bucket without answers has None and 0)."""
    where = {k: v for k, v in (where or {}).items() if v is not None}
    return _survey_trend(
        session, bucket=bucket, start=start, end=end, where=where, grain=_grain(set(where))
    )


def surveys(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
    where: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """CSAT (share of 4-5), NPS (promoters minus detractors) and CES (mean effort) per slice."""
    start, end = _range(start, end)
    where = {k: v for k, v in (where or {}).items() if v is not None}
    grain = _grain({*where, *([by] if by else [])})
    key_cols = [getattr(R, DIM_COLUMNS[by])] if by else []
    stmt = select(*key_cols, *(func.sum(getattr(R, m)) for m in SURVEY_MEASURES)).where(
        R.grain == grain,
        *_day_bounds(start, end),
        *(getattr(R, DIM_COLUMNS[k]) == v for k, v in where.items()),
    )
    if key_cols:
        stmt = stmt.group_by(*key_cols)
    out = []
    for row in session.connection().execute(stmt):
        key = row[0] if by else "all"
        csat_n, csat_good, nps_n, promoters, detractors, ces_n, ces_sum = (
            int(v or 0) for v in row[len(key_cols) :]
        )
        if not (csat_n or nps_n or ces_n):
            continue
        out.append(
            {
                "key": key,
                "csat": round(csat_good / csat_n, 4) if csat_n else None,
                "csat_n": csat_n,
                "nps": round(100 * (promoters - detractors) / nps_n, 1) if nps_n else None,
                "nps_n": nps_n,
                "ces": round(ces_sum / ces_n, 3) if ces_n else None,
                "ces_n": ces_n,
            }
        )
    return sorted(out, key=lambda i: str(i["key"]))


def recovery(
    session: Session, *, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """Resolved negative episodes in the period and how many turned into recovery stories."""
    start, end = _range(start, end)
    resolved, recovered = mood_service.episodes_recovered(session, start=start, end=end)
    return {
        "resolved_episodes": resolved,
        "recovered": recovered,
        "recovery_rate": round(recovered / resolved, 4) if resolved else None,
    }


def summary(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The dashboard's headline figures for a period and slice."""
    start, end = _range(start, end)
    where = {k: v for k, v in (where or {}).items() if v is not None}
    rows = _reading_rows(session, bucket=None, by=None, start=start, end=end, where=where)
    n: int = rows[0]["n"] if rows else 0
    vsum: float = rows[0]["valence_sum"] if rows else 0.0
    sentiment: dict[str, int] = rows[0]["sentiment"] if rows else {}
    emotions: dict[str, int] = rows[0]["emotions"] if rows else {}
    survey = surveys(session, start=start, end=end, where=where)
    reasons = mood_service.complaint_reason_counts(session, start=start, end=end)
    return {
        "from": start,
        "to": end,
        "filters": {k: v for k, v in (where or {}).items() if v is not None},
        "readings": n,
        "avg_valence": round(vsum / n, 4) if n else None,
        "sentiment": {k: round(v / n, 4) for k, v in sentiment.items()} if n else {},
        "emotion_mix": {
            k: round(v / n, 4) for k, v in sorted(emotions.items(), key=lambda kv: -kv[1])
        }
        if n
        else {},
        "surveys": survey[0] if survey else {"csat": None, "nps": None, "ces": None},
        "complaint_reasons": {k: int(v) for k, v in reasons.items()},
        **recovery(session, start=start, end=end),
    }


def retention(
    session: Session, *, as_of: datetime | None = None, active_days: int = 90
) -> list[dict[str, Any]]:
    """Per first-order month: cohort size, customers still buying (an order in the last
    `active_days`), retention and churn rate, and repeat-purchase rate."""
    as_of = as_of or utcnow()
    cohorts: dict[str, dict[str, int]] = {}
    for _cid, first, last, n in customer_service.order_spans(session, as_of=as_of):
        c = cohorts.setdefault(f"{first:%Y-%m}", {"customers": 0, "active": 0, "repeat": 0})
        c["customers"] += 1
        c["active"] += int((as_of - last).days <= active_days)
        c["repeat"] += int(n >= 2)
    return [
        {
            "cohort": k,
            "customers": v["customers"],
            "active": v["active"],
            "retention_rate": round(v["active"] / v["customers"], 4),
            "churn_rate": round(1 - v["active"] / v["customers"], 4),
            "repeat_rate": round(v["repeat"] / v["customers"], 4),
        }
        for k, v in sorted(cohorts.items())
    ]


def compare_periods(
    session: Session,
    *,
    split: datetime,
    by: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Readings per slice in [start, split) ("before") and [split, end) ("now"), one rollup read.

    Each row: key, n, negative, avg_valence, negative_share and the sentiment counts. `split`
    falls on a UTC day boundary (the rollup is day-granular).
    """
    start, end = _range(start, end)
    where = {k: v for k, v in (where or {}).items() if v is not None}
    grain = _grain({*where, *([by] if by else [])})
    is_now = case((R.day >= split.astimezone(UTC).date(), 1), else_=0)
    key_cols = [getattr(R, DIM_COLUMNS[by])] if by else []
    sentiments = (*SENTIMENTS, "none")
    stmt = (
        select(
            is_now,
            *key_cols,
            func.sum(R.n),
            func.sum(R.valence_sum),
            *(func.sum(getattr(R, f"s_{s}")) for s in sentiments),
        )
        .where(
            R.grain == grain,
            *_day_bounds(start, end),
            *(getattr(R, DIM_COLUMNS[k]) == v for k, v in where.items()),
        )
        .group_by(is_now, *key_cols)
    )
    out: dict[str, list[dict[str, Any]]] = {"before": [], "now": []}
    k = 1 + len(key_cols)
    for row in session.connection().execute(stmt):
        n = int(row[k] or 0)
        if not n:  # survey-only rows
            continue
        counts = {s: int(v) for s, v in zip(sentiments, row[k + 2 :], strict=True) if v}
        out["now" if row[0] else "before"].append(
            {
                "key": row[1] if by else "all",
                "n": n,
                "negative": counts.get("negative", 0),
                "avg_valence": round(float(row[k + 1] or 0) / n, 4),
                "negative_share": round(counts.get("negative", 0) / n, 4),
                "sentiment": counts,
            }
        )
    return out


def slice_values(session: Session, *, dim: str) -> list[Any]:
    """The values a slicing dimension takes in the rollup (for filter drop-downs)."""
    col = getattr(R, DIM_COLUMNS[dim])
    stmt = select(col).where(R.grain == dim, col.is_not(None)).distinct()
    return sorted(session.scalars(stmt))


def retention_rate(
    session: Session, *, as_of: datetime | None = None, active_days: int = 90
) -> dict[str, Any]:
    """Customers who ever ordered by `as_of` and how many still buy, counted in SQL.

    The same figures as summing `retention` over its cohorts, without a row per customer.
    """
    as_of = as_of or utcnow()
    # `retention` counts whole days: (as_of - last).days <= active_days.
    cutoff = as_of - timedelta(days=active_days + 1)
    customers, active = customer_service.buyers_and_recent(session, as_of=as_of, since=cutoff)
    return {
        "customers": customers,
        "active": active,
        "retention_rate": round(active / customers, 4) if customers else None,
    }
