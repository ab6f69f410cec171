"""The playbook, run, approval, outbox and task endpoints, with their permissions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.playbooks import service
from heartline.playbooks.models import OutboxMessage, PlaybookRun
from tests.playbooks.helpers import NOW, birthday_today, customer, order, survey

SPEC = {
    "name": "VIP thank-you",
    "trigger": {"event": "schedule"},
    "conditions": [{"field": "vip", "op": "truthy"}],
    "occasion": "{{ now.year }}",
    "actions": [
        {
            "type": "message",
            "subject": "Thank you, {{ first_name }}",
            "body": "Hi {{ first_name }}, thank you for being a VIP.",
        }
    ],
}


def test_list_get_and_switch(api_as, db: Session) -> None:
    manager = api_as("manager")
    keys = [p["key"] for p in manager.get("/playbooks").json()]
    assert {
        "delay_recovery",
        "first_purchase_welcome",
        "loyalty_anniversary",
        "birthday_greeting",
        "interest_offer",
        "product_check_in",
        "detractor_follow_up",
        "advocate_invite",
        "churn_check_in",
    } <= set(keys)
    r = manager.patch("/playbooks/birthday_greeting", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert manager.get("/playbooks/birthday_greeting").json()["spec"]["enabled"] is False
    assert manager.get("/playbooks/nope").status_code == 404


def test_put_validates_spec_and_templates(api_as) -> None:
    manager = api_as("manager")
    r = manager.put("/playbooks/vip_thanks", json=SPEC)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1
    assert manager.put("/playbooks/vip_thanks", json=SPEC).json()["version"] == 2
    bad_template = {**SPEC, "actions": [{"type": "message", "body": "Hi {{ frist_name }}"}]}
    r = manager.put("/playbooks/vip_thanks", json=bad_template)
    assert r.status_code == 422
    assert "frist_name" in r.json()["error"]["message"]
    bad_field = {**SPEC, "conditions": [{"field": "shoe_size", "op": "gt", "value": 3}]}
    r = manager.put("/playbooks/vip_thanks", json=bad_field)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"].startswith("body.conditions.0")
    bad_syntax = {**SPEC, "occasion": "{{ now.year "}
    assert manager.put("/playbooks/vip_thanks", json=bad_syntax).status_code == 422
    wrong_key = {**SPEC, "key": "other_key"}
    r = manager.put("/playbooks/vip_thanks", json=wrong_key)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body.key"


def test_sandbox_blocks_python_internals(api_as) -> None:
    evil = {
        **SPEC,
        "actions": [{"type": "message", "body": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}],
    }
    r = api_as("manager").put("/playbooks/evil", json=evil)
    assert r.status_code == 422 and "unsafe" in r.json()["error"]["message"].lower()


def test_preview_is_a_dry_run_with_text(api_as, db: Session) -> None:
    manager = api_as("manager")
    bea = customer(db, name="Bea Birthday", birthday=birthday_today())
    nick = customer(db, name="Nick Noconsent", marketing=False, birthday=birthday_today())
    db.commit()
    runs_before = db.scalar(select(func.count()).select_from(PlaybookRun))
    r = manager.post(
        "/playbooks/birthday_greeting/preview",
        json={"now": NOW.isoformat(), "customer_ids": [bea, nick]},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["evaluated"] == 2
    assert out["counts"] == {"fired": 1, "held": 1}
    fired, held = out["decisions"]
    assert (fired["customer_id"], fired["subject"], fired["channel"]) == (
        bea,
        "Happy birthday, Bea!",
        "email",
    )
    assert (held["customer_id"], held["guardrail"]) == (nick, "marketing_consent")
    assert db.scalar(select(func.count()).select_from(PlaybookRun)) == runs_before
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_preview_of_an_event_playbook_uses_the_latest_event(api_as, db: Session) -> None:
    cid = customer(db, name="Val Vote")
    survey(db, cid, kind="nps", score=2, at=NOW - timedelta(days=9))
    survey(db, cid, kind="nps", score=4)
    promoter = customer(db, name="Pat Promoter")
    survey(db, promoter, kind="nps", score=1, at=NOW - timedelta(days=30))
    survey(db, promoter, kind="nps", score=10, at=NOW - timedelta(days=2))
    silent = customer(db, name="Sid Silent")
    db.commit()
    out = (
        api_as("manager")
        .post(
            "/playbooks/detractor_follow_up/preview",
            json={"customer_ids": [cid, promoter, silent], "now": NOW.isoformat()},
        )
        .json()
    )
    # each customer is previewed on their own newest answer: only Val's (4) is a detractor's
    assert out["evaluated"] == 3 and out["counts"]["fired"] == 1
    assert out["decisions"][0]["tasks"] == ["Follow up with Val Vote: NPS 4"]


def test_runs_approvals_outbox_and_tasks(api_as, db: Session) -> None:
    manager, agent, integration = api_as("manager"), api_as("agent"), api_as("integration")
    manager.patch("/playbooks/birthday_greeting", json={"approval_required": True})
    amy = customer(db, name="Amy Approve", birthday=birthday_today())
    detractor = customer(db, name="Dan Detractor")
    order(db, detractor, placed=NOW - timedelta(days=3))
    sid = survey(db, detractor, kind="csat", score=1)
    service.run_scheduled(db, now=NOW)
    service.run_event(db, event="survey", ids=[sid], now=NOW)
    db.commit()

    runs = manager.get("/playbook-runs", params={"customer_id": amy}).json()
    assert [r["status"] for r in runs["items"]] == ["awaiting_approval"]
    drafts = manager.get("/approvals").json()["items"]
    assert [d["customer_id"] for d in drafts] == [amy]
    assert agent.get("/approvals").status_code == 403
    r = manager.post(
        f"/approvals/{drafts[0]['id']}/approve",
        json={"body": "Happy birthday, Amy! From all of us."},
    )
    assert r.status_code == 200 and r.json()["status"] == "sent"
    assert r.json()["body"] == "Happy birthday, Amy! From all of us."
    assert manager.post(f"/approvals/{drafts[0]['id']}/approve").status_code == 409

    page = manager.get("/outbox", params={"status": "sent"}).json()
    assert [m["customer_id"] for m in page["items"]] == [amy]
    # Bodies and delivery errors are for managers and admins only.
    assert integration.get("/outbox").status_code == 403
    assert agent.get(f"/outbox/{page['items'][0]['id']}").status_code == 403
    assert integration.get("/outbox/outcomes").json()[0]["channel"] == "email"

    assert integration.get("/tasks").status_code == 403
    tasks = agent.get("/tasks").json()["items"]
    [task] = [t for t in tasks if t["customer_id"] == detractor]
    assert task["title"] == "Follow up with Dan Detractor: CSAT 1"
    r = agent.post(f"/tasks/{task['id']}/complete", json={"outcome": "Called, refunded."})
    assert r.json()["status"] == "done" and r.json()["outcome"] == "Called, refunded."
    assert [t["id"] for t in agent.get("/tasks").json()["items"]].count(task["id"]) == 0
    assert agent.get("/tasks", params={"status": "done"}).json()["total"] >= 1
    assert agent.put("/playbooks/x", json=SPEC).status_code == 403
    assert agent.post("/tasks/999999/complete").status_code == 404
