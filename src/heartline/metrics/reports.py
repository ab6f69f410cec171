"""Report buckets (day, ISO week, month) over the daily rollup, survey trends per bucket, and
a CSV writer for report tables.

Buckets are UTC calendar days, ISO weeks (Monday to Sunday) and calendar months, like the
rollup's days: a bucket is named by its first day, and the first and last bucket of a range
hold only the range's days. Grouping happens in SQL on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from heartline import csvsafe
from heartline.metrics.models import DailyReadingRollup as R
from heartline.metrics.rollup import DIM_COLUMNS, SURVEY_MEASURES

BUCKETS = ("day", "week", "month")
# Longer ranges than these default to coarser buckets: a bar chart stays readable at about
# 60 bars (two months of days, a year of weeks).
WEEKLY_AFTER_DAYS = 62
MONTHLY_AFTER_DAYS = 366
# A survey figure from fewer answers than this is noise: the trend shows "too few answers".
MIN_ANSWERS = 5


def week_of_day(session: Session, col: Any) -> ColumnElement[Any]:
    """The Monday starting the ISO week of a date (or timestamp) column."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(col, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return cast(func.date_trunc(literal_column("'week'"), col), Date)


def month_of_day(session: Session, col: Any) -> ColumnElement[Any]:
    """The first day of the calendar month of a date column."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(col, literal_column("'start of month'"))
    return cast(func.date_trunc(literal_column("'month'"), col), Date)


def bucket_of(session: Session, col: Any, bucket: str) -> ColumnElement[Any]:
    """The SQL expression naming a day column's bucket by its first day."""
    if bucket == "week":
        return week_of_day(session, col)
    if bucket == "month":
        return month_of_day(session, col)
    return col  # type: ignore[no-any-return]


def bucket_start(day: date, bucket: str) -> date:
    """The first day of the bucket holding `day` (the Python twin of bucket_of)."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def default_bucket(days: int) -> str:
    """Day buckets for up to two months, weeks up to a year, months beyond."""
    if days > MONTHLY_AFTER_DAYS:
        return "month"
    return "week" if days > WEEKLY_AFTER_DAYS else "day"


def bucket_spans(start: date, end: date, bucket: str) -> list[tuple[date, date, date]]:
    """(name, first day, last day) of each bucket of [start, end], clipped to the range."""
    out: list[tuple[date, date, date]] = []
    day = start
    while day <= end:
        name = bucket_start(day, bucket)
        if bucket == "week":
            nxt = name + timedelta(days=7)
        elif bucket == "month":
            nxt = (name + timedelta(days=32)).replace(day=1)
        else:
            nxt = name + timedelta(days=1)
        last = min(end, nxt - timedelta(days=1))
        out.append((name, day, last))
        day = last + timedelta(days=1)
    return out


def survey_trend(
    session: Session,
    *,
    bucket: str,
    start: date,
    end: date,
    where: dict[str, Any] | None = None,
    grain: str,
) -> list[dict[str, Any]]:
    """CSAT, NPS and CES per bucket of [start, end] (inclusive UTC days) with answer counts."""
    where = {k: v for k, v in (where or {}).items() if v is not None}
    b = bucket_of(session, R.day, bucket)
    stmt = (
        select(b, *(func.sum(getattr(R, m)) for m in SURVEY_MEASURES))
        .where(
            R.grain == grain,
            R.day >= start,
            R.day <= end,
            *(getattr(R, DIM_COLUMNS[k]) == v for k, v in where.items()),
        )
        .group_by(b)
    )
    found: dict[str, tuple[int, ...]] = {}
    for row in session.connection().execute(stmt):
        found[str(row[0])[:10]] = tuple(int(v or 0) for v in row[1:])
    out = []
    for name, first, last in bucket_spans(start, end, bucket):
        csat_n, good, nps_n, pro, det, ces_n, ces_sum = found.get(name.isoformat(), (0,) * 7)
        out.append(
            {
                "bucket": name.isoformat(),
                "first": first,
                "last": last,
                "csat": round(100 * good / csat_n, 1) if csat_n else None,
                "csat_n": csat_n,
                "nps": round(100 * (pro - det) / nps_n, 1) if nps_n else None,
                "nps_n": nps_n,
                "ces": round(ces_sum / ces_n, 2) if ces_n else None,
                "ces_n": ces_n,
            }
        )
    return out


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (header first) whose text cells a spreadsheet will not evaluate."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csvsafe.row(columns))
    for r in rows:
        writer.writerow(csvsafe.row("" if v is None else v for v in r))
    return buf.getvalue()
