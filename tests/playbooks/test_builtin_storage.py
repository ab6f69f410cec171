"""The built-in playbooks are stored by the migration and the write paths: reads never write."""

from __future__ import annotations

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from heartline.playbooks import service
from heartline.playbooks.models import Playbook
from heartline.playbooks.schemas import PlaybookPatch
from tests.playbooks.helpers import NOW


def _keys(db: Session) -> set[str]:
    return set(db.scalars(select(Playbook.key)))


def test_the_migrated_database_holds_every_built_in(db: Session) -> None:
    shipped = {spec["key"] for spec in service.builtin_specs()}
    assert shipped <= _keys(db)
    rows = {r.key: r for r in db.scalars(select(Playbook).where(Playbook.key.in_(shipped)))}
    assert all(r.builtin and r.version == 1 for r in rows.values())
    # Stored as the app validates them (defaults filled in), the same as a saved spec.
    first = service.builtin_specs()[0]
    assert rows[first["key"]].spec == service.parse_spec(first).model_dump(mode="json")


def test_reading_playbooks_writes_nothing(db: Session, api_as) -> None:
    db.execute(delete(Playbook).where(Playbook.key == "birthday_greeting"))
    db.commit()
    writes: list[str] = []

    def spy(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", spy)
    try:
        assert "birthday_greeting" not in {r.key for r in service.list_playbooks(db)}
        manager = api_as("manager")
        keys = [p["key"] for p in manager.get("/playbooks").json()]
        assert "birthday_greeting" not in keys
        assert manager.get("/playbooks/birthday_greeting").status_code == 404
        assert manager.get("/playbooks/delay_recovery").json()["builtin"] is True
    finally:
        event.remove(bind, "before_cursor_execute", spy)
    assert [w for w in writes if "playbooks" in w] == []


def test_a_built_in_shipped_later_is_stored_by_the_write_paths(db: Session) -> None:
    db.execute(delete(Playbook).where(Playbook.key.in_(("birthday_greeting", "advocate_invite"))))
    db.flush()
    service.run_scheduled(db, now=NOW)  # a run stores it before evaluating
    assert {"birthday_greeting", "advocate_invite"} <= _keys(db)

    db.execute(delete(Playbook).where(Playbook.key == "birthday_greeting"))
    db.flush()
    row = service.patch_playbook(db, key="birthday_greeting", patch=PlaybookPatch(enabled=False))
    assert row.builtin and not row.enabled
