"""Customer and order services: plain functions, keyword-only, session passed in, no commits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from heartline.customers.merge import MERGED_FROM, merge_profile
from heartline.customers.models import Customer, Order, OrderItem
from heartline.customers.refs import find_order_ids, resolve_customer_ids  # batched ingest
from heartline.customers.schemas import CustomerIn, CustomerRef, OrderIn
from heartline.customers.snapshots import (
    CustomerSnapshot,
    OrderSnapshot,
    buyers_and_recent,
    category_counts,
    customer_snapshots,
    is_first_order,
    latest_order_ids,
    order_ids_since,
    order_lines,
    order_snapshots,
    order_spans,
)
from heartline.db import utcnow
from heartline.errors import not_found, unknown_reference
from heartline.schemas import UpsertResult, apply_fields

__all__ = [
    "MERGED_FROM",
    "Customer",
    "CustomerIn",
    "CustomerRef",
    "CustomerSnapshot",
    "Order",
    "OrderIn",
    "OrderItem",
    "OrderSnapshot",
    "analysis_consented",
    "analysis_consents",
    "buyers_and_recent",
    "category_counts",
    "customer_for_address",
    "customer_for_phone",
    "customer_ids",
    "customer_ids_with_orders",
    "customer_orders",
    "customer_record",
    "customer_snapshots",
    "delete_customer_row",
    "find_customer",
    "find_customer_by_id",
    "find_order_id",
    "find_order_ids",
    "get_customer",
    "get_order",
    "has_customers",
    "is_first_order",
    "latest_order_ids",
    "list_customers",
    "list_customers_by_ids",
    "merge_profile",
    "order_ids_since",
    "order_lines",
    "order_snapshots",
    "order_spans",
    "orders_page",
    "pause_marketing",
    "resolve_customer_id",
    "resolve_customer_ids",
    "resume_marketing",
    "upsert_customer",
    "upsert_order",
]


def find_customer_by_id(session: Session, *, customer_id: int) -> Customer | None:
    """The customer with this id, if any (None where get_customer would raise)."""
    return session.get(Customer, customer_id)


def get_customer(session: Session, *, customer_id: int) -> Customer:
    """The customer, or a 404."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise not_found("customer", customer_id)
    return customer


def find_customer(session: Session, *, external_id: str) -> Customer | None:
    """The customer with this integrator id, if any."""
    return session.scalar(select(Customer).where(Customer.external_id == external_id))


def resolve_customer_id(session: Session, *, ref: CustomerRef, field_prefix: str = "") -> int:
    """Heartline's id for a reference by external_id or id; a 422 naming the field if unknown.

    The customer row is loaded into the session (so later `session.get` calls are free) and
    external ids are memoised per session: an import of 10,000 messages for 300 customers
    looks each customer up once, not 10,000 times.
    """
    if ref.customer_id is not None:
        if session.get(Customer, ref.customer_id) is None:
            raise unknown_reference(f"{field_prefix}customer_id", ref.customer_id, "customer")
        if ref.customer_external_id is None:
            return ref.customer_id
    assert ref.customer_external_id is not None
    # Holding the objects (the identity map only keeps weak references) keeps them loaded.
    memo: dict[str, Customer] = session.info.setdefault("customers_by_external_id", {})
    customer = memo.get(ref.customer_external_id)
    if customer is None or customer not in session:
        customer = find_customer(session, external_id=ref.customer_external_id)
        if customer is None:
            raise unknown_reference(
                f"{field_prefix}customer_external_id", ref.customer_external_id, "customer"
            )
        memo[ref.customer_external_id] = customer
    found = customer.id
    if ref.customer_id is not None and ref.customer_id != found:
        raise unknown_reference(
            f"{field_prefix}customer_id", ref.customer_id, "customer matching customer_external_id"
        )
    return found


