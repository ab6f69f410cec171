"""Tags, snooze and bulk actions in the workspace, through the real forms (no script): tag
chips and the tag filter, the Snoozed view, and the bulk bar that says how many changed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.privacy import service as privacy_service
from tests.web.conftest import PASSWORD, csrf_of


def _rows(html: str) -> list[str]:
    return re.findall(r'class="conv-link" href="/conversations/(\d+)"', html)


def _convs(db: Session, n: int) -> list[int]:
    out = []
    for i in range(n):
        cust = customer_service.upsert_customer(
            db, data=CustomerIn(external_id=f"w{i}", name=f"Customer {i}")
        ).obj
        msg = interaction_service.ingest_interaction(
            db, data=InteractionIn(customer_id=cust.id, channel="email", text=f"Question {i}?")
        ).obj
        out.append(int(msg.conversation_id or 0))
    db.commit()
    return out


def test_tags_on_the_conversation_page_show_as_chips_and_filter_the_inbox(
    web_as: Any, db: Session
) -> None:
    a, b = _convs(db, 2)
    c = web_as("agent")
    page = c.get(f"/conversations/{a}")
    assert "Tags and snooze" in page.text and "No tags yet." in page.text
    r = c.post(
        f"/conversations/{a}/tags",
        data={"tags": "Refund, Late Delivery", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = c.get(f"/conversations/{a}")
    assert 'aria-label="Remove tag refund"' in page.text
    assert '<option value="late-delivery">' in page.text  # a suggestion from tags in use

    # a bad tag: the page says why, nothing is stored
    page = c.post(f"/conversations/{a}/tags", data={"tags": "<b>", "csrf": csrf_of(page.text)})
    assert "Not added: a tag is 1-40 letters" in page.text
    assert interaction_service.conversation_tags(db, conversation_id=a) == [
        "late-delivery",
        "refund",
    ]

    inbox = c.get("/inbox").text
    assert 'class="tag-chip"><a href="?view=all&status=open&tag=refund">refund</a>' in inbox
    assert _rows(c.get("/inbox?tag=refund").text) == [str(a)]
    assert str(b) in _rows(c.get("/inbox").text)

    c.post(f"/conversations/{a}/tags/remove", data={"tag": "refund", "csrf": csrf_of(page.text)})
    assert _rows(c.get("/inbox?tag=refund").text) == []
    events, _ = privacy_service.audit_trail(
        db, entity="conversation", entity_id=a, action="conversation.tagged"
    )
    assert [e.details["removed"] for e in events] == [["refund"], []]


def test_snooze_moves_a_conversation_to_the_snoozed_view_until_woken(
    web_as: Any, db: Session
) -> None:
    (a,) = _convs(db, 1)
    c = web_as("agent")
    page = c.get(f"/conversations/{a}")
    assert "Until tomorrow 9:00" in page.text and 'type="datetime-local"' in page.text
    r = c.post(
        f"/conversations/{a}/snooze",
        data={"choice": "tomorrow", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/inbox"
    inbox = c.get("/inbox").text
    assert "Snoozed until" in inbox and str(a) not in _rows(inbox)
    assert 'Snoozed <span class="muted">(1)</span>' in inbox
    assert _rows(c.get("/inbox?view=snoozed").text) == [str(a)]
    assert str(a) not in _rows(c.get("/inbox?view=unassigned").text)

    # a date in the past is refused in plain words
    page = c.get(f"/conversations/{a}")
    assert "Wake it now" in page.text
    c.post(f"/conversations/{a}/wake", data={"csrf": csrf_of(page.text)})
    refused = c.post(
        f"/conversations/{a}/snooze",
        data={"choice": "at", "at": "2001-01-01T09:00", "csrf": csrf_of(page.text)},
    )
    assert "Not snoozed: a time in the future." in refused.text
    assert str(a) in _rows(c.get("/inbox").text)

    # picked with the date-time field, in the viewer's zone: still asleep, then the customer
    # writes and it is back at once
    soon = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT09:30")
    c.post(
        f"/conversations/{a}/snooze",
        data={"choice": "at", "at": soon, "csrf": csrf_of(page.text)},
    )
    assert _rows(c.get("/inbox?view=snoozed").text) == [str(a)]
    conv = interaction_service.get_conversation(db, conversation_id=a)
    assert conv.snoozed_until is not None
    assert conv.snoozed_until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") == soon
    conv = interaction_service.get_conversation(db, conversation_id=a)
    interaction_service.ingest_interaction(
        db,
        data=InteractionIn(customer_id=conv.customer_id, channel="email", text="Hello again?"),
    )
    db.commit()
    assert str(a) in _rows(c.get("/inbox").text)


def test_bulk_bar_assigns_resolves_and_tags_without_script(web_as: Any, db: Session) -> None:
    ids = _convs(db, 3)
    mate = auth_service.create_user(
        db, email="kim@example.com", password=PASSWORD, role="agent", name="Kim Teammate"
    )
    db.commit()
    c = web_as("agent")
    inbox = c.get("/inbox").text
    assert 'form="bulk-form"' in inbox and "Select all on this page" in inbox
    picked = c.get("/inbox?select=page").text
    assert picked.count('form="bulk-form" aria-label="Select') == 3
    assert picked.count(" checked>") >= 3
    token = csrf_of(inbox)

    def post(**data: Any) -> str:
        r = c.post("/inbox/bulk", data={"csrf": token, "view": "all", **data})
        assert r.status_code == 200
        return r.text

    html = post(ids=[str(i) for i in ids] + ["999999", "abc"], action="assign",
                assignee=str(mate.id))  # fmt: skip
    assert "Assigned 3 conversations to Kim Teammate." in html
    assert "Not found, left alone: #999999, “abc”." in html
    db.expire_all()
    assert {
        interaction_service.get_conversation(db, conversation_id=i).assignee_id for i in ids
    } == {mate.id}

    html = post(ids=[str(ids[0])], action="assign", assignee="me")
    assert "Assigned 1 conversation to you." in html

    html = post(ids=[str(i) for i in ids[:2]], action="tag", tag="Follow up")
    assert "Tagged 2 conversations “follow-up”." in html
    assert sorted(_rows(c.get("/inbox?tag=follow-up").text)) == sorted(map(str, ids[:2]))

    html = post(ids=[str(i) for i in ids[:2]], action="close")
    assert "Resolved 2 conversations." in html
    assert _rows(html) == [str(ids[2])]  # the open view keeps only the third
    events, _ = privacy_service.audit_trail(
        db, entity="conversation", entity_id=ids[0], action="conversation.status"
    )
    assert events[0].details["via"] == "bulk"

    assert "Tick at least one conversation first." in post(action="close")
    assert "Choose who to assign them to" in post(ids=[str(ids[2])], action="assign")
    assert "cannot take conversations" in post(ids=[str(ids[2])], action="assign", assignee="42424")
    assert "A tag is 1-40 letters" in post(ids=[str(ids[2])], action="tag", tag="a/b")

    forged = c.post("/inbox/bulk", data={"csrf": "nope", "ids": [str(ids[2])], "action": "close"})
    assert forged.status_code == 403
    db.expire_all()
    assert interaction_service.get_conversation(db, conversation_id=ids[2]).status == "open"
