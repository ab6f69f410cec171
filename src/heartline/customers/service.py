"""Customer and order services: plain functions, keyword-only, session passed in, no commits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from heartline.customers.models import Customer, Order, OrderItem
from heartline.customers.schemas import CustomerIn, CustomerRef, OrderIn
from heartline.db import utcnow
from heartline.enums import OrderStatus
from heartline.errors import not_found, unknown_reference
from heartline.schemas import UpsertResult, apply_fields


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


# --- bulk snapshots for playbooks (#11): customers and orders as plain typed rows ---


@dataclass(frozen=True, slots=True)
class CustomerSnapshot:
    """The customer columns a playbook's context is built from."""

    id: int
    name: str
    email: str | None
    phone: str | None
    region: str | None
    timezone: str
    locale: str
    vip: bool
    tags: list[str]
    interests: list[str]
    consent_marketing: bool
    marketing_paused_at: datetime | None
    marketing_pause_reason: str | None
    channel_consent: dict[str, bool]
    preferred_channel: str | None
    account_owner_id: int | None
    birthday: date | None
    customer_since: datetime | None


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order's state and dates (no items: see `order_lines`)."""

    id: int
    external_id: str | None
    customer_id: int
    status: str
    placed_at: datetime
    promised_at: datetime | None
    delivered_at: datetime | None


def _columns(model: Any, snapshot: Any) -> list[Any]:
    return [getattr(model, f.name) for f in fields(snapshot)]


def _id_filter(column: Any, ids: Sequence[int]) -> Any:
    # A range when the ids are dense (a scheduler chunk): a 2,000-item IN list costs more to
    # bind than the rows it saves; callers drop rows outside `ids`.
    lo, hi = min(ids), max(ids)
    return column.between(lo, hi) if hi - lo + 1 <= 2 * len(ids) else column.in_(list(ids))


def _core_rows(session: Session, stmt: Any) -> Any:
    return session.connection().execute(stmt)  # plain rows: no ORM loading machinery


def customer_snapshots(session: Session, *, ids: Sequence[int]) -> list[CustomerSnapshot]:
    """These customers (missing ids are skipped), by id."""
    if not ids:
        return []
    stmt = select(*_columns(Customer, CustomerSnapshot)).where(_id_filter(Customer.id, ids))
    rows, wanted = _core_rows(session, stmt.order_by(Customer.id)), set(ids)
    return [CustomerSnapshot(*r) for r in rows if r.id in wanted]


def order_snapshots(
    session: Session, *, customer_ids: Sequence[int] = (), ids: Sequence[int] = ()
) -> list[OrderSnapshot]:
    """Orders of these customers, or with these ids, oldest placed first (ties by id)."""
    if not customer_ids and not ids:
        return []
    where = _id_filter(Order.customer_id, customer_ids) if customer_ids else Order.id.in_(ids)
    stmt = select(*_columns(Order, OrderSnapshot)).where(where)
    rows = _core_rows(session, stmt.order_by(Order.placed_at, Order.id))
    wanted = set(customer_ids)
    return [OrderSnapshot(*r) for r in rows if not wanted or r.customer_id in wanted]


def category_counts(session: Session, *, customer_ids: Sequence[int]) -> dict[int, Counter[str]]:
    """How many order lines of each category each customer bought."""
    stmt = (
        select(Order.customer_id, OrderItem.category, func.count())
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(_id_filter(Order.customer_id, customer_ids), OrderItem.category.is_not(None))
        .group_by(Order.customer_id, OrderItem.category)
    )
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for cid, category, n in _core_rows(session, stmt) if customer_ids else []:
        out[cid][category] += n
    return out


def order_lines(
    session: Session, *, order_ids: Iterable[int]
) -> dict[int, list[tuple[str, str | None]]]:
    """(product, category) lines per order id, in the order they were added."""
    ids, out = sorted(set(order_ids)), defaultdict(list)
    wanted = set(ids)
    for start in range(0, len(ids), 5000):
        stmt = select(OrderItem.order_id, OrderItem.product, OrderItem.category)
        stmt = stmt.where(_id_filter(OrderItem.order_id, ids[start : start + 5000]))
        for oid, product, category in _core_rows(session, stmt.order_by(OrderItem.id)):
            if oid in wanted:
                out[oid].append((product, category))
    return out


def is_first_order(session: Session, *, order: OrderSnapshot) -> bool:
    """Whether the customer placed no other order before (or at the same time as) this one."""
    same = Order.customer_id == order.customer_id
    return not session.scalar(
        select(func.count()).where(same, Order.id != order.id, Order.placed_at <= order.placed_at)
    )


def order_ids_since(session: Session, *, since: datetime) -> list[int]:
    """Ids of orders placed since a time, oldest first."""
    stmt = select(Order.id).where(Order.placed_at >= since).order_by(Order.placed_at)
    return list(session.scalars(stmt))


def latest_order_ids(session: Session, *, customer_ids: Sequence[int]) -> dict[int, int]:
    """Each customer's newest order id, in one query: customers without one are absent."""
    if not customer_ids:
        return {}
    order = (Order.placed_at.desc(), Order.id.desc())
    rank = func.row_number().over(partition_by=Order.customer_id, order_by=order).label("rank")
    ranked = select(Order.customer_id, Order.id, rank)
    sub = ranked.where(Order.customer_id.in_(list(customer_ids))).subquery()
    rows = session.execute(select(sub.c.customer_id, sub.c.id).where(sub.c.rank == 1))
    return {int(cid): int(i) for cid, i in rows}


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


def order_spans(session: Session, *, as_of: datetime) -> list[tuple[int, datetime, datetime, int]]:
    """Per customer who ordered by `as_of` (cancelled orders aside): (customer id, first order
    time, last order time, orders)."""
    stmt = (
        select(
            Order.customer_id, func.min(Order.placed_at), func.max(Order.placed_at), func.count()
        )
        .where(Order.placed_at <= as_of, Order.status != OrderStatus.CANCELLED)
        .group_by(Order.customer_id)
    )
    return [(int(c), first, last, int(n)) for c, first, last, n in session.execute(stmt)]


def buyers_and_recent(session: Session, *, as_of: datetime, since: datetime) -> tuple[int, int]:
    """(customers who ordered by `as_of`, those of them whose last order is after `since`),
    counted in SQL; cancelled orders aside."""
    last = (
        select(func.max(Order.placed_at).label("last"))
        .where(Order.placed_at <= as_of, Order.status != OrderStatus.CANCELLED)
        .group_by(Order.customer_id)
        .subquery()
    )
    customers, recent = session.execute(
        select(func.count(), func.sum(case((last.c.last > since, 1), else_=0)))
    ).one()
    return int(customers or 0), int(recent or 0)


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
