"""An explicit churn threat is the strongest churn signal: its own dated reason, the at_risk
segment and the at-risk playbook follow; a resolution or a later positive word weakens it.

Readings are made deterministic by monkeypatching the engine's analyze_many (tests/cs_intents:
the real reading with the intent fields replaced via dataclasses.replace); messages, the
conversation resolution and the playbook preview all go through the API."""

from __future__ import annotations

from datetime import timedelta

from tests.cs_intents import cs, read_as

from heartline.db import utcnow
from heartline.mood import churn

LEAVING = "Please close my account, I'm switching to a different provider."
THANKS = "Thank you, that's sorted now, really appreciate the help!"


def _say(api, cid, text, **kw):
    r = api.post("/interactions", json={"customer_id": cid, "channel": "email", "text": text, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def _threat(mood):
    return next((r for r in mood["churn"]["reasons"] if r["key"] == "churn_threat"), None)


def test_a_churn_threat_as_the_latest_word_puts_the_customer_at_high_risk(
    api, api_as, customer, monkeypatch
):
    cid = customer["id"]
    at = utcnow() - timedelta(days=20)
    before = api.get(f"/customers/{cid}/mood").json()
    assert before["churn"]["level"] == "low"
    read_as(monkeypatch, {LEAVING: cs("churn_threat", confidence=0.88)})
    _say(api, cid, LEAVING, occurred_at=at.isoformat())
    mood = api.get(f"/customers/{cid}/mood").json()
    assert mood["churn"]["level"] == "high" and mood["churn"]["risk"] >= churn.HIGH
    first = mood["churn"]["reasons"][0]
    assert first["key"] == "churn_threat", mood["churn"]["reasons"]
    assert first["label"] == f"said they are leaving ({at.day} {at:%b})"
    assert first["detail"] == "still their latest word"
    assert "at_risk" in mood["segments"]
    assert f"said they are leaving ({at.day} {at:%b})" in mood["summary"]
    # The at-risk playbook follows the segment: a check-in call naming the reason.
    out = (
        api_as("manager")
        .post("/playbooks/churn_check_in/preview", json={"customer_ids": [cid]})
        .json()
    )
    [decision] = out["decisions"]
    assert decision["status"] == "fired", decision
    assert decision["tasks"][0].startswith("Check-in call: Ada Lovelace")


def test_without_the_threat_the_same_message_is_not_at_risk(api, customer, monkeypatch):
    read_as(monkeypatch, {LEAVING: cs("product_question", confidence=0.88)})
    _say(api, customer["id"], LEAVING, occurred_at=(utcnow() - timedelta(days=20)).isoformat())
    mood = api.get(f"/customers/{customer['id']}/mood").json()
    assert _threat(mood) is None and "at_risk" not in mood["segments"]


def test_resolution_and_a_positive_word_weaken_the_threat(api, api_as, customer, monkeypatch):
    cid = customer["id"]
    read_as(
        monkeypatch,
        {LEAVING: cs("churn_threat", confidence=0.9), THANKS: cs("praise", confidence=0.9)},
    )
    msg = _say(api, cid, LEAVING, occurred_at=(utcnow() - timedelta(days=3)).isoformat())
    full = api.get(f"/customers/{cid}/mood").json()
    assert _threat(full)["signal"] == 1.0 and full["churn"]["level"] == "high"
    r = api_as("agent").post(
        f"/conversations/{msg['conversation_id']}/status", json={"status": "resolved"}
    )
    assert r.status_code == 200, r.text
    resolved = api.get(f"/customers/{cid}/mood").json()
    assert _threat(resolved)["signal"] == 0.5
    assert _threat(resolved)["detail"] == "a person resolved that conversation"
    assert resolved["churn"]["risk"] < full["churn"]["risk"]
    # A thank-you afterwards (a new conversation on another channel) weakens it further.
    _say(api, cid, THANKS, channel="chat")
    after = api.get(f"/customers/{cid}/mood").json()
    assert _threat(after)["signal"] == 0.25
    assert "a positive message since" in _threat(after)["detail"]
    assert after["churn"]["risk"] < resolved["churn"]["risk"]


def test_an_old_threat_no_longer_counts(api, customer, monkeypatch):
    read_as(monkeypatch, {LEAVING: cs("churn_threat")})
    old = utcnow() - churn.THREAT_WINDOW - timedelta(days=5)
    _say(api, customer["id"], LEAVING, occurred_at=old.isoformat())
    assert _threat(api.get(f"/customers/{customer['id']}/mood").json()) is None
