"""Triage in the workspace: bulk actions from the inbox (assign, resolve, tag: one form around
the table, so it works without JavaScript), tags and snooze on a conversation. Every outcome
comes back as a plain sentence on the page the agent came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from heartline import pipeline
from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.auth.service import User
from heartline.enums import PipelineEvent
from heartline.errors import AppError
from heartline.interactions import service as interaction_service
from heartline.interactions.service import Conversation
from heartline.routing import service as routing_service
from heartline.web.deps import AgentUser
from heartline.web.render import check_csrf, local_time

router = APIRouter(include_in_schema=False)
NOTICE = "notice"  # the session key of the one-line outcome the next page shows


def _say(request: Request, text: str, *, ok: bool = True) -> None:
    request.session[NOTICE] = {"text": text, "ok": ok}


def inbox_extras(
    request: Request, db: Db, user: User, *, convs: Sequence[Conversation], tag: str, select: str
) -> dict[str, Any]:
    """What the inbox adds for tags and bulk actions: each row's tags, the tags in use (the
    filter), whether "select all on this page" was asked, and the last action's outcome."""
    return {
        "conv_tags": interaction_service.tags_of(db, conversation_ids=[c.id for c in convs]),
        "all_tags": interaction_service.tag_counts(db, limit=100),
        "tag": tag.strip(),
        "select_all": select == "page",
        "triage_notice": request.session.pop(NOTICE, None),
        "max_bulk": routing_service.MAX_BULK,
    }


def conversation_extras(request: Request, db: Db, conv: Conversation) -> dict[str, Any]:
    """What the conversation page adds: its tags, suggestions, snooze choices and state."""
    return {
        "conv_tags": interaction_service.conversation_tags(db, conversation_id=conv.id),
        "all_tags": [t for t, _ in interaction_service.tag_counts(db, limit=200)],
        "snooze_presets": interaction_service.SNOOZE_PRESETS,
        "snoozed": interaction_service.is_snoozed(conv),
        "triage_notice": request.session.pop(NOTICE, None),
    }


def _back(view: str, queue: str, status: str, tag: str, page: str) -> str:
    params = {"view": view, "queue": queue, "status": status, "tag": tag, "page": page}
    return "/inbox?" + urlencode({k: v for k, v in params.items() if v})


def _assignee(raw: str, user: User) -> int | None:
    """ "me", "none" (or empty) or a user id; anything else names nobody (id 0: the service
    answers that no such person can take conversations)."""
    if raw == "me":
        return user.id
    if raw in ("", "none"):
        return None
    return int(raw) if raw.isdigit() and len(raw) <= 10 else 0


def _parse_ids(raw: list[str]) -> tuple[list[int], list[str]]:
    ids, bad = [], []
    for value in raw:
        v = value.strip()
        if v.isdigit() and len(v) <= 10:
            ids.append(int(v))
        else:
            bad.append(v[:20])
    return ids, bad


def _plural(n: int) -> str:
    return f"{n} conversation{'s' if n != 1 else ''}"


def _outcome(
    db: Db, out: routing_service.BulkOutcome, user: User, assignee: int | None, tag: str
) -> str:
    n = len(out.changed)
    if out.action == "assign":
        who = "you" if assignee == user.id else None
        if who is None and assignee is not None:
            person = auth_service.get_user(db, user_id=assignee)
            who = (person.name or person.email) if person else f"user {assignee}"
        done = f"Assigned {_plural(n)} to {who}." if who else f"Unassigned {_plural(n)}."
    elif out.action == "close":
        done = f"Resolved {_plural(n)}."
    else:
        done = f"Tagged {_plural(n)} “{interaction_service.normalise_tag(tag)}”."
    if out.unchanged:
        done += f" {len(out.unchanged)} already were."
    return done


