"""Mood state, segments, review and rescore through the API and the services."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from heartline.db import utcnow
from heartline.mood import service as mood_service
from heartline.mood.models import Complaint, MoodState, ReadingReview, SegmentMember


def _say(api, cid, text, **kw):
    r = api.post(
        "/interactions",
        json={"customer_id": cid, "channel": kw.pop("channel", "email"), "text": text, **kw},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_mood_of_a_new_customer_and_404(api, customer):
    mood = api.get(f"/customers/{customer['id']}/mood").json()
    assert mood["label"] == "unknown" and mood["readings_count"] == 0
    assert mood["churn"]["risk"] == 0 and "quiet" in mood["segments"]
    assert api.get("/customers/999999/mood").status_code == 404


def test_stages_are_idempotent(db, api, customer):
    from heartline.mood.tasks import remember_interactions
    from heartline.routing.tasks import route_interactions

    msg = _say(api, customer["id"], "My package is late and nobody answers, this is awful!")
    state = db.get(MoodState, customer["id"])
    db.refresh(state)
    first = (state.label, state.valence, state.churn_risk, state.summary, state.open_issues)
    conv = api.get(f"/conversations/{msg['conversation_id']}").json()
    for _ in range(2):
        remember_interactions(db, [msg["id"]])
        route_interactions(db, [msg["id"]])
    db.refresh(state)
    assert (state.label, state.valence, state.churn_risk, state.summary, state.open_issues) == first
    assert (
        db.scalar(
            select(func.count()).select_from(Complaint).where(Complaint.interaction_id == msg["id"])
        )
        == 1
    )
    again = api.get(f"/conversations/{msg['conversation_id']}").json()
    assert (again["queue"], again["priority"], again["sla_due_at"]) == (
        conv["queue"],
        conv["priority"],
        conv["sla_due_at"],
    )


def test_half_life_setting_changes_the_profile(db, api, customer, monkeypatch):
    from heartline.config import get_settings

    cid = customer["id"]
    _say(
        api,
        cid,
        "Thank you, wonderful service, I love it!",
        occurred_at=(utcnow() - timedelta(days=60)).isoformat(),
    )
    _say(api, cid, "This is terrible, the item arrived broken.")
    short = dict(db.get(MoodState, cid).profile)
    monkeypatch.setenv("HEARTLINE_MOOD_HALF_LIFE_DAYS", "365")
    get_settings.cache_clear()
    try:
        long = dict(mood_service.update_customer(db, customer_id=cid).profile)
    finally:
        monkeypatch.delenv("HEARTLINE_MOOD_HALF_LIFE_DAYS")
        get_settings.cache_clear()
    positive = lambda p: sum(v for k, v in p.items() if k in ("joy", "gratitude", "satisfaction"))  # noqa: E731
    assert positive(long) > positive(short)


def test_custom_segment_validation_members_and_csv(api, api_as, customer):
    manager, agent = api_as("manager"), api_as("agent")
    api.post("/customers", json={"external_id": "cust-2", "name": "Bob", "tags": ["gold"]})
    bad = manager.post(
        "/segments",
        json={
            "key": "gold",
            "name": "Gold",
            "definition": {"all": [{"field": "tags", "op": "gte", "value": 3}]},
        },
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "definition.all.0.op"
    assert (
        agent.post(
            "/segments",
            json={
                "key": "x1",
                "name": "X",
                "definition": {"field": "vip", "op": "eq", "value": True},
            },
        ).status_code
        == 403
    )
    r = manager.post(
        "/segments",
        json={
            "key": "gold",
            "name": "Gold customers",
            "definition": {"field": "tags", "op": "contains", "value": "gold"},
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["members"] == 1
    assert (
        manager.post(
            "/segments",
            json={
                "key": "gold",
                "name": "again",
                "definition": {"field": "vip", "op": "eq", "value": True},
            },
        ).status_code
        == 409
    )
    listed = {s["key"]: s for s in agent.get("/segments").json()}
    assert {
        "highly_satisfied",
        "delighted",
        "recently_frustrated",
        "at_risk",
        "quiet",
        "gold",
    } <= set(listed)
    page = agent.get("/segments/gold/members", params={"limit": 1}).json()
    assert page["total"] == 1 and page["items"][0]["name"] == "Bob"
    csv_text = agent.get("/segments/gold/members.csv").text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("customer_id,") and len(lines) == 2 and "Bob" in lines[1]
    assert agent.get("/segments/nope/members").status_code == 404
    assert manager.delete("/segments/at_risk").status_code == 400
    assert manager.delete("/segments/gold").status_code == 204


def test_segment_membership_follows_the_pipeline(db, api, customer):
    cid = customer["id"]
    _say(api, cid, "The order is late and I am really angry about it!")
    assert "recently_frustrated" in mood_service.customer_segments(db, customer_id=cid)
    rows, total = mood_service.segment_members(db, key="recently_frustrated")
    assert cid in [c.id for c, _m, _s in rows] and total >= 1
    assert (
        db.scalar(
            select(func.count())
            .select_from(SegmentMember)
            .where(SegmentMember.customer_id == cid, SegmentMember.segment_key == "quiet")
        )
        == 0
    )


def test_review_permissions_validation_and_audit(db, api, api_as, customer):
    msg = _say(api, customer["id"], "Great, another delay.")
    rid = msg["reading"]["id"]
    assert api.get("/review-queue").status_code == 403  # integration tokens do not review
    agent = api_as("agent")
    assert agent.post(f"/readings/{rid}/review", json={"emotions": ["grumpy"]}).status_code == 422
    assert agent.post(f"/readings/{rid}/review", json={}).status_code == 422
    assert agent.post("/readings/999999/review", json={"action": "confirm"}).status_code == 404
    ok = agent.post(f"/readings/{rid}/review", json={"sentiment": "negative", "sarcasm": True})
    assert ok.status_code == 200
    review = db.get(ReadingReview, ok.json()["id"])
    assert review.reviewer == "test-agent" and review.original["model"] == msg["reading"]["model"]


def test_correction_survives_rescore_and_exports(db, api, api_as, customer, tmp_path):
    from heartline.mood import cli as mood_cli

    msg = _say(api, customer["id"], "Great, another delay.")
    agent = api_as("agent")
    agent.post(
        f"/readings/{msg['reading']['id']}/review",
        json={"sentiment": "negative", "emotions": ["frustration"], "sarcasm": True},
    )
    # Re-score everything with the current model: the correction is re-applied.
    ids = mood_cli.pending_rescore(
        db, model_ids={"x"}, since=None, after_id=0, everything=True, limit=100
    )
    assert msg["id"] in ids
    assert mood_cli.rescore_batch(db, ids) >= 1
    reading = api.get(f"/interactions/{msg['id']}").json()["reading"]
    assert reading["sentiment"] == "negative" and reading["data"]["review"]["sarcasm"] is True
    # Only readings of another model are pending without --all.
    assert msg["id"] not in mood_cli.pending_rescore(
        db, model_ids={reading["model"]}, since=None, after_id=0, everything=False, limit=100
    )
    rows = [
        json.loads(json.dumps(r, default=str))
        for r in __import__("heartline.mood.review", fromlist=["corrections"]).corrections(db)
    ]
    mine = [r for r in rows if r["interaction_id"] == msg["id"]]
    assert mine and mine[0]["text"] == "Great, another delay."
    assert mine[0]["corrected"] == {
        "sentiment": "negative",
        "emotions": ["frustration"],
        "sarcasm": True,
        "intent": None,  # not corrected: the model's intent stands
    }
    assert mine[0]["original"]["sentiment"] == msg["reading"]["sentiment"]
