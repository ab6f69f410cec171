"""CustomerContext: everything a playbook may look at, built in bulk for many customers.

This is the one adapter between playbooks and the other domains (customers, orders, surveys,
mood state, churn risk, segments). Conditions and templates only ever see a CustomerContext,
so a change in another domain is fixed here and nowhere else.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers.models import Customer, Order, OrderItem
from heartline.playbooks import mood_adapter

# A "regular" buyer has at least this many orders with a typical gap of at most this many days.
REGULAR_MIN_ORDERS = 3
REGULAR_MAX_GAP_DAYS = 60
# Anniversaries count from this many days before the date ("this week") to this many days
# after it, so a missed scheduler day still sends it (the occasion key keeps it to once).
ANNIVERSARY_LEAD_DAYS = 3
ANNIVERSARY_GRACE_DAYS = 7
CHUNK = 2000

# Helpful, not pushy: one tip per purchase category for the welcome message.
TIPS: dict[str, str] = {
    "hiking": "Break in new boots on a few short walks before a long trail.",
    "outdoor": "Re-proof waterproof layers every season to keep them breathable.",
    "camping": "Pitch a new tent once at home so the first night out is easy.",
    "coffee": "Grind right before brewing; beans keep best in an airtight jar.",
    "kitchen": "Hand-wash and dry knives straight away to keep the edge.",
    "electronics": "Install updates on first start: they often add features.",
    "books": "Our reading guides are free on the website.",
    "apparel": "Wash cold and hang dry to keep colours and fit.",
    "beauty": "Patch-test new skincare on a small area first.",
    "home": "Keep the receipt card: it covers our two-year guarantee.",
}
DEFAULT_TIP = "Reply to this message any time: a person reads every answer."

# field -> description: conditions may only name these (validated on save).
CONTEXT_FIELDS: dict[str, str] = {
    "customer_id": "Heartline id",
    "name": "full name",
    "first_name": "first word of the name",
    "email": "email address",
    "phone": "phone number",
    "region": "region code",
    "timezone": "IANA zone",
    "locale": "the customer's locale (e.g. de-DE)",
    "language": "language of the customer's latest message (ISO 639-1, e.g. de)",
    "vip": "VIP flag",
    "tags": "tags",
    "interests": "interests",
    "consent_marketing": "marketing opt-in",
    "marketing_paused": "marketing paused (a privacy request waiting for an admin)",
    "hold_intent": "churn_threat or privacy_request in an unresolved conversation, else null",
    "preferred_channel": "preferred channel",
    "has_birthday": "birthday known",
    "days_since_birthday": "0 on the local birthday",
    "days_to_birthday": "days until the next local birthday (0 on the day)",
    "tenure_days": "days since customer_since (or first order)",
    "anniversary_years": "N on the N-year anniversary week, else null",
    "orders_count": "orders placed",
    "days_since_last_order": "days since the newest order",
    "days_since_first_order": "days since the first order",
    "typical_gap_days": "median days between orders",
    "regular_buyer": "buys regularly",
    "overdue_ratio": "days since last order / typical gap",
    "top_category": "most bought category",
    "categories": "categories bought",
    "interest_categories": "interests + bought categories",
    "delivered_order_id": "newest delivered order",
    "days_since_delivery": "days since it arrived",
    "delivered_new_product": "that order had a product never bought before",
    "last_order_late": "newest order was late",
    "mood_label": "current mood label",
    "valence": "current valence -1..1",
    "churn_risk": "0..1",
    "segments": "segment keys",
    "recently_frustrated": "negative recently",
    "open_complaint": "unresolved complaint",
    "last_issue_reason": "reason of the last negative episode",
    "last_issue_resolved": "that episode was resolved",
    "days_since_issue": "days since it",
    "delivery_complaint": "a delivery-delay complaint, or the customer wrote about a late order",
    "open_tickets": "open or pending conversations",
    "event": "trigger event name",
    "event_is_first_order": "the event order is the first",
    "event_survey_kind": "csat | nps | ces",
    "event_survey_score": "survey score",
    "event_detractor": "NPS 0-6 or CSAT 1-2",
    "event_promoter": "NPS 9-10 or CSAT 5",
    "event_conversation_status": "status of the conversation event (resolved, ...)",
    "event_age_days": "days since the event happened (a replayed backlog is old)",
}


@dataclass
class CustomerContext:
    """A customer's state as playbooks see it (flat fields for conditions, dicts for text)."""

    customer_id: int
    name: str
    email: str | None = None
    phone: str | None = None
    region: str | None = None
    timezone: str = "UTC"
    locale: str = "en"
    language: str | None = None  # of the latest message the customer wrote
    vip: bool = False
    tags: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    consent_marketing: bool = False
    marketing_paused: bool = False
    marketing_pause_reason: str | None = None
    # A churn threat or privacy request in a conversation still open: no marketing until a
    # person resolves it. `hold` carries when and where, for the guardrail's reason.
    hold_intent: str | None = None
    hold: dict[str, Any] | None = None
    channel_consent: dict[str, bool] = field(default_factory=dict)
    preferred_channel: str | None = None
    account_owner_id: int | None = None
    has_birthday: bool = False
    days_since_birthday: int | None = None
    days_to_birthday: int | None = None
    tenure_days: int | None = None
    anniversary_years: int | None = None
    orders_count: int = 0
    days_since_last_order: int | None = None
    days_since_first_order: int | None = None
    typical_gap_days: float | None = None
    regular_buyer: bool = False
    overdue_ratio: float | None = None
    top_category: str | None = None
    categories: list[str] = field(default_factory=list)
    interest_categories: list[str] = field(default_factory=list)
    delivered_order_id: int | None = None
    days_since_delivery: int | None = None
    delivered_new_product: bool = False
    last_order_late: bool = False
    mood_label: str = "unknown"
    valence: float = 0.0
    churn_risk: float = 0.0
    churn_reasons: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    recently_frustrated: bool = False
    open_complaint: bool = False
    last_issue_reason: str | None = None
    last_issue_resolved: bool | None = None
    days_since_issue: int | None = None
    delivery_complaint: bool = False
    open_tickets: int = 0
    event: str = "schedule"
    event_ref: str | None = None
    event_is_first_order: bool = False
    event_survey_kind: str | None = None
    event_survey_score: int | None = None
    event_detractor: bool = False
    event_promoter: bool = False
    event_conversation_status: str | None = None
    event_age_days: int | None = None
    # Rich objects for templates only.
    last_issue: dict[str, Any] | None = None
    last_order: dict[str, Any] | None = None
    delivered_order: dict[str, Any] | None = None
    event_order: dict[str, Any] | None = None
    # The late order a delivery complaint is about (templates: "your order X had a delay").
    delay_order: dict[str, Any] | None = None
    tips: list[str] = field(default_factory=list)
    now: datetime | None = None

    @property
    def first_name(self) -> str:
        """The first word of the name, or 'there' ("Hi there")."""
        return self.name.split()[0] if self.name.strip() else "there"

    def get(self, name: str) -> Any:
        """A condition field's value."""
        return self.first_name if name == "first_name" else getattr(self, name)

    def template_vars(self, now: datetime) -> dict[str, Any]:
        """The variables a message template sees."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data.update(
            first_name=self.first_name,
            now=now,
            customer={
                "id": self.customer_id,
                "name": self.name,
                "first_name": self.first_name,
                "email": self.email,
                "phone": self.phone,
                "region": self.region,
                "vip": self.vip,
                "interests": self.interests,
            },
            issue=self.last_issue,
            order=self.event_order or self.last_order,
            product=_first_product(self.event_order or self.delivered_order or self.last_order),
            years=self.anniversary_years,
        )
        return data


def _first_product(order: dict[str, Any] | None) -> str | None:
    if not order or not order.get("products"):
        return None
    return str(order["products"][0])


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


def order_dict(o: Any, items: dict[int, list[tuple[str, str | None]]]) -> dict[str, Any]:
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


def _late(o: Any) -> bool:
    if o.status == "delayed":
        return True
    return bool(o.promised_at and o.delivered_at and o.delivered_at > o.promised_at)


def id_filter(column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`, or a range when the ids are dense (a scheduler chunk): a 2,000-item
    IN list costs more to bind than the rows it saves; callers drop rows outside `ids`."""
    lo, hi = min(ids), max(ids)
    if hi - lo + 1 <= 2 * len(ids):
        return column.between(lo, hi)
    return column.in_(list(ids))


