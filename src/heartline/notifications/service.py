"""Notifications: tell a person something needs them, list theirs, count the unread ones and
mark them read. Any domain may call `notify` (mentions in notes, a conversation assigned...);
the caller's transaction commits it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from heartline.api.validation import is_row_id
from heartline.db import utcnow
from heartline.errors import not_found
from heartline.notifications.models import Notification
from heartline.notifications.schemas import MENTION, NotificationOut

__all__ = [
    "MENTION",
    "TEXT_MAX",
    "Notification",
    "NotificationOut",
    "list_notifications",
    "mark_all_read",
    "mark_read",
    "notify",
    "unread_count",
]

TEXT_MAX = 500  # the column's width; longer texts end with an ellipsis


def notify(
    session: Session,
    *,
    user_id: int,
    kind: str,
    conversation_id: int | None,
    text: str,
    now: datetime | None = None,
) -> Notification:
    """Add a notification for one person (flushes; the caller commits)."""
    text = text.strip()
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1].rstrip() + "…"
    row = Notification(
        user_id=user_id,
        kind=kind[:30],
        conversation_id=conversation_id,
        text=text,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def list_notifications(
    session: Session, *, user_id: int, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[list[Notification], int]:
    """A person's notifications, newest first, and how many there are."""
    cond = [Notification.user_id == user_id]
    if unread_only:
        cond.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*cond)) or 0
    rows = session.scalars(
        select(Notification)
        .where(*cond)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def unread_count(session: Session, *, user_id: int) -> int:
    """How many of a person's notifications are unread (the number beside the nav link)."""
    stmt = select(func.count()).select_from(Notification)
    return (
        session.scalar(stmt.where(Notification.user_id == user_id, Notification.read_at.is_(None)))
        or 0
    )


def mark_read(session: Session, *, user_id: int, notification_id: int) -> Notification:
    """Mark one of a person's notifications read (someone else's is a 404)."""
    row = session.get(Notification, notification_id) if is_row_id(notification_id) else None
    if row is None or row.user_id != user_id:
        raise not_found("notification", notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, *, user_id: int) -> int:
    """Mark all of a person's notifications read; how many were unread."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
