"""Operator actions on the outbox: list, approve or reject drafts, requeue dead messages
(services: they flush, the caller commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.errors import AppError, ErrorCode, not_found
from heartline.playbooks.models import OutboxMessage, PlaybookRun
from heartline.playbooks.schemas import OutboxStatus, RunStatus


def get_message(session: Session, *, outbox_id: int) -> OutboxMessage:
    """One outbox row, or a 404."""
    msg = session.get(OutboxMessage, outbox_id)
    if msg is None:
        raise not_found("outbox message", outbox_id)
    return msg


def _require(msg: OutboxMessage, *statuses: str) -> None:
    if msg.status not in statuses:
        raise AppError(
            ErrorCode.CONFLICT,
            f"outbox message {msg.id} is {msg.status}; this needs {' or '.join(statuses)}",
        )


def _set_run_status(session: Session, msg: OutboxMessage, status: str, note: str) -> None:
    run = session.get(PlaybookRun, msg.run_id) if msg.run_id else None
    if run is not None:
        run.status = status
        run.reasons = [*run.reasons, note]


def approve(
    session: Session,
    *,
    outbox_id: int,
    by: str,
    subject: str | None = None,
    body: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Release a draft (optionally edited: the original text is kept in meta["edited"]) to the
    queue; what goes out is the edited text."""
    msg = get_message(session, outbox_id=outbox_id)
    _require(msg, OutboxStatus.DRAFT)
    now = now or utcnow()
    edited = {
        name: getattr(msg, name)
        for name, value in (("subject", subject), ("body", body))
        if value is not None and value != getattr(msg, name)
    }
    if edited:
        # The playbook's own text is kept beside the edit, so the audit can show both.
        msg.meta = {**(msg.meta or {}), "edited": {"by": by, "original": edited}}
        msg.subject = subject if subject is not None else msg.subject
        msg.body = body if body is not None else msg.body
    msg.status, msg.decided_by, msg.next_attempt_at = OutboxStatus.QUEUED, by, now
    _set_run_status(session, msg, RunStatus.FIRED, f"approved by {by}")
    session.flush()
    return msg


def edited_fields(msg: OutboxMessage) -> list[str]:
    """Which of subject and body a person changed before approving (for the audit)."""
    return sorted(((msg.meta or {}).get("edited") or {}).get("original", {}))


def reject(session: Session, *, outbox_id: int, by: str, note: str | None = None) -> OutboxMessage:
    """Discard a draft; the run records who rejected it."""
    msg = get_message(session, outbox_id=outbox_id)
    _require(msg, OutboxStatus.DRAFT)
    msg.status, msg.decided_by = OutboxStatus.REJECTED, by
    _set_run_status(
        session, msg, RunStatus.REJECTED, f"rejected by {by}" + (f": {note}" if note else "")
    )
    session.flush()
    return msg


def requeue(
    session: Session, *, outbox_id: int, by: str, now: datetime | None = None
) -> OutboxMessage:
    """Give a dead message a fresh set of attempts (after a person checked it)."""
    msg = get_message(session, outbox_id=outbox_id)
    _require(msg, OutboxStatus.DEAD)
    msg.status, msg.attempts, msg.next_attempt_at = OutboxStatus.QUEUED, 0, now or utcnow()
    msg.decided_by = by
    session.flush()
    return msg


def list_messages(
    session: Session,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[OutboxMessage], int]:
    """Outbox rows, newest first, with the total matching."""
    stmt = select(OutboxMessage)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if customer_id is not None:
        stmt = stmt.where(OutboxMessage.customer_id == customer_id)
    if channel:
        stmt = stmt.where(OutboxMessage.channel == channel)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
    return list(rows), total
