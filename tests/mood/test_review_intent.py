"""A reviewer can say what the customer wants: the corrected intent drives routing and churn
risk like a confident reading, is exported as a training example, and bad values are a 422.

The message is read by the real engine (an announced churn threat the shipped model still reads
as `other`: the model card lists such misses); the correction goes through the API and the
pipeline re-runs as in production."""

from __future__ import annotations

from heartline.mood import review as review_service

INDIRECT = "I am switching to your competitor next month."


def test_a_corrected_churn_threat_routes_and_raises_churn_risk(db, api, api_as, customer):
    msg = api.post(
        "/interactions", json={"customer_id": customer["id"], "channel": "email", "text": INDIRECT}
    ).json()
    reading = msg["reading"]
    before = api.get(f"/conversations/{msg['conversation_id']}").json()
    assert before["routing"].get("rule") != "churn_threat"
    agent = api_as("agent")
    r = agent.post(f"/readings/{reading['id']}/review", json={"intent": "churn_threat"})
    assert r.status_code == 200, r.text
    assert r.json()["intent"] == "churn_threat"
    after = api.get(f"/conversations/{msg['conversation_id']}").json()
    assert after["routing"]["rule"] == "churn_threat" and after["queue"] == "senior"
    mood = api.get(f"/customers/{customer['id']}/mood").json()
    assert mood["churn"]["reasons"][0]["key"] == "churn_threat"
    stored = api.get(f"/interactions/{msg['id']}").json()["reading"]["data"]
    assert (stored["intent"], stored["intent_confidence"]) == ("churn_threat", 1.0)
    [example] = list(review_service.corrections(db))
    assert example["corrected"]["intent"] == "churn_threat"
    assert example["original"]["intent"] == reading["data"]["intent"]


def test_an_unknown_intent_is_a_422_naming_the_field(api, api_as, customer):
    msg = api.post(
        "/interactions", json={"customer_id": customer["id"], "channel": "chat", "text": "hi"}
    ).json()
    r = api_as("agent").post(f"/readings/{msg['reading']['id']}/review", json={"intent": "bored"})
    assert r.status_code == 422
    assert "intent" in r.text
