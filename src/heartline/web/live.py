"""The live workspace's event stream (server-sent events): what changed since the page loaded.

Every server process answers from the database, so it works the same with one process or many
behind a balancer, and with Celery workers writing: each open stream asks "what changed since
my cursor" once a second (indexed reads on updated_at, interactions.service.changes_since)
and sends events the page acts on:

- ``inbox``: conversations that changed, each with whether it belongs in the page's view
  (queue, status, Mine/Unassigned); the page fetches its rows again and highlights them.
- ``notify``: a customer wrote in a conversation assigned to the viewer.
- ``thread``: someone else added a message to the conversation the viewer has open.
- ``presence``: who else has that conversation open, and who is writing a reply.
- ``unread``: the viewer's unread notifications (@mentions, SLA warnings), when it changes.

The event id is the cursor (microseconds since 1970, UTC): a browser that reconnects sends it
back as Last-Event-ID and misses nothing. The cursor stays OVERLAP behind the clock, so a change
committed late (stamped before another process's commit) is still read; what was already sent
is not sent twice. A stream ends itself after LIFETIME_S (the browser reconnects at once), so
proxies and server restarts never wait on it for long; a comment line keeps it warm meanwhile.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any

import anyio
from fastapi import Request
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.db import get_sessionmaker, utcnow
from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.notifications import service as notification_service
from heartline.presence import service as presence_service

POLL_S = 1.0  # the bar: a new message in another agent's inbox within two seconds
HEARTBEAT_S = 15.0  # well under the usual 60 s proxy idle timeout
LIFETIME_S = 55.0  # then the browser reconnects (Last-Event-ID): restarts never wait long
RETRY_MS = 1000  # how soon the browser reconnects
OVERLAP = timedelta(seconds=5)  # commit lag and clock skew between server processes
MAX_REPLAY = timedelta(minutes=10)  # a cursor older than this restarts from here
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


# Set when the server is asked to stop: open streams end at their next poll, so a restart never
# waits on a browser (uvicorn waits for open responses before it stops).
STOPPING = threading.Event()
_watching: list[bool] = []


def watch_shutdown() -> None:
    """Chain a handler before the server's own for SIGINT/SIGTERM (once per process, and only
    from the main thread, where the server's event loop runs): it sets STOPPING."""
    if _watching or threading.current_thread() is not threading.main_thread():
        return
    _watching.append(True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)

        def _handler(signum: int, frame: Any, previous: Any = previous) -> None:
            STOPPING.set()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:  # no server handler: behave as if not here
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        signal.signal(sig, _handler)


