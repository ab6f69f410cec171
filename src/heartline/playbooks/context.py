"""CustomerContext: everything a playbook may look at, with its field registry.

Conditions and templates only ever see a CustomerContext, so a change in another domain is
fixed where the context is loaded (`context_load`) and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
