"""Export, erasure across every domain, retention and the audit trail."""

from datetime import timedelta

from sqlalchemy import func, select

from heartline.db import utcnow
from heartline.interactions.models import Interaction
from heartline.mood.models import EmotionReading
from heartline.privacy import service as privacy_service


def _seed(api, ext="p-1"):
    c = api.post(
        "/customers", json={"external_id": ext, "name": "Pat", "email": f"{ext}@example.com"}
    ).json()
    api.post(
        "/orders",
        json={
            "external_id": f"{ext}-o",
            "customer_external_id": ext,
            "status": "delayed",
            "placed_at": "2026-09-01T00:00:00Z",
            "items": [{"product": "Tent"}],
        },
    )
    api.post(
        "/interactions",
        json={
            "customer_external_id": ext,
            "channel": "email",
            "text": "My tent is late and nobody answers. Awful.",
        },
    )
    api.post(
        "/surveys",
        json={"customer_external_id": ext, "kind": "nps", "score": 3, "comment": "Slow."},
    )
    return c


def test_export_holds_every_domain(api_as, api):
    c = _seed(api)
    r = api_as("manager").get(f"/customers/{c['id']}/export")
    assert r.status_code == 200
    data = r.json()
    assert data["customer"]["email"] == "p-1@example.com"
    assert len(data["interactions"]) == 2 and len(data["orders"]) == 1
    assert data["order_items"][0]["product"] == "Tent"
    assert len(data["emotion_readings"]) == 2
    assert api_as("agent").get(f"/customers/{c['id']}/export").status_code == 403


def test_erase_removes_every_row_about_the_customer(api_as, api, db):
    c = _seed(api)
    other = _seed(api, "p-2")
    r = api_as("admin").delete(f"/customers/{c['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["interactions"] == 2
    for table in privacy_service.customer_tables():
        left = db.scalar(
            select(func.count()).select_from(table).where(table.c.customer_id == c["id"])
        )
        assert left == 0, table.name
    assert api.get(f"/customers/{c['id']}").status_code == 404
    assert api.get(f"/customers/{other['id']}").status_code == 200  # others untouched
    trail = (
        api_as("admin").get("/audit", params={"entity": "customer", "entity_id": c["id"]}).json()
    )
    assert trail["items"][0]["action"] == "erase"
    assert "Pat" not in str(trail["items"][0]["details"])  # counts only, never content


def test_only_admins_erase(api_as, api):
    c = _seed(api)
    assert api_as("manager").delete(f"/customers/{c['id']}").status_code == 403


def test_views_and_consent_changes_are_audited(api_as, api):
    c = _seed(api)
    api_as("agent").get(f"/customers/{c['id']}")
    api.post("/customers", json={"external_id": "p-1", "consent": {"marketing": True}})
    actions = [
        e["action"]
        for e in api_as("admin")
        .get("/audit", params={"entity": "customer", "entity_id": c["id"]})
        .json()["items"]
    ]
    assert actions[:2] == ["consent", "view"]


def test_retention_blanks_old_text_but_keeps_readings(api, db):
    _seed(api)
    old = db.scalars(select(Interaction)).all()[0]
    old.occurred_at = utcnow() - timedelta(days=400)
    db.commit()
    assert privacy_service.expire_raw_text(db, older_than_days=365) == 1
    db.expire_all()
    assert (
        db.get(Interaction, old.id).text == ""
        and db.get(Interaction, old.id).text_expired_at is not None
    )
    assert (
        db.scalar(select(EmotionReading).where(EmotionReading.interaction_id == old.id)) is not None
    )
    assert privacy_service.expire_raw_text(db, older_than_days=365) == 0  # idempotent