def _customer_values(data: CustomerIn, *, partial: bool) -> dict[str, object]:
    fields = data.model_fields_set if partial else set(CustomerIn.model_fields)
    values: dict[str, object] = {}
    for name in fields - {"consent", "external_id"}:
        value = getattr(data, name)
        if name == "preferred_channel" and value is not None:
            value = str(value)
        if name in ("interests", "tags"):
            value = list(dict.fromkeys(value))  # de-duplicate, keep order
        values[name] = value
    consent = data.consent
    if consent is not None:
        if consent.emotion_analysis is not None:
            values["consent_emotion_analysis"] = consent.emotion_analysis
        if consent.marketing is not None:
            values["consent_marketing"] = consent.marketing
        if consent.channels is not None:
            values["channel_consent"] = {str(k): v for k, v in consent.channels.items()}
    return values


def upsert_customer(session: Session, *, data: CustomerIn) -> UpsertResult[Customer]:
    """Create a customer, or update the one with the same external_id (only fields sent)."""
    existing = find_customer(session, external_id=data.external_id) if data.external_id else None
    if existing is None:
        customer = Customer(external_id=data.external_id, **_customer_values(data, partial=False))
        session.add(customer)
        session.flush()
        return UpsertResult(customer, "created")
    changed = apply_fields(existing, _customer_values(data, partial=True))
    session.flush()
    return UpsertResult(existing, "updated" if changed else "unchanged")


def customer_for_address(session: Session, *, email: str, name: str = "") -> int:
    """The customer who writes from this email address (case ignored; the oldest if several
    share it), created with the name the mail gives when none does."""
    address = email.strip().lower()
    found = session.scalar(
        select(Customer.id).where(func.lower(Customer.email) == address).order_by(Customer.id)
    )
    if found is not None:
        return int(found)
    customer = Customer(
        **_customer_values(CustomerIn(name=name[:200] or address, email=address), partial=False)
    )
    session.add(customer)
    session.flush()
    return customer.id


def customer_for_phone(
    session: Session, *, phone: str, name: str = "", preferred_channel: str | None = None
) -> int:
    """The customer with this phone number (spaces, dashes, dots and brackets ignored, so
    '+44 20 7946-0000' is '442079460000'; the oldest if several share it), created with `name`
    when none has it."""
    digits = re.sub(r"\D", "", phone)
    if not digits:
        raise ValueError("a phone number needs digits")
    bare: Any = Customer.phone
    for sign in (" ", "-", "(", ")", "+", ".", "/"):
        bare = func.replace(bare, sign, "")
    found = session.scalar(select(Customer.id).where(bare == digits).order_by(Customer.id))
    if found is not None:
        return int(found)
    data = CustomerIn(name=name[:200] or f"+{digits}", phone=f"+{digits}")
    customer = Customer(**_customer_values(data, partial=False))
    if preferred_channel:
        customer.preferred_channel = preferred_channel
    session.add(customer)
    session.flush()
    return customer.id


def pause_marketing(
    session: Session, *, customer_id: int, reason: str, at: datetime | None = None
) -> bool:
    """Pause marketing to a customer (consent untouched); False if it was already paused.

    The first reason stays: a second request does not hide why marketing stopped."""
    customer = get_customer(session, customer_id=customer_id)
    if customer.marketing_paused_at is not None:
        return False
    customer.marketing_paused_at = at or utcnow()
    customer.marketing_pause_reason = reason[:300]
    session.flush()
    return True


def resume_marketing(session: Session, *, customer_id: int) -> bool:
    """Lift a marketing pause; False if marketing was not paused."""
    customer = get_customer(session, customer_id=customer_id)
    if customer.marketing_paused_at is None:
        return False
    customer.marketing_paused_at = None
    customer.marketing_pause_reason = None
    session.flush()
    return True


def list_customers(
    session: Session, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Customer], int]:
    """Customers matching a name/email/external-id search, newest first, with the total."""
    stmt = select(Customer)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Customer.name).like(like),
                func.lower(Customer.email).like(like),
                Customer.external_id == q,
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Customer.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def _order_values(data: OrderIn) -> dict[str, object]:
    return {
        "status": str(data.status),
        "placed_at": data.placed_at,
        "promised_at": data.promised_at,
        "delivered_at": data.delivered_at,
        "total": data.total,
        "currency": data.currency,
    }


def _item_tuples(items: Sequence[OrderItem]) -> list[tuple[object, ...]]:
    return [(i.product, i.category, i.sku, i.quantity, i.unit_price) for i in items]


