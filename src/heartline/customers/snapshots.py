"""Customers and orders as plain typed rows, read in bulk for other domains (playbooks decide
over thousands of customers; the dashboards count order cohorts): one query per chunk, no ORM
loading."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from heartline.customers.models import Customer, Order, OrderItem
from heartline.db import id_filter
from heartline.enums import OrderStatus

__all__ = [
    "CustomerSnapshot", "OrderSnapshot", "buyers_and_recent", "category_counts",
    "customer_snapshots", "is_first_order", "latest_order_ids", "order_ids_since",
    "order_lines", "order_snapshots", "order_spans",
]  # fmt: skip


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


def _core_rows(session: Session, stmt: Any) -> Any:
    return session.connection().execute(stmt)  # plain rows: no ORM loading machinery


def customer_snapshots(session: Session, *, ids: Sequence[int]) -> list[CustomerSnapshot]:
    """These customers (missing ids are skipped), by id."""
    if not ids:
        return []
    stmt = select(*_columns(Customer, CustomerSnapshot)).where(id_filter(Customer.id, ids))
    rows, wanted = _core_rows(session, stmt.order_by(Customer.id)), set(ids)
    return [CustomerSnapshot(*r) for r in rows if r.id in wanted]


def order_snapshots(
    session: Session, *, customer_ids: Sequence[int] = (), ids: Sequence[int] = ()
) -> list[OrderSnapshot]:
    """Orders of these customers, or with these ids, oldest placed first (ties by id)."""
    if not customer_ids and not ids:
        return []
    where = id_filter(Order.customer_id, customer_ids) if customer_ids else Order.id.in_(ids)
    stmt = select(*_columns(Order, OrderSnapshot)).where(where)
    rows = _core_rows(session, stmt.order_by(Order.placed_at, Order.id))
    wanted = set(customer_ids)
    return [OrderSnapshot(*r) for r in rows if not wanted or r.customer_id in wanted]


def category_counts(session: Session, *, customer_ids: Sequence[int]) -> dict[int, Counter[str]]:
    """How many order lines of each category each customer bought."""
    stmt = (
        select(Order.customer_id, OrderItem.category, func.count())
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(id_filter(Order.customer_id, customer_ids), OrderItem.category.is_not(None))
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
        stmt = stmt.where(id_filter(OrderItem.order_id, ids[start : start + 5000]))
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
