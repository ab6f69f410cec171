"""The filters a manager's reports share (dashboard, drill-down lists, CSV files): parsed from
the query string with the field at fault named, and written back into links and file names so
a view can be shared and a file says what it holds."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from heartline.api.validation import is_row_id
from heartline.assist.service import Filters
from heartline.db import utcnow
from heartline.errors import AppError, ErrorCode
from heartline.metrics import service as metrics_service

DEFAULT_DAYS = 30
# Three years: monthly bars keep a range that long readable (36 bars), and the rollup sums
# a few thousand rows per grain for it.
MAX_DAYS = 1096


def bad(field: str, message: str) -> AppError:
    """A 422 naming the field at fault."""
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"{field}: {message}",
        details=[{"field": field, "message": message, "type": "value_error"}],
    )


def parse_date(field: str, value: str) -> date | None:
    """A YYYY-MM-DD date, or None when empty."""
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise bad(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def parse_id(field: str, value: str, *, allow_none: bool = False) -> int | str | None:
    """A row id; empty is no filter; "none" (where allowed) asks for rows without one."""
    value = value.strip()
    if not value:
        return None  # "All teams" submits an empty value
    if allow_none and value == "none":
        return metrics_service.NO_VALUE
    if not value.isdigit() or not is_row_id(int(value)):
        raise bad(field, f"{value!r} is not a {field}")
    return int(value)


def parse_bucket(value: str, days: int) -> str:
    """Day, week or month bars; empty picks by the range's length."""
    if not value:
        return metrics_service.default_bucket(days)
    if value not in metrics_service.BUCKETS:
        raise bad("bucket", f"{value!r} is not one of day, week, month")
    return value


def parse_filters(
    start: date | None, end: date | None, channel: str, queue: str, team: int | None,
    category: str, language: str = "", bucket: str = "",
) -> Filters:  # fmt: skip
    """Filters from the query string; the default view is the last 30 days."""
    end = end or utcnow().date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise bad("from", "must be on or before 'to'")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise bad("from", f"a range covers at most {MAX_DAYS} days (three years)")
    return Filters(
        start=start,
        end=end,
        channel=channel or None,
        queue=queue or None,
        team_id=team,
        category=category or None,
        language=language or None,
        bucket=parse_bucket(bucket, days),
    )


def params(f: Filters, **over: Any) -> dict[str, str]:
    """The query parameters of a view (empty filters left out); `over` replaces or adds."""
    out = {
        "from": f.start.isoformat(),
        "to": f.end.isoformat(),
        "bucket": f.bucket,
        "channel": f.channel or "",
        "queue": f.queue or "",
        "team": "" if f.team_id is None else str(f.team_id),
        "category": f.category or "",
        "language": f.language or "",
    }
    for k, v in over.items():
        out[k] = "" if v is None else str(v)
    return {k: v for k, v in out.items() if v}


def query(f: Filters, **over: Any) -> str:
    """`params` as a query string."""
    return urlencode(params(f, **over))


def file_name(kind: str, p: dict[str, str]) -> str:
    """heartline-<kind>-<from>-to-<to>[-<filter>-<value>...].csv, safe in any file system."""
    parts = [f"heartline-{kind}", p.get("from", ""), "to", p.get("to", "")]
    for k, v in p.items():
        if k not in ("from", "to", "page"):
            parts += [k, v]
    name = "-".join(x for x in parts if x)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:180] + ".csv"


def bucket_label(name: date, bucket: str) -> str:
    """How a bar is named: '05 Oct', 'Week of 05 Oct', 'Oct 2026'."""
    if bucket == "week":
        return f"Week of {name:%d %b}"
    if bucket == "month":
        return f"{name:%b %Y}"
    return f"{name:%d %b}"
