"""Read models the agent workspace needs that the domain services do not offer (yet).

Queries only. Kept here, in one place, so they can move into the owning domain's service
later without touching any page: conversation threads, the latest customer message per
conversation, the messages an agent answered, and queue names.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from heartline.enums import Direction
from heartline.interactions.models import Conversation, Interaction
from heartline.interactions.schemas import InteractionOut, ReadingOut
from heartline.mood import service as mood_service


def _out(session: Session, rows: Sequence[Interaction]) -> list[InteractionOut]:
    readings = mood_service.readings_for(session, interaction_ids=[r.id for r in rows])
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
    rows = list(
        session.scalars(
            select(Interaction)
            .where(Interaction.conversation_id == conversation_id)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return _out(session, rows)


def latest_inbound(
    session: Session, *, conversation_ids: Sequence[int]
) -> dict[int, InteractionOut]:
    """The latest customer message of each conversation, with its reading."""
    if not conversation_ids:
        return {}
    latest = (
        select(Interaction.conversation_id, func.max(Interaction.id).label("last_id"))
        .where(
            Interaction.conversation_id.in_(list(conversation_ids)),
            Interaction.direction == Direction.INBOUND.value,
        )
        .group_by(Interaction.conversation_id)
        .subquery()
    )
    rows = list(
        session.scalars(select(Interaction).join(latest, Interaction.id == latest.c.last_id))
    )
    return {o.conversation_id: o for o in _out(session, rows) if o.conversation_id is not None}


def agent_recent_feelings(
    session: Session, *, user_id: int, limit: int = 10
) -> list[InteractionOut]:
    """The last customer messages in conversations this agent answered or is assigned to."""
    reply = aliased(Interaction)
    answered = exists().where(
        reply.conversation_id == Interaction.conversation_id, reply.author_user_id == user_id
    )
    assigned = exists().where(
        Conversation.id == Interaction.conversation_id, Conversation.assignee_id == user_id
    )
    # Newest first with EXISTS probes: the database walks the time index and stops at `limit`.
    rows = list(
        session.scalars(
            select(Interaction)
            .where(Interaction.direction == Direction.INBOUND.value, or_(answered, assigned))
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )
    return _out(session, rows)


def queue_names(session: Session) -> list[str]:
    """Every queue that has conversations, alphabetically."""
    return sorted(q for q in session.scalars(select(Conversation.queue).distinct()) if q)


def conversation_counts(session: Session, *, status: str | None = "open") -> dict[str, int]:
    """Conversations per queue (open ones by default)."""
    stmt = select(Conversation.queue, func.count()).group_by(Conversation.queue)
    if status:
        stmt = stmt.where(Conversation.status == status)
    return {q: n for q, n in session.execute(stmt)}
