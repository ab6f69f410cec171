"""The desk through the API: canned replies (validated variables, shared vs personal, audited),
the preview filled in for a conversation, notes with @mentions and the caller's
notifications."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from tests.web.conftest import PASSWORD, login

BODY = "Hi {{customer.first_name}}, this is {{agent.first_name}} about #{{conversation.id}}."
SAME_SITE = {"Origin": "http://testserver"}


def _conversation(api: Any) -> int:
    r = api.post(
        "/interactions",
        json={"customer_external_id": "cust-1", "channel": "email",
              "subject": "Late parcel", "text": "Where is my parcel?"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["conversation_id"])


def test_macros_are_validated_previewed_changed_and_deleted(
    api: Any, api_as: Any, customer: dict[str, Any]
) -> None:
    manager, agent = api_as("manager"), api_as("agent")
    r = manager.post("/macros", json={"name": "Hello", "body": "Hi {{customer.nickname}}"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["details"][0]["field"] == "body" and "{{customer.nickname}}" in err["message"]
    r = manager.post("/macros", json={"name": "Hello", "body": "Hi {{customer.first_name"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body"
    r = manager.post("/macros", json={"name": "Hello", "body": BODY, "set_status": "later"})
    assert r.status_code == 422 and "set_status" in r.json()["error"]["details"][0]["field"]
    r = manager.post("/macros", json={"name": "Hello", "body": BODY, "set_status": "pending"})
    assert r.status_code == 201, r.text
    macro = r.json()
    assert macro["shared"] is True and macro["set_status"] == "pending"
    listed = agent.get("/macros").json()
    assert [m["id"] for m in listed["items"]] == [macro["id"]]
    assert "order.number" in listed["variables"]

    conv = _conversation(api)
    r = agent.post(f"/conversations/{conv}/macros/{macro['id']}/preview")
    assert r.status_code == 200
    assert r.json() == {
        "macro_id": macro["id"], "conversation_id": conv, "set_status": "pending", "missing": [],
        "text": f"Hi Ada, this is test-agent about #{conv}.",
    }  # fmt: skip
    assert agent.post(f"/conversations/{conv}/macros/999999/preview").status_code == 404

    assert agent.patch(f"/macros/{macro['id']}", json={"name": "Mine now"}).status_code == 403
    assert agent.post("/macros", json={"name": "x", "body": "y"}).status_code == 403
    r = agent.post("/macros", json={"name": "x", "body": "y", "shared": False})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "shared"
    r = manager.patch(
        f"/macros/{macro['id']}", json={"body": "Bye {{agent.nam}}", "set_status": None}
    )
    assert r.status_code == 422 and "{{agent.nam}}" in r.json()["error"]["message"]
    r = manager.patch(f"/macros/{macro['id']}", json={"set_status": None, "name": "Hi there"})
    assert r.status_code == 200 and r.json()["set_status"] is None
    assert r.json()["name"] == "Hi there" and r.json()["body"] == BODY
    assert manager.delete(f"/macros/{macro['id']}").status_code == 204
    assert manager.delete(f"/macros/{macro['id']}").status_code == 404
    actions = [
        e["action"]
        for e in api_as("admin").get("/audit", params={"entity": "macro"}).json()["items"]
    ]
    assert actions[:3] == ["macro.deleted", "macro.updated", "macro.created"]


def test_personal_macros_belong_to_their_owner(
    client: TestClient, db: Session, api: Any, api_as: Any, customer: dict[str, Any]
) -> None:
    for email, name in (("kim@example.com", "Kim Lee"), ("ola@example.com", "Ola Berg")):
        auth_service.create_user(db, email=email, password=PASSWORD, role="agent", name=name)
    db.commit()
    login(client, "kim@example.com")
    r = client.post(
        "/api/v1/macros", json={"name": "My sign-off", "body": "{{agent.name}}", "shared": False},
        headers=SAME_SITE,
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["shared"] is False, r.text
    mid = r.json()["id"]
    conv = _conversation(api)
    preview = client.post(f"/api/v1/conversations/{conv}/macros/{mid}/preview", headers=SAME_SITE)
    assert preview.json()["text"] == "Kim Lee"
    client.cookies.clear()
    login(client, "ola@example.com")
    assert client.get("/api/v1/macros").json()["items"] == []
    assert client.delete(f"/api/v1/macros/{mid}", headers=SAME_SITE).status_code == 404
    assert api_as("manager").get("/macros").json()["items"] == []  # tokens see shared ones


def test_a_note_notifies_who_it_mentions(
    client: TestClient, db: Session, api: Any, customer: dict[str, Any]
) -> None:
    sam = auth_service.create_user(
        db, email="sam@example.com", password=PASSWORD, role="agent", name="Sam Reyes"
    )
    priya = auth_service.create_user(
        db, email="p.shah@example.com", password=PASSWORD, role="agent", name="Priya Shah"
    )
    db.commit()
    conv = _conversation(api)
    login(client, "sam@example.com")
    r = client.post(f"/api/v1/conversations/{conv}/notes", json={"body": " "}, headers=SAME_SITE)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body.body"
    r = client.post(
        f"/api/v1/conversations/{conv}/notes",
        json={"body": "@p.shah courier says Tuesday; @sam (me) and @nobody"}, headers=SAME_SITE,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["mentions"] == [priya.id] and note["author_id"] == sam.id
    assert note["author_name"] == "Sam Reyes"
    assert client.get(f"/api/v1/conversations/{conv}/notes").json()[0]["id"] == note["id"]
    assert client.get("/api/v1/notifications").json()["total"] == 0
    r = client.post("/api/v1/conversations/999999/notes", json={"body": "x"}, headers=SAME_SITE)
    assert r.status_code == 404

    client.cookies.clear()
    login(client, "p.shah@example.com")
    mine = client.get("/api/v1/notifications").json()
    assert mine["unread"] == 1 and mine["total"] == 1
    item = mine["items"][0]
    assert item["kind"] == "mention" and item["conversation_id"] == conv
    assert item["text"].startswith("Sam Reyes mentioned you on “Late parcel”: @p.shah courier")
    r = client.post(f"/api/v1/notifications/{item['id']}/read", headers=SAME_SITE)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert client.get("/api/v1/notifications?unread=true").json() == {
        "items": [], "total": 0, "unread": 0,
    }  # fmt: skip
    client.cookies.clear()
    login(client, "sam@example.com")
    r = client.post(f"/api/v1/notifications/{item['id']}/read", headers=SAME_SITE)
    assert r.status_code == 404  # not Sam's
