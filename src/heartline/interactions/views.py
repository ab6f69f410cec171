"""Read models for interactions: lists and the merged customer timeline (queries only)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.schemas import OrderOut
from heartline.enums import ConversationStatus
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.interactions.schemas import InteractionOut, ReadingOut, SurveyOut, TimelineItem
from heartline.interactions.service import get_interaction
from heartline.mood import service as mood_service


def _with_readings(session: Session, rows: list[Interaction]) -> list[InteractionOut]:
    readings = mood_service.readings_for(session, interaction_ids=[r.id for r in rows])
    out = []
    for row in rows:
        item = InteractionOut.model_validate(row)
        reading = readings.get(row.id)
        if reading is not None:
            item.reading = ReadingOut.model_validate(reading)
        out.append(item)
    return out


def interaction_out(session: Session, *, interaction_id: int) -> InteractionOut:
    """One interaction with its reading, read fresh from the database."""
    session.expire_all()
    return _with_readings(session, [get_interaction(session, interaction_id=interaction_id)])[0]


def list_interactions(
    session: Session,
    *,
    customer_id: int | None = None,
    channel: str | None = None,
    needs_review: bool | None = None,
    language: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InteractionOut], int]:
    """Interactions newest first with readings, and the total matching."""
    stmt = select(Interaction)
    if customer_id is not None:
        stmt = stmt.where(Interaction.customer_id == customer_id)
    if channel is not None:
        stmt = stmt.where(Interaction.channel == channel)
    if needs_review is not None or language is not None:  # the reading's facts, asked of mood
        read = mood_service.interactions_with_reading(needs_review=needs_review, language=language)
        stmt = stmt.where(Interaction.id.in_(read))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        session.scalars(
            stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return _with_readings(session, rows), total


def timeline(
    session: Session, *, customer_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[TimelineItem], int]:
    """A customer's interactions, orders and surveys merged newest first, and the total.

    Each source is read newest first up to offset+limit rows and merged, so one page costs
    O(offset+limit) rows per source, not the customer's whole history.
    """
    window = offset + limit
    interactions = list(
        session.scalars(
            select(Interaction)
            .where(Interaction.customer_id == customer_id)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(window)
        )
    )
    orders, order_total = customer_service.orders_page(
        session, customer_id=customer_id, limit=window
    )
    surveys = list(
        session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.customer_id == customer_id)
            .order_by(SurveyResponse.responded_at.desc(), SurveyResponse.id.desc())
            .limit(window)
        )
    )
    items: list[TimelineItem] = []
    for out in _with_readings(session, interactions):
        items.append(TimelineItem(kind="interaction", at=out.occurred_at, interaction=out))
    for order in orders:
        items.append(
            TimelineItem(
                kind="order",
                at=order.placed_at,
                order=OrderOut.model_validate(order).model_dump(mode="json"),
            )
        )
    for survey in surveys:
        items.append(
            TimelineItem(
                kind="survey", at=survey.responded_at, survey=SurveyOut.model_validate(survey)
            )
        )
    items.sort(key=lambda i: i.at, reverse=True)
    total = order_total + sum(
        session.scalar(select(func.count()).where(col == customer_id)) or 0
        for col in (Interaction.customer_id, SurveyResponse.customer_id)
    )
    return items[offset:window], total


def list_conversations(
    session: Session,
    *,
    queue: str | None = None,
    status: ConversationStatus | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Conversation], int]:
    """Conversations, most urgent first: priority high to low, then the earliest SLA due."""
    stmt = select(Conversation)
    if queue is not None:
        stmt = stmt.where(Conversation.queue == queue)
    if status is not None:
        stmt = stmt.where(Conversation.status == status)
    if customer_id is not None:
        stmt = stmt.where(Conversation.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    # NULL SLA last on both databases: order by "is null" first.
    stmt = stmt.order_by(
        Conversation.priority.desc(),
        Conversation.sla_due_at.is_(None),
        Conversation.sla_due_at,
        Conversation.id,
    )
    return list(session.scalars(stmt.limit(limit).offset(offset))), total
