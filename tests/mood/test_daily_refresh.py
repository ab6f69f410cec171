"""The scheduler's daily sweep moves time-based churn risk and "days since" segments."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from heartline.db import utcnow


def _members(db, customer_id):
    from heartline.mood.models import SegmentMember

    return set(
        db.scalars(
            select(SegmentMember.segment_key).where(SegmentMember.customer_id == customer_id)
        )
    )


def test_daily_refresh_catches_a_broken_buying_rhythm(db, api, customer):
    from heartline.mood import churn, segments
    from heartline.mood.models import MoodState

    now = utcnow()
    for i, days in enumerate([70, 40, 10]):  # a monthly buyer, last order 10 days ago
        r = api.post(
            "/orders",
            json={
                "customer_id": customer["id"],
                "external_id": f"rhythm-{i}",
                "status": "delivered",
                "placed_at": (now - timedelta(days=days)).isoformat(),
            },
        )
        assert r.status_code in (200, 201)
    assert segments.daily_refresh(db, now=now) >= 1
    assert db.get(MoodState, customer["id"]).churn_risk < churn.HIGH
    assert "at_risk" not in _members(db, customer["id"])
    # Nothing happens for four months: only the daily sweep can notice.
    later = now + timedelta(days=120)
    segments.refresh_all(db, now=later)  # without recompute the stored risk stays stale
    assert "at_risk" not in _members(db, customer["id"])
    segments.daily_refresh(db, now=later)
    state = db.get(MoodState, customer["id"])
    assert state.churn_risk >= churn.HIGH
    assert any(r["key"] == "cadence_broken" for r in state.churn_reasons)
    assert "at_risk" in _members(db, customer["id"])
    assert churn.probability(state.churn_risk) >= 0.5


def test_calibration_is_monotonic_and_cuts_at_one_half():
    from heartline.mood import churn

    probs = [churn.probability(x / 20) for x in range(21)]
    assert probs == sorted(probs) and 0 < probs[0] < 0.5 < probs[-1] < 1
    assert abs(churn.probability(churn.HIGH) - 0.5) < 0.01
    assert abs(churn.probability(churn.MEDIUM) - 0.25) < 0.01
    assert churn.level(churn.HIGH) == "high" and churn.level(churn.MEDIUM) == "medium"
    assert churn.level(0.0) == "low"
