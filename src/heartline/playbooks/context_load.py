"""Loading CustomerContexts in bulk: the one adapter between playbooks and the domains they
read (customers and orders, conversations, mood state, churn risk, segments).

Everything comes through the owning domains' services as typed snapshots, a chunk of customers
at a time, so a scheduler pass over every customer costs a few queries per chunk.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.service import CustomerSnapshot, OrderSnapshot
from heartline.enums import OrderStatus
from heartline.interactions import service as interaction_service
from heartline.playbooks import mood_adapter
from heartline.playbooks.context import CustomerContext

# A "regular" buyer has at least this many orders with a typical gap of at most this many days.
REGULAR_MIN_ORDERS = 3
REGULAR_MAX_GAP_DAYS = 60
# Anniversaries count from this many days before the date ("this week") to this many days
# after it, so a missed scheduler day still sends it (the occasion key keeps it to once).
ANNIVERSARY_LEAD_DAYS = 3
ANNIVERSARY_GRACE_DAYS = 7
CHUNK = 2000

Lines = dict[int, list[tuple[str, str | None]]]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _same_day(year: int, d: date) -> date:
    try:
        return d.replace(year=year)
    except ValueError:  # 29 February outside a leap year: celebrate on the 28th
        return d.replace(year=year, day=28)


def _days_since_annual(today: date, d: date) -> int:
    this_year = _same_day(today.year, d)
    if this_year > today:
        this_year = _same_day(today.year - 1, d)
    return (today - this_year).days


def order_dict(o: OrderSnapshot, items: Lines) -> dict[str, Any]:
    """An order as templates see it (products, categories, late)."""
    lines = items.get(o.id, [])
    return {
        "id": o.id,
        "external_id": o.external_id,
        "placed_at": o.placed_at,
        "delivered_at": o.delivered_at,
        "status": o.status,
        "late": _late(o),
        "products": [p for p, _ in lines],
        "categories": sorted({c for _, c in lines if c}),
    }


def _late(o: OrderSnapshot) -> bool:
    if o.status == OrderStatus.DELAYED:
        return True
    return bool(o.promised_at and o.delivered_at and o.delivered_at > o.promised_at)


def order_items(session: Session, order_ids: Iterable[int]) -> Lines:
    """(product, category) lines per order id."""
    return customer_service.order_lines(session, order_ids=order_ids)


def all_customer_ids(session: Session) -> list[int]:
    """Every customer id, ascending (the scheduler's population)."""
    return customer_service.customer_ids(session)


def _fill_cadence(ctx: CustomerContext, orders: list[OrderSnapshot]) -> None:
    """Typical gap between orders, how overdue the next one is, and whether they buy regularly."""
    if len(orders) >= 2:
        gaps = [
            (b.placed_at - a.placed_at).total_seconds() / 86400
            for a, b in itertools.pairwise(orders)
        ]
        ctx.typical_gap_days = round(statistics.median(gaps), 1)
        if ctx.typical_gap_days > 0 and ctx.days_since_last_order is not None:
            ctx.overdue_ratio = round(ctx.days_since_last_order / ctx.typical_gap_days, 2)
    ctx.regular_buyer = (
        ctx.orders_count >= REGULAR_MIN_ORDERS
        and ctx.typical_gap_days is not None
        and ctx.typical_gap_days <= REGULAR_MAX_GAP_DAYS
    )


def _fill_orders(
    ctx: CustomerContext, orders: list[OrderSnapshot], now: datetime, items: Lines
) -> None:
    ctx.orders_count = len(orders)
    if not orders:
        return
    first, last = orders[0], orders[-1]
    ctx.days_since_first_order = (now - first.placed_at).days
    ctx.days_since_last_order = (now - last.placed_at).days
    ctx.last_order = order_dict(last, items)
    ctx.last_order_late = ctx.last_order["late"]
    _fill_cadence(ctx, orders)
    delivered = [o for o in orders if o.delivered_at is not None and o.delivered_at <= now]
    if delivered:
        d = max(delivered, key=lambda o: o.delivered_at or now)
        assert d.delivered_at is not None
        ctx.delivered_order_id = d.id
        ctx.days_since_delivery = (now - d.delivered_at).days
        ctx.delivered_order = order_dict(d, items)
        earlier = {p for o in orders if o.placed_at < d.placed_at for p, _ in items.get(o.id, [])}
        ctx.delivered_new_product = any(p not in earlier for p, _ in items.get(d.id, []))


def _fill_customer(row: CustomerSnapshot, now: datetime) -> CustomerContext:
    ctx = CustomerContext(
        now=now,
        customer_id=row.id,
        name=row.name or "",
        email=row.email,
        phone=row.phone,
        region=row.region,
        timezone=row.timezone or "UTC",
        locale=row.locale or "en",
        vip=bool(row.vip),
        tags=list(row.tags or []),
        interests=list(row.interests or []),
        consent_marketing=bool(row.consent_marketing),
        marketing_paused=row.marketing_paused_at is not None,
        marketing_pause_reason=row.marketing_pause_reason,
        channel_consent=dict(row.channel_consent or {}),
        preferred_channel=row.preferred_channel,
        account_owner_id=row.account_owner_id,
        has_birthday=row.birthday is not None,
    )
    today = now.astimezone(_zone(ctx.timezone)).date()
    if row.birthday is not None:
        ctx.days_since_birthday = _days_since_annual(today, row.birthday)
        upcoming = _same_day(today.year, row.birthday)
        if upcoming < today:
            upcoming = _same_day(today.year + 1, row.birthday)
        ctx.days_to_birthday = (upcoming - today).days
    return ctx


def _fill_tenure(ctx: CustomerContext, since: datetime | None, now: datetime) -> None:
    if since is None:
        return
    today = now.astimezone(_zone(ctx.timezone)).date()
    start = since.astimezone(_zone(ctx.timezone)).date()
    ctx.tenure_days = (today - start).days
    since_anniv = _days_since_annual(today, start)
    years = today.year - start.year - (1 if _same_day(today.year, start) > today else 0)
    if years >= 1 and since_anniv < ANNIVERSARY_GRACE_DAYS:
        ctx.anniversary_years = years
    else:
        ahead = _same_day(today.year, start)
        if ahead < today:
            ahead = _same_day(today.year + 1, start)
        if 0 < (ahead - today).days <= ANNIVERSARY_LEAD_DAYS:
            ctx.anniversary_years = ahead.year - start.year


class _Chunk:
    """Everything read for one chunk of customers, in a few bulk queries."""

    def __init__(self, session: Session, ids: list[int], now: datetime) -> None:
        self.rows = customer_service.customer_snapshots(session, ids=ids)
        self.orders: dict[int, list[OrderSnapshot]] = defaultdict(list)
        for order in customer_service.order_snapshots(session, customer_ids=ids):
            self.orders[order.customer_id].append(order)
        self.cats = customer_service.category_counts(session, customer_ids=ids)
        self.moods = mood_adapter.snapshots(session, customer_ids=ids, now=now)
        self.holds = mood_adapter.intent_holds(session, customer_ids=ids)
        self.languages = mood_adapter.latest_languages(session, customer_ids=ids)
        orders = self.orders.values()
        wanted = [os[-1].id for os in orders]
        wanted += [o.id for os in orders for o in os if o.delivered_at is not None]
        wanted += [
            int(m["last_negative"]["order_id"])
            for m in self.moods.values()
            if (m.get("last_negative") or {}).get("order_id")
        ]
        wanted += [o.id for os in orders for o in os[-3:]]
        self.items = order_items(session, wanted)
        # A customer's recent late orders (their last three): complaint candidates.
        late = [o.id for os in orders for o in os[-3:] if _late(o)]
        self.contacted = (
            interaction_service.inbound_order_ids(session, order_ids=late) if late else set()
        )
        self.tickets = interaction_service.open_conversation_counts(session, customer_ids=ids)

    def context(self, row: CustomerSnapshot, now: datetime) -> CustomerContext:
        """One customer's context from the chunk's readings."""
        ctx = _fill_customer(row, now)
        own = self.orders.get(row.id, [])
        _fill_orders(ctx, own, now, self.items)
        first_order_at = own[0].placed_at if own else None
        _fill_tenure(ctx, row.customer_since or first_order_at, now)
        counts = self.cats.get(row.id)
        if counts:
            ctx.categories = [c for c, _ in counts.most_common()]
            ctx.top_category = ctx.categories[0]
        ctx.interest_categories = list(
            dict.fromkeys([i.lower() for i in ctx.interests] + [c.lower() for c in ctx.categories])
        )
        mood_adapter.apply(ctx, self.moods.get(row.id), now)
        ctx.hold = self.holds.get(row.id)
        ctx.language = self.languages.get(row.id)
        ctx.hold_intent = ctx.hold["intent"] if ctx.hold else None
        ctx.open_tickets = self.tickets.get(row.id, 0)
        _link_issue_order(ctx, own, self.items)
        _find_delay(ctx, own, self.contacted, self.items)
        return ctx


def build_contexts(
    session: Session, *, customer_ids: Sequence[int], now: datetime
) -> Iterator[CustomerContext]:
    """Contexts for these customers (missing ids are skipped), in bulk queries per chunk."""
    session.flush()  # the bulk reads below go straight to the connection
    for start in range(0, len(customer_ids), CHUNK):
        chunk = _Chunk(session, list(customer_ids[start : start + CHUNK]), now)
        for row in chunk.rows:
            yield chunk.context(row, now)


def _find_delay(
    ctx: CustomerContext, orders: list[OrderSnapshot], contacted: set[int], items: Lines
) -> None:
    """The newest late order the customer complained or wrote about, if any.

    Reading the message is the emotion engine's job, but a customer who wrote to us about an
    order that came late had a delivery problem even when a sarcastic "great, another delay"
    reads as positive, so contact about a late order counts too."""
    issue_order = (ctx.last_issue or {}).get("order_id") if ctx.delivery_complaint else None
    for order in reversed(orders[-3:]):
        if order.id == issue_order or (order.id in contacted and _late(order)):
            ctx.delay_order = order_dict(order, items)
            ctx.delivery_complaint = True
            return
    if ctx.delivery_complaint:  # a delay complaint not linked to an order: the latest late one
        late = [o for o in orders[-3:] if _late(o)]
        if late:
            ctx.delay_order = order_dict(late[-1], items)


def _link_issue_order(ctx: CustomerContext, orders: list[OrderSnapshot], items: Lines) -> None:
    """Name the order and product of the last issue ("your order ORD-7, the trail boots")."""
    issue = ctx.last_issue
    if issue and issue.get("reason") == "delivery_delay":
        ctx.delivery_complaint = True
    if not issue or not issue.get("order_id"):
        return
    order = next((o for o in orders if o.id == issue["order_id"]), None)
    if order is None:
        return
    # The complaint classifier may miss "another delay..." in a follow-up; a complaint about a
    # late order is a delivery complaint either way.
    ctx.delivery_complaint = ctx.delivery_complaint or _late(order)
    issue["order"] = order.external_id or f"#{order.id}"
    lines = items.get(order.id)
    if lines and not issue.get("product"):
        issue["product"] = lines[0][0]
