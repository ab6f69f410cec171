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


def test_export_includes_reviewers_notes_and_the_audit_trail(api_as, api, db):
    c = _seed(api)
    agent = api_as("agent")
    agent.get(f"/customers/{c['id']}")  # an audited view
    rid = db.scalar(select(EmotionReading.id).where(EmotionReading.customer_id == c["id"]).limit(1))
    r = agent.post(f"/readings/{rid}/review", json={"sentiment": "negative", "note": "angry, yes"})
    assert r.status_code in (200, 201), r.text
    data = api_as("manager").get(f"/customers/{c['id']}/export").json()
    assert [rv["note"] for rv in data["reading_reviews"]] == ["angry, yes"]
    assert "view" in [e["action"] for e in data["audit_events"]]


def test_erase_leaves_no_copy_in_the_file_sink(api_as, api, db, data_dir):
    from heartline.playbooks.models import OutboxMessage
    from tests.channels.helpers import queued

    c = _seed(api)
    msg = queued(db, customer_id=c["id"], key="hl-erase-me")
    folder = data_dir / "outbox"
    folder.mkdir(exist_ok=True)
    (folder / f"{msg.idempotency_key}.eml").write_text("To: p-1@example.com\n\nHello Pat")
    (folder / "hl-someone-else.eml").write_text("keep me")
    r = api_as("admin").delete(f"/customers/{c['id']}")
    assert r.status_code == 200 and r.json()["deleted"]["outbox_files"] == 1
    assert sorted(p.name for p in folder.iterdir()) == ["hl-someone-else.eml"]
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_retention_leaves_no_copy_of_the_words(api, db):
    from heartline.interactions.models import Conversation
    from heartline.mood.models import Complaint

    _seed(api)
    for i in db.scalars(select(Interaction)):
        i.occurred_at = utcnow() - timedelta(days=400)
    for conv in db.scalars(select(Conversation)):
        conv.subject, conv.last_activity_at = "Tent late", utcnow() - timedelta(days=400)
    db.commit()
    assert any(r.data.get("evidence") for r in db.scalars(select(EmotionReading)))
    privacy_service.expire_raw_text(db, older_than_days=365)
    db.expire_all()
    for r in db.scalars(select(EmotionReading)):
        assert r.data["evidence"] == [] and all("text" not in s for s in r.data["sentences"])
    assert all(c.evidence == {} for c in db.scalars(select(Complaint)))
    assert {c.subject for c in db.scalars(select(Conversation))} <= {""}


def test_withdrawn_consent_forgets_what_was_read(api_as, api, db):
    from heartline.mood.models import Complaint, MoodState

    c = _seed(api)
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == 2
    r = api.post("/customers", json={"external_id": "p-1", "consent": {"emotion_analysis": False}})
    assert r.status_code == 200, r.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == 0
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0
    notes = {i.analysis_note for i in db.scalars(select(Interaction))}
    assert notes == {"the customer opted out of emotion analysis"}
    mood = db.scalar(select(MoodState).where(MoodState.customer_id == c["id"]))
    assert mood.readings_count == 0 and mood.last_negative is None and not mood.profile
    trail = api_as("admin").get("/audit", params={"entity": "customer", "entity_id": c["id"]})
    assert "consent.withdrawn" in [e["action"] for e in trail.json()["items"]]


def test_the_sqlite_file_is_private_and_erasure_leaves_no_bytes_behind(tmp_path):
    """The database file is created owner-only (so are its WAL and shared-memory files), and
    after an erasure neither the file nor the write-ahead log holds the erased words."""
    import os

    from sqlalchemy.orm import Session

    from heartline import db as dbmod
    from heartline import migrate
    from heartline.customers import service as customer_service
    from heartline.customers.schemas import CustomerIn
    from heartline.interactions import service as interaction_service
    from heartline.interactions.schemas import InteractionIn

    path = tmp_path / "private.db"
    engine = dbmod.make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        secret = "Zanzibar-Quokka-7731"
        with Session(engine) as s:
            c = customer_service.upsert_customer(
                s, data=CustomerIn(external_id="x", name=secret, email="zq@example.com")
            ).obj
            interaction_service.ingest_interaction(
                s, data=InteractionIn(customer_id=c.id, channel="chat", text=f"I am {secret}")
            )
            s.commit()
            cid = c.id
        for suffix in ("", "-wal", "-shm"):
            f = path.with_name(path.name + suffix)
            if f.exists():
                assert f.stat().st_mode & 0o777 == 0o600, suffix
        with Session(engine) as s:
            privacy_service.erase_customer(s, customer_id=cid, actor=None)
            s.commit()
        dbmod.checkpoint(engine)
        for suffix in ("", "-wal"):
            f = path.with_name(path.name + suffix)
            if f.exists():
                assert secret.encode() not in f.read_bytes(), suffix
        assert not os.path.exists(str(path) + "-wal") or os.path.getsize(str(path) + "-wal") == 0
    finally:
        engine.dispose()
