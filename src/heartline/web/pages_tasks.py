"""Tasks: the check-in calls and follow-ups playbooks create, for the people who do them.
Mine / Unassigned / All, soonest due first; take one, give it to a teammate, move its due date,
mark it done with what happened."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.errors import AppError, ErrorCode
from heartline.playbooks import service as playbook_service
from heartline.playbooks.schemas import TaskStatus
from heartline.web.deps import AgentUser
from heartline.web.render import check_csrf, form_id, render

router = APIRouter(include_in_schema=False)
PAGE = 50
VIEWS = [("mine", "Mine"), ("unassigned", "Unassigned"), ("all", "All")]


def _bad(field: str, message: str) -> AppError:
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"{field}: {message}",
        details=[{"field": field, "message": message, "type": "value_error"}],
    )


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    db: Db,
    user: AgentUser,
    view: str = Query("mine", pattern="^(mine|unassigned|all)$"),
    status: str = Query("open", pattern="^(open|done)$"),
    page: int = Query(1, ge=1),
) -> Response:
    """The tasks of a view, soonest due first (overdue ones say so)."""
    rows, total = playbook_service.list_tasks(
        db,
        status=TaskStatus(status),
        assignee_id=user.id if view == "mine" else None,
        unassigned=view == "unassigned",
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    ids = {t.customer_id for t in rows}
    return render(
        request,
        "tasks.html",
        {
            "tasks": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "view": view,
            "views": VIEWS,
            "status": status,
            "now": utcnow(),
            "customers": {c.id: c for c in customer_service.list_customers_by_ids(db, ids=ids)},
            "staff": auth_service.staff(db),
        },
    )


def _date(raw: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        day = datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise _bad("due", "a date like 2026-12-01") from None
    return datetime.combine(day, time(17, 0), tzinfo=UTC)


@router.post("/tasks/{task_id}")
def change_task(
    request: Request,
    task_id: int,
    db: Db,
    user: AgentUser,
    action: Annotated[str, Form()] = "save",
    assignee_id: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
    due_was: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form()] = "/tasks",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Take, give, reschedule or complete a task (audited; completion keeps the outcome)."""
    check_csrf(request, csrf)
    actor = auth_service.user_principal(user)
    if action == "take":
        playbook_service.update_task(db, task_id=task_id, assignee_id=user.id, actor=actor)
    elif action == "done":
        playbook_service.complete_task(
            db, task_id=task_id, by=user.name or user.email, outcome=outcome.strip() or None
        )
    elif action == "save":
        playbook_service.update_task(
            db,
            task_id=task_id,
            assignee_id=form_id(assignee_id, "assignee_id", "a user id, or empty for nobody"),
            # an untouched date keeps its time; a new one is due at 17:00 UTC that day
            due_at=playbook_service.UNCHANGED if due.strip() == due_was.strip() else _date(due),
            actor=actor,
        )
    else:
        raise _bad("action", "take, save or done")
    db.commit()
    target = back if back.startswith("/tasks") else "/tasks"
    return RedirectResponse(f"{target}#task-{task_id}" if action != "done" else target, 303)
