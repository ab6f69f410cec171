"""The review queue pages in SQL: a page loads its 25 readings whatever the backlog, walks a
partial index in queue order from a cursor, and Next / Previous / a reason filter / acting on
an item keep the queue whole (nothing skipped, nothing shown twice)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, select

from heartline.customers.models import Customer
from heartline.interactions.models import Interaction
from heartline.mood import service as mood_service
from heartline.mood.models import EmotionReading, ReadingReviewReason
from tests.web.conftest import csrf_of

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
REASONS = ("possible_sarcasm", "low_confidence", "conflicting_signals")


def _backlog(db, n: int, *, start: int = 0) -> list[int]:
    """`n` waiting readings (a customer, interactions, readings, reason rows) in queue order;
    every third with the reason conflicting_signals. Two share each timestamp, so the id breaks
    ties. Returns the reading ids, oldest first."""
    cid = db.scalar(select(Customer.id).where(Customer.external_id == "paging"))
    if cid is None:
        cid = db.scalar(
            insert(Customer).values(external_id="paging", name="Pat Paging").returning(Customer.id)
        )
    now = datetime.now(UTC)
    ids = []
    for i in range(start, start + n):
        at = T0 + timedelta(minutes=i // 2)
        iid = db.scalar(
            insert(Interaction)
            .values(customer_id=cid, channel="email", direction="inbound", text=f"message {i}",
                    occurred_at=at, analysis_status="scored", meta={}, created_at=now,
                    updated_at=now)
            .returning(Interaction.id)
        )  # fmt: skip
        reason = REASONS[i % 3]
        rid = db.scalar(
            insert(EmotionReading)
            .values(interaction_id=iid, customer_id=cid, occurred_at=at, channel="email",
                    model="test", sentiment="neutral", needs_review=True,
                    data={"review_reasons": [reason]})
            .returning(EmotionReading.id)
        )  # fmt: skip
        db.execute(insert(ReadingReviewReason).values(reading_id=rid, reason=reason))
        ids.append(rid)
    db.commit()
    return ids


def _loaded(db, fn):
    """(readings loaded as objects, statements run) while `fn` runs."""
    seen = {"rows": 0, "statements": 0}

    def on_load(target, context):
        seen["rows"] += 1

    def on_exec(conn, cursor, statement, parameters, context, executemany):
        seen["statements"] += 1

    conn = db.connection()
    event.listen(EmotionReading, "load", on_load)
    event.listen(conn, "before_cursor_execute", on_exec)
    try:
        db.expunge_all()  # every reading the call reads is loaded anew, and counted
        result = fn()
    finally:
        event.remove(EmotionReading, "load", on_load)
        event.remove(conn, "before_cursor_execute", on_exec)
    return seen, result


def test_a_page_loads_the_same_rows_and_statements_whatever_the_backlog(db):
    ids = _backlog(db, 30)
    small, (page, total) = _loaded(db, lambda: mood_service.review_queue(db, limit=10))
    assert total == 30 and [r.id for r, _ in page] == ids[:10]
    ids += _backlog(db, 300, start=30)
    cursor = (page[-1][0].occurred_at, page[-1][0].id)
    big, (page, total) = _loaded(db, lambda: mood_service.review_queue(db, limit=10))
    assert total == 330 and [r.id for r, _ in page] == ids[:10]
    assert big == small == {"rows": 10, "statements": small["statements"]}
    deep, (page, _) = _loaded(db, lambda: mood_service.review_queue(db, limit=10, after=cursor))
    assert [r.id for r, _ in page] == ids[10:20] and deep == small
    first = (page[0][0].occurred_at, page[0][0].id)
    back, (page, _) = _loaded(db, lambda: mood_service.review_queue(db, limit=10, before=first))
    assert [r.id for r, _ in page] == ids[:10] and back == small
    one, (page, total) = _loaded(
        db, lambda: mood_service.review_queue(db, limit=10, reason="conflicting_signals")
    )
    assert total == 110 and [r.id for r, _ in page] == ids[2::3][:10] and one == small


def test_the_page_query_walks_the_partial_index_in_order_on_sqlite(db):
    """SQLite's plan for a page: the partial index in queue order, no sort of the backlog."""
    if db.get_bind().dialect.name != "sqlite":
        return
    _backlog(db, 5)
    plans: list[str] = []

    def on_exec(conn, cursor, statement, parameters, context, executemany):
        if "FROM emotion_readings" in statement and "LIMIT" in statement:
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append(" / ".join(str(r[-1]) for r in rows))

    conn = db.connection()
    event.listen(conn, "before_cursor_execute", on_exec)
    try:
        mood_service.review_queue(db, limit=2)
        mood_service.review_queue(db, limit=2, after=(T0, 1))
        mood_service.review_queue(db, limit=2, reason="low_confidence")
    finally:
        event.remove(conn, "before_cursor_execute", on_exec)
    assert len(plans) == 3
    for plan in plans:
        assert "ix_readings_review_queue" in plan and "TEMP B-TREE" not in plan, plan
    # the cursor page starts at its cursor in the index, not at the queue's head
    assert "SEARCH emotion_readings USING INDEX ix_readings_review_queue (occurred_at>" in plans[1]


def _items(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="rv-(\d+)"', html)]


def _link(html: str, rel: str) -> str | None:
    m = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return m.group(1).replace("&amp;", "&") if m else None


def test_next_and_previous_walk_the_whole_queue_once(db, web_as):
    ids = _backlog(db, 60)  # 25 a page: three pages
    c = web_as("agent")
    seen, html, pages = [], c.get("/review").text, 0
    while True:
        pages += 1
        assert f"Page {pages} of 3" in html and "(60 waiting)" in html
        seen += _items(html)
        nxt = _link(html, "next")
        if nxt is None:
            break
        assert "after=" in nxt
        html = c.get(nxt).text
    assert seen == ids and pages == 3
    prev = _link(html, "prev")
    assert prev and "before=" in prev
    assert _items(c.get(prev).text) == ids[25:50]


def test_reviewing_a_page_then_next_skips_nothing(db, web_as):
    ids = _backlog(db, 60)
    c = web_as("agent")
    first = c.get("/review").text
    token = csrf_of(first)
    for rid in _items(first)[:5]:
        r = c.post(f"/review/{rid}", data={"csrf": token, "action": "confirm"})
        assert r.status_code == 200
    second = c.get(_link(first, "next")).text
    assert _items(second) == ids[25:50] and "(55 waiting)" in second


def test_reason_filter_pages_within_the_reason(db, web_as):
    ids = _backlog(db, 90)
    wanted = ids[2::3]  # 30 with conflicting_signals
    c = web_as("agent")
    html = c.get("/review?reason=conflicting_signals").text
    assert "(30 waiting)" in html and _items(html) == wanted[:25]
    nxt = _link(html, "next")
    assert nxt and "reason=conflicting_signals" in nxt
    html = c.get(nxt).text
    assert _items(html) == wanted[25:] and _link(html, "next") is None
    assert _link(html, "prev") == "/review?reason=conflicting_signals"


def test_a_bad_or_stale_cursor_is_not_an_error(db, web_as):
    ids = _backlog(db, 30)
    c = web_as("agent")
    assert _items(c.get("/review?after=garbage").text) == ids[:25]  # ignored: the first page
    far = c.get("/review?after=99999999999999999-1&page=2")
    assert far.status_code == 200 and _items(far.text) == []
    assert "Back to the first page" in far.text
    assert _items(c.get("/review?page=2").text) == ids[25:]  # offset links still work
