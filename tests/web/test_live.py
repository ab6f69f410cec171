"""The live workspace: the inbox's and a conversation's event streams, presence beats, and the
"someone replied while you were writing" check on send.

The streams are read through the ASGI app with one poll per stream (LIFETIME_S = 0), the test
client collecting the whole stream; tests/web/test_live_server.py reads a real one as it flows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.db import utcnow
from heartline.interactions import service as interaction_service
from heartline.presence import service as presence_service
from heartline.web import live
from tests.web.conftest import PASSWORD, csrf_of, login

Events = list[tuple[str, Any]]


@pytest.fixture(autouse=True)
def one_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each stream polls once and ends (the test client reads a response to its end)."""
    monkeypatch.setattr(live, "LIFETIME_S", 0.0)


def events(body: str, *, unread: bool = False) -> Events:
    """(event name, data) of each event in a stream, in order (the unread count, sent by every
    stream's first poll, only if asked)."""
    out = []
    for block in body.split("\n\n"):
        name = re.search(r"^event: (.+)$", block, re.M)
        data = re.search(r"^data: (.+)$", block, re.M)
        if name and data and (unread or name.group(1) != "unread"):
            out.append((name.group(1), json.loads(data.group(1))))
    return out


def last_id(body: str) -> str:
    ids = re.findall(r"^id: (\d+)$", body, re.M)
    assert ids, body
    return ids[-1]


def stream(client: TestClient, url: str, **headers: str) -> str:
    r = client.get(url, headers={"Accept": "text/event-stream", **headers})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"].startswith("no-cache")
    return r.text


@pytest.fixture
def second(db: Session) -> Iterator[Any]:
    """Another signed-in browser: second('priya@example.com', 'Priya Shah')."""
    from heartline.app import create_app

    clients: list[TestClient] = []

    def make(email: str, name: str, role: str = "agent") -> TestClient:
        auth_service.create_user(db, email=email, password=PASSWORD, role=role, name=name)
        db.commit()
        c = TestClient(create_app())
        clients.append(c)
        return login(c, email)

    yield make
    for c in clients:
        c.close()


def _assign(db: Session, conversation_id: int, email: str) -> int:
    user = auth_service.find_user(db, email=email)
    assert user is not None
    interaction_service.get_conversation(db, conversation_id=conversation_id).assignee_id = user.id
    db.commit()
    return user.id


