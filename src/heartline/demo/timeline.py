"""A customer's planned history: orders, conversations, messages and surveys, as payload dicts.

The timeline only records; `scenario.py` (simulated customers) and `heroes.py` (scripted stories)
decide what happens, from the scenes in `scenes.py`. Nothing after `now` is kept, so a reply
that would land in the future simply has not happened yet and its conversation stays open.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from heartline.demo import catalog, language
from heartline.demo.people import AGENTS, Profile, external_id


@dataclass
class OrderRef:
    """What messages need to know about an order."""

    number: str
    product: str
    placed_at: datetime
    promised_at: datetime
    delivered_at: datetime | None
    outcome: str


@dataclass
class CustomerPlan:
    """Everything the demo will write for one customer, in time order."""

    profile: Profile
    customer: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    closings: list[tuple[str, str, datetime]]
    churned: bool
    churn_after: datetime | None
    bad_experiences: int
    story: str | None = None

    def texts(self) -> list[str]:
        """Every message text of this customer (messages and survey comments)."""
        out = []
        for kind, payload in self.events:
            text = payload.get("text") or payload.get("comment")
            if text:
                out.append(f"{kind}:{text}")
        return out


@dataclass
class Timeline:
    """Collects one customer's events; times beyond `now` are dropped."""

    rng: random.Random
    profile: Profile
    now: datetime
    _events: list[tuple[datetime, int, str, dict[str, Any]]] = field(default_factory=list)
    closings: list[tuple[str, str, datetime]] = field(default_factory=list)
    orders: list[OrderRef] = field(default_factory=list)
    _n_conv: int = 0
    _n_msg: int = 0
    _n_survey: int = 0

    @property
    def cust(self) -> str:
        """The customer's external id."""
        return external_id(self.profile.index)

    def _add(self, at: datetime, kind: str, payload: dict[str, Any]) -> bool:
        if at > self.now - timedelta(minutes=5):
            return False
        self._events.append((at, len(self._events), kind, payload))
        return True

    def slots(self, order: OrderRef | None = None, agent: str = "") -> dict[str, Any]:
        """Template slots for messages about an order."""
        rng = self.rng
        ref = order or (self.orders[-1] if self.orders else None)
        weekday = language.WEEKDAYS[(ref.promised_at if ref else self.now).weekday()]
        late = (ref.delivered_at or self.now) - ref.promised_at if ref else timedelta(days=3)
        return {
            "order": f"#{ref.number}" if ref else "my last order",
            "product": ref.product if ref else "order",
            "weekday": weekday,
            "days": max(2, late.days or rng.randint(2, 6)),
            "agent": agent.split()[0] if agent else "",
            "first": self.profile.first,
        }

    def order(
        self,
        placed: datetime,
        *,
        outcome: str = "ok",
        items: list[dict[str, Any]] | None = None,
        late_days: float | None = None,
    ) -> OrderRef:
        """Plan an order; outcome is ok, delayed, damaged, wrong_item, quality or cancelled."""
        rng = self.rng
        items = items or catalog.pick_items(rng, self.profile.categories)
        number = catalog.order_number(self.profile.index, len(self.orders))
        promised = placed + timedelta(days=rng.randint(3, 6))
        delivered: datetime | None = promised - timedelta(hours=rng.uniform(2, 40))
        status = "delivered"
        if outcome == "delayed":
            delivered = promised + timedelta(days=late_days or rng.uniform(2, 12))
        if outcome == "cancelled":
            delivered, status = None, "cancelled"
        elif delivered is not None and delivered > self.now:
            status, delivered = ("delayed" if outcome == "delayed" else "shipped"), None
        elif outcome in ("damaged", "wrong_item") or (outcome == "quality" and rng.random() < 0.5):
            status = "returned"
        total = sum((Decimal(i["unit_price"]) * i["quantity"] for i in items), Decimal("0"))
        ref = OrderRef(number, str(items[0]["product"]), placed, promised, delivered, outcome)
        self._add(
            placed,
            "order",
            {
                "customer_external_id": self.cust,
                "external_id": number,
                "status": status,
                "placed_at": placed,
                "promised_at": promised,
                "delivered_at": delivered,
                "total": total,
                "currency": "USD",
                "items": items,
            },
        )
        self.orders.append(ref)
        return ref

    def conversation(self) -> str:
        """A new conversation id for this customer."""
        self._n_conv += 1
        return f"demo-t{self.profile.index:06d}-{self._n_conv:03d}"

    def message(
        self,
        at: datetime,
        conv: str | None,
        text: str,
        *,
        channel: str,
        intent: str,
        outbound: bool = False,
        order: OrderRef | None = None,
        subject: str = "",
        agent: str = "",
        meta: dict[str, Any] | None = None,
    ) -> bool:
        """Plan one message (InteractionIn-shaped); False if it would be in the future."""
        self._n_msg += 1
        payload: dict[str, Any] = {
            "customer_external_id": self.cust,
            "external_id": f"demo-m{self.profile.index:06d}-{self._n_msg:04d}",
            "conversation_external_id": conv,
            "channel": channel,
            "direction": "outbound" if outbound else "inbound",
            "author": agent if outbound else self.profile.name,
            "subject": subject,
            "text": text,
            "occurred_at": at,
            "metadata": {"demo_intent": intent, **(meta or {})},
        }
        if order is not None:
            payload["order_external_id"] = order.number
        return self._add(at, "message", payload)

    def survey(
        self,
        at: datetime,
        kind: str,
        score: int,
        *,
        comment: str | None = None,
        conv: str | None = None,
        order: OrderRef | None = None,
    ) -> bool:
        """Plan a survey answer (SurveyIn-shaped)."""
        self._n_survey += 1
        payload: dict[str, Any] = {
            "customer_external_id": self.cust,
            "external_id": f"demo-s{self.profile.index:06d}-{self._n_survey:03d}",
            "kind": kind,
            "score": score,
            "comment": comment,
            "responded_at": at,
            "conversation_external_id": conv,
        }
        if order is not None:
            payload["order_external_id"] = order.number
        return self._add(at, "survey", payload)

    def close(self, conv: str, status: str, at: datetime) -> None:
        """Set a conversation's final status (if that moment is in the past)."""
        if at <= self.now - timedelta(minutes=5):
            self.closings.append((conv, status, at))

    def agent(self, senior: bool = False) -> str:
        """A name of an agent to sign a reply."""
        pool = [a for a in AGENTS if (a.team == "Senior care") == senior] or AGENTS
        return self.rng.choice(pool).name

    def plan(
        self,
        customer: dict[str, Any],
        *,
        churned: bool,
        churn_after: datetime | None,
        bad: int,
        story: str | None = None,
    ) -> CustomerPlan:
        """The finished plan, events in time order."""
        events = [
            (kind, payload) for _, _, kind, payload in sorted(self._events, key=lambda e: e[:2])
        ]
        attrs = customer["attributes"]
        attrs.update(
            {
                "demo_churned": churned,
                "demo_churn_after": churn_after.date().isoformat() if churn_after else None,
                "demo_cadence": self.profile.cadence,
                "demo_bad_experiences": bad,
            }
        )
        if story:
            attrs["demo_story"] = story
        return CustomerPlan(
            self.profile, customer, events, self.closings, churned, churn_after, bad, story
        )
