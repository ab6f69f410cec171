"""Simulated customers: orders at their cadence, things going wrong, support handling it well or
badly, and a churn decision that follows from how they were treated (plus noise).

Goodwill is the hidden state: bad experiences lower it, good recoveries raise it (a little more
than the damage, the service-recovery effect), ignored complaints lower it further. The churn
decision after each order is drawn from that history, and recorded as ground truth.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from heartline.demo import language
from heartline.demo.people import CADENCE_DAYS, Profile, customer_payload, weighted
from heartline.demo.scenes import (
    CAUGHT_UP,
    ISSUE_INTENT,
    OPEN_WINDOW,
    caught_up,
    complaint,
    contact_channel,
    hours,
    nps,
    praise,
    question,
    review,
    survey_after,
    tl_slots,
)
from heartline.demo.timeline import CustomerPlan, OrderRef, Timeline

WINDOW_DAYS = 540  # 18 months of history
# Weekly buyers place many small orders; per-order incident and contact rates are scaled so
# that everyone's history reads plausibly (a weekly buyer does not complain every month).
RATE_SCALE = {"weekly": 0.35, "monthly": 1.0, "quarterly": 1.5, "one_off": 2.0}
OUTCOMES = [
    ("delayed", 0.11),
    ("damaged", 0.035),
    ("wrong_item", 0.02),
    ("quality", 0.03),
    ("cancelled", 0.01),
]
# Probability of deciding to leave right after an incident, by how support handled it.
CHURN_AFTER = {"great": 0.02, "slow": 0.1, "poor": 0.42, "silent": 0.15}
HANDLING = [("great", 0.5), ("slow", 0.28), ("poor", 0.22)]


def choose_since(rng: random.Random, profile: Profile, now: datetime) -> datetime:
    """When a simulated customer first bought (some long before the 18-month window)."""
    if profile.cadence == "one_off":
        return now - timedelta(days=rng.uniform(2, WINDOW_DAYS))
    older = rng.random() < 0.3
    return now - timedelta(
        days=rng.uniform(WINDOW_DAYS, 2200) if older else rng.uniform(20, WINDOW_DAYS)
    )


def history(
    tl: Timeline, *, since: datetime, loyal: bool = False, until: datetime | None = None
) -> tuple[bool, datetime | None, int, float]:
    """Orders and contacts from `since` to `until` (default now): (churned, when, bad, goodwill).

    A loyal history has no incidents and no churn (the scripted stories add their own).
    """
    rng, profile, now = tl.rng, tl.profile, tl.now
    until = until or now
    scale = RATE_SCALE[profile.cadence]
    interval = CADENCE_DAYS[profile.cadence]
    # The first purchase makes someone a customer; older customers' history starts somewhere
    # in their cadence when the 18-month window opens.
    t = since
    window_start = now - timedelta(days=WINDOW_DAYS)
    if since < window_start:
        t = window_start + timedelta(days=rng.uniform(0, interval or 1))
    goodwill = 0.6 + profile.temperament + (0.6 if loyal else 0.0)
    bad, nps_count = 0, 0
    while t < until:
        outcome = "ok"
        if not loyal and rng.random() < sum(w for _, w in OUTCOMES) * scale:
            outcome = weighted(rng, OUTCOMES)
        order = tl.order(t, outcome=outcome)
        settled = (order.delivered_at or order.promised_at) + hours(rng.uniform(2, 30))
        churn_p = 0.0
        if outcome in ISSUE_INTENT:
            bad += 1
            goodwill, churn_p, settled = _incident(tl, order, outcome, settled, goodwill)
        elif outcome == "ok":
            goodwill = _good_order(tl, order, settled, goodwill, scale)
        if nps_count < 2 and rng.random() < 0.1 * scale:
            nps_count += 1
            nps(tl, goodwill, settled + timedelta(days=rng.uniform(3, 10)))
        goodwill = max(-1.5, min(2.0, goodwill))
        # Background churn (moved, budget, taste) rises as goodwill falls; delighted customers
        # (goodwill > 1) rarely leave even after an incident.
        churn_p += 0.004 * (interval or 30) / 30 * math.exp(-1.2 * goodwill)
        if goodwill > 1.0:
            churn_p *= 0.3
        if not loyal and rng.random() < churn_p and settled < now:
            if bad and rng.random() < 0.35:
                _goodbye(tl, order, settled + timedelta(days=1))
            return True, settled, bad, goodwill
        if profile.cadence == "one_off":
            break
        t += timedelta(days=interval * math.exp(rng.gauss(0, 0.25)))
    return False, None, bad, goodwill


def _incident(
    tl: Timeline, order: OrderRef, outcome: str, settled: datetime, goodwill: float
) -> tuple[float, float, datetime]:
    """A late, damaged or wrong order: the complaint (most write), how it was handled, and what
    followed; returns (goodwill, churn probability, when the matter settled)."""
    rng = tl.rng
    goodwill -= 0.45
    issue_at = order.promised_at + hours(rng.uniform(20, 60)) if outcome == "delayed" else settled
    if rng.random() < 0.8:
        handling = weighted(rng, HANDLING)
        conv = complaint(tl, order, outcome, handling, issue_at)
        goodwill += {"great": 0.55, "slow": -0.1, "poor": -0.45}[handling]
        churn_p = CHURN_AFTER[handling]
        if handling != "poor" and rng.random() < 0.45:
            survey_after(tl, conv, handling, issue_at + timedelta(days=rng.uniform(2, 5)), order)
        if handling == "poor" and rng.random() < 0.3:
            review(tl, order, "negative", issue_at + timedelta(days=rng.uniform(3, 8)))
    else:
        churn_p = CHURN_AFTER["silent"]
        if rng.random() < 0.25:
            review(tl, order, "negative", settled + timedelta(days=1))
    return goodwill, churn_p, issue_at + timedelta(days=6)


def _good_order(
    tl: Timeline, order: OrderRef, settled: datetime, goodwill: float, scale: float
) -> float:
    """An order that went well: now and then praise, a question or a review; returns goodwill."""
    rng = tl.rng
    goodwill = min(2.0, goodwill + 0.05)
    roll = rng.random()
    if roll < 0.08 * scale * (1 + max(0.0, goodwill)):
        praise(tl, order, settled)
    elif roll < 0.4 * scale:
        question(tl, order, order.placed_at + hours(rng.uniform(4, 60)))
    elif roll < 0.5 * scale:
        review(tl, order, "positive" if goodwill > 0.3 else "mixed", settled + timedelta(days=2))
    return goodwill


def _goodbye(tl: Timeline, order: OrderRef, at: datetime) -> None:
    """A churning customer who had trouble says goodbye (a live desk closed old goodbyes)."""
    ch = contact_channel(tl)
    conv = tl.conversation()
    tl.message(
        at,
        conv,
        language.customer_text(tl.rng, "churn_goodbye", channel=ch, slots=tl.slots(order)),
        channel=ch,
        intent="churn_goodbye",
        order=order,
    )
    if tl.now - at > OPEN_WINDOW:  # a live desk: old goodbyes were handled
        tl.close(conv, "closed", at + timedelta(days=2))
    elif tl.now - at > CAUGHT_UP:  # ... and recent ones answered: now waiting on the customer
        kind = {"delayed": "apology_delay", "damaged": "apology_damaged"}.get(
            order.outcome, "followup"
        )
        caught_up(tl, conv, at, kind, ch, tl_slots(tl, order), order)


def simulate(rng: random.Random, profile: Profile, now: datetime) -> CustomerPlan:
    """One simulated customer's 18 months, with the churn ground truth."""
    tl = Timeline(rng, profile, now)
    since = choose_since(rng, profile, now)
    churned, churn_after, bad, _ = history(tl, since=since)
    customer = customer_payload(profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=churned, churn_after=churn_after, bad=bad)
