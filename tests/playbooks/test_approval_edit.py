"""An approver's edit through the API: the edited text is what goes out, the playbook's own text
is kept beside it, and the approval (with what was edited) or the rejection is audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.playbooks import service
from heartline.playbooks.models import OutboxMessage
from heartline.privacy.models import AuditEvent
from tests.playbooks.helpers import NOW, birthday_today, customer


def _drafts(api_as, db: Session) -> list[int]:
    api_as("manager").patch("/playbooks/birthday_greeting", json={"approval_required": True})
    for name in ("Amy Approve", "Rob Reject"):
        customer(db, name=name, birthday=birthday_today())
    service.run_scheduled(db, now=NOW)
    db.commit()
    return [d["id"] for d in api_as("manager").get("/approvals").json()["items"]]


def _audit(db: Session, outbox_id: int) -> AuditEvent:
    db.expire_all()
    q = select(AuditEvent).where(AuditEvent.entity == "outbox", AuditEvent.entity_id == outbox_id)
    return db.scalars(q).one()


def test_an_edited_approval_keeps_the_original_and_is_audited(api_as, db: Session) -> None:
    manager = api_as("manager")
    first, second = _drafts(api_as, db)
    before = db.get(OutboxMessage, first)
    original = (before.subject, before.body)
    r = manager.post(f"/approvals/{first}/approve", json={"body": "Happy birthday from us all!"})
    assert r.status_code == 200 and r.json()["body"] == "Happy birthday from us all!"
    assert r.json()["subject"] == original[0]
    db.expire_all()
    msg = db.get(OutboxMessage, first)
    assert msg.meta["edited"]["original"] == {"body": original[1]}
    assert msg.meta["edited"]["by"] == msg.decided_by and msg.status == "sent"
    event = _audit(db, first)
    assert event.action == "outbox.approved" and event.details["edited"] == ["body"]

    r = manager.post(f"/approvals/{second}/reject", json={"note": "not this year"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert _audit(db, second).action == "outbox.rejected"


def test_an_unedited_approval_records_no_edit(api_as, db: Session) -> None:
    first, _ = _drafts(api_as, db)
    body = db.get(OutboxMessage, first).body
    r = api_as("admin").post(f"/approvals/{first}/approve", json={"body": body})
    assert r.status_code == 200
    db.expire_all()
    assert "edited" not in (db.get(OutboxMessage, first).meta or {})
    assert _audit(db, first).details["edited"] == []
