"""What playbooks left behind for people: recorded runs (why each fired or was held) and
agent tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.errors import not_found
from heartline.playbooks.models import AgentTask, PlaybookRun
from heartline.playbooks.schemas import TaskStatus


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
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AgentTask], int]:
    """Agent tasks, soonest due first."""
    stmt = select(AgentTask)
    if status:
        stmt = stmt.where(AgentTask.status == status)
    if assignee_id is not None:
        stmt = stmt.where(AgentTask.assignee_id == assignee_id)
    if customer_id is not None:
        stmt = stmt.where(AgentTask.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(AgentTask.due_at, AgentTask.id).limit(limit).offset(offset)
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
