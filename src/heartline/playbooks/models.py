"""Playbooks, their runs, the durable outbox, agent tasks and offer codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, JSONType, UTCDateTime, utcnow
from heartline.playbooks.schemas import OutboxStatus, TaskStatus


class Playbook(Base):
    """A playbook; `spec` is its validated PlaybookSpec (trigger, conditions, actions)."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Drafts wait in the approval queue instead of going out.
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PlaybookRun(Base):
    """One decision for one customer: fired (and what it did) or held back (and by what)."""

    __tablename__ = "playbook_runs"
    __table_args__ = (
        Index("ix_playbook_runs_customer", "customer_id", "created_at"),
        Index("ix_playbook_runs_playbook", "playbook_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_key: Mapped[str] = mapped_column(String(80))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(40))
    event_ref: Mapped[str | None] = mapped_column(String(80))
    occasion: Mapped[str] = mapped_column(String(200), default="")
    # fired | held | deferred | awaiting_approval | failed
    status: Mapped[str] = mapped_column(String(20))
    # The guardrail that held it back (empathy, marketing_consent, frequency_cap, ...).
    guardrail: Mapped[str | None] = mapped_column(String(40))
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Set only for runs that acted: a unique key so an occasion fires once, even on races.
    fired_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """A message to deliver, durably: status draft|queued|sending|sent|dead|rejected."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_customer", "customer_id", "created_at"),
        Index("ix_outbox_provider_message", "provider_message_id"),  # delivery callbacks
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Passed to the provider (Message-ID, Idempotency-Key) so a retry is never a second message.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("playbook_runs.id", ondelete="SET NULL"), index=True
    )
    playbook_key: Mapped[str | None] = mapped_column(String(80))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(20), default="service")
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED.value)
    # Within 'sending': 'claimed' (nothing handed over yet) or 'handed_over' (the provider may
    # have it); recovery resends only what is safe to resend.
    phase: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    # What the provider reported after the send (WhatsApp: delivered, then read); never
    # goes backwards.
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    delivery_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Channel outcomes: the customer's first reply after this message and how it felt.
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    reply_valence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AgentTask(Base):
    """Work for a person (check-in call, detractor follow-up) with an SLA."""

    __tablename__ = "agent_tasks"
    __table_args__ = (Index("ix_agent_tasks_open", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("playbook_runs.id", ondelete="SET NULL"))
    playbook_key: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN.value)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfferCode(Base):
    """A single-customer discount code issued by a playbook."""

    __tablename__ = "offer_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("playbook_runs.id", ondelete="SET NULL"))
    playbook_key: Mapped[str | None] = mapped_column(String(80))
    percent_off: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(120))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
