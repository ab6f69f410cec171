"""What playbooks left behind for people: recorded runs (why each fired or was held) and
agent tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.api.validation import is_row_id
from heartline.auth import service as auth_service
from heartline.auth.service import Principal
from heartline.db import utcnow
from heartline.errors import not_found, unknown_reference
from heartline.playbooks.models import AgentTask, PlaybookRun
from heartline.playbooks.schemas import TaskStatus
from heartline.privacy import service as privacy_service

UNCHANGED = object()  # "leave this field as it is" (None clears it)


def list_runs(
    session: Session,
    *,
    playbook_key: str | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PlaybookRun], int]:
    """Recorded runs, newest first: why each fired or what held it back."""
    stmt = select(PlaybookRun)
    if playbook_key:
        stmt = stmt.where(PlaybookRun.playbook_key == playbook_key)
    if customer_id is not None:
        stmt = stmt.where(PlaybookRun.customer_id == customer_id)
    if status:
        stmt = stmt.where(PlaybookRun.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(PlaybookRun.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def list_tasks(
    session: Session,
    *,
    status: str | None = TaskStatus.OPEN,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    unassigned: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AgentTask], int]:
    """Agent tasks, soonest due first (no due date last); `unassigned` keeps nobody's."""
    stmt = select(AgentTask)
    if unassigned:
        stmt = stmt.where(AgentTask.assignee_id.is_(None))
    if status:
        stmt = stmt.where(AgentTask.status == status)
    if assignee_id is not None:
        stmt = stmt.where(AgentTask.assignee_id == assignee_id)
    if customer_id is not None:
        stmt = stmt.where(AgentTask.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = (AgentTask.due_at.is_(None), AgentTask.due_at, AgentTask.id)
    stmt = stmt.order_by(*order).limit(limit).offset(offset)
    rows = session.scalars(stmt)
    return list(rows), total


def complete_task(
    session: Session,
    *,
    task_id: int,
    by: str,
    outcome: str | None = None,
    now: datetime | None = None,
) -> AgentTask:
    """Mark a task done (idempotent: completing twice keeps the first completion)."""
    task = session.get(AgentTask, task_id)
    if task is None:
        raise not_found("task", task_id)
    if task.status != TaskStatus.DONE:
        task.status, task.completed_at, task.completed_by = TaskStatus.DONE, now or utcnow(), by
        task.outcome = outcome
        session.flush()
    return task


def update_task(
    session: Session,
    *,
    task_id: int,
    assignee_id: int | object | None = UNCHANGED,
    due_at: datetime | object | None = UNCHANGED,
    actor: Principal | None,
) -> AgentTask:
    """Give a task to a person (or nobody) and/or move its due time; validated (an unknown or
    inactive person is a 422 naming assignee_id) and audited."""
    task = session.get(AgentTask, task_id)
    if task is None:
        raise not_found("task", task_id)
    changes: dict[str, Any] = {}
    if assignee_id is not UNCHANGED and assignee_id != task.assignee_id:
        if isinstance(assignee_id, int) and (
            not is_row_id(assignee_id)
            or auth_service.assignable(session, user_id=assignee_id) is None
        ):
            raise unknown_reference("assignee_id", assignee_id, "active agent")
        changes["assignee_id"] = [task.assignee_id, assignee_id]
        task.assignee_id = assignee_id if isinstance(assignee_id, int) else None
    if due_at is not UNCHANGED and due_at != task.due_at:
        when = due_at if isinstance(due_at, datetime) else None
        changes["due_at"] = [_iso(task.due_at), _iso(when)]
        task.due_at = when
    if changes:
        session.flush()
        privacy_service.record(
            session, actor=actor, action="task.updated", entity="task", entity_id=task.id,
            details=changes,
        )  # fmt: skip
    return task


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
