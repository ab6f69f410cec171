"""Read a search request (the API's query string or the page's form) into a query and its
filters, naming every field at fault; the API and the page share it, so they agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from heartline.enums import Channel, ConversationStatus
from heartline.errors import AppError, ErrorCode
from heartline.interactions.search_sql import SearchFilters
from heartline.interactions.search_text import terms

MOODS = ("negative", "neutral", "positive")  # the feeling read in the message shown
MAX_QUERY = 200
MAX_QUEUE = 60
INT_MAX = 2**31 - 1
YEARS = (1800, 2200)


@dataclass(frozen=True)
class SearchRequest:
    """A checked request: the words, the filters and the mood wanted (or None)."""

    query: str
    filters: SearchFilters
    mood: str | None


@dataclass(frozen=True)
class SearchParams:
    """The raw parameters, as sent (blank means "any")."""

    q: str | None = None
    status: str | None = None
    queue: str | None = None
    assignee: str | None = None
    channel: str | None = None
    mood: str | None = None
    since: str | None = None  # `from`
    until: str | None = None  # `to`


def _day(raw: str | None, field: str, problems: list[tuple[str, str]]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems.append((field, "a date like 2026-11-30"))
        return None
    if not YEARS[0] <= day.year <= YEARS[1]:
        problems.append((field, f"a year between {YEARS[0]} and {YEARS[1]}"))
        return None
    return day


def _assignee(
    raw: str, user_id: int | None, problems: list[tuple[str, str]]
) -> tuple[int | None, bool]:
    """(assignee id, unassigned) for "me", "none" or a person's id."""
    if raw == "me":
        return (user_id if user_id is not None else 0), False  # a token has no person: none
    if raw == "none":
        return None, True
    if raw.isdigit() and 1 <= int(raw) <= INT_MAX:
        return int(raw), False
    problems.append(("assignee", "me, none or a person's id"))
    return None, False


def parse_search(params: SearchParams, *, user_id: int | None, prefix: str = "") -> SearchRequest:
    """The checked request, or a 422 naming each field at fault (`prefix`: "query." for the
    API, where the parameters live in the query string)."""
    problems: list[tuple[str, str]] = []
    q = (params.q or "").strip()
    if len(q) > MAX_QUERY:
        problems.append(("q", f"at most {MAX_QUERY} characters"))
    elif not terms(q):
        problems.append(("q", "type a name, an email, a phone or order number, or some words"))
    status = (params.status or "").strip().lower()
    if status in ("", "all"):
        status = ""
    elif status not in {s.value for s in ConversationStatus}:
        problems.append(("status", "one of " + ", ".join(s.value for s in ConversationStatus)))
    queue = (params.queue or "").strip()
    if len(queue) > MAX_QUEUE:
        problems.append(("queue", f"at most {MAX_QUEUE} characters"))
    channel = (params.channel or "").strip().lower()
    if channel and channel not in {c.value for c in Channel}:
        problems.append(("channel", "one of " + ", ".join(c.value for c in Channel)))
    mood = (params.mood or "").strip().lower()
    if mood and mood not in MOODS:
        problems.append(("mood", "one of " + ", ".join(MOODS)))
    assignee = (params.assignee or "").strip().lower()
    assignee_id, unassigned = _assignee(assignee, user_id, problems) if assignee else (None, False)
    since = _day((params.since or "").strip(), "from", problems)
    until = _day((params.until or "").strip(), "to", problems)
    if since and until and since > until:
        problems.append(("to", "on or after the first day"))
    if problems:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "; ".join(f"{field}: {message}" for field, message in problems),
            details=[
                {"field": f"{prefix}{field}", "message": message, "type": "value_error"}
                for field, message in problems
            ],
        )
    return SearchRequest(
        query=q,
        filters=SearchFilters(
            status=ConversationStatus(status) if status else None,
            queue=queue or None,
            channel=channel or None,
            assignee_id=assignee_id,
            unassigned=unassigned,
            since=datetime.combine(since, time(), UTC) if since else None,
            until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
        ),
        mood=mood or None,
    )
