"""A privacy request in a message opens an admin task and pauses marketing at once (audited),
once per message however often it is re-scored; an admin lists and resolves it.

Readings are made deterministic by monkeypatching the engine's analyze_many (tests/cs_intents:
the real reading with the intent fields replaced via dataclasses.replace); the message goes
through the API and the real pipeline, the re-score through the pipeline's own stages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.emotion.tasks import score_interactions
from heartline.pipeline.stages import stages_for
from heartline.privacy.models import AuditEvent, PrivacyRequest
from tests.cs_intents import cs, read_as

ERASE = "Please delete all my data and stop emailing me."


def _customer(api, ext: str) -> int:
    c = api.post(
        "/customers",
        json={
            "external_id": ext,
            "name": "Priya Private",
            "email": f"{ext}@example.com",
            "consent": {"marketing": True},
            "birthday": "1990-01-01",
        },
    ).json()
    return int(c["id"])


def _actions(admin, cid: int) -> list[str]:
    items = admin.get("/audit", params={"entity": "customer", "entity_id": cid}).json()["items"]
    return [e["action"] for e in items]


def test_privacy_request_opens_one_admin_task_and_pauses_marketing(
    api, api_as, db: Session, monkeypatch
):
    admin = api_as("admin")
    cid = _customer(api, "priv-1")
    read_as(monkeypatch, {ERASE: cs("privacy_request", confidence=0.86)})
    msg = api.post("/interactions", json={"customer_id": cid, "channel": "email", "text": ERASE})
    assert msg.status_code == 201, msg.text
    iid = msg.json()["id"]

    listed = admin.get("/privacy/requests").json()
    [req] = [r for r in listed["items"] if r["customer_id"] == cid]
    assert (req["interaction_id"], req["status"]) == (iid, "open")
    assert req["conversation_id"] == msg.json()["conversation_id"]
    assert api_as("agent").get("/privacy/requests").status_code == 403

    customer = api.get(f"/customers/{cid}").json()
    assert customer["marketing_paused_at"] is not None
    assert customer["marketing_pause_reason"].startswith("privacy request on ")
    assert customer["consent"]["marketing"] is True  # paused, not silently withdrawn
    assert {"privacy_request", "marketing_pause"} <= set(_actions(admin, cid))

    # Marketing is held with a visible reason (even outside the conversation's lifetime).
    preview = api_as("manager").post(
        "/playbooks/birthday_greeting/preview",
        json={"customer_ids": [cid], "now": "2027-01-01T12:00:00+00:00"},
    )
    [decision] = preview.json()["decisions"]
    assert (decision["status"], decision["guardrail"]) == ("held", "marketing_hold")
    assert any("marketing paused: privacy request on" in r for r in decision["reasons"])

    # Re-scoring the same message and re-running every later stage opens nothing new.
    for _ in range(2):
        assert score_interactions(db, [iid], force=True) == [iid]
        for stage in stages_for("interaction")[1:]:
            stage.fn(db, [iid])
    db.commit()
    count = select(func.count()).select_from(PrivacyRequest)
    assert db.scalar(count.where(PrivacyRequest.interaction_id == iid)) == 1
    pauses = select(func.count()).select_from(AuditEvent)
    assert (
        db.scalar(pauses.where(AuditEvent.action == "marketing_pause", AuditEvent.entity_id == cid))
        == 1
    )

    # The admin handles it and lifts the pause; both audited, and resolving twice is harmless.
    r = admin.post(
        f"/privacy/requests/{req['id']}/resolve",
        json={"outcome": "unsubscribed from newsletters", "resume_marketing": True},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["outcome"]) == ("done", "unsubscribed from newsletters")
    assert api.get(f"/customers/{cid}").json()["marketing_paused_at"] is None
    assert _actions(admin, cid).count("marketing_pause") == 2
    assert "privacy_request_done" in _actions(admin, cid)
    assert admin.post(f"/privacy/requests/{req['id']}/resolve").json()["status"] == "done"
    assert all(r["id"] != req["id"] for r in admin.get("/privacy/requests").json()["items"])
    done = admin.get("/privacy/requests", params={"status": "done"}).json()["items"]
    assert [r["id"] for r in done if r["customer_id"] == cid] == [req["id"]]
    assert admin.post("/privacy/requests/999999/resolve").status_code == 404


def test_other_intents_and_unsure_readings_open_no_request(api, api_as, monkeypatch):
    cid = _customer(api, "priv-2")
    unsure = "Can you tell me what you keep about me?"
    read_as(
        monkeypatch,
        {ERASE: cs("other", confidence=0.9), unsure: cs("privacy_request", confidence=0.4)},
    )
    for text in (ERASE, unsure):
        api.post("/interactions", json={"customer_id": cid, "channel": "email", "text": text})
    items = api_as("admin").get("/privacy/requests", params={"status": "all"}).json()["items"]
    assert [r for r in items if r["customer_id"] == cid] == []
    assert api.get(f"/customers/{cid}").json()["marketing_paused_at"] is None
