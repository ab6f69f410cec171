"""Routing on what the customer wants: the shipped churn-threat rule, and intent / complaint /
severity facts that API rules can use (validated against the taxonomy).

Readings are made deterministic by monkeypatching the engine's analyze_many (tests/cs_intents:
the real reading, with the intent/complaint fields replaced via dataclasses.replace); the
messages go through the API and the real pipeline."""

from __future__ import annotations

from tests.cs_intents import cs, read_as

LEAVING = "I'm cancelling my account and moving to another shop."
BLAME = "You lost my parcel and then blamed me for it."


def _say(api, cid, text, **kw):
    r = api.post("/interactions", json={"customer_id": cid, "channel": "email", "text": text, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def test_shipped_rule_sends_a_churn_threat_to_senior_urgently(api, customer, monkeypatch):
    read_as(monkeypatch, {LEAVING: cs("churn_threat", confidence=0.91)})
    msg = _say(api, customer["id"], LEAVING)
    assert msg["reading"]["data"]["intent"] == "churn_threat"
    conv = api.get(f"/conversations/{msg['conversation_id']}").json()
    assert (conv["queue"], conv["priority"]) == ("senior", 4)
    assert conv["routing"]["rule"] == "churn_threat"
    assert conv["routing"]["reason"] == "customer says they are leaving"
    assert conv["routing"]["sla_hours"] == 1
    assert "reading.intent eq churn_threat (is churn_threat)" in conv["routing"]["matched"]


def test_an_unsure_churn_threat_is_not_acted_on(api, customer, monkeypatch):
    read_as(monkeypatch, {LEAVING: cs("churn_threat", confidence=0.3)})
    msg = _say(api, customer["id"], LEAVING)
    conv = api.get(f"/conversations/{msg['conversation_id']}").json()
    assert conv["routing"]["rule"] != "churn_threat" and conv["priority"] < 4


def test_rules_can_route_on_intent_and_complaint_severity(api, api_as, customer, monkeypatch):
    rules = {
        "rules": [
            {
                "name": "blame",
                "reason": "customer blames us",
                "when": {
                    "all": [
                        {"field": "reading.complaint", "op": "gte", "value": 0.8},
                        {
                            "field": "reading.complaint_severity",
                            "op": "in",
                            "value": ["accusation", "blame"],
                        },
                    ]
                },
                "then": {"queue": "complaints", "priority": "high"},
            },
            {
                "name": "refunds",
                "when": {"field": "reading.intent", "op": "eq", "value": "refund_return"},
                "then": {"queue": "billing", "priority": "normal"},
            },
        ]
    }
    admin = api_as("admin")
    assert admin.put("/routing/rules", json=rules).status_code == 200
    refund = "Where is the money for the boots I sent back?"
    read_as(
        monkeypatch,
        {
            BLAME: cs("delivery_problem", complaint=0.93, severity="blame"),
            refund: cs("refund_return", confidence=0.8),
        },
    )
    blamed = _say(api, customer["id"], BLAME, channel="chat")
    asked = _say(api, customer["id"], refund, channel="email")
    c1 = api.get(f"/conversations/{blamed['conversation_id']}").json()
    c2 = api.get(f"/conversations/{asked['conversation_id']}").json()
    assert (c1["queue"], c1["routing"]["rule"]) == ("complaints", "blame")
    assert (
        "reading.complaint_severity in ['accusation', 'blame'] (is blame)"
        in (c1["routing"]["matched"])
    )
    assert (c2["queue"], c2["routing"]["rule"]) == ("billing", "refunds")


def test_intent_and_severity_values_are_checked_against_the_taxonomy(api_as):
    admin = api_as("admin")

    def rule(field, value, op="eq"):
        return {
            "rules": [
                {
                    "name": "r",
                    "when": {"field": field, "op": op, "value": value},
                    "then": {"queue": "senior", "priority": "high"},
                }
            ]
        }

    r = admin.put("/routing/rules", json=rule("reading.intent", "churn"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["details"][0]["field"].startswith("body.rules.0.when")
    assert "unknown value 'churn'" in err["message"] and "churn_threat" in err["message"]
    r = admin.put(
        "/routing/rules", json=rule("reading.complaint_severity", ["blame", "rude"], "in")
    )
    assert r.status_code == 422 and "unknown value 'rude'" in r.json()["error"]["message"]
    r = admin.put("/routing/rules", json=rule("reading.complaint", "high", "gte"))
    assert r.status_code == 422 and "expected a number" in r.json()["error"]["message"]
    assert admin.put("/routing/rules", json=rule("reading.intent", "privacy_request")).is_success
