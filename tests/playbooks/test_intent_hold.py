"""No marketing to a customer whose open conversation holds a churn threat or a privacy
request, until a person resolves it; service messages (the check-in call) still go.

Readings are made deterministic by monkeypatching the engine's analyze_many (tests/cs_intents:
the real reading with the intent fields replaced via dataclasses.replace); customers, orders,
messages, the resolution, previews and recorded runs go through the API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.playbooks import guardrails, service
from heartline.playbooks.context import CustomerContext
from tests.cs_intents import cs, read_as

LEAVING = "I'm done with you, cancelling my membership and switching to another store."
HIKING = [{"product": "Trail boots", "category": "hiking"}]


def _hiker(api, ext: str) -> int:
    """A consenting customer the interest offer (15% off) would reach."""
    c = api.post(
        "/customers",
        json={
            "external_id": ext,
            "name": "Hana Hiker",
            "email": f"{ext}@example.com",
            "interests": ["hiking"],
            "consent": {"marketing": True},
        },
    ).json()
    for days in (60, 30):
        r = api.post(
            "/orders",
            json={
                "external_id": f"{ext}-{days}",
                "customer_id": c["id"],
                "status": "delivered",
                "placed_at": (utcnow() - timedelta(days=days)).isoformat(),
                "items": HIKING,
            },
        )
        assert r.status_code == 201, r.text
    return int(c["id"])


def _preview(manager, key: str, cid: int) -> dict:
    r = manager.post(f"/playbooks/{key}/preview", json={"customer_ids": [cid]})
    assert r.status_code == 200, r.text
    [decision] = r.json()["decisions"]
    return dict(decision)


def test_churn_threat_holds_marketing_until_resolved(api, api_as, db: Session, monkeypatch):
    manager = api_as("manager")
    cid = _hiker(api, "hold-1")
    calm = _hiker(api, "hold-2")
    assert _preview(manager, "interest_offer", cid)["status"] == "fired"
    read_as(monkeypatch, {LEAVING: cs("churn_threat", confidence=0.87)})
    at = utcnow() - timedelta(days=20)  # old enough not to count as "recently frustrated"
    msg = api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "email",
            "text": LEAVING,
            "occurred_at": at.isoformat(),
        },
    ).json()
    held = _preview(manager, "interest_offer", cid)
    assert (held["status"], held["guardrail"]) == ("held", "marketing_hold")
    assert (
        f"held by marketing_hold: customer said they are leaving on {at.day} {at:%b} "
        f"(conversation #{msg['conversation_id']}): no marketing until a person resolves it"
    ) in held["reasons"]
    assert _preview(manager, "interest_offer", calm)["status"] == "fired"
    # Service work still happens: the at-risk check-in call is what a leaving customer needs.
    assert _preview(manager, "churn_check_in", cid)["status"] == "fired"
    # A recorded run says the same (scheduler tick).
    service.run_scheduled(db, customer_ids=[cid, calm])
    db.commit()
    runs = manager.get(
        "/playbook-runs", params={"customer_id": cid, "playbook": "interest_offer"}
    ).json()["items"]
    assert [(r["status"], r["guardrail"]) for r in runs] == [("held", "marketing_hold")]
    # A person resolves the conversation: the hold lifts.
    r = api_as("agent").post(
        f"/conversations/{msg['conversation_id']}/status", json={"status": "resolved"}
    )
    assert r.status_code == 200, r.text
    after = _preview(manager, "interest_offer", cid)
    assert after["guardrail"] != "marketing_hold", after


def test_a_new_message_reopening_the_conversation_holds_again(api, api_as, monkeypatch):
    manager = api_as("manager")
    cid = _hiker(api, "hold-3")
    read_as(monkeypatch, {LEAVING: cs("churn_threat")})
    msg = api.post(
        "/interactions", json={"customer_id": cid, "channel": "email", "text": LEAVING}
    ).json()
    agent = api_as("agent")
    agent.post(f"/conversations/{msg['conversation_id']}/status", json={"status": "resolved"})
    api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "email",
            "text": "Still not happy.",
            "conversation_id": msg["conversation_id"],
        },
    )
    assert _preview(manager, "interest_offer", cid)["guardrail"] == "marketing_hold"


def test_a_discount_in_a_service_message_is_marketing_too() -> None:
    ctx = CustomerContext(
        customer_id=1,
        name="A",
        hold_intent="churn_threat",
        hold={"intent": "churn_threat", "at": utcnow(), "conversation_id": 7},
    )
    assert guardrails.marketing_hold(ctx, marketing=guardrails.is_marketing("service")) is None
    held = guardrails.marketing_hold(
        ctx, marketing=guardrails.is_marketing("service", has_offer=True)
    )
    assert held is not None and held.guardrail == guardrails.MARKETING_HOLD
    assert guardrails.is_marketing("relationship") and guardrails.is_marketing("promotional")
