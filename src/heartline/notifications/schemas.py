"""Notifications as the API shows them."""

from __future__ import annotations

from datetime import datetime

from heartline.schemas import OutModel

# What a notification is about (kept short: it is stored in a 30-character column).
MENTION = "mention"


class NotificationOut(OutModel):
    """One notification for the caller; read_at is null until they mark it read."""

    id: int
    kind: str
    conversation_id: int | None
    text: str
    created_at: datetime
    read_at: datetime | None
