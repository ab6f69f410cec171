"""Messages as people read them: each interaction with its reading, lists of them, and the
customer timeline (messages, orders and surveys merged). The messages, orders and surveys are
read through their own domains' services; the readings are this domain's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.schemas import OrderOut
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionOut, ReadingOut, SurveyOut, TimelineItem
from heartline.mood.readings import interactions_with_reading, readings_for


def with_readings(session: Session, rows: Sequence[Any]) -> list[InteractionOut]:
    """Interactions (rows of the interactions domain) as API items, each with its reading."""
    readings = readings_for(session, interaction_ids=[r.id for r in rows], explain=True)
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
    row = interaction_service.get_interaction(session, interaction_id=interaction_id)
    return with_readings(session, [row])[0]


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
    within = None
    if needs_review is not None or language is not None:
        within = interactions_with_reading(needs_review=needs_review, language=language)
    rows, total = interaction_service.interactions_page(
        session,
        customer_id=customer_id,
        channel=channel,
        within=within,
        limit=limit,
        offset=offset,
    )
    return with_readings(session, rows), total


def timeline(
    session: Session, *, customer_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[TimelineItem], int]:
    """A customer's interactions, orders and surveys merged newest first, and the total.

    Each source is read newest first up to offset+limit rows and merged, so one page costs
    O(offset+limit) rows per source, not the customer's whole history.
    """
    window = offset + limit
    messages, n_messages = interaction_service.interactions_page(
        session, customer_id=customer_id, limit=window
    )
    orders, n_orders = customer_service.orders_page(session, customer_id=customer_id, limit=window)
    surveys, n_surveys = interaction_service.surveys_page(
        session, customer_id=customer_id, limit=window
    )
    items: list[TimelineItem] = []
    for out in with_readings(session, messages):
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
    return items[offset:window], n_messages + n_orders + n_surveys
