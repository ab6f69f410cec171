"""The demo plan (no database): deterministic, realistic in shape, with churn ground truth."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from statistics import mean

import pytest

from heartline.customers.schemas import CustomerIn
from heartline.demo.plan import build_plan, generate_customers, generate_interactions
from heartline.enums import Channel
from heartline.interactions.schemas import InteractionIn

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan():
    return build_plan(seed=7, customers=300, now=NOW)


def _fingerprint(p):
    return [
        (
            c.customer["name"],
            c.customer["email"],
            c.texts(),
            [e["external_id"] for k, e in c.events if k == "order"],
        )
        for c in p.customers
    ]


def test_same_seed_same_workspace_and_other_seed_differs():
    a = build_plan(seed=11, customers=60, now=NOW)
    b = build_plan(seed=11, customers=60, now=NOW)
    c = build_plan(seed=12, customers=60, now=NOW)
    assert _fingerprint(a) == _fingerprint(b)
    assert _fingerprint(a) != _fingerprint(c)
    # Customer k is the same whatever the size of the build.
    small = build_plan(seed=11, customers=20, now=NOW)
    assert _fingerprint(small) == _fingerprint(a)[:20]


def test_counts_are_in_the_expected_ranges(plan):
    assert len(plan.customers) == 300
    assert 2400 <= plan.interaction_count <= 3600
    assert 1200 <= plan.count("order") <= 3500
    assert plan.count("survey") >= 200
    kinds = Counter(p["kind"] for c in plan.customers for k, p in c.events if k == "survey")
    assert set(kinds) == {"csat", "nps", "ces"}
    cadences = Counter(c.profile.cadence for c in plan.customers)
    assert set(cadences) == {"weekly", "monthly", "quarterly", "one_off"}
    opted_out = [c for c in plan.customers if not c.customer["consent"]["emotion_analysis"]]
    no_marketing = [c for c in plan.customers if not c.customer["consent"]["marketing"]]
    assert 3 <= len(opted_out) <= 30
    assert len(no_marketing) > 120
    assert any(c.customer["vip"] for c in plan.customers)
    assert sum(1 for c in plan.customers if c.customer["birthday"]) > 60


def test_every_channel_and_both_directions(plan):
    channels = {p["channel"] for c in plan.customers for k, p in c.events if k == "message"}
    channels.add("survey")  # survey comments arrive on the survey channel
    assert channels == {str(ch) for ch in Channel}
    directions = Counter(
        p["direction"] for c in plan.customers for k, p in c.events if k == "message"
    )
    assert directions["outbound"] > 300 and directions["inbound"] > 1500


def test_nothing_happens_after_now_and_history_spans_18_months(plan):
    times = [
        p.get("occurred_at") or p.get("placed_at") or p.get("responded_at")
        for c in plan.customers
        for _, p in c.events
    ]
    assert max(times) < NOW
    assert min(times) < NOW - timedelta(days=450)


def test_churn_ground_truth_follows_bad_experiences(plan):
    churners = [c for c in plan.customers if c.customer["attributes"]["demo_churned"]]
    stayers = [c for c in plan.customers if not c.customer["attributes"]["demo_churned"]]
    assert 0.1 <= len(churners) / len(plan.customers) <= 0.4
    assert all(c.customer["attributes"]["demo_churn_after"] for c in churners)
    assert mean(c.bad_experiences for c in churners) > 1.3 * mean(
        c.bad_experiences for c in stayers
    )
    # Churners stop ordering: no order after their churn date.
    for c in churners:
        orders = [p["placed_at"] for k, p in c.events if k == "order"]
        assert not orders or max(orders) <= c.churn_after


def test_scripted_stories(plan):
    stories = {c.story: c for c in plan.customers if c.story}
    assert set(stories) >= {
        "delay_quiet",
        "recovery",
        "first_time",
        "anniversary_1y",
        "anniversary_2y",
        "anniversary_5y",
        "birthday",
        "detractor",
        "advocate",
        "german_churn",
        "french_thanks",
        "spanish_refund",
    }
    # customers who write in their own language, with the locale to match
    for story, locale, word in (("german_churn", "de-DE", "kündige"),
                                ("french_thanks", "fr-FR", "merci"),
                                ("spanish_refund", "es-ES", "reembolso")):  # fmt: skip
        assert stories[story].customer["locale"] == locale
        assert any(word in t for t in stories[story].texts())
    quiet = stories["delay_quiet"]
    assert quiet.churned and any("Great, another delay." in t for t in quiet.texts())
    first = stories["first_time"].customer["customer_since"]
    assert NOW - timedelta(days=8) < first < NOW
    bday = stories["birthday"].customer
    assert bday["consent"]["marketing"]
    assert 0 <= (bday["birthday"].replace(year=NOW.year) - NOW.date()).days <= 7
    since = stories["anniversary_5y"].customer["customer_since"]
    assert since.year == NOW.year - 5 and abs((since.replace(year=NOW.year) - NOW).days) <= 7
    nps = [p for k, p in stories["detractor"].events if k == "survey" and p["kind"] == "nps"]
    assert nps[-1]["score"] <= 6
    nps = [p for k, p in stories["advocate"].events if k == "survey" and p["kind"] == "nps"]
    assert nps[-1]["score"] >= 9


def test_benchmark_streams_are_valid_and_deterministic():
    customers = list(generate_customers(30, seed=3, now=NOW))
    for payload in customers:
        CustomerIn.model_validate(payload)
    assert len({c["external_id"] for c in customers}) == 30
    stream = list(generate_interactions(300, seed=3, now=NOW))
    assert stream == list(generate_interactions(300, seed=3, now=NOW))
    known = {c["external_id"] for c in customers}
    for payload in stream:
        InteractionIn.model_validate(payload)
        assert payload["customer_external_id"] in known
    assert len({p["text"] for p in stream}) > 150  # varied language, not one template
