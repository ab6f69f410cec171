"""Routing configuration stored through the API (it overrides the YAML file while present)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
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


class TeamHours(Base):
    """A team's business hours (routing.business_hours.BusinessHours, as validated); a team
    without a row works 24x7."""

    __tablename__ = "team_business_hours"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    calendar: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SlaClock(Base):
    """A conversation's SLA clocks: the reply clock (first reply, then each next reply) and the
    resolution clock. Due times are recomputed on each event (a customer message, an agent
    reply, a status change), so the inbox sorts on conversations.sla_due_at (the earliest
    running due time; NULL while paused or stopped) in SQL."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_reply_due", "reply_due_at"),
        Index("ix_sla_clocks_resolve_due", "resolve_due_at"),
    )

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    # first_reply or next_reply: the reply clock running now, or the last one that stopped.
    reply_kind: Mapped[str | None] = mapped_column(String(20))
    reply_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_target_s: Mapped[int] = mapped_column(Integer, default=0)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_met: Mapped[bool | None] = mapped_column(Boolean)
    reply_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_target_s: Mapped[int] = mapped_column(Integer, default=0)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_met: Mapped[bool | None] = mapped_column(Boolean)
    resolve_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Waiting on the customer (status pending): every running clock stands still.
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
