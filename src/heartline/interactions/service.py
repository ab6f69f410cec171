"""INGEST: store interactions and surveys, thread them into conversations; no commits here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import AnalysisStatus, ConversationStatus, Direction
from heartline.errors import not_found, unknown_reference
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.interactions.schemas import InteractionIn, SurveyIn
from heartline.schemas import UpsertResult, apply_fields

# An inbound message joins the customer's open conversation on the same channel if that
# conversation saw activity within this window; otherwise it opens a new ticket.
THREAD_WINDOW = timedelta(days=7)
OPT_OUT_NOTE = "customer opted out of emotion analysis"


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


def _resolve_conversation(
    session: Session,
    *,
    customer_id: int,
    external_id: str | None,
    conversation_id: int | None,
    channel: str,
    subject: str,
    text: str,
    at: datetime,
    direction: str,
    prefix: str,
) -> Conversation | None:
    if conversation_id is not None:
        conv = session.get(Conversation, conversation_id)
        if conv is None or conv.customer_id != customer_id:
            raise unknown_reference(
                f"{prefix}conversation_id", conversation_id, "conversation of this customer"
            )
        return conv
    if external_id is not None:
        conv = session.scalar(select(Conversation).where(Conversation.external_id == external_id))
        if conv is not None:
            if conv.customer_id != customer_id:
                raise unknown_reference(
                    f"{prefix}conversation_external_id",
                    external_id,
                    "conversation of this customer",
                )
            return conv
    else:
        conv = session.scalar(
            select(Conversation)
            .where(
                Conversation.customer_id == customer_id,
                Conversation.channel == channel,
                Conversation.status.in_([ConversationStatus.OPEN, ConversationStatus.PENDING]),
                Conversation.last_activity_at >= at - THREAD_WINDOW,
            )
            .order_by(Conversation.last_activity_at.desc())
            .limit(1)
        )
        if conv is not None or direction == Direction.OUTBOUND:
            return conv
    conv = Conversation(
        external_id=external_id,
        customer_id=customer_id,
        channel=channel,
        subject=subject or _headline(text),
        opened_at=at,
        last_activity_at=at,
    )
    session.add(conv)
    session.flush()
    return conv


def _headline(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _order_id(session: Session, *, external_id: str | None, field: str) -> int | None:
    if external_id is None:
        return None
    found = customer_service.find_order_id(session, external_id=external_id)
    if found is None:
        raise unknown_reference(field, external_id, "order")
    return found


def ingest_interaction(
    session: Session, *, data: InteractionIn, field_prefix: str = ""
) -> UpsertResult[Interaction]:
    """Store a message (idempotent by external_id); it is then scored by the pipeline."""
    # Lookups below need no pending rows flushed first; flushing happens once, at the end.
    with session.no_autoflush:
        return _ingest_interaction(session, data=data, field_prefix=field_prefix)


def _ingest_interaction(
    session: Session, *, data: InteractionIn, field_prefix: str
) -> UpsertResult[Interaction]:
    customer_id = customer_service.resolve_customer_id(session, ref=data, field_prefix=field_prefix)
    occurred_at = data.occurred_at or utcnow()
    existing = None
    if data.external_id:
        existing = session.scalar(
            select(Interaction).where(Interaction.external_id == data.external_id)
        )
    conv = _resolve_conversation(
        session,
        customer_id=customer_id,
        external_id=data.conversation_external_id,
        conversation_id=data.conversation_id
        if existing is None
        else data.conversation_id or existing.conversation_id,
        channel=str(data.channel),
        subject=data.subject,
        text=data.text,
        at=occurred_at,
        direction=str(data.direction),
        prefix=field_prefix,
    )
    values = {
        "customer_id": customer_id,
        "conversation_id": conv.id if conv else None,
        "order_id": _order_id(
            session, external_id=data.order_external_id, field=f"{field_prefix}order_external_id"
        ),
        "channel": str(data.channel),
        "direction": str(data.direction),
        "author": data.author,
        "subject": data.subject,
        "text": data.text,
        "occurred_at": occurred_at,
        "meta": data.metadata,
    }
    if existing is not None:
        if data.occurred_at is None:
            values["occurred_at"] = existing.occurred_at
        old_text = existing.text
        changed = apply_fields(existing, values)
        if existing.text != old_text:
            _mark_for_analysis(session, existing)
        session.flush()
        return UpsertResult(existing, "updated" if changed else "unchanged")
    interaction = Interaction(external_id=data.external_id, **values)
    session.add(interaction)
    _mark_for_analysis(session, interaction)
    if conv is not None:
        _touch_conversation(conv, interaction)
    session.flush()
    return UpsertResult(interaction, "created")


def _mark_for_analysis(session: Session, interaction: Interaction) -> None:
    """Queue for scoring, or record why it will never be scored (consent, direction)."""
    if not customer_service.analysis_consented(session, customer_id=interaction.customer_id):
        interaction.analysis_status = AnalysisStatus.SKIPPED
        interaction.analysis_note = OPT_OUT_NOTE
    elif interaction.direction == Direction.OUTBOUND:
        # We analyse how customers feel, not our own agents' words.
        interaction.analysis_status = AnalysisStatus.SKIPPED
        interaction.analysis_note = "outbound message"
    else:
        interaction.analysis_status = AnalysisStatus.PENDING
        interaction.analysis_note = None


def _touch_conversation(conv: Conversation, interaction: Interaction) -> None:
    conv.last_activity_at = max(
        conv.last_activity_at or interaction.occurred_at, interaction.occurred_at
    )
    if interaction.direction == Direction.INBOUND:
        conv.last_inbound_at = interaction.occurred_at
        if conv.status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED):
            conv.status = ConversationStatus.OPEN
            conv.resolved_at = None
    elif conv.first_response_at is None:
        conv.first_response_at = interaction.occurred_at


def ingest_survey(
    session: Session, *, data: SurveyIn, field_prefix: str = ""
) -> tuple[UpsertResult[SurveyResponse], Interaction | None]:
    """Store a survey answer; its comment becomes an interaction (returned for scoring)."""
    customer_id = customer_service.resolve_customer_id(session, ref=data, field_prefix=field_prefix)
    responded_at = data.responded_at or utcnow()
    existing = None
    if data.external_id:
        existing = session.scalar(
            select(SurveyResponse).where(SurveyResponse.external_id == data.external_id)
        )
    comment: Interaction | None = None
    if data.comment:
        comment_result = ingest_interaction(
            session,
            data=InteractionIn(
                customer_id=customer_id,
                external_id=f"survey:{data.external_id}" if data.external_id else None,
                conversation_external_id=data.conversation_external_id,
                conversation_id=data.conversation_id,
                channel=data.channel,
                subject=f"{data.kind.value.upper()} survey comment",
                text=data.comment,
                occurred_at=responded_at,
                metadata={"survey_kind": str(data.kind), "survey_score": data.score},
            ),
            field_prefix=field_prefix,
        )
        comment = comment_result.obj
    values = {
        "customer_id": customer_id,
        "kind": str(data.kind),
        "score": data.score,
        "conversation_id": comment.conversation_id if comment else data.conversation_id,
        "order_id": _order_id(
            session, external_id=data.order_external_id, field=f"{field_prefix}order_external_id"
        ),
        "interaction_id": comment.id if comment else None,
        "responded_at": responded_at,
    }
    if existing is not None:
        if data.responded_at is None:
            values["responded_at"] = existing.responded_at
        changed = apply_fields(existing, values)
        session.flush()
        return UpsertResult(existing, "updated" if changed else "unchanged"), comment
    survey = SurveyResponse(external_id=data.external_id, **values)
    session.add(survey)
    session.flush()
    return UpsertResult(survey, "created"), comment


def set_conversation_status(
    session: Session,
    *,
    conversation_id: int,
    status: ConversationStatus,
    at: datetime | None = None,
) -> Conversation:
    """Open, park, resolve or close a ticket (`at` for imported history; default now)."""
    conv = get_conversation(session, conversation_id=conversation_id)
    conv.status = status
    if status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED):
        conv.resolved_at = conv.resolved_at or at or utcnow()
    else:
        conv.resolved_at = None
    session.flush()
    return conv


def needs_pipeline(result: UpsertResult[Interaction]) -> bool:
    """Whether an upserted message goes (back) through the pipeline: it changed, or it was
    stored earlier and never scored (a crash or a dead queue after the commit)."""
    return result.status != "unchanged" or result.obj.analysis_status == "pending"


def stuck_ids(
    session: Session, *, before: datetime, failed_before: datetime, limit: int, after_id: int = 0
) -> list[int]:
    """Messages the pipeline has not finished: still pending since `before`, or failed and
    untouched since `failed_before` (retried at that pace), by id from after `after_id`."""
    q = (
        select(Interaction.id)
        .where(Interaction.id > after_id)
        .where(
            (
                (Interaction.analysis_status == AnalysisStatus.PENDING.value)
                & (Interaction.created_at < before)
            )
            | (
                (Interaction.analysis_status == AnalysisStatus.FAILED.value)
                & (Interaction.updated_at < failed_before)
            )
        )
        .order_by(Interaction.id)
        .limit(limit)
    )
    return list(session.scalars(q))


def blank_old_subjects(session: Session, *, before: datetime) -> int:
    """Blank the subjects of conversations quiet since `before` (retention)."""
    res = session.execute(
        update(Conversation)
        .where(Conversation.last_activity_at < before, Conversation.subject != "")
        .values(subject="")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


OPTED_OUT_NOTE = "the customer opted out of emotion analysis"


def mark_opted_out(session: Session, *, customer_id: int) -> int:
    """Mark a customer's analysed messages as skipped, saying why (consent withdrawn)."""
    res = session.execute(
        update(Interaction)
        .where(
            Interaction.customer_id == customer_id,
            Interaction.analysis_status != AnalysisStatus.SKIPPED.value,
        )
        .values(analysis_status=AnalysisStatus.SKIPPED.value, analysis_note=OPTED_OUT_NOTE)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def conversation_interactions(session: Session, *, conversation_id: int) -> list[Interaction]:
    """Every message of a conversation, oldest first."""
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.conversation_id == conversation_id)
            .order_by(Interaction.occurred_at, Interaction.id)
        )
    )


def assign_if_unassigned(session: Session, *, conversation_id: int, user_id: int) -> None:
    """Give a conversation to a person unless someone has it already."""
    conv = session.get(Conversation, conversation_id)
    if conv is not None and conv.assignee_id is None:
        conv.assignee_id = user_id
        session.flush()


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