@router.post("/inbox/bulk")
def bulk(
    request: Request,
    db: Db,
    user: AgentUser,
    ids: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI reads the default)
    action: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    tag: Annotated[str, Form()] = "",
    view: Annotated[str, Form()] = "",
    queue: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    tag_filter: Annotated[str, Form()] = "",
    page: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Assign, resolve or tag the ticked conversations; back to the same inbox view with a
    sentence saying how many changed and which could not be found."""
    check_csrf(request, csrf)
    back = _back(view, queue, status, tag_filter, page if page.isdigit() else "")
    numbers, bad = _parse_ids(ids)
    who = _assignee(assignee, user)
    if action == "assign" and assignee == "":
        _say(request, "Choose who to assign them to (or “Nobody”).", ok=False)
        return RedirectResponse(back, status_code=303)
    if not numbers and bad:
        _say(request, f"Not found, left alone: {', '.join(f'“{b}”' for b in bad[:10])}.", ok=False)
        return RedirectResponse(back, status_code=303)
    try:
        out = routing_service.bulk(
            db,
            ids=numbers,
            action=action,
            assignee_id=who,
            tag=tag,
            actor=auth_service.user_principal(user),
        )
    except AppError as err:
        _say(request, _plain(err), ok=False)
        return RedirectResponse(back, status_code=303)
    if action == "close" and out.changed:
        pipeline.submit(db, PipelineEvent.CONVERSATION, out.changed)
    db.commit()
    text = _outcome(db, out, user, who, tag)
    missing = [f"#{i}" for i in out.missing] + [f"“{b}”" for b in bad]
    if missing:
        text += f" Not found, left alone: {', '.join(missing[:10])}."
    _say(request, text, ok=not missing)
    return RedirectResponse(back, status_code=303)


PLAIN_TAG = "a tag is 1-40 letters, digits, - or _ (spaces become -)."
_PLAIN = {
    "ids": "Tick at least one conversation first.",
    "action": "Choose assign, resolve or add tag.",
    "assignee_id": "That person cannot take conversations (unknown or deactivated).",
}


def _plain(err: AppError) -> str:
    field = str(err.details[0]["field"]) if err.details else ""
    if field == "ids" and "at most" in err.message:
        return f"Pick at most {routing_service.MAX_BULK} conversations at a time."
    if field.startswith("tag"):
        return PLAIN_TAG[0].upper() + PLAIN_TAG[1:]
    return _PLAIN.get(field, err.message)


def _to_conversation(conversation_id: int) -> Response:
    return RedirectResponse(f"/conversations/{conversation_id}", status_code=303)


@router.post("/conversations/{conversation_id}/tags")
def add_tags(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    tags: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Add one or more tags (comma-separated); audited."""
    check_csrf(request, csrf)
    interaction_service.get_conversation(db, conversation_id=conversation_id)
    wanted = [t for t in tags.split(",") if t.strip()]
    try:
        routing_service.add_tags(
            db, conversation_id=conversation_id, tags=wanted,
            actor=auth_service.user_principal(user),
        )  # fmt: skip
    except AppError:
        _say(
            request, "Not added: a tag is 1-40 letters, digits, - or _ (spaces become -).", ok=False
        )
        return _to_conversation(conversation_id)
    db.commit()
    if not wanted:
        _say(request, "Type a tag to add.", ok=False)
    return _to_conversation(conversation_id)


@router.post("/conversations/{conversation_id}/tags/remove")
def remove_tag(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    tag: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Take a tag off (audited)."""
    check_csrf(request, csrf)
    routing_service.remove_tag(
        db, conversation_id=conversation_id, tag=tag, actor=auth_service.user_principal(user)
    )
    db.commit()
    return _to_conversation(conversation_id)


@router.post("/conversations/{conversation_id}/snooze")
def snooze(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    choice: Annotated[str, Form()] = "",
    at: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Snooze until a chosen time (a quick choice, or a date and time in the viewer's zone)."""
    check_csrf(request, csrf)
    tz = user.timezone or "UTC"
    try:
        until = interaction_service.resolve_until(choice, at=at, tz=tz)
        routing_service.snooze(
            db, conversation_id=conversation_id, until=until,
            actor=auth_service.user_principal(user),
        )  # fmt: skip
    except AppError as err:
        if err.http_status == 404:
            raise
        _say(request, f"Not snoozed: {err.message.split(': ', 1)[-1]}.", ok=False)
        return _to_conversation(conversation_id)
    db.commit()
    _say(request, f"Snoozed until {local_time(until, tz, '%a %d %b %H:%M')}.")
    return RedirectResponse("/inbox", status_code=303)


@router.post("/conversations/{conversation_id}/wake")
def wake(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """End the snooze now (audited)."""
    check_csrf(request, csrf)
    routing_service.wake(
        db, conversation_id=conversation_id, actor=auth_service.user_principal(user)
    )
    db.commit()
    return _to_conversation(conversation_id)
