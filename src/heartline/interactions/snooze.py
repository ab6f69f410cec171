"""Snooze: a conversation leaves the open views until a time, then comes back by itself (the
views compare `snoozed_until` with now, so no job has to wake it), or at once when the
customer writes again (ingest clears it). The audited actions live in routing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.enums import ConversationStatus
from heartline.errors import AppError, ErrorCode, not_found
from heartline.interactions.models import Conversation

MAX_SNOOZE = timedelta(days=365)  # a year: beyond that it is closing, not snoozing
WAKE_HOUR = time(9, 0)  # "tomorrow" and "next week" mean the start of the viewer's day
# The quick choices the conversation page offers (key, words); "at" takes a date and time.
PRESETS = [
    ("1h", "In an hour"),
    ("tomorrow", "Until tomorrow 9:00"),
    ("3d", "In 3 days"),
    ("next-week", "Until Monday 9:00"),
]
_SNOOZABLE = (ConversationStatus.OPEN, ConversationStatus.PENDING)


def _bad(field: str, message: str) -> AppError:
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"{field}: {message}",
        details=[{"field": field, "message": message, "type": "value_error"}],
    )


def _conversation(session: Session, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise not_found("conversation", conversation_id)
    return conv


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def resolve_until(
    choice: str, *, at: str = "", tz: str = "UTC", now: datetime | None = None
) -> datetime:
    """The UTC time a snooze choice means for a viewer in `tz`: a preset key, or "at" with a
    local date and time ("2026-12-01T09:30", a date-time picker's value). 422 naming the field."""
    now = now or utcnow()
    zone = _zone(tz)
    local = now.astimezone(zone)
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "3d":
        return now + timedelta(days=3)
    if choice in ("tomorrow", "next-week"):
        days = 1 if choice == "tomorrow" else 7 - local.weekday()  # Monday next
        day = local.date() + timedelta(days=days)
        return datetime.combine(day, WAKE_HOUR, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    if choice == "at":
        try:
            picked = datetime.fromisoformat(at.strip())
        except ValueError:
            raise _bad("until", "pick a date and time, like 2026-12-01 09:30") from None
        picked = picked if picked.tzinfo else picked.replace(tzinfo=zone)
        return picked.astimezone(ZoneInfo("UTC"))
    keys = ", ".join(k for k, _ in PRESETS)
    raise _bad("until", f"one of {keys}, or at with a date and time")


def snooze(
    session: Session, *, conversation_id: int, until: datetime, now: datetime | None = None
) -> tuple[Conversation, datetime | None]:
    """Snooze an open or waiting conversation until a future time (within MAX_SNOOZE):
    (the conversation, its previous snooze time)."""
    now = now or utcnow()
    conv = _conversation(session, conversation_id)
    if until.tzinfo is None:
        raise _bad("until", "a time with its zone")
    if until <= now:
        raise _bad("until", "a time in the future")
    if until - now > MAX_SNOOZE:
        raise _bad("until", "at most a year ahead")
    if conv.status not in _SNOOZABLE:
        raise AppError(
            ErrorCode.CONFLICT,
            f"only an open or waiting conversation can be snoozed (this one is {conv.status})",
            details=[{"field": "status", "message": "not open", "type": "state"}],
        )
    before = conv.snoozed_until
    conv.snoozed_until = until
    session.flush()
    return conv, before


def wake(session: Session, *, conversation_id: int) -> tuple[Conversation, datetime | None]:
    """End a snooze now: (the conversation, the snooze time it had, None if it had none)."""
    conv = _conversation(session, conversation_id)
    before = conv.snoozed_until
    if before is not None:
        conv.snoozed_until = None
        session.flush()
    return conv, before


def is_snoozed(conv: Conversation, now: datetime | None = None) -> bool:
    """Whether the conversation is still asleep."""
    until = conv.snoozed_until
    if until is None:
        return False
    now = now or utcnow()
    return (until if until.tzinfo else until.replace(tzinfo=ZoneInfo("UTC"))) > now


def snoozed_filter(now: datetime, *, asleep: bool) -> ColumnElement[bool]:
    """Conversations asleep at `now` (asleep=True), or awake (never snoozed or time passed)."""
    if asleep:
        return Conversation.snoozed_until > now
    return (Conversation.snoozed_until.is_(None)) | (Conversation.snoozed_until <= now)
