"""The interaction pipeline works set-wise over a batch (#15): one message in a batch of 500
costs a couple of statements, not dozens, and the set-wise stages give the same memory as
the per-customer path.

Measured with a before_cursor_execute counter over score..rollup for 500 messages from 100
customers (lexicon engine): before #15, 26.2 statements per message (score 3.2, remember 7.8,
privacy 1.0, route 14.2); after, 1.2 (remember 0.7, route 0.4).
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.db import session_scope, utcnow
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.mood import service as mood_service
from heartline.mood.models import MoodState, SegmentMember
from heartline.pipeline.stages import run_stage

STAGES = ("score", "remember", "privacy", "route", "alerts", "rollup")
TEXTS = [
    "Where is my order? It was promised last week and still nothing.",
    "I love the new jacket, thank you so much!",
    "The blender arrived broken and nobody answers. I am furious.",
    "Can you tell me if the blue one comes in size M?",
    "I was charged twice, please refund the second payment.",
    "If this is not fixed today I am cancelling and switching to a competitor.",
    "Thanks for sorting it out so quickly, really appreciated.",
    "The package is three days late now. This is the second time this month.",
    "ok",
]
# Bounds with room over the measured 1.2 / 1.1, far under the 26 / 22 measured before.
MAX_PER_MESSAGE = 3.0
MAX_REMEMBER_ROUTE = 2.0


def _backlog(messages: int, customers: int) -> list[int]:
    rnd = random.Random(3)
    now = utcnow()
    with session_scope() as s:
        cids = []
        for c in range(customers):
            cid = customer_service.upsert_customer(
                s, data=CustomerIn(external_id=f"st-{c}", name=f"C {c}", vip=c % 11 == 0)
            ).obj.id
            cids.append(cid)
            for k in range(c % 3):
                customer_service.upsert_order(
                    s,
                    data=OrderIn(
                        customer_id=cid,
                        external_id=f"st-o-{c}-{k}",
                        status="shipped",
                        placed_at=now - timedelta(days=30 - 10 * k),
                        total=Decimal("10"),
                    ),
                )
        ids = []
        for i in range(messages):
            res = interaction_service.ingest_interaction(
                s,
                data=InteractionIn(
                    customer_id=cids[rnd.randrange(customers)],
                    channel=("chat", "email")[i % 2],
                    text=TEXTS[rnd.randrange(len(TEXTS))],
                    occurred_at=now - timedelta(minutes=messages - i),
                    external_id=f"st-m-{i}",
                ),
            )
            ids.append(res.obj.id)
    return ids


@pytest.fixture
def lexicon(monkeypatch):
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "lexicon")


def test_a_batch_of_500_costs_a_few_statements_per_message(committed_db, lexicon):
    ids = _backlog(500, 100)
    counts: dict[str, int] = {}
    seen = [0]

    def count(*_args):
        seen[0] += 1

    event.listen(committed_db, "before_cursor_execute", count)
    try:
        current = ids
        for name in STAGES:
            before = seen[0]
            current = run_stage("interaction", name, current)
            counts[name] = seen[0] - before
    finally:
        event.remove(committed_db, "before_cursor_execute", count)
    per_message = sum(counts.values()) / len(ids)
    remember_route = (counts["remember"] + counts["route"]) / len(ids)
    assert per_message <= MAX_PER_MESSAGE, counts
    assert remember_route <= MAX_REMEMBER_ROUTE, counts
    with session_scope() as s:
        assert mood_service.readings_for(s, interaction_ids=ids).keys() == set(ids)
        assert len(s.scalars(select(MoodState)).all()) == 100
    # The per-customer path (update_customer) gives the same memory as the set-wise one, as
    # of one instant (churn risk moves with time alone).
    at = utcnow()
    with session_scope() as s:
        cids = sorted(s.scalars(select(MoodState.customer_id)))
        mood_service.update_customers(s, customer_ids=cids, now=at)
    with session_scope() as s:
        batch = {m.customer_id: _state(m) for m in s.scalars(select(MoodState))}
        members = set(s.execute(select(SegmentMember.customer_id, SegmentMember.segment_key)))
    with session_scope() as s:
        for cid in cids:
            mood_service.update_customer(s, customer_id=cid, now=at)
    with session_scope() as s:
        single = {m.customer_id: _state(m) for m in s.scalars(select(MoodState))}
        again = set(s.execute(select(SegmentMember.customer_id, SegmentMember.segment_key)))
    assert single == batch
    assert again == members


def _state(m: MoodState) -> tuple[object, ...]:
    return (
        m.label,
        m.valence,
        m.baseline_valence,
        m.trajectory,
        m.readings_count,
        m.churn_risk,
        [r["key"] for r in m.churn_reasons or []],
        len(m.open_issues or []),
        (m.last_negative or {}).get("interaction_id"),
        m.summary,
    )


def test_remember_in_any_order_and_twice_gives_the_same_state(committed_db, lexicon):
    """A customer's messages remembered newest batch first, then the older one (two batches
    arriving out of order), and then again, end with the state of remembering in order."""
    ids = _backlog(60, 3)
    for name in ("score",):
        run_stage("interaction", name, ids)
    old, new = ids[:30], ids[30:]
    run_stage("interaction", "remember", new)
    run_stage("interaction", "remember", old)
    with session_scope() as s:
        shuffled = {m.customer_id: _state(m) for m in s.scalars(select(MoodState))}
    run_stage("interaction", "remember", ids)  # twice, and in order
    run_stage("interaction", "remember", ids)
    with session_scope() as s:
        ordered = {m.customer_id: _state(m) for m in s.scalars(select(MoodState))}
    assert len(ordered) == 3
    assert shuffled == ordered


def test_two_workers_remember_and_route_shared_customers_at_once(committed_db, lexicon, backend):
    """Two threads (two workers' transactions) run remember and route over overlapping
    batches of the same customers at the same time: the customer locks make them take turns
    (PostgreSQL), so no key violation or deadlock, and the memory is what one run gives."""
    if backend != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's case (SQLite has one writer)")
    import threading

    ids = _backlog(200, 10)
    run_stage("interaction", "score", ids)
    batches = [ids[:140], ids[60:]]  # 80 messages in both, every customer in both
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(batch: list[int]) -> None:
        try:
            start.wait()
            for name in ("remember", "route", "remember"):
                run_stage("interaction", name, batch)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    at = utcnow()
    with session_scope() as s:
        cids = sorted(s.scalars(select(MoodState.customer_id)))
        assert len(cids) == 10
        mood_service.update_customers(s, customer_ids=cids, now=at)
        together = {m.customer_id: _state(m) for m in s.scalars(select(MoodState))}
    run_stage("interaction", "remember", ids)  # one worker, the whole backlog
    with session_scope() as s:
        mood_service.update_customers(s, customer_ids=cids, now=at)
        alone = {m.customer_id: _state(m) for m in s.scalars(select(MoodState))}
    assert together == alone