def _rows(session: Session, stmt: Any) -> list[Any]:
    # Core execution: plain column rows need none of the ORM's loading machinery.
    return list(session.connection().execute(stmt).all())


def _customer_rows(session: Session, ids: Sequence[int]) -> list[Any]:
    cols = (
        Customer.id,
        Customer.name,
        Customer.email,
        Customer.phone,
        Customer.region,
        Customer.timezone,
        Customer.locale,
        Customer.vip,
        Customer.tags,
        Customer.interests,
        Customer.consent_marketing,
        Customer.marketing_paused_at,
        Customer.marketing_pause_reason,
        Customer.channel_consent,
        Customer.preferred_channel,
        Customer.account_owner_id,
        Customer.birthday,
        Customer.customer_since,
    )
    wanted = set(ids)
    stmt = select(*cols).where(id_filter(Customer.id, ids)).order_by(Customer.id)
    return [r for r in _rows(session, stmt) if r.id in wanted]


def _orders_by_customer(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    cols = (
        Order.id,
        Order.external_id,
        Order.customer_id,
        Order.status,
        Order.placed_at,
        Order.promised_at,
        Order.delivered_at,
    )
    out: dict[int, list[Any]] = defaultdict(list)
    stmt = (
        select(*cols).where(id_filter(Order.customer_id, ids)).order_by(Order.placed_at, Order.id)
    )
    for row in _rows(session, stmt):
        out[row.customer_id].append(row)
    return out


def _category_counts(session: Session, ids: Sequence[int]) -> dict[int, Counter[str]]:
    stmt = (
        select(Order.customer_id, OrderItem.category, func.count())
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(id_filter(Order.customer_id, ids), OrderItem.category.is_not(None))
        .group_by(Order.customer_id, OrderItem.category)
    )
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for cid, category, n in _rows(session, stmt):
        out[cid][category] += n
    return out


def _contacted_late(session: Session, late_ids: list[int]) -> set[int]:
    """Late orders the customer wrote to us about (an inbound message linked to the order)."""
    from heartline.interactions.models import Interaction

    found: set[int] = set()
    for start in range(0, len(late_ids), 2000):
        stmt = (
            select(Interaction.order_id)
            .where(
                Interaction.order_id.in_(late_ids[start : start + 2000]),
                Interaction.direction == "inbound",
            )
            .distinct()
        )
        found.update(oid for (oid,) in _rows(session, stmt))
    return found


def _open_tickets(session: Session, ids: Sequence[int]) -> dict[int, int]:
    from heartline.interactions.models import Conversation

    stmt = (
        select(Conversation.customer_id, func.count())
        .where(
            id_filter(Conversation.customer_id, ids), Conversation.status.in_(("open", "pending"))
        )
        .group_by(Conversation.customer_id)
    )
    return {cid: int(n) for cid, n in _rows(session, stmt)}


def order_items(
    session: Session, order_ids: Iterable[int]
) -> dict[int, list[tuple[str, str | None]]]:
    """(product, category) lines per order id."""
    ids = sorted(set(order_ids))
    wanted = set(ids)
    out: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        stmt = (
            select(OrderItem.order_id, OrderItem.product, OrderItem.category)
            .where(id_filter(OrderItem.order_id, ids[start : start + 5000]))
            .order_by(OrderItem.id)
        )
        for oid, product, category in _rows(session, stmt):
            if oid in wanted:
                out[oid].append((product, category))
    return out


def _fill_orders(
    ctx: CustomerContext,
    orders: list[Any],
    now: datetime,
    items: dict[int, list[tuple[str, str | None]]],
) -> None:
    ctx.orders_count = len(orders)
    if not orders:
        return
    first, last = orders[0], orders[-1]
    ctx.days_since_first_order = (now - first.placed_at).days
    ctx.days_since_last_order = (now - last.placed_at).days
    ctx.last_order = order_dict(last, items)
    ctx.last_order_late = ctx.last_order["late"]
    if len(orders) >= 2:
        gaps = [
            (b.placed_at - a.placed_at).total_seconds() / 86400
            for a, b in itertools.pairwise(orders)
        ]
        ctx.typical_gap_days = round(statistics.median(gaps), 1)
        if ctx.typical_gap_days > 0:
            ctx.overdue_ratio = round(ctx.days_since_last_order / ctx.typical_gap_days, 2)
    ctx.regular_buyer = (
        ctx.orders_count >= REGULAR_MIN_ORDERS
        and ctx.typical_gap_days is not None
        and ctx.typical_gap_days <= REGULAR_MAX_GAP_DAYS
    )
    delivered = [o for o in orders if o.delivered_at is not None and o.delivered_at <= now]
    if delivered:
        d = max(delivered, key=lambda o: o.delivered_at)
        ctx.delivered_order_id = d.id
        ctx.days_since_delivery = (now - d.delivered_at).days
        ctx.delivered_order = order_dict(d, items)
        earlier = {p for o in orders if o.placed_at < d.placed_at for p, _ in items.get(o.id, [])}
        ctx.delivered_new_product = any(p not in earlier for p, _ in items.get(d.id, []))


def _fill_customer(row: Any, now: datetime) -> CustomerContext:
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


def build_contexts(
    session: Session, *, customer_ids: Sequence[int], now: datetime
) -> Iterator[CustomerContext]:
    """Contexts for these customers (missing ids are skipped), in bulk queries per chunk."""
    session.flush()  # the bulk reads below go straight to the connection
    for start in range(0, len(customer_ids), CHUNK):
        ids = list(customer_ids[start : start + CHUNK])
        rows = _customer_rows(session, ids)
        orders = _orders_by_customer(session, ids)
        cats = _category_counts(session, ids)
        moods = mood_adapter.snapshots(session, customer_ids=ids, now=now)
        holds = mood_adapter.intent_holds(session, customer_ids=ids)
        languages = mood_adapter.latest_languages(session, customer_ids=ids)
        wanted = [os[-1].id for os in orders.values()]
        wanted += [o.id for os in orders.values() for o in os if o.delivered_at is not None]
        wanted += [
            int(m["last_negative"]["order_id"])
            for m in moods.values()
            if (m.get("last_negative") or {}).get("order_id")
        ]
        wanted += [o.id for os in orders.values() for o in os[-3:]]
        items = order_items(session, wanted)
        # A customer's recent late orders (their last three): complaint candidates.
        late = [o.id for os in orders.values() for o in os[-3:] if _late(o)]
        contacted = _contacted_late(session, late) if late else set()
        tickets = _open_tickets(session, ids)
        for row in rows:
            ctx = _fill_customer(row, now)
            own = orders.get(row.id, [])
            _fill_orders(ctx, own, now, items)
            first_order_at = own[0].placed_at if own else None
            _fill_tenure(ctx, row.customer_since or first_order_at, now)
            counts = cats.get(row.id)
            if counts:
                ctx.categories = [c for c, _ in counts.most_common()]
                ctx.top_category = ctx.categories[0]
            ctx.interest_categories = list(
                dict.fromkeys(
                    [i.lower() for i in ctx.interests] + [c.lower() for c in ctx.categories]
                )
            )
            mood_adapter.apply(ctx, moods.get(row.id), now)
            ctx.hold = holds.get(row.id)
            ctx.language = languages.get(row.id)
            ctx.hold_intent = ctx.hold["intent"] if ctx.hold else None
            ctx.open_tickets = tickets.get(row.id, 0)
            _link_issue_order(ctx, own, items)
            _find_delay(ctx, own, contacted, items)
            yield ctx


def _find_delay(
    ctx: CustomerContext,
    orders: list[Any],
    contacted: set[int],
    items: dict[int, list[tuple[str, str | None]]],
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


def _link_issue_order(
    ctx: CustomerContext, orders: list[Any], items: dict[int, list[tuple[str, str | None]]]
) -> None:
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


def all_customer_ids(session: Session) -> list[int]:
    """Every customer id, ascending (the scheduler's population)."""
    return list(session.scalars(select(Customer.id).order_by(Customer.id)))


def tips_for(categories: Iterable[str]) -> list[str]:
    """Welcome tips for what was bought (one per known category, else a default)."""
    tips = [TIPS[c.lower()] for c in categories if c and c.lower() in TIPS]
    return list(dict.fromkeys(tips)) or [DEFAULT_TIP]


def with_event(
    ctx: CustomerContext, event: str, ref: str | None, payload: dict[str, Any]
) -> CustomerContext:
    """The context with the triggering event's fields filled in."""
    ctx.event, ctx.event_ref = event, ref
    if "order" in payload:
        ctx.event_order = payload["order"]
        ctx.event_is_first_order = bool(payload.get("is_first_order"))
        ctx.tips = tips_for(payload["order"].get("categories", []))
    if "survey_kind" in payload:
        kind, score = payload["survey_kind"], int(payload["survey_score"])
        ctx.event_survey_kind, ctx.event_survey_score = kind, score
        ctx.event_detractor = (kind == "nps" and score <= 6) or (kind == "csat" and score <= 2)
        ctx.event_promoter = (kind == "nps" and score >= 9) or (kind == "csat" and score == 5)
    if payload.get("at") is not None and ctx.now is not None:
        ctx.event_age_days = (ctx.now - payload["at"]).days
    if "conversation_status" in payload:
        ctx.event_conversation_status = payload["conversation_status"]
    return ctx


def days_between(a: datetime, b: datetime) -> int:
    """Whole days from a to b."""
    return (b - a) // timedelta(days=1)
