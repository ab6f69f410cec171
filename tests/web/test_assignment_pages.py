"""Assignment in the workspace: the Unassigned and Mine views, taking a conversation, giving
it to a teammate, going away, and the admin's queue settings."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.interactions import service as interaction_service
from heartline.privacy import service as privacy_service
from tests.web.conftest import PASSWORD, csrf_of


def _rows(html: str) -> list[str]:
    return re.findall(r'href="/conversations/(\d+)"', html)


def test_an_agent_takes_an_unassigned_conversation_and_gives_it_on(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = str(frustrated["conversation_id"])
    mate = auth_service.create_user(
        db, email="kim@example.com", password=PASSWORD, role="agent", name="Kim Teammate"
    )
    db.commit()
    c = web_as("agent")
    assert conv in _rows(c.get("/inbox?view=unassigned").text)
    assert conv not in _rows(c.get("/inbox?view=mine").text)

    page = c.get(f"/conversations/{conv}")
    assert "nobody yet" in page.text and "Assign to me" in page.text
    me = auth_service.find_user(db, email="agent@example.com")
    assert me is not None
    r = c.post(
        f"/conversations/{conv}/assign",
        data={"assignee_id": str(me.id), "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert conv in _rows(c.get("/inbox?view=mine").text)
    assert conv not in _rows(c.get("/inbox?view=unassigned").text)
    inbox = c.get("/inbox").text
    assert 'Mine <span class="muted">(1)</span>' in inbox and ">You<" in inbox

    page = c.get(f"/conversations/{conv}")
    assert "Assignee:</strong> you" in page.text
    c.post(
        f"/conversations/{conv}/assign",
        data={"assignee_id": str(mate.id), "csrf": csrf_of(page.text)},
    )
    db.expire_all()
    assert interaction_service.get_conversation(db, conversation_id=int(conv)).assignee_id == (
        mate.id
    )
    assert conv not in _rows(c.get("/inbox?view=mine").text)
    events, total = privacy_service.audit_trail(
        db, entity="conversation", entity_id=int(conv), action="conversation.assigned"
    )
    assert total == 2 and events[0].actor_name == "Sam Agent"

    bad = c.post(
        f"/conversations/{conv}/assign",
        data={"assignee_id": "abc", "csrf": csrf_of(page.text)},
        headers={"accept": "text/html"},
    )
    assert bad.status_code == 422 and "assignee_id" in bad.text
    assert c.get("/inbox?view=everything").status_code == 422


def test_going_away_and_coming_back(web_as: Any, db: Session) -> None:
    c = web_as("agent")
    inbox = c.get("/inbox").text
    assert "Available for new conversations" in inbox
    c.post("/account/availability", data={"available": "false", "csrf": csrf_of(inbox)})
    inbox = c.get("/inbox").text
    assert "Away: no new conversations" in inbox and "Become available" in inbox
    me = auth_service.find_user(db, email="agent@example.com")
    db.expire_all()
    assert me is not None and me.available is False
    c.post("/account/availability", data={"available": "true", "csrf": csrf_of(inbox)})
    db.expire_all()
    assert auth_service.find_user(db, email="agent@example.com").available is True  # type: ignore[union-attr]


def test_an_admin_sets_who_works_a_queue(web_as: Any, db: Session) -> None:
    team = auth_service.get_or_create_team(db, name="Senior care")
    db.commit()
    c = web_as("admin")
    page = c.get("/settings")
    assert "Queues and assignment" in page.text
    r = c.post(
        "/settings/queues/senior",
        data={"team_id": str(team.id), "auto_assign": "true", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    from heartline.routing import service as routing_service

    queues = {q.queue: q for q in routing_service.queue_settings(db)}
    assert queues["senior"].team_id == team.id and queues["senior"].auto_assign
    bad = c.post(
        "/settings/queues/senior",
        data={"team_id": "999999", "auto_assign": "true", "csrf": csrf_of(page.text)},
    )
    assert bad.status_code == 422 and "no team" in bad.text
    assert web_as("agent").get("/settings").status_code == 403


def test_form_ids_out_of_range_say_so(web_as: Any, frustrated: dict[str, int]) -> None:
    c = web_as("admin")
    page = c.get("/settings")
    r = c.post(
        "/settings/queues/general",
        data={"team_id": str(2**40), "auto_assign": "true", "csrf": csrf_of(page.text)},
    )
    assert r.status_code == 422 and "no team" in r.text
    conv = frustrated["conversation_id"]
    r = c.post(
        f"/conversations/{conv}/assign",
        data={"assignee_id": str(2**40), "csrf": csrf_of(page.text)},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422


def test_an_admin_sets_up_a_team_and_puts_people_in_it(web_as: Any, db: Session) -> None:
    agent = web_as("agent")  # creates the agent user
    del agent
    c = web_as("admin")
    page = c.get("/settings").text
    r = c.post(
        "/settings/teams", data={"name": "  Night   shift ", "csrf": csrf_of(page)},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    team = auth_service.get_or_create_team(db, name="Night shift")
    page = c.get("/settings").text
    assert "Night shift (0)" in page
    someone = auth_service.find_user(db, email="agent@example.com")
    assert someone is not None
    form = {"role": "agent", "active": "on", "csrf": csrf_of(page)}
    c.post(f"/settings/users/{someone.id}", data={**form, "team_id": str(team.id)})
    db.expire_all()
    assert auth_service.find_user(db, email="agent@example.com").team_id == team.id  # type: ignore[union-attr]
    assert "Night shift (1)" in c.get("/settings").text
    events, _ = privacy_service.audit_trail(db, entity="user", entity_id=someone.id)
    assert events[0].details["team_id"] == [None, team.id]
    bad = c.post(f"/settings/users/{someone.id}", data={**form, "team_id": "999999"})
    assert bad.status_code == 422 and "team_id" in bad.text
    empty = c.post("/settings/teams", data={"name": "   ", "csrf": csrf_of(page)})
    assert empty.status_code == 422
