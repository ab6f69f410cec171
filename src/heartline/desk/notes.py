"""Internal notes on a conversation: for the team only. A note is not a message: it is never
sent, never read by the emotion engine and never starts a playbook (it lives in its own table,
away from the pipeline). `@priya` or `@priya.shah` mentions a teammate, who is notified."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.auth.service import Principal, User
from heartline.desk.models import Note
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.notifications import service as notification_service

# "@priya", "@priya.shah" (an email's local part); not the middle of an email address.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][\w.+-]*)")
EXCERPT = 160  # characters of the note quoted in the notification


def handle_of(token: str) -> str:
    """A mention's name as matched: "@Priya." -> "priya" (sentence punctuation dropped)."""
    return token.rstrip(".-+").casefold()


def handles(user: User) -> set[str]:
    """What a teammate answers to: their first name and their email's local part."""
    names = {user.email.split("@", 1)[0].casefold()}
    if user.name.strip():
        names.add(user.name.strip().split(" ")[0].casefold())
    return names


def mentioned(body: str, people: Sequence[User]) -> list[User]:
    """The people a note mentions, in the order they are first named (unknown names ignored)."""
    found: list[User] = []
    for match in MENTION.finditer(body):
        handle = handle_of(match.group(1))
        for person in people:
            if handle in handles(person) and person not in found:
                found.append(person)
    return found


def add_note(
    session: Session, *, conversation_id: int, body: str, author: Principal
) -> tuple[Note, list[User]]:
    """Add an internal note and notify the teammates it mentions (not the author); flushes."""
    body = (body or "").strip()
    if not body:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "body: write the note",
            details=[{"field": "body", "message": "required", "type": "missing"}],
        )
    conv = interaction_service.get_conversation(session, conversation_id=conversation_id)
    people = [p for p in mentioned(body, auth_service.staff(session)) if p.id != author.user_id]
    note = Note(
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        author_id=author.user_id,
        author_name=author.name,
        body=body,
        mentions=[p.id for p in people],
    )
    session.add(note)
    session.flush()
    where = conv.subject or f"conversation #{conv.id}"
    quote = body if len(body) <= EXCERPT else body[: EXCERPT - 1].rstrip() + "…"
    for person in people:
        notification_service.notify(
            session,
            user_id=person.id,
            kind=notification_service.MENTION,
            conversation_id=conv.id,
            text=f"{author.name} mentioned you on “{where}”: {quote}",
        )
    return note, people


def list_notes(session: Session, *, conversation_id: int) -> list[Note]:
    """A conversation's notes, oldest first."""
    return list(
        session.scalars(
            select(Note)
            .where(Note.conversation_id == conversation_id)
            .order_by(Note.created_at, Note.id)
        )
    )