def cursor_id(at: datetime) -> str:
    """A cursor as an event id (whole microseconds since 1970, UTC)."""
    return str((at - EPOCH) // MICRO)


def parse_cursor(*raw: str | None, now: datetime) -> datetime:
    """The first readable cursor of `raw` (Last-Event-ID, then the page's `since`), no older
    than MAX_REPLAY and never in the future; `now` when none is readable."""
    for value in raw:
        value = (value or "").strip()
        if value.isdigit() and len(value) <= 17:
            at = EPOCH + int(value) * MICRO
            return min(max(at, now - MAX_REPLAY), now)
    return now


def sse(event: str, data: Any, *, event_id: str | None = None) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@dataclass
class Feed:
    """One open stream: whose it is, what it watches, and how far it has read."""

    user_id: int
    cursor: datetime
    conversation_id: int | None = None  # a conversation page; None for the inbox
    after_id: int = 0  # the newest message that page shows (older ones are not news there)
    queue: str | None = None
    status: str | None = "open"  # None: every status
    view: str = "all"  # all | mine | unassigned
    sent: dict[tuple[str, int], datetime] = field(default_factory=dict)
    announced: set[int] = field(default_factory=set)  # message ids notified or shown
    presence: list[dict[str, str]] | None = None  # last presence sent (None: not yet)
    names: dict[int, str] = field(default_factory=dict)
    unread: int | None = None  # last unread count sent (None: not yet)

    def matches(self, conv: interaction_service.ChangedConversation) -> bool:
        """Whether a conversation belongs in the inbox view this stream serves."""
        return (
            (self.queue is None or conv.queue == self.queue)
            and (self.status is None or conv.status == self.status)
            and (self.view != "mine" or conv.assignee_id == self.user_id)
            and (self.view != "unassigned" or conv.assignee_id is None)
        )

    def fresh(self, kind: str, key: int, stamp: datetime) -> bool:
        """Whether this version of a row was not sent yet (and remember it as sent)."""
        if self.sent.get((kind, key)) == stamp:
            return False
        self.sent[(kind, key)] = stamp
        return True

    def advance(self, newest: datetime | None, now: datetime) -> None:
        """Move the cursor: to the newest change read, but never within OVERLAP of now (a
        late commit there is read again next time); forget what is behind it."""
        limit = now - OVERLAP
        self.cursor = max(self.cursor, min(newest, limit) if newest else limit)
        self.sent = {k: v for k, v in self.sent.items() if v >= self.cursor}
        if len(self.announced) > 5000:
            self.announced.clear()  # the page dedupes too (static/live.js)


def _name(session: Session, feed: Feed, user_id: int) -> str:
    if user_id not in feed.names:
        user = auth_service.get_user(session, user_id=user_id)
        full = (user.name or user.email) if user else f"User #{user_id}"
        feed.names[user_id] = full.split()[0] if full else full
    return feed.names[user_id]


def _presence_event(session: Session, feed: Feed, now: datetime) -> str | None:
    assert feed.conversation_id is not None
    others = [
        {"name": _name(session, feed, h.user_id), "state": h.state.value}
        for h in presence_service.here(
            session, conversation_id=feed.conversation_id, exclude_user_id=feed.user_id, now=now
        )
    ]
    if others == feed.presence:
        return None
    feed.presence = others
    return sse("presence", {"others": others})


def read_events(feed: Feed) -> list[str]:
    """One poll: the events for what changed since the feed's cursor (own session, read-only)."""
    now = utcnow()
    with get_sessionmaker()() as session:
        changes = interaction_service.changes_since(session, since=feed.cursor)
        convs = {c.id: c for c in changes.conversations}
        touched = [m for m in changes.messages if feed.fresh("m", m.id, m.updated_at)]
        new = [
            m
            for m in touched
            if m.id not in feed.announced
            and m.created_at > feed.cursor - OVERLAP
            and m.author_user_id != feed.user_id
        ]
        feed.announced.update(m.id for m in new)
        events = _message_events(session, feed, convs, new)
        changed_ids = {c.id for c in convs.values() if feed.fresh("c", c.id, c.updated_at)}
        changed_ids |= {m.conversation_id for m in touched if m.conversation_id is not None}
        if feed.conversation_id is None and changed_ids:
            rows = [{"id": i, "match": i in convs and feed.matches(convs[i])} for i in changed_ids]
            events.append(sse("inbox", {"changed": sorted(rows, key=lambda r: r["id"])}))
        if feed.conversation_id is not None:
            presence = _presence_event(session, feed, now)
            events += [presence] if presence else []
        unread = notification_service.unread_count(session, user_id=feed.user_id)
        if unread != feed.unread:
            more = feed.unread is not None and unread > feed.unread
            events.append(sse("unread", {"count": unread, "more": more}))
            feed.unread = unread
        session.rollback()
    feed.advance(changes.newest, now)
    if events:
        events[-1] = f"id: {cursor_id(feed.cursor)}\n" + events[-1]
    return events


def _message_events(
    session: Session,
    feed: Feed,
    convs: dict[int, interaction_service.ChangedConversation],
    new: list[interaction_service.ChangedMessage],
) -> list[str]:
    """`thread` for new messages in the open conversation, `notify` for a customer's new
    message in any other conversation assigned to the viewer."""
    events: list[str] = []
    here = [
        m
        for m in new
        if feed.conversation_id
        and m.conversation_id == feed.conversation_id
        and m.id > feed.after_id
    ]
    if here:
        items = [{"id": m.id, "direction": m.direction, "author": m.author} for m in here]
        events.append(sse("thread", {"messages": items}))
    mine = [
        (m, convs[m.conversation_id])
        for m in new
        if m.conversation_id in convs
        and m.conversation_id != feed.conversation_id
        and m.direction == Direction.INBOUND.value
        and convs[m.conversation_id].assignee_id == feed.user_id
    ]
    if mine:
        ids = {c.customer_id for _, c in mine}
        people = {c.id: c.name for c in customer_service.list_customers_by_ids(session, ids=ids)}
        for message, conv in mine:
            who = people.get(conv.customer_id) or f"Customer #{conv.customer_id}"
            events.append(
                sse(
                    "notify",
                    {
                        "message_id": message.id,
                        "conversation_id": conv.id,
                        "customer": who,
                        "subject": conv.subject or f"Conversation #{conv.id}",
                        "url": f"/conversations/{conv.id}",
                    },
                )
            )
    return events


async def event_stream(
    request: Request, feed: Feed, read: Callable[[Feed], list[str]] = read_events
) -> AsyncIterator[str]:
    """The stream: a poll a second, a comment when quiet, done after LIFETIME_S or when the
    browser goes away (or the server cancels it on shutdown)."""
    yield f"retry: {RETRY_MS}\nid: {cursor_id(feed.cursor)}\n\n"
    started = quiet_since = monotonic()
    while True:
        events = await anyio.to_thread.run_sync(read, feed)
        for event in events:
            yield event
        if events:
            quiet_since = monotonic()
        elif monotonic() - quiet_since >= HEARTBEAT_S:
            # a comment keeps proxies from closing the stream; the id moves the browser's cursor
            yield f": still here\nid: {cursor_id(feed.cursor)}\n\n"
            quiet_since = monotonic()
        if monotonic() - started >= LIFETIME_S or STOPPING.is_set():
            yield f"id: {cursor_id(feed.cursor)}\n\n"  # where the next stream starts
            return
        if await request.is_disconnected():
            return
        await anyio.sleep(POLL_S)
