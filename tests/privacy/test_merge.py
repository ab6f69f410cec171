"""Merging duplicate customers: every row about the duplicate, in every table with a
customer_id, ends up with the survivor (counts add up, nothing orphaned or lost), the profile
fills blanks, the stricter consent wins, mood is recomputed, and the merge is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.mood import service as mood_service
from heartline.playbooks.models import AgentTask
from heartline.privacy import service as privacy_service


def _seed(api: Any, ext: str, **profile: Any) -> dict[str, Any]:
    r = api.post("/customers", json={"external_id": ext, **profile})
    assert r.status_code == 201, r.text
    c = r.json()
    api.post(
        "/orders",
        json={"external_id": f"{ext}-o", "customer_external_id": ext, "status": "delayed",
              "placed_at": "2026-09-01T00:00:00Z", "items": [{"product": "Tent"}]},
    )  # fmt: skip
    for text in ("My tent is late and nobody answers. Awful.", "Still nothing. I am furious."):
        r = api.post(
            "/interactions", json={"customer_external_id": ext, "channel": "email", "text": text}
        )
        assert r.status_code == 201, r.text
    api.post("/surveys", json={"customer_external_id": ext, "kind": "nps", "score": 3,
                               "comment": "Slow."})  # fmt: skip
    return dict(c)


def _counts(db: Session, customer_id: int) -> dict[str, int]:
    return {
        t.name: int(
            db.scalar(select(func.count()).select_from(t).where(t.c.customer_id == customer_id))
            or 0
        )
        for t in privacy_service.customer_tables()
    }


def test_merge_moves_every_row_fills_blanks_and_keeps_the_stricter_consent(
    api: Any, api_as: Any, db: Session
) -> None:
    dup = _seed(api, "dup", name="Pat", email="pat@old.example", phone="+44 20 7946 0000",
                consent={"marketing": True, "channels": {"sms": False, "email": True}})  # fmt: skip
    keep = _seed(api, "keep", name="Pat Jones", email="pat@example.com", consent={"marketing": True,
                 "channels": {"email": True, "whatsapp": True}})  # fmt: skip
    db.add(AgentTask(customer_id=dup["id"], kind="check_in", title="Call Pat"))
    db.commit()
    before_dup, before_keep = _counts(db, dup["id"]), _counts(db, keep["id"])
    assert before_dup["conversations"] >= 1 and before_dup["emotion_readings"] >= 2
    assert before_dup["agent_tasks"] >= 1 and before_dup["survey_responses"] == 1

    assert (
        api_as("agent").post(f"/customers/{dup['id']}/merge", json={"into": keep["id"]}).status_code
        == 403
    )
    r = api_as("manager").post(f"/customers/{dup['id']}/merge", json={"into": keep["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["moved"]["interactions"] == before_dup["interactions"]

    after_dup, after_keep = _counts(db, dup["id"]), _counts(db, keep["id"])
    assert set(after_dup.values()) == {0}, after_dup  # nothing left behind
    for table, n in before_dup.items():
        if table in ("mood_states", "segment_members"):  # recomputed for the survivor
            continue
        assert after_keep[table] == before_keep[table] + n, table
    assert after_keep["mood_states"] == 1
    assert api.get(f"/customers/{dup['id']}").status_code == 404

    survivor = api.get(f"/customers/{keep['id']}").json()
    assert survivor["name"] == "Pat Jones" and survivor["email"] == "pat@example.com"
    assert survivor["phone"] == "+44 20 7946 0000"  # a blank filled from the duplicate
    assert survivor["consent"]["marketing"] is True
    assert survivor["consent"]["channels"] == {"email": True, "sms": False, "whatsapp": True}
    mood = mood_service.get_mood(db, customer_id=keep["id"])
    assert mood is not None and mood.readings_count == after_keep["emotion_readings"]

    trail = (
        api_as("admin")
        .get("/audit", params={"entity": "customer", "entity_id": keep["id"]})
        .json()["items"]
    )
    merged = [e for e in trail if e["action"] == "customer.merged"]
    assert merged and merged[0]["details"]["from"] == dup["id"]
    assert merged[0]["details"]["into"] == keep["id"]


def test_an_opt_out_on_either_side_wins_and_forgets_the_feelings(
    api: Any, api_as: Any, db: Session
) -> None:
    dup = _seed(api, "d2", name="Sam", consent={"marketing": False})
    keep = _seed(api, "k2", name="Sam", consent={"marketing": True})
    r = api.post("/customers", json={"external_id": "d2", "consent": {"emotion_analysis": False}})
    assert r.status_code == 200
    r = api_as("manager").post(f"/customers/{dup['id']}/merge", json={"into": keep["id"]})
    assert r.status_code == 200, r.text
    survivor = api.get(f"/customers/{keep['id']}").json()
    assert survivor["consent"]["marketing"] is False
    assert survivor["consent"]["emotion_analysis"] is False
    assert _counts(db, keep["id"])["emotion_readings"] == 0


def test_merge_validation_names_the_field(api: Any, api_as: Any) -> None:
    a = api.post("/customers", json={"external_id": "v1"}).json()
    m = api_as("manager")
    same = m.post(f"/customers/{a['id']}/merge", json={"into": a["id"]})
    assert same.status_code == 422 and same.json()["error"]["details"][0]["field"] == "into"
    gone = m.post(f"/customers/{a['id']}/merge", json={"into": 999_999})
    assert gone.status_code == 422 and gone.json()["error"]["details"][0]["field"] == "into"
    assert m.post(f"/customers/{a['id']}/merge", json={}).status_code == 422
    assert m.post("/customers/999999/merge", json={"into": a["id"]}).status_code == 404
    assert api.get(f"/customers/{a['id']}").status_code == 200
