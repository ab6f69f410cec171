"""Read models of the agent workspace: conversation threads, the latest customer message per
conversation, the messages an agent answered, and queue names, each message with its reading.

The rows come from the interactions service, the readings from the mood service.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionOut, ReadingOut
from heartline.mood import service as mood_service


class _Message(Protocol):
    """A stored message as the interactions service returns it (its id is what we need)."""

    @property
    def id(self) -> int: ...


def _out(session: Session, rows: Sequence[_Message]) -> list[InteractionOut]:
    """The messages as API/page items, each with its reading (one query for all readings)."""
    readings = mood_service.readings_for(
        session, interaction_ids=[r.id for r in rows], explain=True
    )  # a person reads them: evidence scored in bulk is computed now (mood/readings.py)
    out = []
    for row in rows:
        item = InteractionOut.model_validate(row)
        if row.id in readings:
            item.reading = ReadingOut.model_validate(readings[row.id])
        out.append(item)
    return out


def conversation_messages(
    session: Session, *, conversation_id: int, limit: int = 200
) -> list[InteractionOut]:
    """A conversation's messages oldest first (the latest `limit`), with readings."""
    rows = interaction_service.thread_tail(session, conversation_id=conversation_id, limit=limit)
    return _out(session, rows)


def latest_inbound(
    session: Session, *, conversation_ids: Sequence[int]
) -> dict[int, InteractionOut]:
    """The latest customer message of each conversation, with its reading."""
    rows = interaction_service.latest_inbound_messages(session, conversation_ids=conversation_ids)
    return {o.conversation_id: o for o in _out(session, rows) if o.conversation_id is not None}


def agent_recent_feelings(
    session: Session, *, user_id: int, limit: int = 10
) -> list[InteractionOut]:
    """The last customer messages in conversations this agent answered or is assigned to."""
    rows = interaction_service.agent_inbound_messages(session, user_id=user_id, limit=limit)
    return _out(session, rows)


def queue_names(session: Session) -> list[str]:
    """Every queue that has conversations, alphabetically."""
    return interaction_service.queue_names(session)


def conversation_counts(session: Session, *, status: str | None = "open") -> dict[str, int]:
    """Conversations per queue (open ones by default)."""
    return interaction_service.conversation_counts(session, status=status)
