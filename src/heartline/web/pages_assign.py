"""Assignment in the workspace: take a conversation or give it to a teammate, and say whether
you are available for new ones (the round robin skips people who are away)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.routing import service as routing_service
from heartline.web.deps import AgentUser
from heartline.web.render import check_csrf, form_id

router = APIRouter(include_in_schema=False)


@router.post("/conversations/{conversation_id}/assign")
def assign(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    assignee_id: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Give the conversation to a person, or to nobody (audited)."""
    check_csrf(request, csrf)
    routing_service.assign(
        db,
        conversation_id=conversation_id,
        assignee_id=form_id(assignee_id, "assignee_id", "a user id, or empty for nobody"),
        actor=auth_service.user_principal(user),
    )
    db.commit()
    return RedirectResponse(f"/conversations/{conversation_id}", status_code=303)


@router.post("/account/availability")
def availability(
    request: Request,
    db: Db,
    user: AgentUser,
    available: Annotated[str, Form()] = "true",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Available for new conversations, or away (audited)."""
    check_csrf(request, csrf)
    routing_service.set_availability(
        db,
        user_id=user.id,
        available=available == "true",
        actor=auth_service.user_principal(user),
    )
    db.commit()
    back = request.headers.get("referer") or "/inbox"
    return RedirectResponse(back if back.startswith(str(request.base_url)) else "/inbox", 303)
