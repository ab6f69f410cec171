"""INGEST: store interactions and surveys and thread messages into conversations (by the
customer's open conversation on the same channel within THREAD_WINDOW); no commits here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import AnalysisStatus, ConversationStatus, Direction
from heartline.errors import unknown_reference
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.interactions.schemas import InteractionIn, SurveyIn
from heartline.interactions.threads import (
    THREAD_WINDOW,
    ConvState,
    conversation_by_external_id,
    interaction_by_external_id,
)
from heartline.schemas import UpsertResult, apply_fields

OPT_OUT_NOTE = "customer opted out of emotion analysis"
AUTOMATED_NOTE = "automatic mail (auto-reply, bounce or list): not written by the customer"


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
        conv = conversation_by_external_id(session, external_id=external_id)
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
        subject=subject or headline(text),
        opened_at=at,
        last_activity_at=at,
    )
    session.add(conv)
    session.flush()
    return conv


def headline(text: str, limit: int = 80) -> str:
    """A new conversation's subject when the message has none: its first 80 characters."""
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
        existing = interaction_by_external_id(session, external_id=data.external_id)
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


def goes_to_pipeline(status: str, meta: dict[str, Any] | None, analysis_status: str) -> bool:
    """Whether an upserted message goes (back) through the pipeline: it changed, or it was
    stored earlier and never scored (a crash or a dead queue after the commit)."""
    if (meta or {}).get("automated"):
        return False  # an auto-reply or bounce: kept, never read, routed or answered
    return status != "unchanged" or analysis_status == AnalysisStatus.PENDING


def analysis_outcome(
    *, consented: bool, direction: str, meta: dict[str, Any] | None
) -> tuple[str, str | None]:
    """(analysis_status, analysis_note) for a new or re-written message: queued for scoring,
    or why it will never be scored (consent, direction, an automatic mail)."""
    if not consented:
        return AnalysisStatus.SKIPPED, OPT_OUT_NOTE
    if direction == Direction.OUTBOUND:
        # We analyse how customers feel, not our own agents' words.
        return AnalysisStatus.SKIPPED, "outbound message"
    if (meta or {}).get("automated"):
        # An auto-reply, bounce or list mail: no person's feeling to read.
        return AnalysisStatus.SKIPPED, AUTOMATED_NOTE
    return AnalysisStatus.PENDING, None


def _mark_for_analysis(session: Session, interaction: Interaction) -> None:
    """Queue for scoring, or record why it will never be scored (consent, direction)."""
    consented = customer_service.analysis_consented(session, customer_id=interaction.customer_id)
    interaction.analysis_status, interaction.analysis_note = analysis_outcome(
        consented=consented, direction=interaction.direction, meta=interaction.meta
    )


def _touch_conversation(conv: Conversation, interaction: Interaction) -> None:
    touch_conversation(
        conv,
        at=interaction.occurred_at,
        direction=interaction.direction,
        automated=bool((interaction.meta or {}).get("automated")),
    )


def touch_conversation(
    conv: Conversation | ConvState, *, at: datetime, direction: str, automated: bool
) -> None:
    """What a new message does to its conversation (the row path's ORM object, or the batch
    path's ConvState): activity, the customer's last word, reopening, snooze, first reply."""
    conv.last_activity_at = max(conv.last_activity_at or at, at)
    if automated:
        return  # an out-of-office reply neither reopens, wakes nor restarts a clock
    if direction == Direction.INBOUND:
        conv.last_inbound_at = at
        conv.snoozed_until = None  # the customer wrote again: a snooze ends at once
        if conv.status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED):
            conv.status = ConversationStatus.OPEN
            conv.resolved_at = None
    elif conv.first_response_at is None:
        conv.first_response_at = at


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
