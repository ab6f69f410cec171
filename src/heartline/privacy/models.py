"""Audit trail (who viewed or changed a customer's data, and when) and privacy requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, JSONType, UTCDateTime, utcnow
from heartline.enums import RequestStatus


class AuditEvent(Base):
    """One audited action. Deliberately without foreign keys: the trail outlives erasure."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10))  # user | token | system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40))  # view | export | erase | consent | review ...
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class PrivacyRequest(Base):
    """A privacy request read in a customer's message (erase my data, stop contacting me,
    unsubscribe): a task for an admin, who decides what it asks for and carries it out.

    One per message (unique interaction), so re-scoring the message never opens a second.
    Erasing the customer deletes their requests too; the audit trail keeps the erasure."""

    __tablename__ = "privacy_requests"
    __table_args__ = (Index("ix_privacy_requests_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"), unique=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    # The message's time (the request was made then, whenever it was scored).
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What was asked when the customer said it themselves on the choices page ("copy",
    # "erasure"); None for a request read in a message (the admin reads what it asks).
    kind: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default="message")  # message | self_service
    intent_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.OPEN)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivacyNotice(Base):
    """The plain-language notice to customers (what is analysed, why, how long, how to say
    no), one per language, edited by an admin; the shipped text applies until then."""

    __tablename__ = "privacy_notices"

    language: Mapped[str] = mapped_column(String(10), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
