"""The emotional-memory story end to end, through the HTTP API (the issue's "done when")."""

from __future__ import annotations

from datetime import timedelta

from heartline.db import utcnow

NEGATIVE_LABELS = {"angry", "frustrated", "disappointed", "sad", "anxious"}


def _iso(dt):
    return dt.isoformat()


def test_monthly_buyer_delay_story(api, api_as, customer):
    agent = api_as("agent")
    cid = customer["id"]
    now = utcnow()
    # A monthly buyer: five orders a month apart; the last one is late and never arrived.
    for i, days_ago in enumerate([150, 120, 90, 60]):
        placed = now - timedelta(days=days_ago)
        late = days_ago == 60
        body = {
            "customer_id": cid,
            "external_id": f"ORD-{i + 1}",
            "placed_at": _iso(placed),
            "status": "delayed" if late else "delivered",
            "promised_at": _iso(placed + timedelta(days=4)),
            "items": [{"product": "Coffee beans", "category": "coffee"}],
        }
        if not late:
            body["delivered_at"] = _iso(placed + timedelta(days=3))
        assert api.post("/orders", json=body).status_code == 201
    r = api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "chat",
            "text": "Love the new roast, thank you so much!",
            "occurred_at": _iso(now - timedelta(days=100)),
        },
    )
    assert r.status_code == 201
    # Resolve that friendly chat so it does not stay open.
    assert (
        agent.post(
            f"/conversations/{r.json()['conversation_id']}/status", json={"status": "resolved"}
        ).status_code
        == 200
    )

    angry = api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "chat",
            "text": "Where is my order? It is weeks late and nobody answers. I am furious, this is terrible!",  # noqa: E501
        },
    )
    assert angry.status_code == 201, angry.text
    angry = angry.json()
    assert angry["reading"]["sentiment"] == "negative"
    conv_id = angry["conversation_id"]

    # Routed to the senior queue, high priority, with the reason stored.
    queue = agent.get("/conversations", params={"queue": "senior"}).json()
    conv = next(c for c in queue["items"] if c["id"] == conv_id)
    assert conv["priority"] == 3
    assert conv["sla_due_at"] is not None
    assert conv["routing"]["rule"] and conv["routing"]["reason"]
    assert conv["routing"]["matched"], conv["routing"]

    mood = api.get(f"/customers/{cid}/mood").json()
    assert mood["label"] in NEGATIVE_LABELS
    assert mood["last_negative"]["reason"] == "delivery_delay"
    assert mood["last_negative"]["resolved"] is False
    assert mood["last_negative"]["order_external_id"] == "ORD-4"  # the late order, implied
    assert "late delivery" in mood["summary"] and "unresolved" in mood["summary"]
    assert mood["usually"] == "positive"
    assert len(mood["open_issues"]) == 1
    assert mood["churn"]["level"] == "high"
    keys = [reason["key"] for reason in mood["churn"]["reasons"]]
    assert "cadence_broken" in keys
    assert all(reason["weight"] > 0 for reason in mood["churn"]["reasons"])
    assert {"recently_frustrated", "at_risk"} <= set(mood["segments"])
    members = agent.get("/segments/at_risk/members").json()
    assert cid in [m["customer_id"] for m in members["items"]]
    before_valence = mood["valence"]

    # Resolution, then a happy message: a recovery story and an improved mood.
    assert (
        agent.post(f"/conversations/{conv_id}/status", json={"status": "resolved"}).status_code
        == 200
    )
    happy = api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "chat",
            "text": "Thank you so much, the package finally arrived and I love it. Great service!",
        },
    )
    assert happy.status_code == 201
    assert happy.json()["reading"]["sentiment"] == "positive"
    mood = api.get(f"/customers/{cid}/mood").json()
    assert len(mood["recovery_stories"]) == 1
    story = mood["recovery_stories"][0]
    assert story["reason"] == "delivery_delay"
    assert story["negative_interaction_id"] == angry["id"]
    assert story["positive_interaction_id"] == happy.json()["id"]
    assert mood["valence"] > before_valence
    assert mood["label"] not in NEGATIVE_LABELS
    assert mood["last_negative"]["resolved"] is True
    assert mood["open_issues"] == []
    assert "recently_frustrated" not in mood["segments"]

    # Sarcasm lands in the review queue; a reviewer's correction changes the mood.
    sarcastic = api.post(
        "/interactions",
        json={"customer_id": cid, "channel": "chat", "text": "Great, another delay."},
    ).json()
    assert sarcastic["reading"]["needs_review"] is True
    review_q = agent.get("/review-queue").json()
    item = next(i for i in review_q["items"] if i["interaction_id"] == sarcastic["id"])
    assert item["review_reasons"]
    before = api.get(f"/customers/{cid}/mood").json()
    r = agent.post(
        f"/readings/{item['reading_id']}/review",
        json={
            "sentiment": "negative",
            "emotions": ["frustration"],
            "sarcasm": True,
            "note": "sarcastic",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["original"]["sentiment"] == sarcastic["reading"]["sentiment"]
    after = api.get(f"/customers/{cid}/mood").json()
    assert after["label"] == "frustrated"
    assert after["valence"] < 0
    if sarcastic["reading"]["sentiment"] != "negative":  # the engine missed the sarcasm
        assert after["valence"] < before["valence"]
    assert after["last_negative"]["interaction_id"] == sarcastic["id"]
    assert after["last_negative"]["reason"] == "delivery_delay"
    assert sarcastic["id"] not in [
        i["interaction_id"] for i in agent.get("/review-queue").json()["items"]
    ]
    # The correction is what downstream reads: the interaction's reading now says negative.
    reading = api.get(f"/interactions/{sarcastic['id']}").json()["reading"]
    assert reading["sentiment"] == "negative" and reading["needs_review"] is False
