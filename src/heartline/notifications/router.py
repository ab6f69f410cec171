"""HTTP for your notifications (an API token, being no person, has none)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from heartline.api.deps import Db, Worker
from heartline.errors import not_found
from heartline.notifications import service
from heartline.notifications.schemas import NotificationOut

router = APIRouter(tags=["notifications"])


@router.get("/notifications")
def list_notifications(
    db: Db,
    principal: Worker,
    unread: bool = False,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> dict[str, Any]:
    """Your notifications, newest first (`unread=true` for the unread ones only), and how
    many are unread."""
    if principal.user_id is None:
        return {"items": [], "total": 0, "unread": 0}
    rows, total = service.list_notifications(
        db, user_id=principal.user_id, unread_only=unread, limit=limit, offset=offset
    )
    return {
        "items": [NotificationOut.model_validate(r) for r in rows],
        "total": total,
        "unread": service.unread_count(db, user_id=principal.user_id),
    }


@router.post("/notifications/{notification_id}/read")
def mark_read(notification_id: int, db: Db, principal: Worker) -> NotificationOut:
    """Mark one of your notifications read."""
    if principal.user_id is None:
        raise not_found("notification", notification_id)
    row = service.mark_read(db, user_id=principal.user_id, notification_id=notification_id)
    db.commit()
    return NotificationOut.model_validate(row)
