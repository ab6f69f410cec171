"""Pure generation (no database): the whole demo plan, and cheap streams for benchmarks.

Every random choice comes from `random.Random` instances seeded from the seed and the customer's
slot, so the same seed gives the same people, orders and words, and customer k is the same in a
40-customer build as in a 300-customer one. Dates are relative to `now`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from heartline.demo import catalog, language
from heartline.demo.heroes import hero_plans
from heartline.demo.people import (
    CHANNEL_WEIGHTS,
    FIRST_NAMES,
    customer_payload,
    external_id,
    make_profile,
    weighted,
)
from heartline.demo.scenario import WINDOW_DAYS, choose_since, simulate
from heartline.demo.timeline import CustomerPlan


def default_now() -> datetime:
    """The latest 12:00 UTC not after the wall clock: fresh data every day, identical for every
    build that day, and never a message from the future (before noon it is yesterday noon)."""
    wall = datetime.now(UTC)
    noon = datetime.combine(wall.date(), time(12), tzinfo=UTC)
    return noon if noon <= wall else noon - timedelta(days=1)


def _rng(seed: int, index: int) -> random.Random:
    # String seeds are hashed with SHA-512 by `random`, independent of PYTHONHASHSEED.
    return random.Random(f"heartline-demo:{seed}:{index}")


@dataclass
class DemoPlan:
    """Everything a demo build writes, customer by customer."""

    seed: int
    now: datetime
    customers: list[CustomerPlan]

    def count(self, kind: str) -> int:
        """How many events of a kind (order, message, survey) the plan holds."""
        return sum(1 for c in self.customers for k, _ in c.events if k == kind)

    @property
    def interaction_count(self) -> int:
        """Messages plus survey comments (each comment is stored as an interaction)."""
        comments = sum(
            1 for c in self.customers for k, p in c.events if k == "survey" and p["comment"]
        )
        return self.count("message") + comments


def build_plan(*, seed: int = 7, customers: int = 300, now: datetime | None = None) -> DemoPlan:
    """The full demo plan: scripted stories first, then simulated customers."""
    now = now or default_now()
    used: set[str] = set()
    plans = hero_plans(lambda i: _rng(seed, i), now, used, customers)
    for index in range(len(plans), customers):
        rng = _rng(seed, index)
        plans.append(simulate(rng, make_profile(rng, index, used), now))
    return DemoPlan(seed, now, plans)


def jsonable(value: Any) -> Any:
    """Dates as ISO strings and decimals as strings, recursively (JSON-ready payloads)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def generate_customers(
    n: int, seed: int = 7, *, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """N CustomerIn-shaped, JSON-ready dicts (external ids demo-c000000 ...), for benchmarks."""
    now = now or default_now()
    used: set[str] = set()
    for index in range(n):
        rng = _rng(seed, index)
        profile = make_profile(rng, index, used)
        payload = customer_payload(
            profile, customer_since=choose_since(rng, profile, now), attributes={}
        )
        yield jsonable(payload)


# Intents a benchmark stream draws from, roughly as often as a support inbox sees them.
_BENCH_INTENTS = [(k, 1.0) for k in language.CUSTOMER] + [
    ("praise", 2.0),
    ("waiting", 2.0),
    ("late_delivery", 2.0),
]


def generate_interactions(
    n: int, seed: int = 7, *, customers: int | None = None, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """N InteractionIn-shaped, JSON-ready inbound messages for benchmarks.

    They reference `customers` customers (default n // 10, at least 1) by the external ids that
    `generate_customers(customers, seed)` creates, so load those first. No order or
    conversation references: the stream stands alone.
    """
    now = now or default_now()
    customers = customers or max(1, n // 10)
    rng = random.Random(f"heartline-bench:{seed}")
    channels = [(c, w) for c, w in CHANNEL_WEIGHTS] + [("review", 0.05), ("survey", 0.05)]
    for i in range(n):
        index = rng.randrange(customers)
        intent = weighted(rng, _BENCH_INTENTS)
        channel = weighted(rng, channels)
        category = rng.choice(catalog.CATEGORIES)
        slots = {
            "order": f"#{catalog.order_number(index % 10_000, rng.randrange(1000))}",
            "product": rng.choice(catalog.PRODUCTS[category])[0],
            "weekday": rng.choice(language.WEEKDAYS),
            "days": rng.randint(2, 12),
            "agent": "Sam",
            "first": rng.choice(FIRST_NAMES),
        }
        at = now - timedelta(seconds=rng.uniform(0, WINDOW_DAYS * 86400))
        yield {
            "customer_external_id": external_id(index),
            "external_id": f"demo-bench{seed}-m{i:08d}",
            "channel": channel,
            "direction": "inbound",
            "text": language.customer_text(rng, intent, channel=channel, slots=slots),
            "occurred_at": at.isoformat(),
            "metadata": {"demo_intent": intent},
        }
