"""The live workspace: the event streams of the inbox and of a conversation (web/live.py), and
the conversation page's presence beats ("Priya is replying…")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response, StreamingResponse

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.config import get_settings
from heartline.db import get_sessionmaker, utcnow
from heartline.enums import ConversationStatus, Direction
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.presence import service as presence_service
from heartline.web import live
from heartline.web.deps import user_can
from heartline.web.render import TEMPLATES, check_csrf, form_id

router = APIRouter(include_in_schema=False)
STATUSES = {s.value for s in ConversationStatus}
# no-transform and X-Accel-Buffering: proxies (nginx) pass each event on at once
STREAM_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
# pages hand their render time to their stream (`since`): it reports what changed after it
TEMPLATES.env.globals["live_now"] = lambda: live.cursor_id(utcnow())


@dataclass(frozen=True)
class Reply:
    """A teammate's reply the agent had not seen when they wrote theirs."""

    id: int
    author: str


def replies_since(db: Db, *, conversation_id: int, user_id: int, seen_last: str) -> list[Reply]:
    """Replies by other people in the conversation after message `seen_last` (the newest one
    the page showed when the agent started writing); none when the form did not say."""
    last = form_id(seen_last, "seen_last", "a message id")
    if last is None:
        return []
    return [
        Reply(m.id, m.author or "A teammate")
        for m in interaction_service.conversation_interactions(db, conversation_id=conversation_id)
        if m.id > last
        and m.direction == Direction.OUTBOUND.value
        and m.author_user_id is not None
        and m.author_user_id != user_id
    ]


def _agent_id(request: Request, conversation_id: int | None) -> int:
    """The signed-in agent's id (a short session: a stream holds no database connection
    while it waits); 401/403/404 as the pages answer. Streams and presence beats are not
    activity: an open tab does not keep an idle session alive (afterwards they get a 401)."""
    sid = request.session.get("sid") if "session" in request.scope else None
    token = sid if isinstance(sid, str) else ""
    with get_sessionmaker()() as db:
        idle_s = get_settings().session_max_age_s
        user = auth_service.resolve_session(db, token, idle_s=idle_s) if token else None
        if user is None:
            raise AppError(ErrorCode.UNAUTHORIZED, "please sign in")
        if not user_can(user, "work"):
            raise AppError(ErrorCode.FORBIDDEN, f"your role ({user.role}) cannot open this page")
        if conversation_id is not None:
            interaction_service.get_conversation(db, conversation_id=conversation_id)
        user_id = user.id
        db.rollback()  # not activity: an open tab must not keep an idle session alive
    return user_id


def _respond(request: Request, feed: live.Feed) -> Response:
    live.watch_shutdown()
    return StreamingResponse(
        live.event_stream(request, feed), media_type="text/event-stream", headers=STREAM_HEADERS
    )


@router.get("/live/inbox")
async def live_inbox(
    request: Request,
    queue: str | None = None,
    status: str = "open",
    view: str = Query("all", max_length=20),  # views the inbox adds later match as "all"
    since: str | None = None,
) -> Response:
    """Events for an open inbox (its view's filters): changed conversations, and a
    notification when a customer writes in one assigned to the viewer."""
    if status not in STATUSES and status != "all":
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"status: one of {', '.join(sorted(STATUSES))} or all",
            details=[{"field": "status", "message": "unknown status", "type": "enum"}],
        )
    user_id = await anyio.to_thread.run_sync(_agent_id, request, None)
    cursor = live.parse_cursor(request.headers.get("last-event-id"), since, now=utcnow())
    feed = live.Feed(
        user_id=user_id,
        cursor=cursor,
        queue=queue or None,
        status=None if status == "all" else status,
        view=view,
    )
    return _respond(request, feed)


@router.get("/live/conversations/{conversation_id}")
async def live_conversation(
    request: Request, conversation_id: int, since: str | None = None, after: int = Query(0, ge=0)
) -> Response:
    """Events for an open conversation: who else is viewing or replying, new messages in it,
    and notifications for the viewer's other conversations."""
    user_id = await anyio.to_thread.run_sync(_agent_id, request, conversation_id)
    cursor = live.parse_cursor(request.headers.get("last-event-id"), since, now=utcnow())
    feed = live.Feed(user_id, cursor, conversation_id=conversation_id, after_id=after)
    return _respond(request, feed)


@router.post("/conversations/{conversation_id}/presence")
def presence(
    request: Request,
    conversation_id: int,
    db: Db,
    state: Annotated[str, Form()] = "viewing",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The page's beat: viewing, replying (a draft is being written), or left."""
    user_id = _agent_id(request, conversation_id)
    check_csrf(request, csrf)
    if state == "left":
        presence_service.clear(db, conversation_id=conversation_id, user_id=user_id)
    else:
        try:
            kind = presence_service.PresenceState(state)
        except ValueError:
            raise AppError(
                ErrorCode.VALIDATION_ERROR,
                "state: one of viewing, replying, left",
                details=[{"field": "state", "message": "unknown state", "type": "enum"}],
            ) from None
        presence_service.touch(db, conversation_id=conversation_id, user_id=user_id, state=kind)
    db.commit()
    return Response(status_code=204)
