"""What the conversation page shows of the desk: internal notes placed among the messages in
time order (mentions in bold), and the canned replies the viewer may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.desk import service as desk_service


@dataclass(frozen=True)
class NoteView:
    """An internal note as the timeline shows it."""

    id: int
    author: str
    at: datetime
    body: Markup
    notified: list[str]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _body(text: str, handles: set[str]) -> Markup:
    """The note escaped, each @mention of a teammate in <strong class="mention">."""
    out, pos = [], 0
    for m in desk_service.MENTION.finditer(text):
        name = desk_service.handle_of(m.group(1))
        if name not in handles:
            continue
        end = m.start() + 1 + len(name)
        out += [escape(text[pos : m.start()])]
        out += [Markup('<strong class="mention">{}</strong>').format(text[m.start() : end])]
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def note_views(session: Session, *, conversation_id: int) -> list[NoteView]:
    """A conversation's notes, oldest first, ready for the timeline."""
    notes = desk_service.list_notes(session, conversation_id=conversation_id)
    if not notes:
        return []
    people = {u.id: u for u in auth_service.list_users(session)}
    views = []
    for n in notes:
        mentioned = [people[i] for i in n.mentions if i in people]
        handles = {h for p in mentioned for h in desk_service.handles(p)}
        views.append(
            NoteView(
                n.id,
                n.author_name or "A teammate",
                _utc(n.created_at),
                _body(n.body, handles),
                [p.name or p.email for p in mentioned],
            )
        )
    return views


def conversation_extras(
    session: Session, *, conversation_id: int, messages: list[Any], user_id: int | None
) -> dict[str, object]:
    """Notes placed before the first message that came after them (`notes_before`, by message
    id) or after the last one (`notes_after`), and the viewer's canned replies."""
    before: dict[int, list[NoteView]] = {}
    after: list[NoteView] = []
    times = [(_utc(m.occurred_at), m.id) for m in messages]
    for note in note_views(session, conversation_id=conversation_id):
        nxt = next((mid for at, mid in times if at > note.at), None)
        if nxt is None:
            after.append(note)
        else:
            before.setdefault(nxt, []).append(note)
    return {
        "notes_before": before,
        "notes_after": after,
        "macros": desk_service.list_macros(session, user_id=user_id),
    }
