"""Presence: who has a conversation open, and who is writing a reply to it (the live inbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, UTCDateTime, utcnow


class Presence(Base):
    """One person on one conversation: viewing or replying, as of `seen_at`. The page refreshes
    the row every few seconds; a row older than presence.service.TTL means they left."""

    __tablename__ = "presence"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(10))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
