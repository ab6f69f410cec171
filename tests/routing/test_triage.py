"""Tags, snooze and bulk actions through the API: validated (422 naming the field), audited per
conversation, and the inbox's lists follow (tag filter, snoozed out of the open views until the
time comes or the customer writes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.interactions import service as interaction_service
from heartline.privacy import service as privacy_service


def _conv(api: Any, ext: str, text: str = "Where is my parcel? It is late.") -> int:
    api.post("/customers", json={"external_id": ext})
    r = api.post(
        "/interactions", json={"customer_external_id": ext, "channel": "email", "text": text}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["conversation_id"])


def _actions(db: Session, conv: int, action: str) -> list[dict[str, Any]]:
    events, _ = privacy_service.audit_trail(
        db, entity="conversation", entity_id=conv, action=action
    )
    return [e.details for e in events]


def test_tags_normalised_validated_filtered_and_audited(api: Any, api_as: Any, db: Session) -> None:
    a, b = _conv(api, "t1"), _conv(api, "t2")
    agent = api_as("agent")
    r = agent.put(
        f"/conversations/{a}/tags", json={"tags": [" Refund ", "late Delivery", "REFUND"]}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"id": a, "tags": ["late-delivery", "refund"]}
    assert agent.put(f"/conversations/{b}/tags", json={"tags": ["refund"]}).status_code == 200

    listed = agent.get("/conversations?tag=Refund&status=open").json()
    assert sorted(c["id"] for c in listed["items"]) == sorted([a, b])
    only_a = agent.get("/conversations?tag=late-delivery").json()["items"]
    assert [c["id"] for c in only_a] == [a]
    assert agent.get("/tags").json()[:2] == [
        {"tag": "refund", "conversations": 2},
        {"tag": "late-delivery", "conversations": 1},
    ]
    assert [t["tag"] for t in agent.get("/tags?prefix=la").json()] == ["late-delivery"]

    bad = agent.put(f"/conversations/{a}/tags", json={"tags": ["ok", "no<script>"]})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "tags[1]"
    long = agent.put(f"/conversations/{a}/tags", json={"tags": ["x" * 41]})
    assert long.status_code == 422
    assert agent.get("/conversations?tag=no%20such%3F").status_code == 422
    assert agent.put("/conversations/999999/tags", json={"tags": ["a"]}).status_code == 404

    # removing one is audited with what changed; an unchanged PUT adds no event
    agent.put(f"/conversations/{a}/tags", json={"tags": ["refund"]})
    agent.put(f"/conversations/{a}/tags", json={"tags": ["refund"]})
    assert _actions(db, a, "conversation.tagged") == [
        {"added": [], "removed": ["late-delivery"]},
        {"added": ["refund", "late-delivery"], "removed": []},
    ]


def test_snooze_leaves_open_views_wakes_on_time_or_when_the_customer_writes(
    api: Any, api_as: Any, db: Session
) -> None:
    conv = _conv(api, "s1")
    agent = api_as("agent")
    until = datetime.now(UTC) + timedelta(days=2)
    r = agent.post(f"/conversations/{conv}/snooze", json={"until": until.isoformat()})
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["snoozed_until"]) == until.replace(
        microsecond=until.microsecond
    )
    awake = agent.get("/conversations?status=open&snoozed=false").json()["items"]
    asleep = agent.get("/conversations?snoozed=true").json()["items"]
    assert conv not in [c["id"] for c in awake] and [c["id"] for c in asleep] == [conv]

    # validation: past, too far, or not a time at all
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert agent.post(f"/conversations/{conv}/snooze", json={"until": past}).status_code == 422
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    r = agent.post(f"/conversations/{conv}/snooze", json={"until": far})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "until"
    bad = agent.post(f"/conversations/{conv}/snooze", json={"until": "tomorrowish"})
    assert bad.status_code == 422 and "until" in bad.json()["error"]["details"][0]["field"]

    # the customer writes again: awake at once
    api.post("/interactions", json={"customer_external_id": "s1", "channel": "email",
                                    "text": "Any news? Still waiting."})  # fmt: skip
    assert agent.get(f"/conversations/{conv}").json()["snoozed_until"] is None

    # the time passes: back without any job running
    agent.post(f"/conversations/{conv}/snooze", json={"until": until.isoformat()})
    row = interaction_service.get_conversation(db, conversation_id=conv)
    row.snoozed_until = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    awake = agent.get("/conversations?status=open&snoozed=false").json()["items"]
    assert conv in [c["id"] for c in awake]

    agent.post(f"/conversations/{conv}/snooze", json={"until": until.isoformat()})
    assert agent.delete(f"/conversations/{conv}/snooze").json()["snoozed_until"] is None
    assert len(_actions(db, conv, "conversation.snoozed")) == 3
    assert len(_actions(db, conv, "conversation.woken")) == 1


def test_bulk_assign_close_tag_reports_missing_and_audits_each(
    api: Any, api_as: Any, db: Session
) -> None:
    convs = [_conv(api, f"b{i}") for i in range(3)]
    ann = auth_service.create_user(
        db, email="ann@example.com", password="a long passphrase for tests 42", role="agent",
        name="Ann",
    ).id  # fmt: skip
    db.commit()
    agent = api_as("agent")

    r = agent.post("/conversations/bulk", json={"ids": [*convs, 999_999], "action": "assign",
                                                "assignee_id": ann})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["changed"] == 3 and body["missing_ids"] == [999_999]
    for c in convs:
        assert agent.get(f"/conversations/{c}").json()["assignee_id"] == ann
        assert _actions(db, c, "conversation.assigned")[0]["via"] == "bulk"

    r = agent.post(
        "/conversations/bulk", json={"ids": convs[:2], "action": "tag", "tag": "VIP care"}
    )
    assert r.json()["changed"] == 2
    assert [c["id"] for c in agent.get("/conversations?tag=vip-care").json()["items"]] != []
    again = agent.post(
        "/conversations/bulk", json={"ids": convs, "action": "tag", "tag": "vip-care"}
    )
    assert again.json()["changed"] == 1 and sorted(again.json()["unchanged_ids"]) == sorted(
        convs[:2]
    )

    r = agent.post("/conversations/bulk", json={"ids": convs[:2], "action": "close"})
    assert r.json()["changed"] == 2
    assert agent.get(f"/conversations/{convs[0]}").json()["status"] == "resolved"
    assert agent.get(f"/conversations/{convs[2]}").json()["status"] == "open"
    assert _actions(db, convs[0], "conversation.status")[0]["to"] == "resolved"

    r = agent.post(
        "/conversations/bulk", json={"ids": convs, "action": "assign", "assignee_id": None}
    )
    assert r.json()["changed"] == 3

    # validation names the field; nothing changes
    def field(body: dict[str, Any]) -> str:
        resp = agent.post("/conversations/bulk", json=body)
        assert resp.status_code == 422, resp.text
        return str(resp.json()["error"]["details"][0]["field"])

    assert "ids" in field({"ids": [], "action": "close"})
    assert "ids" in field({"ids": list(range(1, 300)), "action": "close"})
    assert "action" in field({"ids": convs, "action": "explode"})
    assert "assignee_id" in field({"ids": convs, "action": "assign", "assignee_id": 999_999})
    assert "assignee_id" in field({"ids": convs, "action": "assign"})
    assert "tag" in field({"ids": convs, "action": "tag", "tag": ""})
    assert "tag" in field({"ids": convs, "action": "tag", "tag": "a/b"})
    assert agent.get(f"/conversations/{convs[2]}").json()["status"] == "open"
