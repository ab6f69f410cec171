"""Canned replies and internal notes in the workspace: a manager keeps the team's replies
(validated, audited); an agent inserts one (filled in for the conversation, with or without
JavaScript) and sending it sets its status; a note with @priya notifies Priya, who sees the
count in the nav, opens it and it is read; notes are never scored and are erased with the
customer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.schemas import OrderIn
from heartline.db import Base
from heartline.desk.models import Macro, Note
from heartline.interactions import service as interaction_service
from heartline.notifications.models import Notification
from heartline.privacy import service as privacy_service
from tests.web.conftest import PASSWORD, csrf_of, login

REFUND = (
    "Hi {{customer.first_name}}, your refund for order {{order.number}} is on its way.\n"
    "{{agent.first_name}}"
)

SIGN_OFF = "Cheers, {{agent.first_name}}"


def _count(db: Session, table: str) -> int:
    t = Base.metadata.tables[table]
    return int(db.scalar(select(func.count()).select_from(t)) or 0)


def _macro(db: Session, name: str, body: str, set_status: str | None = None) -> int:
    macro = Macro(name=name, body=body, set_status=set_status)
    db.add(macro)
    db.commit()
    return macro.id


def _reply_box(html: str) -> str:
    m = re.search(r'<textarea id="reply-text"[^>]*>(.*?)</textarea>', html, re.S)
    assert m, "no reply box"
    return unescape(m.group(1))


def _audit(db: Session, macro_id: int) -> list[str]:
    events, _ = privacy_service.audit_trail(db, entity="macro", entity_id=macro_id)
    return [e.action for e in events]


def test_a_manager_keeps_the_teams_canned_replies(web_as: Any, db: Session) -> None:
    c = web_as("manager")
    page = c.get("/settings/canned-replies")
    assert page.status_code == 200 and "{{customer.first_name}}" in unescape(page.text)
    bad = c.post(
        "/settings/canned-replies",
        data={"csrf": csrf_of(page.text), "name": "Refund", "body": "Hi {{customer.shoe_size}}",
              "set_status": "resolved", "shared": "true"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "unknown variable {{customer.shoe_size}}" in unescape(bad.text)
    assert "Hi {{customer.shoe_size}}" in unescape(bad.text)  # the form is kept
    assert _count(db, "macros") == 0
    r = c.post(
        "/settings/canned-replies",
        data={"csrf": csrf_of(page.text), "name": "Refund processed", "body": REFUND,
              "set_status": "resolved", "shared": "true"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    macro = db.scalars(select(Macro)).one()
    assert (macro.owner_id, macro.set_status, macro.body) == (None, "resolved", REFUND)
    mid = macro.id
    page = c.get("/settings/canned-replies")
    r = c.post(
        f"/settings/canned-replies/{mid}",
        data={"csrf": csrf_of(page.text), "name": "Refund done", "body": REFUND,
              "set_status": "", "shared": "true", "action": "save"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    db.expire_all()
    saved = db.get(Macro, mid)
    assert saved is not None and (saved.name, saved.set_status) == ("Refund done", None)
    c.post(f"/settings/canned-replies/{mid}", data={"csrf": csrf_of(page.text), "action": "delete"})
    db.expire_all()
    assert db.get(Macro, mid) is None
    assert _audit(db, mid) == ["macro.deleted", "macro.updated", "macro.created"]


def test_an_agent_sees_shared_replies_but_changes_only_their_own(web_as: Any, db: Session) -> None:
    shared = _macro(db, "Closing thanks", "Thanks, {{customer.first_name}}!", "resolved")
    c = web_as("agent")
    page = c.get("/settings/canned-replies")
    assert (
        "Closing thanks" in page.text
        and f'action="/settings/canned-replies/{shared}"' not in page.text
    )
    r = c.post(
        f"/settings/canned-replies/{shared}",
        data={"csrf": csrf_of(page.text), "action": "delete"},
    )
    assert r.status_code == 403
    r = c.post(
        "/settings/canned-replies",
        data={"csrf": csrf_of(page.text), "name": "My sign-off", "body": SIGN_OFF,
              "shared": "true"},
    )  # fmt: skip
    assert r.status_code == 422 and "only managers and admins" in r.text
    r = c.post(
        "/settings/canned-replies",
        data={"csrf": csrf_of(page.text), "name": "My sign-off", "body": SIGN_OFF},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    mine = db.scalars(select(Macro).where(Macro.name == "My sign-off")).one()
    assert mine.owner_id is not None
    web_as("manager")  # someone else's own reply is not theirs to see
    assert "My sign-off" not in c.get("/settings/canned-replies").text


def test_a_canned_reply_fills_the_box_without_javascript_and_sets_its_status(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    customer_service.upsert_order(
        db,
        data=OrderIn(customer_id=frustrated["customer_id"], external_id="A-1042",
                     placed_at=datetime(2026, 11, 20, tzinfo=UTC)),
    )  # fmt: skip
    db.commit()
    macro = _macro(db, "Refund processed", REFUND, "pending")
    conv = frustrated["conversation_id"]
    c = web_as("agent")
    page = c.get(f"/conversations/{conv}")
    assert 'id="pick-macro"' in page.text and "Refund processed" in page.text
    r = c.post(
        f"/conversations/{conv}/use-macro",
        data={"csrf": csrf_of(page.text), "pick_macro": str(macro), "text": "Sorry for the wait."},
    )
    assert r.status_code == 200
    box = _reply_box(r.text)
    assert box == (
        "Sorry for the wait.\n\nHi Ada, your refund for order A-1042 is on its way.\nSam"
    )
    assert f'name="macro_id" id="macro-id" value="{macro}"' in r.text
    assert "Sending it sets the conversation to pending" in r.text
    r = c.post(
        f"/conversations/{conv}/reply",
        data={"csrf": csrf_of(page.text), "text": box, "macro_id": str(macro)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert interaction_service.get_conversation(db, conversation_id=conv).status == "pending"


def test_values_are_inserted_as_text_never_as_templates(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    cust = customer_service.get_customer(db, customer_id=frustrated["customer_id"])
    cust.name = "{{agent.name}} <script>x</script>"
    db.commit()
    macro = _macro(db, "Hello", "Hello {{customer.name}}, order {{order.number}}.")
    c = web_as("agent")
    page = c.get(f"/conversations/{frustrated['conversation_id']}")
    r = c.post(
        f"/conversations/{frustrated['conversation_id']}/use-macro",
        data={"csrf": csrf_of(page.text), "pick_macro": str(macro), "text": ""},
    )
    assert "<script>x</script>" not in r.text
    assert _reply_box(r.text) == "Hello {{agent.name}} <script>x</script>, order ."
    assert "No value here for order.number" in r.text


def test_a_note_mentioning_priya_notifies_her_and_is_never_scored(
    web_as: Any, frustrated: dict[str, int], db: Session, client: Any
) -> None:
    priya = auth_service.create_user(
        db, email="priya@example.com", password=PASSWORD, role="agent", name="Priya Shah"
    )
    db.commit()
    conv = frustrated["conversation_id"]
    before = {
        t: _count(db, t)
        for t in (
            "interactions",
            "emotion_readings",
            "complaints",
            "outbox_messages",
            "playbook_runs",
            "agent_tasks",
        )
    }
    c = web_as("agent")
    page = c.get(f"/conversations/{conv}")
    r = c.post(
        f"/conversations/{conv}/notes",
        data={"csrf": csrf_of(page.text),
              "body": "@Priya can you check the courier? She is furious and I hate this."},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    note = db.scalars(select(Note)).one()
    assert note.mentions == [priya.id] and r.headers["location"].endswith(f"#note-{note.id}")
    assert {t: _count(db, t) for t in before} == before  # no message, reading, send or run
    page = c.get(f"/conversations/{conv}").text
    thread = page[page.index('class="thread"') : page.index('id="reply-h"')]
    assert thread.index(f'id="m{frustrated["interaction_id"]}"') < thread.index(
        f'id="note-{note.id}"'
    )
    assert "Internal note" in thread and '<strong class="mention">@Priya</strong>' in thread
    assert "Notified: Priya Shah" in thread
    assert "@priya" in page[page.index('id="note-mates"') :].split("</p>")[0]  # who to mention
    assert 'id="nav-notifications"' in page and "data-unread" not in page  # the author: none

    client.cookies.clear()
    login(client, "priya@example.com")
    inbox = client.get("/inbox").text
    assert 'data-unread="1"' in inbox
    mine = client.get("/notifications").text
    row = db.scalars(select(Notification)).one()
    assert row.user_id == priya.id and row.conversation_id == conv
    assert "Sam Agent mentioned you on “Where is my order?”" in unescape(mine)
    r = client.get(f"/notifications/{row.id}/open", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/conversations/{conv}"
    assert "data-unread" not in client.get("/notifications").text


def test_a_note_needs_text_and_nobody_reads_someone_elses_notifications(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    c = web_as("agent")
    page = c.get(f"/conversations/{conv}")
    r = c.post(f"/conversations/{conv}/notes", data={"csrf": csrf_of(page.text), "body": "  "})
    assert r.status_code == 422 and "Write the note" in r.text
    other = auth_service.create_user(
        db, email="kim@example.com", password=PASSWORD, role="agent", name="Kim Lee"
    )
    db.add(Notification(user_id=other.id, kind="mention", conversation_id=conv, text="hi"))
    db.commit()
    row = db.scalars(select(Notification)).one()
    assert c.get(f"/notifications/{row.id}/open").status_code == 404
    r = c.post(f"/notifications/{row.id}/read", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 404
    db.expire_all()
    assert db.get(Notification, row.id).read_at is None  # type: ignore[union-attr]


def test_notes_and_their_notifications_are_erased_with_the_customer(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    priya = auth_service.create_user(
        db, email="priya@example.com", password=PASSWORD, role="agent", name="Priya Shah"
    )
    db.commit()
    c = web_as("agent")
    page = c.get(f"/conversations/{frustrated['conversation_id']}")
    c.post(
        f"/conversations/{frustrated['conversation_id']}/notes",
        data={"csrf": csrf_of(page.text), "body": "@priya.shah? no: @priya, Ada is at 1 Elm St"},
    )  # fmt: skip
    assert _count(db, "notes") == 1 and _count(db, "notifications") == 1
    counts = privacy_service.erase_customer(db, customer_id=frustrated["customer_id"], actor=None)
    db.commit()
    assert counts.get("notes") == 1 and counts.get("notifications") == 1
    assert _count(db, "notes") == 0 and _count(db, "notifications") == 0
    assert auth_service.get_user(db, user_id=priya.id) is not None


def test_desk_pages_carry_no_inline_script(web_as: Any, frustrated: dict[str, int]) -> None:
    c = web_as("manager")
    for path in (f"/conversations/{frustrated['conversation_id']}", "/settings/canned-replies",
                 "/notifications"):  # fmt: skip
        html = c.get(path).text
        assert not re.search(r"\son[a-z]+\s*=", html), path
        for m in re.finditer(r"<script([^>]*)>(.*?)</script>", html, re.S):
            assert "src=" in m.group(1), path
