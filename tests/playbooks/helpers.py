"""Builders for playbook tests: customers, orders, complaints and surveys through the services."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.emotion.service import Reading
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn, SurveyIn
from heartline.mood import service as mood_service
from heartline.playbooks.models import AgentTask, OfferCode, OutboxMessage, PlaybookRun

# A weekday afternoon in UTC: outside default quiet hours for UTC customers.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
_seq = iter(range(1, 1_000_000))


def customer(
    db: Session,
    *,
    name: str = "Ada Lovelace",
    marketing: bool = True,
    email: str | None = "auto",
    **fields: Any,
) -> int:
    """A customer; email defaults to a unique address, consent to marketing on."""
    n = next(_seq)
    if email == "auto":
        email = f"c{n}@example.com"
    data = CustomerIn(
        external_id=f"pb-cust-{n}",
        name=name,
        email=email,
        consent={"marketing": marketing},
        **fields,
    )
    return customer_service.upsert_customer(db, data=data).obj.id


def order(
    db: Session,
    customer_id: int,
    *,
    placed: datetime,
    products: list[tuple[str, str]] | None = None,
    status: str = "delivered",
    delivered: datetime | None = None,
    promised: datetime | None = None,
) -> int:
    """An order with items (product, category); delivered two days after placing by default."""
    n = next(_seq)
    if delivered is None and status == "delivered":
        delivered = placed + timedelta(days=2)
    items = [{"product": p, "category": c} for p, c in (products or [("Coffee beans", "coffee")])]
    data = OrderIn(
        customer_id=customer_id,
        external_id=f"ORD-{n}",
        status=status,
        placed_at=placed,
        delivered_at=delivered,
        promised_at=promised,
        items=items,
    )
    return customer_service.upsert_order(db, data=data).obj.id


def monthly_orders(
    db: Session, customer_id: int, *, last: datetime, count: int = 4, gap_days: int = 30
) -> list[int]:
    """A regular buyer's orders, `gap_days` apart, the newest placed at `last`."""
    return [
        order(db, customer_id, placed=last - timedelta(days=gap_days * i))
        for i in reversed(range(count))
    ]


def feel(
    db: Session,
    customer_id: int,
    text: str,
    *,
    at: datetime,
    sentiment: str,
    valence: float,
    order_id: int | None = None,
    now: datetime = NOW,
) -> int:
    """An inbound message with a stored reading, remembered by the mood service (no model)."""
    order_ext = None
    if order_id is not None:
        order_ext = customer_service.get_order(db, order_id=order_id).external_id
    inter = interaction_service.ingest_interaction(
        db,
        data=InteractionIn(
            customer_id=customer_id,
            channel="email",
            text=text,
            occurred_at=at,
            order_external_id=order_ext,
        ),
    ).obj
    top = "frustration" if sentiment == "negative" else "joy"
    mood_service.store_reading(
        db,
        interaction=inter,
        reading=reading_of(
            sentiment=sentiment,
            valence=valence,
            top_emotion=top,
            intensity=abs(valence),
            confidence=0.9,
            cs_emotions={top: 0.9},
            labels=[top],
        ),
    )
    mood_service.remember_interaction(db, interaction_id=inter.id)
    mood_service.update_customer(db, customer_id=customer_id, now=now)
    return inter.id


def survey(db: Session, customer_id: int, *, kind: str, score: int, at: datetime = NOW) -> int:
    """A survey answer (no comment)."""
    result, _ = interaction_service.ingest_survey(
        db, data=SurveyIn(customer_id=customer_id, kind=kind, score=score, responded_at=at)
    )
    return result.obj.id


def outbox_for(db: Session, customer_id: int) -> list[OutboxMessage]:
    """A customer's outbox rows, oldest first."""
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.customer_id == customer_id)
            .order_by(OutboxMessage.id)
        )
    )


def runs_for(db: Session, customer_id: int, key: str | None = None) -> list[PlaybookRun]:
    """A customer's recorded runs (optionally of one playbook)."""
    stmt = select(PlaybookRun).where(PlaybookRun.customer_id == customer_id)
    if key:
        stmt = stmt.where(PlaybookRun.playbook_key == key)
    return list(db.scalars(stmt.order_by(PlaybookRun.id)))


def tasks_for(db: Session, customer_id: int) -> list[AgentTask]:
    """A customer's agent tasks."""
    return list(db.scalars(select(AgentTask).where(AgentTask.customer_id == customer_id)))


def offers_for(db: Session, customer_id: int) -> list[OfferCode]:
    """A customer's offer codes."""
    return list(db.scalars(select(OfferCode).where(OfferCode.customer_id == customer_id)))


def years_ago(d: datetime, years: int) -> datetime:
    """The same moment `years` earlier."""
    return d.replace(year=d.year - years)


def birthday_today(d: datetime = NOW) -> date:
    """A birthday that falls on d's date, 30 years back."""
    return date(d.year - 30, d.month, d.day)


def reading_of(**fields: Any) -> Reading:
    """A reading by the "test" model: neutral and sure of nothing, but for `fields`."""
    base = Reading(
        sentiment=None, sentiment_scores={}, mixed=False, emotions={}, labels=[],
        cs_emotions={}, top_emotion=None, sarcasm=0.0, intensity=0.0, confidence=0.0,
        valence=0.0, evidence=[], needs_review=False, review_reasons=[], language="en",
        model="test",
    )  # fmt: skip
    return dataclasses.replace(base, **fields)
