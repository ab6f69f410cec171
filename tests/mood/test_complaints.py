"""Complaint reasons from text, and linking a complaint to its order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from heartline.customers.models import Order
from heartline.mood import complaints

CASES = [
    ("Where is my parcel? It's been two weeks and it still hasn't arrived.", "delivery_delay"),
    ("The delivery is late again.", "delivery_delay"),
    ("The mug arrived broken, completely smashed.", "damaged_or_wrong_item"),
    ("You sent the wrong size, this is not what I ordered.", "damaged_or_wrong_item"),
    ("I was charged twice and still no refund.", "billing_refund"),
    ("Poor quality, the handle fell apart after a week.", "product_quality"),
    ("I've emailed three times and nobody answers.", "support_wait"),
    ("I'm locked out of my account and the password reset fails.", "account_login"),
    ("Please cancel my subscription.", "cancellation"),
    ("I don't like the colour of your website.", "other"),
]


@pytest.mark.parametrize(("text", "reason"), CASES)
def test_classify(text, reason):
    result = complaints.classify(text)
    assert result.reason == reason
    assert 0 < result.confidence <= 0.99
    if reason != "other":
        assert result.matches


def test_strong_evidence_is_more_confident_than_weak():
    strong = complaints.classify("My package is late, it still hasn't arrived, where is my order?")
    weak = complaints.classify("About the delivery.")
    assert strong.reason == weak.reason == "delivery_delay"
    assert strong.confidence > weak.confidence


def _order(id_, ext, days_ago, now, **kw):
    o = Order(
        id=id_, external_id=ext, customer_id=1, placed_at=now - timedelta(days=days_ago), **kw
    )
    return o


def test_link_order_named_in_text_beats_implied():
    now = datetime(2026, 10, 10, tzinfo=UTC)
    orders = [
        _order(1, "A1001", 40, now, status="delivered"),
        _order(2, "A1002", 5, now, status="delayed"),
    ]
    assert complaints.order_refs("Order #A1001 is broken") == ["A1001"]
    oid, how = complaints.link_order(
        text="My order #A1001 arrived broken", reason="damaged_or_wrong_item", orders=orders, at=now
    )
    assert oid == 1 and "named" in how


def test_link_order_implied_late_order_for_delivery():
    now = datetime(2026, 10, 10, tzinfo=UTC)
    orders = [
        _order(1, "A1", 3, now, status="delivered", delivered_at=now - timedelta(days=1)),
        _order(2, "A2", 12, now, status="delayed", promised_at=now - timedelta(days=8)),
    ]
    oid, how = complaints.link_order(
        text="still waiting for my parcel", reason="delivery_delay", orders=orders, at=now
    )
    assert oid == 2 and how == "most recent late order"
    # No order for a reason that is not about one.
    assert complaints.link_order(
        text="login broken", reason="account_login", orders=orders, at=now
    ) == (None, None)