def _customer_writes(api: Any, customer_id: int, conversation_id: int, text: str) -> int:
    r = api.post(
        "/interactions",
        json={"customer_id": customer_id, "conversation_id": conversation_id,
              "channel": "email", "text": text},
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text
    return int(r.json()["id"])


def test_the_streams_need_a_signed_in_agent(client: TestClient, frustrated: dict[str, int]) -> None:
    for url in ("/live/inbox", f"/live/conversations/{frustrated['conversation_id']}"):
        r = client.get(url, headers={"Accept": "text/event-stream"})
        assert r.status_code == 401, r.text


def test_a_new_message_reaches_the_open_inbox_and_notifies_its_assignee(
    web_as: Any, api: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    c = web_as("agent")
    _assign(db, conv, "agent@example.com")
    since = live.cursor_id(utcnow())
    assert events(stream(c, f"/live/inbox?since={since}")) == [], "nothing changed yet"

    message = _customer_writes(api, frustrated["customer_id"], conv, "Still nothing. Hello?")
    body = stream(c, f"/live/inbox?since={since}")
    got = dict(events(body))
    assert {"id": conv, "match": True} in got["inbox"]["changed"]
    assert got["notify"] == {
        "message_id": message,
        "conversation_id": conv,
        "customer": "Ada Lovelace",
        "subject": "Where is my order?",
        "url": f"/conversations/{conv}",
    }
    # The Unassigned view is told the conversation changed, but that it is not in the view.
    got = dict(events(stream(c, f"/live/inbox?view=unassigned&since={since}")))
    assert got["inbox"]["changed"] == [{"id": conv, "match": False}]


def test_someone_elses_conversation_updates_the_inbox_without_a_notification(
    web_as: Any, api: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    c = web_as("agent")
    since = live.cursor_id(utcnow())
    _customer_writes(api, frustrated["customer_id"], conv, "Anyone there?")
    got = events(stream(c, f"/live/inbox?since={since}"))
    assert [name for name, _ in got] == ["inbox"], "unassigned: no notification for anyone"
    bad = c.get("/live/inbox?status=sleeping", headers={"Accept": "text/event-stream"})
    assert bad.status_code == 422 and "status" in bad.text


def test_a_reconnecting_browser_resumes_from_its_last_event_id(
    web_as: Any, api: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    c = web_as("agent")
    _assign(db, conv, "agent@example.com")
    first = stream(c, f"/live/inbox?since={live.cursor_id(utcnow())}")
    resume = last_id(first)  # sent even when nothing happened (the browser's cursor)
    message = _customer_writes(api, frustrated["customer_id"], conv, "Me again.")
    # The page's `since` says "from now on"; the browser's Last-Event-ID wins.
    later = live.cursor_id(utcnow() + timedelta(seconds=60))
    got = dict(events(stream(c, f"/live/inbox?since={later}", **{"Last-Event-ID": resume})))
    assert got["notify"]["message_id"] == message
    # A cursor that is not one (or from long ago) starts from now, or MAX_REPLAY back.
    assert events(stream(c, "/live/inbox", **{"Last-Event-ID": "yesterday"})) == []


def test_presence_says_who_is_replying_and_expires(
    web_as: Any, second: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    sam = web_as("agent")
    priya = second("priya@example.com", "Priya Shah")
    page = priya.get(f"/conversations/{conv}")
    assert 'data-presence="/conversations/' in page.text and 'name="seen_last"' in page.text
    r = priya.post(
        f"/conversations/{conv}/presence", data={"state": "replying", "csrf": csrf_of(page.text)}
    )
    assert r.status_code == 204, r.text
    got = dict(events(stream(sam, f"/live/conversations/{conv}")))
    assert got["presence"] == {"others": [{"name": "Priya", "state": "replying"}]}
    # Sam's own beat is not shown to Sam; Priya sees Sam viewing.
    sam_page = sam.get(f"/conversations/{conv}")
    sam.post(
        f"/conversations/{conv}/presence", data={"state": "viewing", "csrf": csrf_of(sam_page.text)}
    )
    got = dict(events(stream(priya, f"/live/conversations/{conv}")))
    assert got["presence"] == {"others": [{"name": "Sam", "state": "viewing"}]}

    # Bad input: a 422 naming the field; no CSRF token: refused.
    bad = priya.post(
        f"/conversations/{conv}/presence", data={"state": "typing", "csrf": csrf_of(page.text)}
    )
    assert bad.status_code == 422 and "state" in bad.text
    assert (
        priya.post(f"/conversations/{conv}/presence", data={"state": "viewing"}).status_code == 403
    )
    assert priya.post("/conversations/999999/presence", data={"state": "viewing",
                      "csrf": csrf_of(page.text)}).status_code == 404  # fmt: skip

    # Leaving the page clears the row at once; a page that stops beating is gone after TTL.
    priya.post(
        f"/conversations/{conv}/presence", data={"state": "left", "csrf": csrf_of(page.text)}
    )
    got = dict(events(stream(sam, f"/live/conversations/{conv}")))
    assert got["presence"] == {"others": []}


def test_presence_rows_expire_after_the_ttl(db: Session, frustrated: dict[str, int]) -> None:
    conv = frustrated["conversation_id"]
    user = auth_service.create_user(
        db, email="tom@example.com", password=PASSWORD, role="agent", name="Tom"
    )
    now = utcnow()
    state = presence_service.PresenceState.REPLYING
    presence_service.touch(db, conversation_id=conv, user_id=user.id, state=state, now=now)
    assert [h.user_id for h in presence_service.here(db, conversation_id=conv, now=now)] == [
        user.id
    ]
    later = now + presence_service.TTL + timedelta(seconds=1)
    assert presence_service.here(db, conversation_id=conv, now=later) == []
    assert presence_service.here(db, conversation_id=conv, exclude_user_id=user.id, now=now) == []
    # a beat long after refreshes the row (one row per person and conversation)
    presence_service.touch(db, conversation_id=conv, user_id=user.id, state=state, now=later)
    assert len(presence_service.here(db, conversation_id=conv, now=later)) == 1


def test_the_conversation_stream_announces_new_messages_in_it(
    web_as: Any, second: Any, api: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    sam = web_as("agent")
    priya = second("priya@example.com", "Priya Shah")
    since = live.cursor_id(utcnow())
    page = priya.get(f"/conversations/{conv}")
    priya.post(
        f"/conversations/{conv}/reply",
        data={"text": "So sorry, Ada: it ships today.", "csrf": csrf_of(page.text)},
    )
    got = dict(events(stream(sam, f"/live/conversations/{conv}?since={since}")))
    assert got["thread"]["messages"][0]["author"] == "Priya Shah"
    assert got["thread"]["messages"][0]["direction"] == "outbound"
    # Priya's own reply is not news to Priya.
    assert "thread" not in dict(events(stream(priya, f"/live/conversations/{conv}?since={since}")))


def test_sending_after_a_teammate_replied_asks_first(
    web_as: Any, second: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    sam = web_as("agent")
    priya = second("priya@example.com", "Priya Shah")
    sam_page = sam.get(f"/conversations/{conv}").text
    seen = re.search(r'name="seen_last" value="(\d+)"', sam_page)
    assert seen and int(seen.group(1)) == frustrated["interaction_id"]
    priya_page = priya.get(f"/conversations/{conv}").text
    priya.post(
        f"/conversations/{conv}/reply",
        data={"text": "Priya here: refund done.", "csrf": csrf_of(priya_page)},
    )
    form = {"text": "Sam here: refund done!", "csrf": csrf_of(sam_page), "seen_last": seen.group(1)}
    r = sam.post(f"/conversations/{conv}/reply", data=form, follow_redirects=False)
    assert r.status_code == 409, r.text
    assert "Priya Shah</a> replied while you were writing" in r.text
    assert "Sam here: refund done!</textarea>" in r.text, "the draft is kept"
    outbound = [
        m.text
        for m in interaction_service.conversation_interactions(db, conversation_id=conv)
        if m.direction == "outbound"
    ]
    assert outbound == ["Priya here: refund done."], "nothing sent twice"
    r = sam.post(f"/conversations/{conv}/reply", data={**form, "confirm": "1"},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    # Sam's own replies never count against Sam.
    db.expire_all()
    priyas = max(
        m.id
        for m in interaction_service.conversation_interactions(db, conversation_id=conv)
        if m.author == "Priya Shah"
    )
    again = {"text": "One more thing.", "csrf": csrf_of(sam_page)}
    assert sam.post(f"/conversations/{conv}/reply", data={**again, "seen_last": str(priyas)},
                    follow_redirects=False).status_code == 303  # fmt: skip
    bad = sam.post(f"/conversations/{conv}/reply", data={**again, "seen_last": "x"})
    assert bad.status_code == 422 and "seen_last" in bad.text


def test_the_inbox_and_conversation_pages_carry_the_live_hooks(
    web_as: Any, frustrated: dict[str, int]
) -> None:
    c = web_as("agent")
    inbox = c.get("/inbox?view=mine").text
    assert 'data-live="/live/inbox?view=mine&queue=&status=open&since=' in inbox
    assert '<script src="/static/live.js" defer></script>' in inbox
    assert c.get("/static/live.js").status_code == 200
    assert c.get("/static/live.css").status_code == 200


def test_the_stream_carries_the_unread_notifications_count(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    from heartline.notifications import service as notification_service

    c = web_as("agent")
    assert events(stream(c, "/live/inbox"), unread=True) == [
        ("unread", {"count": 0, "more": False})
    ]
    me = auth_service.find_user(db, email="agent@example.com")
    assert me is not None
    notification_service.notify(
        db, user_id=me.id, kind="mention", conversation_id=frustrated["conversation_id"],
        text="Priya mentioned you",
    )  # fmt: skip
    db.commit()
    got = dict(events(stream(c, f"/live/conversations/{frustrated['conversation_id']}"),
                      unread=True))  # fmt: skip
    assert got["unread"]["count"] == 1


def test_streams_and_presence_beats_do_not_keep_an_idle_session_alive(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    from sqlalchemy import update

    from heartline.auth.models import UserSession
    from heartline.config import get_settings

    conv = frustrated["conversation_id"]
    c = web_as("agent")
    csrf = csrf_of(c.get(f"/conversations/{conv}").text)
    quiet = utcnow() - timedelta(minutes=30)
    db.execute(update(UserSession).values(last_seen_at=quiet))
    db.commit()
    stream(c, "/live/inbox")
    stream(c, f"/live/conversations/{conv}")
    beat = c.post(f"/conversations/{conv}/presence", data={"state": "viewing", "csrf": csrf})
    assert beat.status_code == 204
    db.expire_all()
    assert {s.last_seen_at for s in db.query(UserSession)} == {quiet}, "not counted as activity"
    # Past the idle limit, the stream and the beats are refused like any page.
    idle = utcnow() - timedelta(seconds=get_settings().session_max_age_s + 60)
    db.execute(update(UserSession).values(last_seen_at=idle))
    db.commit()
    assert c.get("/live/inbox", headers={"Accept": "text/event-stream"}).status_code == 401
    beat = c.post(f"/conversations/{conv}/presence", data={"state": "viewing", "csrf": csrf},
                  headers={"Accept": "application/json"})  # fmt: skip
    assert beat.status_code == 401


def test_messages_the_conversation_page_already_shows_are_not_news(
    web_as: Any, api: Any, frustrated: dict[str, int], db: Session
) -> None:
    conv = frustrated["conversation_id"]
    c = web_as("agent")
    since = live.cursor_id(utcnow())
    shown = _customer_writes(api, frustrated["customer_id"], conv, "First follow-up.")
    page = c.get(f"/conversations/{conv}").text
    assert f"&after={shown}" in page
    later = _customer_writes(api, frustrated["customer_id"], conv, "Second follow-up.")
    got = dict(events(stream(c, f"/live/conversations/{conv}?since={since}&after={shown}")))
    assert [m["id"] for m in got["thread"]["messages"]] == [later]
