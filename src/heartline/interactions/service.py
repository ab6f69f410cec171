"""INGEST: store interactions and surveys, thread them into conversations; no commits here."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.models import Customer
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
    customer = session.get(Customer, interaction.customer_id)
    if customer is not None and not customer.consent_emotion_analysis:
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