def upsert_order(session: Session, *, data: OrderIn, field_prefix: str = "") -> UpsertResult[Order]:
    """Create an order, or update the one with the same external_id."""
    customer_id = resolve_customer_id(session, ref=data, field_prefix=field_prefix)
    items = [OrderItem(**item.model_dump()) for item in data.items]
    existing = None
    if data.external_id:
        existing = session.scalar(
            select(Order)
            .options(selectinload(Order.items))
            .where(Order.external_id == data.external_id)
        )
    if existing is None:
        order = Order(external_id=data.external_id, customer_id=customer_id, **_order_values(data))
        order.items = items
        session.add(order)
        session.flush()
        return UpsertResult(order, "created")
    values = {"customer_id": customer_id, **_order_values(data)}
    changed = apply_fields(existing, values)
    if "items" in data.model_fields_set and _item_tuples(existing.items) != _item_tuples(items):
        existing.items = items
        changed = True
    session.flush()
    return UpsertResult(existing, "updated" if changed else "unchanged")


def get_order(session: Session, *, order_id: int) -> Order:
    """The order, or a 404."""
    order = session.get(Order, order_id)
    if order is None:
        raise not_found("order", order_id)
    return order


def find_order_id(session: Session, *, external_id: str) -> int | None:
    """Heartline's id of the order with this integrator id."""
    return session.scalar(select(Order.id).where(Order.external_id == external_id))


def customer_orders(session: Session, *, customer_id: int, limit: int = 100) -> list[Order]:
    """A customer's orders, newest first, with their items."""
    stmt = (
        select(Order)
        .options(selectinload(Order.items))
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def list_customers_by_ids(session: Session, *, ids: set[int]) -> list[Customer]:
    """The customers with these ids (for labelling lists)."""
    if not ids:
        return []
    return list(session.scalars(select(Customer).where(Customer.id.in_(ids))))


# --- readings other domains ask for (#11): they call these instead of reading the tables -----


def customer_ids(session: Session) -> list[int]:
    """Every customer's id, ascending (nightly sweeps)."""
    return list(session.scalars(select(Customer.id).order_by(Customer.id)))


def customer_ids_with_orders(
    session: Session, *, order_ids: Sequence[int] | None = None
) -> set[int]:
    """Customers who placed an order (of these orders when given)."""
    stmt = select(Order.customer_id).distinct()
    if order_ids is not None:
        stmt = stmt.where(Order.id.in_(list(order_ids)))
    return set(session.scalars(stmt))


def orders_page(session: Session, *, customer_id: int, limit: int) -> tuple[list[Order], int]:
    """A customer's newest orders with their items (ties by id), and how many they have."""
    stmt = select(Order).where(Order.customer_id == customer_id)
    rows = session.scalars(
        stmt.options(selectinload(Order.items))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    )
    total = session.scalar(select(func.count()).where(Order.customer_id == customer_id)) or 0
    return list(rows), total


def customer_record(session: Session, *, customer_id: int) -> dict[str, Any]:
    """Every stored column of one customer, by name (a data export reads it)."""
    customer = get_customer(session, customer_id=customer_id)
    return {c.key: getattr(customer, c.key) for c in Customer.__mapper__.column_attrs}


def delete_customer_row(session: Session, *, customer_id: int) -> None:
    """Delete the customer row itself (erasure deletes every row about them first)."""
    session.execute(delete(Customer).where(Customer.id == customer_id))


def analysis_consented(session: Session, *, customer_id: int) -> bool:
    """Whether the customer allows emotion analysis of their words (unknown customer: True)."""
    consent = session.scalar(
        select(Customer.consent_emotion_analysis).where(Customer.id == customer_id)
    )
    return consent is None or bool(consent)


def analysis_consents(session: Session, *, customer_ids: Iterable[int]) -> dict[int, bool]:
    """Whether each of these customers allows emotion analysis, in one query (the score stage
    re-checks consent per batch); unknown ids are absent."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    stmt = select(Customer.id, Customer.consent_emotion_analysis).where(Customer.id.in_(ids))
    return {int(cid): bool(consent) for cid, consent in session.execute(stmt)}


def has_customers(session: Session) -> bool:
    """Whether any customer is stored (the demo loads only into an empty database)."""
    return session.scalar(select(Customer.id).limit(1)) is not None
