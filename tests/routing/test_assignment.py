"""Assignment: by hand (validated, audited, the team follows the person), the Mine and
Unassigned views, and the round robin of an auto-assign queue (in turn, skipping people who are
away, never replacing an assignee)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.privacy import service as privacy_service

QUEUES = ("general", "senior", "billing")


def _people(db: Session, team: str, names: list[str]) -> tuple[int, list[int]]:
    team_id = auth_service.get_or_create_team(db, name=team).id
    ids = [
        auth_service.create_user(
            db, email=f"{n.lower()}@example.com", password="a long passphrase for tests 42",
            role="agent", name=n, team_id=team_id,
        ).id
        for n in names
    ]  # fmt: skip
    db.commit()
    return team_id, ids


def _message(api: Any, external_id: str, text: str = "Can I change the delivery address?") -> int:
    r = api.post(
        "/interactions",
        json={"customer_external_id": external_id, "channel": "email", "text": text},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["conversation_id"])


def _customers(api: Any, n: int) -> None:
    for i in range(n):
        assert api.post("/customers", json={"external_id": f"c{i}"}).status_code in (200, 201)


def test_assign_by_hand_validated_audited_and_listed(api: Any, api_as: Any, db: Session) -> None:
    team_id, (ann, bo) = _people(db, "Frontline", ["Ann", "Bo"])
    _customers(api, 1)
    conv = _message(api, "c0")
    agent = api_as("agent")

    r = agent.put(f"/conversations/{conv}/assignee", json={"assignee_id": ann})
    assert r.status_code == 200 and r.json() == {"id": conv, "assignee_id": ann, "team_id": team_id}
    mine = agent.get(f"/conversations?assignee={ann}").json()
    assert [c["id"] for c in mine["items"]] == [conv]
    assert conv not in [c["id"] for c in agent.get("/conversations?assignee=none").json()["items"]]

    # an unknown or deactivated person is a 422 naming the field; nothing changes
    bad = agent.put(f"/conversations/{conv}/assignee", json={"assignee_id": 999_999})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "assignee_id"
    auth_service.update_user(db, user_id=bo, is_active=False)
    db.commit()
    gone = agent.put(f"/conversations/{conv}/assignee", json={"assignee_id": bo})
    assert gone.status_code == 422
    assert agent.get(f"/conversations/{conv}").json()["assignee_id"] == ann

    # taken back to nobody, the team stays; every move is in the audit trail
    r = agent.put(f"/conversations/{conv}/assignee", json={"assignee_id": None})
    assert r.json()["assignee_id"] is None and r.json()["team_id"] == team_id
    events, _ = privacy_service.audit_trail(
        db, entity="conversation", entity_id=conv, action="conversation.assigned"
    )
    moves = [(e.details["from"]["assignee_id"], e.details["to"]["assignee_id"]) for e in events]
    assert moves == [(ann, None), (None, ann)]  # newest first
    assert agent.put(f"/conversations/{conv}/assignee", json={}).status_code == 422


def test_round_robin_takes_turns_skips_people_away_and_never_replaces(
    api: Any, api_as: Any, db: Session
) -> None:
    team_id, (ann, bo, cy) = _people(db, "Frontline", ["Ann", "Bo", "Cy"])
    admin = api_as("admin")
    for queue in QUEUES:
        r = admin.put(f"/queues/{queue}", json={"team_id": team_id, "auto_assign": True})
        assert r.status_code == 200, r.text
    _customers(api, 6)
    first = [_message(api, f"c{i}") for i in range(4)]
    reader = api_as("agent")
    owner = {c: reader.get(f"/conversations/{c}").json()["assignee_id"] for c in first}
    assert [owner[c] for c in first] == [ann, bo, cy, ann]  # in turn, by name

    # Bo goes away: the turn passes over Bo and comes back once Bo is available again
    manager = api_as("manager")
    r = manager.put(f"/agents/{bo}/availability", json={"available": False})
    assert r.status_code == 200 and r.json() == {"user_id": bo, "available": False}
    later = [_message(api, f"c{i}") for i in (4, 5)]
    assert [reader.get(f"/conversations/{c}").json()["assignee_id"] for c in later] == [cy, ann]

    # a new message in a conversation someone has never changes its assignee
    again = _message(api, "c0", "Any news on this?")
    assert again == first[0] and reader.get(f"/conversations/{again}").json()["assignee_id"] == ann
    # an agent may set only their own availability; an integration token is not a person
    assert api_as("agent").put(
        f"/agents/{ann}/availability", json={"available": False}
    ).status_code == 403  # fmt: skip


def test_a_queue_without_round_robin_leaves_conversations_unassigned(
    api: Any, api_as: Any, db: Session
) -> None:
    team_id, _ = _people(db, "Frontline", ["Ann"])
    admin = api_as("admin")
    for queue in QUEUES:
        admin.put(f"/queues/{queue}", json={"team_id": team_id, "auto_assign": False})
    _customers(api, 1)
    conv = _message(api, "c0")
    agent = api_as("agent")
    assert agent.get(f"/conversations/{conv}").json()["assignee_id"] is None
    unassigned = agent.get("/conversations?assignee=none").json()["items"]
    assert conv in [c["id"] for c in unassigned]
    queues = {q["queue"]: q for q in agent.get("/queues").json()}
    assert queues["general"] == {"queue": "general", "team_id": team_id, "auto_assign": False}
    bad = admin.put("/queues/general", json={"team_id": 999_999, "auto_assign": True})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "team_id"
    assert api_as("agent").put("/queues/general", json={"team_id": team_id}).status_code == 403


def test_ids_out_of_range_are_a_422_naming_the_field(api_as: Any) -> None:
    """A body id beyond a 32-bit column is refused before the database sees it (the fuzzer
    found a 500 on PostgreSQL)."""
    admin = api_as("admin")
    r = admin.put("/queues/general", json={"team_id": 2**40, "auto_assign": True})
    assert r.status_code == 422 and "team_id" in r.text
    r = admin.put("/conversations/1/assignee", json={"assignee_id": 2**40})
    assert r.status_code == 422 and "assignee_id" in r.text
