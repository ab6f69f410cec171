"""Tasks: the follow-ups playbooks create are listed by view, taken, given on, rescheduled
and completed with what happened, through the page and the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.playbooks.models import AgentTask
from heartline.privacy import service as privacy_service
from tests.web.conftest import PASSWORD, csrf_of


def _task(db: Session, customer_id: int, **fields: Any) -> int:
    task = AgentTask(
        customer_id=customer_id, kind="check_in_call", title="Call Ada about her late order",
        body="She wrote three times.", playbook_key="delay_recovery", **fields,
    )  # fmt: skip
    db.add(task)
    db.commit()
    return task.id


def _ids(html: str) -> list[str]:
    return re.findall(r'id="task-(\d+)"', html)


def test_an_agent_takes_reschedules_gives_and_completes_a_task(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    task = str(_task(db, frustrated["customer_id"]))
    mate = auth_service.create_user(
        db, email="kim@example.com", password=PASSWORD, role="agent", name="Kim Teammate"
    )
    db.commit()
    c = web_as("agent")
    assert task in _ids(c.get("/tasks?view=unassigned").text)
    page = c.get("/tasks?view=mine")
    assert task not in _ids(page.text) and "No tasks here" in page.text
    assert 'My tasks <span class="muted">(0)</span>' in c.get("/inbox").text

    page = c.get("/tasks?view=unassigned")
    c.post(f"/tasks/{task}", data={"action": "take", "csrf": csrf_of(page.text)})
    mine = c.get("/tasks?view=mine").text
    assert task in _ids(mine) and "Call Ada about her late order" in mine
    assert 'My tasks <span class="muted">(1)</span>' in c.get("/inbox").text

    r = c.post(
        f"/tasks/{task}",
        data={"action": "save", "assignee_id": str(mate.id), "due": "2026-12-03",
              "csrf": csrf_of(mine)},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    db.expire_all()
    row = db.get(AgentTask, int(task))
    assert row is not None and row.assignee_id == mate.id
    assert row.due_at == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    events, _ = privacy_service.audit_trail(db, entity="task", entity_id=int(task))
    assert events[0].action == "task.updated" and "due_at" in events[0].details

    bad = c.post(
        f"/tasks/{task}",
        data={"action": "save", "due": "next week", "csrf": csrf_of(mine)},
        headers={"accept": "text/html"},
    )
    assert bad.status_code == 422 and "due" in bad.text

    outcome = "Called, parcel found, she is happy"
    c.post(f"/tasks/{task}", data={"action": "done", "outcome": outcome, "csrf": csrf_of(mine)})
    db.expire_all()
    row = db.get(AgentTask, int(task))
    assert row is not None and row.status == "done" and row.outcome.startswith("Called")
    done = c.get("/tasks?view=all&status=done").text
    assert task in _ids(done) and "Outcome: Called, parcel found" in done


def test_the_api_patches_a_task(api_as: Any, frustrated: dict[str, int], db: Session) -> None:
    task = _task(db, frustrated["customer_id"])
    agent = auth_service.create_user(
        db, email="kim@example.com", password=PASSWORD, role="agent", name="Kim"
    )
    db.commit()
    worker = api_as("agent")
    r = worker.patch(
        f"/tasks/{task}", json={"assignee_id": agent.id, "due_at": "2026-12-01T09:00:00Z"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == agent.id and r.json()["due_at"].startswith("2026-12-01T09:00")
    r = worker.patch(f"/tasks/{task}", json={"due_at": None})
    assert r.json()["due_at"] is None and r.json()["assignee_id"] == agent.id  # omitted: kept
    listed = worker.get(f"/tasks?assignee_id={agent.id}").json()["items"]
    assert [t["id"] for t in listed] == [task]
    assert worker.get("/tasks?assignee=none").json()["total"] == 0
    bad = worker.patch(f"/tasks/{task}", json={"assignee_id": 999_999})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "assignee_id"
    assert worker.patch("/tasks/999999", json={"assignee_id": None}).status_code == 404


def test_saving_a_new_assignee_keeps_an_untouched_due_time(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    due = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    task = _task(db, frustrated["customer_id"], due_at=due)
    c = web_as("agent")
    page = c.get("/tasks?view=all").text
    me = auth_service.find_user(db, email="agent@example.com")
    assert me is not None
    c.post(
        f"/tasks/{task}",
        data={"action": "save", "assignee_id": str(me.id), "due": "2026-12-02",
              "due_was": "2026-12-02", "csrf": csrf_of(page)},
    )  # fmt: skip
    db.expire_all()
    row = db.get(AgentTask, task)
    assert row is not None and row.assignee_id == me.id and row.due_at == due
