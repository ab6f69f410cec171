"""Reads of messages, surveys and conversations that other domains ask for (mood, playbooks,
metrics, privacy, the agent workspace): set-wise, one query per chunk, no commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.enums import AnalysisStatus, ConversationStatus, Direction
from heartline.errors import not_found
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.interactions.snooze import snoozed_filter
from heartline.interactions.tags import tagged

__all__ = [
    "agent_inbound_messages",
    "analyzable_ids",
    "conversation_counts",
    "conversation_days",
    "conversation_ids_of",
    "conversations_by_ids",
    "expire_text",
    "find_interaction",
    "get_conversation",
    "get_interaction",
    "inbound_order_ids",
    "interactions_by_ids",
    "interactions_page",
    "latest_inbound_messages",
    "latest_survey_ids",
    "list_conversations",
    "message_days",
    "open_conversation_counts",
    "queue_load",
    "queue_names",
    "set_analysis_outcome",
    "survey_answers",
    "survey_customer_ids",
    "survey_days",
    "survey_ids_since",
    "surveys_by_ids",
    "surveys_page",
    "thread_tail",
]


def get_interaction(session: Session, *, interaction_id: int) -> Interaction:
    """The interaction, or a 404."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise not_found("interaction", interaction_id)
    return interaction


def get_conversation(session: Session, *, conversation_id: int) -> Conversation:
    """The conversation, or a 404."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise not_found("conversation", conversation_id)
    return conversation


# --- readings other domains ask for (#11): they call these instead of reading the tables -----


def find_interaction(session: Session, *, interaction_id: int) -> Interaction | None:
    """The interaction, or None when it is gone (pipeline stages skip it quietly)."""
    return session.get(Interaction, interaction_id)


def interactions_by_ids(session: Session, *, ids: Sequence[int]) -> dict[int, Interaction]:
    """Interactions keyed by id (missing ids are simply absent)."""
    rows = session.scalars(select(Interaction).where(Interaction.id.in_(list(ids))))
    return {r.id: r for r in rows} if ids else {}


def conversation_ids_of(
    session: Session, *, interaction_ids: Sequence[int]
) -> dict[int, int | None]:
    """The conversation of each interaction (None for a message outside any conversation)."""
    ids, out = list(dict.fromkeys(interaction_ids)), {}
    for start in range(0, len(ids), 5000):  # bounded IN lists on both databases
        stmt = select(Interaction.id, Interaction.conversation_id)
        rows = session.execute(stmt.where(Interaction.id.in_(ids[start : start + 5000])))
        out.update({int(i): c for i, c in rows})
    return out


def conversations_by_ids(session: Session, *, ids: Sequence[int]) -> list[Conversation]:
    """The conversations with these ids."""
    stmt = select(Conversation).where(Conversation.id.in_(list(ids)))
    return list(session.scalars(stmt)) if ids else []


def survey_answers(session: Session, *, customer_id: int) -> list[SurveyResponse]:
    """A customer's survey answers, oldest first."""
    stmt = select(SurveyResponse).where(SurveyResponse.customer_id == customer_id)
    return list(session.scalars(stmt.order_by(SurveyResponse.responded_at, SurveyResponse.id)))


def survey_customer_ids(session: Session, *, survey_ids: Sequence[int]) -> set[int]:
    """The customers who gave these survey answers."""
    stmt = select(SurveyResponse.customer_id).where(SurveyResponse.id.in_(list(survey_ids)))
    return set(session.scalars(stmt)) if survey_ids else set()


def analyzable_ids(
    session: Session, *, since: datetime | None, after_id: int, limit: int, exclude: Any = None
) -> list[int]:
    """Inbound messages not skipped for analysis, by id after `after_id` (a re-score's next
    batch); `exclude` is a select of interaction ids to leave out (readings that are current)."""
    stmt = select(Interaction.id).where(
        Interaction.direction == Direction.INBOUND.value,
        Interaction.analysis_status != AnalysisStatus.SKIPPED.value,
        Interaction.id > after_id,
    )
    if since is not None:
        stmt = stmt.where(Interaction.occurred_at >= since)
    if exclude is not None:
        stmt = stmt.where(Interaction.id.not_in(exclude))
    return list(session.scalars(stmt.order_by(Interaction.id).limit(limit)))


def surveys_by_ids(session: Session, *, ids: Sequence[int]) -> list[SurveyResponse]:
    """The survey answers with these ids."""
    stmt = select(SurveyResponse).where(SurveyResponse.id.in_(list(ids)))
    return list(session.scalars(stmt)) if ids else []


