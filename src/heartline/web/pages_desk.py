"""The desk in the workspace: canned replies (managed under Settings, used from the
conversation page, with or without JavaScript), internal notes with @mentions, and each
person's notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from heartline.api.deps import Db
from heartline.api.validation import error_details, validation_error
from heartline.auth import service as auth_service
from heartline.auth.service import User
from heartline.desk import service as desk_service
from heartline.desk.schemas import MacroIn, MacroPatch
from heartline.errors import AppError, ErrorCode
from heartline.notifications import service as notification_service
from heartline.web.deps import AgentUser, CurrentUser, user_can
from heartline.web.pages_inbox import _conversation_context as conversation_context
from heartline.web.render import check_csrf, form_id, render

router = APIRouter(include_in_schema=False)
PAGE = "/settings/canned-replies"
STATUS_CHOICES = [
    ("", "Leave the status as it is"),
    ("pending", "Pending (waiting on the customer)"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
    ("open", "Open"),
]


def _replies_page(
    request: Request, db: Db, user: User, *, status: int = 200, **extra: Any
) -> Response:
    macros = desk_service.list_macros(db, user_id=user.id)
    return render(
        request,
        "canned_replies.html",
        {
            "macros": macros,
            "variables": desk_service.VARIABLES,
            "statuses": STATUS_CHOICES,
            "can_share": user_can(user, "manage"),
            "form": {},
            **extra,
        },
        status_code=status,
    )


@router.get(PAGE, response_class=HTMLResponse)
def canned_replies(request: Request, db: Db, user: AgentUser) -> Response:
    """The team's canned replies and your own; managers and admins change the shared ones."""
    return _replies_page(request, db, user)


def _macro_form(name: str, body: str, set_status: str, shared: str) -> dict[str, Any]:
    return {
        "name": name[:200],
        "body": body[:6000],
        "set_status": set_status or None,
        "shared": shared == "true",
    }


def _validated(model: type[MacroIn] | type[MacroPatch], form: dict[str, Any]) -> Any:
    """The form as the API's schema reads it: the same 422 naming the field."""
    try:
        return model.model_validate(form)
    except ValidationError as exc:
        raise validation_error(error_details(exc.errors())) from None


@router.post(PAGE)
def create_canned_reply(
    request: Request,
    db: Db,
    user: AgentUser,
    name: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    set_status: Annotated[str, Form()] = "",
    shared: Annotated[str, Form()] = "false",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Save a new canned reply (an unknown variable keeps the form and names it)."""
    check_csrf(request, csrf)
    form = _macro_form(name, body, set_status, shared)
    try:
        macro = desk_service.create_macro(
            db, data=_validated(MacroIn, form), actor=auth_service.user_principal(user)
        )
    except AppError as err:
        return _replies_page(request, db, user, status=422, error=err.message, form=form)
    db.commit()
    return RedirectResponse(f"{PAGE}?saved={macro.id}#macro-{macro.id}", status_code=303)


@router.post(PAGE + "/{macro_id}")
def save_canned_reply(
    request: Request,
    macro_id: int,
    db: Db,
    user: AgentUser,
    name: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    set_status: Annotated[str, Form()] = "",
    shared: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Save changes to a canned reply, or delete it (action=delete); both audited."""
    check_csrf(request, csrf)
    principal = auth_service.user_principal(user)
    if action == "delete":
        desk_service.delete_macro(db, macro_id=macro_id, actor=principal)
        db.commit()
        return RedirectResponse(f"{PAGE}?deleted=1", status_code=303)
    form = _macro_form(name, body, set_status, shared)
    if not shared:
        form.pop("shared")
    try:
        desk_service.update_macro(
            db, macro_id=macro_id, data=_validated(MacroPatch, form), actor=principal
        )
    except AppError as err:
        if err.code != ErrorCode.VALIDATION_ERROR:
            raise
        db.rollback()
        return _replies_page(
            request, db, user, status=422, error=err.message, editing=macro_id, form=form
        )
    db.commit()
    return RedirectResponse(f"{PAGE}?saved={macro_id}#macro-{macro_id}", status_code=303)


@router.post("/conversations/{conversation_id}/use-macro", response_class=HTMLResponse)
def use_macro(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    pick_macro: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Without JavaScript: the conversation again, its reply box filled with the canned reply
    (after what was already typed), remembered so sending it applies its status."""
    check_csrf(request, csrf)
    macro_id = form_id(pick_macro, "pick_macro", "choose a canned reply")
    ctx = conversation_context(db, conversation_id, user.id)
    if macro_id is None:
        return render(
            request,
            "conversation.html",
            {**ctx, "sent": None, "draft": text[:20_000], "error": "Choose a canned reply."},
            status_code=422,
        )
    macro = desk_service.get_macro(db, macro_id=macro_id, user_id=user.id)
    out = desk_service.render_macro(
        db,
        macro_id=macro_id,
        conversation_id=conversation_id,
        user_id=user.id,
        agent_name=user.name or user.email,
    )
    draft = f"{text.rstrip()}\n\n{out.text}" if text.strip() else out.text
    used = {
        "id": macro.id,
        "name": macro.name,
        "set_status": out.set_status,
        "missing": out.missing,
    }
    return render(
        request, "conversation.html", {**ctx, "sent": None, "draft": draft, "macro_used": used}
    )


@router.post("/conversations/{conversation_id}/notes")
def add_note(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    body: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Add an internal note; teammates it @mentions are notified."""
    check_csrf(request, csrf)
    if not body.strip():
        ctx = conversation_context(db, conversation_id, user.id)
        return render(
            request,
            "conversation.html",
            {**ctx, "sent": None, "draft": "", "note_error": "Write the note before adding it."},
            status_code=422,
        )
    note, _people = desk_service.add_note(
        db,
        conversation_id=conversation_id,
        body=body[:5000],
        author=auth_service.user_principal(user),
    )
    db.commit()
    return RedirectResponse(f"/conversations/{conversation_id}#note-{note.id}", status_code=303)


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, db: Db, user: CurrentUser, show: str = "all") -> Response:
    """Your notifications, newest first (unread ones marked), each linking to its conversation."""
    rows, total = notification_service.list_notifications(
        db, user_id=user.id, unread_only=show == "unread", limit=100
    )
    return render(
        request,
        "notifications.html",
        {"items": rows, "total": total, "show": "unread" if show == "unread" else "all"},
    )


@router.get("/notifications/{notification_id}/open")
def open_notification(notification_id: int, db: Db, user: CurrentUser) -> Response:
    """Mark a notification read and go to what it is about."""
    row = notification_service.mark_read(db, user_id=user.id, notification_id=notification_id)
    db.commit()
    target = f"/conversations/{row.conversation_id}" if row.conversation_id else "/notifications"
    return RedirectResponse(target, status_code=303)


@router.post("/notifications/{notification_id}/read")
def read_notification(
    request: Request,
    notification_id: int,
    db: Db,
    user: CurrentUser,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Mark one notification read."""
    check_csrf(request, csrf)
    notification_service.mark_read(db, user_id=user.id, notification_id=notification_id)
    db.commit()
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all")
def read_all(
    request: Request, db: Db, user: CurrentUser, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Mark every notification read."""
    check_csrf(request, csrf)
    notification_service.mark_all_read(db, user_id=user.id)
    db.commit()
    return RedirectResponse("/notifications", status_code=303)
