"""The interactions domain's surface: ingest (ingest.py), the readings other domains ask for
(reads.py), and conversation status, recovery and retention writes; no commits here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.enums import AnalysisStatus, ConversationStatus, Direction
from heartline.interactions.changes import (  # the live inbox's feed
    ChangedConversation,
    ChangedMessage,
    Changes,
    changes_since,
)
from heartline.interactions.ingest import (
    OPT_OUT_NOTE,
    goes_to_pipeline,
    ingest_interaction,
    ingest_survey,
)
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.interactions.reads import (  # the readings other domains ask for
    agent_inbound_messages,
    analyzable_ids,
    conversation_counts,
    conversation_days,
    conversation_ids_of,
    conversations_by_ids,
    expire_text,
    find_interaction,
    get_conversation,
    get_interaction,
    inbound_order_ids,
    interactions_by_ids,
    interactions_page,
    latest_inbound_messages,
    latest_survey_ids,
    list_conversations,
    message_days,
    open_conversation_counts,
    queue_load,
    queue_names,
    set_analysis_outcome,
    survey_answers,
    survey_customer_ids,
    survey_days,
    survey_ids_since,
    surveys_by_ids,
    surveys_page,
    thread_tail,
)
from heartline.interactions.schemas import InteractionIn, SurveyIn
from heartline.interactions.search import (  # one box over customers, orders and messages
    ConversationHit,
    CustomerHit,
    OrderHit,
    SearchFilters,
    SearchResults,
    search,
)
from heartline.interactions.search_request import (  # the API's and the page's parameters
    MOODS as SEARCH_MOODS,
)
from heartline.interactions.search_request import SearchParams, SearchRequest, parse_search
from heartline.interactions.snooze import PRESETS as SNOOZE_PRESETS
from heartline.interactions.snooze import is_snoozed, resolve_until, snooze, wake
from heartline.interactions.tags import (
    MAX_TAG,
    conversation_tags,
    normalise_tag,
    normalise_tags,
    replace_tags,
    tag_counts,
    tags_of,
)
from heartline.interactions.threads import (  # threading mail by the messages it answers
    THREAD_WINDOW,
    base_subject,
    conversation_answered,
    conversation_by_external_id,
    interaction_by_external_id,
    open_conversation_by_subject,
)
from heartline.schemas import UpsertResult

# An inbound message joins the customer's open conversation on the same channel if that
# conversation saw activity within this window; otherwise it opens a new ticket.
__all__ = [
    "MAX_TAG",
    "OPTED_OUT_NOTE",
    "OPT_OUT_NOTE",
    "SEARCH_MOODS",
    "SNOOZE_PRESETS",
    "THREAD_WINDOW",
    "ChangedConversation",
    "ChangedMessage",
    "Changes",
    "Conversation",
    "ConversationHit",
    "CustomerHit",
    "Interaction",
    "InteractionIn",
    "OrderHit",
    "SearchFilters",
    "SearchParams",
    "SearchRequest",
    "SearchResults",
    "SurveyIn",
    "SurveyResponse",
    "agent_inbound_messages",
    "analyzable_ids",
    "assign_if_unassigned",
    "base_subject",
    "blank_old_subjects",
    "changes_since",
    "conversation_answered",
    "conversation_by_external_id",
    "conversation_counts",
    "conversation_days",
    "conversation_ids_of",
    "conversation_interactions",
    "conversation_tags",
    "conversations_by_ids",
    "expire_text",
    "find_interaction",
    "get_conversation",
    "get_interaction",
    "inbound_order_ids",
    "ingest_interaction",
    "ingest_survey",
    "interaction_by_external_id",
    "interactions_by_ids",
    "interactions_page",
    "is_snoozed",
    "last_inbound_at",
    "latest_inbound_messages",
    "latest_survey_ids",
    "list_conversations",
    "mark_opted_out",
    "message_days",
    "needs_pipeline",
    "normalise_tag",
    "normalise_tags",
    "open_conversation_by_subject",
    "open_conversation_counts",
    "parse_search",
    "queue_load",
    "queue_names",
    "replace_tags",
    "resolve_until",
    "search",
    "set_analysis_outcome",
    "set_conversation_status",
    "snooze",
    "stuck_ids",
    "survey_answers",
    "survey_customer_ids",
    "survey_days",
    "survey_ids_since",
    "surveys_by_ids",
    "surveys_page",
    "tag_counts",
    "tags_of",
    "thread_tail",
    "wake",
]


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
        conv.snoozed_until = None  # done: nothing left to wake up for
    else:
        conv.resolved_at = None
    session.flush()
    return conv


def needs_pipeline(result: UpsertResult[Interaction]) -> bool:
    """Whether an upserted message goes (back) through the pipeline: it changed, or it was
    stored earlier and never scored (a crash or a dead queue after the commit)."""
    return goes_to_pipeline(result.status, result.obj.meta, result.obj.analysis_status)


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


def last_inbound_at(session: Session, *, customer_id: int, channel: str) -> datetime | None:
    """When the customer last wrote on this channel (WhatsApp's 24-hour window starts there);
    walks ix_interactions_customer_time backwards from the newest message."""
    return session.scalar(
        select(Interaction.occurred_at)
        .where(
            Interaction.customer_id == customer_id,
            Interaction.channel == channel,
            Interaction.direction == Direction.INBOUND.value,
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )


def assign_if_unassigned(session: Session, *, conversation_id: int, user_id: int) -> None:
    """Give a conversation to a person unless someone has it already."""
    conv = session.get(Conversation, conversation_id)
    if conv is not None and conv.assignee_id is None:
        conv.assignee_id = user_id
        session.flush()