def survey_ids_since(session: Session, *, since: datetime) -> list[int]:
    """Ids of survey answers given since a time, oldest first."""
    stmt = select(SurveyResponse.id).where(SurveyResponse.responded_at >= since)
    return list(session.scalars(stmt.order_by(SurveyResponse.responded_at)))


def latest_survey_ids(session: Session, *, customer_ids: Sequence[int]) -> dict[int, int]:
    """Each customer's newest survey answer id, in one query: customers without one are absent."""
    if not customer_ids:
        return {}
    order = (SurveyResponse.responded_at.desc(), SurveyResponse.id.desc())
    rank = func.row_number().over(partition_by=SurveyResponse.customer_id, order_by=order)
    ranked = select(SurveyResponse.customer_id, SurveyResponse.id, rank.label("rank"))
    sub = ranked.where(SurveyResponse.customer_id.in_(list(customer_ids))).subquery()
    rows = session.execute(select(sub.c.customer_id, sub.c.id).where(sub.c.rank == 1))
    return {int(cid): int(i) for cid, i in rows}


def inbound_order_ids(session: Session, *, order_ids: Sequence[int]) -> set[int]:
    """Those orders a customer wrote to us about (an inbound message linked to the order)."""
    ids, found = list(order_ids), set[int]()
    for start in range(0, len(ids), 2000):
        stmt = select(Interaction.order_id).where(
            Interaction.order_id.in_(ids[start : start + 2000]),
            Interaction.direction == Direction.INBOUND,
        )
        found.update(session.scalars(stmt.distinct()))
    return found


def open_conversation_counts(session: Session, *, customer_ids: Sequence[int]) -> dict[int, int]:
    """Open or pending conversations per customer (customers without one are absent)."""
    active = (ConversationStatus.OPEN, ConversationStatus.PENDING)
    stmt = select(Conversation.customer_id, func.count()).where(
        Conversation.customer_id.in_(list(customer_ids)), Conversation.status.in_(active)
    )
    return {cid: int(n) for cid, n in session.execute(stmt.group_by(Conversation.customer_id))}


def message_days(session: Session, *, interaction_ids: Sequence[int]) -> set[date]:
    """The UTC days these messages were written."""
    stmt = select(Interaction.occurred_at).where(Interaction.id.in_(list(interaction_ids)))
    return {at.date() for at in session.scalars(stmt)} if interaction_ids else set()


def conversation_days(session: Session, *, conversation_ids: Sequence[int]) -> set[date]:
    """The UTC days of every message in these conversations."""
    if not conversation_ids:
        return set()
    stmt = select(Interaction.occurred_at).where(
        Interaction.conversation_id.in_(list(conversation_ids))
    )
    return {at.date() for at in session.scalars(stmt.distinct())}


def survey_days(session: Session, *, survey_ids: Sequence[int]) -> set[date]:
    """The UTC days these survey answers were given."""
    stmt = select(SurveyResponse.responded_at).where(SurveyResponse.id.in_(list(survey_ids)))
    return {at.date() for at in session.scalars(stmt)} if survey_ids else set()


def expire_text(session: Session, *, before: datetime, now: datetime, blank: str) -> list[int]:
    """Replace the text and subject of messages written before `before` with `blank`
    (retention); returns the ids of the messages blanked now."""
    due = (Interaction.occurred_at < before, Interaction.text_expired_at.is_(None))
    expiring = list(session.scalars(select(Interaction.id).where(*due)))
    if expiring:
        session.execute(
            update(Interaction)
            .where(*due)
            .values(text=blank, subject="", text_expired_at=now)
            .execution_options(synchronize_session=False)
        )
    return expiring


def set_analysis_outcome(
    interactions: Sequence[Interaction], *, status: AnalysisStatus, note: str | None = None
) -> None:
    """Record the score stage's outcome on these messages (the caller's session flushes it)."""
    for interaction in interactions:
        interaction.analysis_status = status
        interaction.analysis_note = note


# --- the agent workspace's reads (assist): threads, the latest customer messages, queues ---


