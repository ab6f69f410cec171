"""Routing configuration stored through the API (it overrides the YAML file while present)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, JSONType, UTCDateTime, utcnow


class RoutingConfig(Base):
    """The one active rule set (a single row, id 1), as validated on PUT."""

    __tablename__ = "routing_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QueueSetting(Base):
    """Who works a queue: its team, whether new conversations are assigned automatically (round
    robin over the team's available agents), and the last agent given one."""

    __tablename__ = "queue_settings"

    queue: Mapped[str] = mapped_column(String(60), primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
