"""Team alerts: where they go (a Slack-compatible incoming webhook), which events raise one,
and every alert raised (sent, failed or held back by the rate limit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, JSONType, UTCDateTime, utcnow

WEBHOOK = "alert webhook url"  # the purpose the webhook URL is sealed under (sealed.py)


class AlertSettings(Base):
    """The workspace's one alert configuration (id 1)."""

    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_sealed: Mapped[str | None] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    per_hour: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AlertLog(Base):
    """One alert: what raised it, about whom, and what became of it."""

    __tablename__ = "alert_log"
    __table_args__ = (
        Index("ix_alert_log_created", "created_at"),
        Index("ix_alert_log_recent", "kind", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(12))  # sent | failed | held
    detail: Mapped[str | None] = mapped_column(String(300))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
