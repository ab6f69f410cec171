"""Presence's surface: record that a person views or replies to a conversation, read who else
is there, forget them when they leave. Rows expire on their own (TTL); no commits here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.presence.models import Presence

__all__ = ["TTL", "Here", "PresenceState", "clear", "here", "touch"]

# The page refreshes presence every 10 s while it is open; three missed beats mean gone.
TTL = timedelta(seconds=30)
# Rows this old are deleted on the next write (nobody reads them any more).
PRUNE_AFTER = timedelta(minutes=10)


class PresenceState(StrEnum):
    """What a person is doing on a conversation's page."""

    VIEWING = "viewing"
    REPLYING = "replying"


@dataclass(frozen=True)
class Here:
    """Someone on a conversation now."""

    user_id: int
    state: PresenceState
    seen_at: datetime


def touch(
    session: Session,
    *,
    conversation_id: int,
    user_id: int,
    state: PresenceState,
    now: datetime | None = None,
) -> None:
    """Say this person views or replies to the conversation as of now (upsert; flushes)."""
    now = now or utcnow()
    row = session.get(Presence, (conversation_id, user_id))
    if row is None:
        session.add(
            Presence(conversation_id=conversation_id, user_id=user_id, state=state, seen_at=now)
        )
    else:
        row.state, row.seen_at = state.value, now
    session.execute(
        delete(Presence)
        .where(Presence.seen_at < now - PRUNE_AFTER)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def clear(session: Session, *, conversation_id: int, user_id: int) -> None:
    """This person left the conversation's page (or sent their reply)."""
    session.execute(
        delete(Presence)
        .where(Presence.conversation_id == conversation_id, Presence.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def here(
    session: Session,
    *,
    conversation_id: int,
    exclude_user_id: int | None = None,
    now: datetime | None = None,
) -> list[Here]:
    """Who is on the conversation now (seen within TTL), replying first, then by how recent."""
    stmt = select(Presence.user_id, Presence.state, Presence.seen_at).where(
        Presence.conversation_id == conversation_id,
        Presence.seen_at >= (now or utcnow()) - TTL,
    )
    if exclude_user_id is not None:
        stmt = stmt.where(Presence.user_id != exclude_user_id)
    rows = [Here(int(u), PresenceState(s), at) for u, s, at in session.execute(stmt)]
    return sorted(rows, key=lambda h: (h.state != PresenceState.REPLYING, -h.seen_at.timestamp()))
