"""The assist API: suggested reply and tone check over HTTP, with roles enforced."""

from __future__ import annotations


def _conversation(api, customer):
    r = api.post(
        "/interactions",
        json={
            "customer_id": customer["id"],
            "channel": "email",
            "text": "Third time my parcel is late. I am furious!",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["conversation_id"]


def test_suggest_reply_for_conversation(api, api_as, customer):
    conv = _conversation(api, customer)
    r = api_as("agent").post("/assist/suggest-reply", json={"conversation_id": conv})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["text"].startswith("Hi Ada,")
    assert "sorry" in body["text"].lower()
    assert body["issue_key"] == "delivery_delay"


def test_tone_check_flags_policy_draft(api_as):
    r = api_as("agent").post(
        "/assist/tone-check", json={"text": "Per our policy, please return the item with receipt."}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["verdict"] == "cold"
    assert any(
        f["kind"] == "scripted" and f["text"].lower().startswith("per our policy")
        for f in body["flags"]
    )


def test_assist_errors_are_clean(api, api_as):
    agent = api_as("agent")
    assert agent.post("/assist/suggest-reply", json={"conversation_id": 999999}).status_code == 404
    r = agent.post("/assist/suggest-reply", json={"conversation_id": 0})
    assert r.status_code == 422 and "conversation_id" in r.text
    # Integration tokens push data; they do not work conversations.
    assert api.post("/assist/tone-check", json={"text": "hi"}).status_code == 403