def thread_tail(session: Session, *, conversation_id: int, limit: int) -> list[Interaction]:
    """A conversation's latest `limit` messages, oldest first."""
    rows = list(
        session.scalars(
            select(Interaction)
            .where(Interaction.conversation_id == conversation_id)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return rows


def latest_inbound_messages(
    session: Session, *, conversation_ids: Sequence[int]
) -> list[Interaction]:
    """The latest customer message of each of these conversations, in one query."""
    if not conversation_ids:
        return []
    latest = (
        select(Interaction.conversation_id, func.max(Interaction.id).label("last_id"))
        .where(
            Interaction.conversation_id.in_(list(conversation_ids)),
            Interaction.direction == Direction.INBOUND.value,
        )
        .group_by(Interaction.conversation_id)
        .subquery()
    )
    return list(
        session.scalars(select(Interaction).join(latest, Interaction.id == latest.c.last_id))
    )


def agent_inbound_messages(session: Session, *, user_id: int, limit: int) -> list[Interaction]:
    """The newest customer messages in conversations this person answered or is assigned to."""
    from sqlalchemy import exists, or_
    from sqlalchemy.orm import aliased

    reply = aliased(Interaction)
    answered = exists().where(
        reply.conversation_id == Interaction.conversation_id, reply.author_user_id == user_id
    )
    assigned = exists().where(
        Conversation.id == Interaction.conversation_id, Conversation.assignee_id == user_id
    )
    # Newest first with EXISTS probes: the database walks the time index and stops at `limit`.
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.direction == Direction.INBOUND.value, or_(answered, assigned))
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )


def queue_names(session: Session) -> list[str]:
    """Every queue that has conversations, alphabetically."""
    return sorted(q for q in session.scalars(select(Conversation.queue).distinct()) if q)


def conversation_counts(session: Session, *, status: str | None = "open") -> dict[str, int]:
    """Conversations per queue (with this status; every status for None)."""
    stmt = select(Conversation.queue, func.count()).group_by(Conversation.queue)
    if status:
        stmt = stmt.where(Conversation.status == status)
    return {q: n for q, n in session.execute(stmt)}


def queue_load(session: Session, *, now: datetime) -> list[tuple[int | None, str, int, int, int]]:
    """(team id, queue, open or pending conversations, past their SLA at `now`, urgent) per
    team and queue."""
    from sqlalchemy import case

    active = (ConversationStatus.OPEN.value, ConversationStatus.PENDING.value)
    stmt = (
        select(
            Conversation.team_id,
            Conversation.queue,
            func.count(),
            func.sum(case((Conversation.sla_due_at < now, 1), else_=0)),
            func.sum(case((Conversation.priority >= 3, 1), else_=0)),
        )
        .where(Conversation.status.in_(active))
        .group_by(Conversation.team_id, Conversation.queue)
    )
    return [(t, q, int(n), int(o or 0), int(u or 0)) for t, q, n, o, u in session.execute(stmt)]


def interactions_page(
    session: Session,
    *,
    customer_id: int | None = None,
    channel: str | None = None,
    within: Any = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Interaction], int]:
    """Interactions newest first, and the total matching; `within` is a select of interaction
    ids to keep (e.g. mood.service.interactions_with_reading)."""
    stmt = select(Interaction)
    if customer_id is not None:
        stmt = stmt.where(Interaction.customer_id == customer_id)
    if channel is not None:
        stmt = stmt.where(Interaction.channel == channel)
    if within is not None:
        stmt = stmt.where(Interaction.id.in_(within))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def surveys_page(
    session: Session, *, customer_id: int, limit: int
) -> tuple[list[SurveyResponse], int]:
    """A customer's newest survey answers, and how many they gave."""
    stmt = select(SurveyResponse).where(SurveyResponse.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(SurveyResponse.responded_at.desc(), SurveyResponse.id.desc())
    return list(session.scalars(stmt.limit(limit))), total


def list_conversations(
    session: Session,
    *,
    queue: str | None = None,
    status: ConversationStatus | None = None,
    customer_id: int | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    tag: str | None = None,
    snoozed: bool | None = None,
    sla_due_before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Conversation], int]:
    """Conversations, most urgent first: priority high to low, then the earliest SLA due.
    `assignee_id` keeps one person's, `unassigned` those nobody has; `tag` those carrying
    it; `snoozed` True the ones asleep now, False the awake ones (None: both)."""
    stmt = select(Conversation)
    if tag is not None:
        stmt = stmt.where(tagged(tag))
    if snoozed is not None:
        stmt = stmt.where(snoozed_filter(utcnow(), asleep=snoozed))
    if assignee_id is not None:
        stmt = stmt.where(Conversation.assignee_id == assignee_id)
    if unassigned:
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if queue is not None:
        stmt = stmt.where(Conversation.queue == queue)
    if status is not None:
        stmt = stmt.where(Conversation.status == status)
    if customer_id is not None:
        stmt = stmt.where(Conversation.customer_id == customer_id)
    if sla_due_before is not None:  # SLA at risk: a running clock due before then (or overdue)
        stmt = stmt.where(Conversation.sla_due_at < sla_due_before)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    # NULL SLA last on both databases: order by "is null" first.
    stmt = stmt.order_by(
        Conversation.priority.desc(),
        Conversation.sla_due_at.is_(None),
        Conversation.sla_due_at,
        Conversation.id,
    )
    return list(session.scalars(stmt.limit(limit).offset(offset))), total
