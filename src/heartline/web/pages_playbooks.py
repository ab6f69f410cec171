"""Playbooks: list, enable/disable, dry-run preview and the approval queue (issue 5's service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.playbooks import service as playbook_service
from heartline.playbooks.schemas import OutboxStatus, PlaybookPatch
from heartline.privacy import service as privacy_service
from heartline.web.deps import ManagerUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


@router.get("/playbooks", response_class=HTMLResponse)
def playbooks(request: Request, db: Db, user: ManagerUser) -> Response:
    """Every playbook with its state, and messages waiting for approval."""
    rows = playbook_service.list_playbooks(db)
    # Messages of approval-required playbooks wait in the outbox as drafts.
    pending, total = playbook_service.list_messages(db, status=OutboxStatus.DRAFT, limit=50)
    return render(
        request, "playbooks.html", {"rows": rows, "pending": pending, "pending_total": total}
    )


@router.post("/playbooks/{key}/toggle")
def toggle(
    request: Request,
    key: str,
    db: Db,
    user: ManagerUser,
    enabled: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Turn a playbook on or off."""
    check_csrf(request, csrf)
    playbook_service.patch_playbook(db, key=key, patch=PlaybookPatch(enabled=enabled == "on"))
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="playbook.changed",
        entity="playbook", entity_id=None, details={"key": key, "enabled": enabled == "on"},
    )  # fmt: skip
    db.commit()
    return RedirectResponse("/playbooks", status_code=303)


@router.post("/playbooks/{key}/preview", response_class=HTMLResponse)
def preview(
    request: Request, key: str, db: Db, user: ManagerUser, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Dry run: who would get what, right now; nothing is sent (an HTMX fragment)."""
    check_csrf(request, csrf)
    result = playbook_service.preview(db, key=key)
    db.rollback()  # a dry run leaves nothing behind
    return render(request, "_preview.html", {"key": key, "p": result})


@router.post("/outbox/{outbox_id}/decide")
def decide(
    request: Request,
    outbox_id: int,
    db: Db,
    user: ManagerUser,
    decision: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Approve or reject a message waiting in the approval queue."""
    check_csrf(request, csrf)
    who = user.name or user.email
    if decision == "approve":
        playbook_service.approve(db, outbox_id=outbox_id, by=who)
    else:
        playbook_service.reject(db, outbox_id=outbox_id, by=who)
    db.commit()
    return RedirectResponse("/playbooks#approvals", status_code=303)
