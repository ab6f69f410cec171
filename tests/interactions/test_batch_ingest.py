"""The batched ingest (interactions/batch.py) gives every message the outcome the row-by-row
path gives it: the same threading, conversation fields, analysis status and errors; a bad
row fails alone; stored rows are skipped; a batch costs a handful of statements."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from heartline import db as dbmod
from heartline.customers.models import Customer, Order
from heartline.errors import AppError
from heartline.interactions.batch import ingest_interactions
from heartline.interactions.importers import import_file
from heartline.interactions.ingest import ingest_interaction
from heartline.interactions.models import Conversation, Interaction
from heartline.interactions.schemas import InteractionIn

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CONV_FIELDS = (
    "customer_id", "channel", "subject", "status", "opened_at", "last_activity_at",
    "last_inbound_at", "first_response_at", "resolved_at", "snoozed_until",
)  # fmt: skip
MSG_FIELDS = (
    "external_id", "customer_id", "order_id", "channel", "direction", "author", "subject",
    "text", "occurred_at", "meta", "analysis_status", "analysis_note",
)  # fmt: skip


def _world(db: Session) -> dict[str, Any]:
    """Customers (one opted out), an order, and stored conversations in every state that
    matters to threading: resolved (reopens), snoozed (wakes), pending, stale, another's."""
    custs = [Customer(external_id=f"bk{i}", name=f"B{i}") for i in range(4)]
    custs[3].consent_emotion_analysis = False
    db.add_all(custs)
    db.flush()
    c0, c1, c2, _ = (c.id for c in custs)
    db.add(Order(external_id="bo1", customer_id=c0, placed_at=T0, total=5, currency="EUR"))
    convs = {
        "resolved": Conversation(
            external_id="bt-res", customer_id=c0, channel="email", subject="Old",
            status="resolved", resolved_at=T0, opened_at=T0 - timedelta(days=3),
            last_activity_at=T0 - timedelta(days=2),
        ),
        "snoozed": Conversation(
            customer_id=c1, channel="chat", subject="Snoozed", status="open",
            snoozed_until=T0 + timedelta(days=30), opened_at=T0, last_activity_at=T0,
        ),
        "pending": Conversation(
            customer_id=c2, channel="email", subject="Pending", status="pending",
            opened_at=T0, last_activity_at=T0 + timedelta(hours=1),
        ),
        "stale": Conversation(
            customer_id=c2, channel="chat", subject="Stale", status="open",
            opened_at=T0 - timedelta(days=60), last_activity_at=T0 - timedelta(days=50),
        ),
    }  # fmt: skip
    db.add_all(convs.values())
    db.flush()
    stored = [
        Interaction(
            external_id=f"bs{i}", customer_id=c1, conversation_id=convs["snoozed"].id,
            channel="chat", text=f"stored {i}", occurred_at=T0, meta={},
            analysis_status="pending" if i else "scored",
        )
        for i in range(3)
    ]  # fmt: skip
    stored.append(
        Interaction(
            external_id="bs-noconv",
            customer_id=c0,
            channel="sms",
            direction="outbound",
            text="no conversation",
            occurred_at=T0,
            meta={},
            analysis_status="skipped",
        )
    )
    db.add_all(stored)
    db.commit()
    return {"customers": [c.id for c in custs], "convs": {k: v.id for k, v in convs.items()}}


def _rows(world: dict[str, Any], n: int, seed: int) -> list[dict[str, Any]]:
    """A mixed batch: threading collisions, explicit conversations (by id and external id),
    outbound and automated mail, duplicates, stored rows (unchanged and changed), bad rows."""
    rnd = random.Random(seed)
    custs, convs = world["customers"], world["convs"]
    rows: list[dict[str, Any]] = []
    for i in range(n):
        at = T0 + timedelta(hours=rnd.randrange(-24 * 20, 24 * 40))
        row: dict[str, Any] = {
            "external_id": f"bx{i}" if rnd.random() < 0.9 else None,
            "customer_external_id": f"bk{rnd.randrange(4)}",
            "channel": rnd.choice(["email", "chat", "chat", "sms"]),
            "direction": "outbound" if rnd.random() < 0.2 else "inbound",
            "text": f"message {i} about order {rnd.randrange(9)}",
            "occurred_at": at.isoformat(),
        }
        roll = rnd.random()
        if roll < 0.05:
            row["conversation_id"] = rnd.choice(list(convs.values()))
        elif roll < 0.10:
            row["conversation_external_id"] = rnd.choice(["bt-res", "bt-new1", "bt-new2"])
        elif roll < 0.13:
            row["metadata"] = {"automated": True}
        elif roll < 0.15:
            row["order_external_id"] = rnd.choice(["bo1", "bo-missing"])
        elif roll < 0.17:
            row["customer_external_id"] = "nobody"
        elif roll < 0.19:
            row["customer_id"] = custs[rnd.randrange(4)]
        elif roll < 0.22 and i > 5:
            row = dict(rows[rnd.randrange(i)])  # a duplicate, maybe with other text
            if rnd.random() < 0.5:
                row["text"] = f"edited {i}"
        elif roll < 0.26:
            j = rnd.randrange(3)
            row = {"external_id": f"bs{j}", "customer_external_id": "bk1", "channel": "chat",
                   "text": f"stored {j}", "occurred_at": T0.isoformat()}  # fmt: skip
            if rnd.random() < 0.3:
                row["text"] = "stored, then edited"
        elif roll < 0.27:
            row = {"external_id": "bs-noconv", "customer_external_id": "bk0", "channel": "sms",
                   "direction": "outbound", "text": "no conversation",
                   "occurred_at": T0.isoformat()}  # fmt: skip
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _row_path(db: Session, items: list[InteractionIn]) -> list[tuple[Any, ...]]:
    out = []
    for item in items:
        try:
            with db.begin_nested():
                r = ingest_interaction(db, data=item)
            out.append((r.status, None))
        except AppError as exc:
            out.append((None, exc.to_dict()["error"]))
    return out


def _snapshot(db: Session, before: set[int]) -> tuple[list[Any], list[Any]]:
    """Messages in id order with their conversation named by its first message's position
    (so the two runs' new ids compare), and every conversation's fields."""
    db.expire_all()
    msgs = db.scalars(select(Interaction).order_by(Interaction.id)).all()
    names: dict[int, str] = {cid: f"old{cid}" for cid in before}
    for pos, m in enumerate(msgs):
        if m.conversation_id is not None:
            names.setdefault(m.conversation_id, f"new{pos}")
    convs = db.scalars(select(Conversation)).all()
    conv_view = sorted(
        (names.get(c.id, "orphan"), c.external_id, *(getattr(c, f) for f in CONV_FIELDS))
        for c in convs
    )
    msg_view = [
        (*(getattr(m, f) for f in MSG_FIELDS), names.get(m.conversation_id or 0)) for m in msgs
    ]
    return msg_view, conv_view


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_matches_row_path(db, seed):
    world = _world(db)
    before = set(db.scalars(select(Conversation.id)))
    items = [InteractionIn.model_validate(raw) for raw in _rows(world, 240, seed)]
    sp = db.begin_nested()
    expected = _row_path(db, items)
    want = _snapshot(db, before)
    sp.rollback()
    sp = db.begin_nested()
    outcomes = ingest_interactions(db, items=items)
    got = _snapshot(db, before)
    stored = {m.id: (m.external_id, m.text) for m in db.scalars(select(Interaction))}
    last = {o.id: (i.external_id, i.text) for i, o in zip(items, outcomes, strict=True) if o.id}
    assert last == {k: v for k, v in stored.items() if k in last}  # ids name the right rows
    sp.rollback()
    valid = [(o.status, o.error.to_dict()["error"] if o.error else None) for o in outcomes]
    assert valid == expected
    assert {s for s, _ in valid} >= {"created", "updated", "unchanged", None}
    assert got[1] == want[1]  # conversations: opened, reopened, woken, first reply...
    assert got[0] == want[0]  # messages: fields, status, the conversation each joined


def test_bad_row_fails_alone_with_line_and_field(tmp_path, db):
    _world(db)
    good = {"customer_external_id": "bk0", "channel": "chat", "text": "hello"}
    lines = [json.dumps({**good, "external_id": f"be{i}"}) for i in range(10)]
    lines[3] = json.dumps({**good, "external_id": "be3", "customer_external_id": "ghost"})
    lines[6] = json.dumps({**good, "external_id": "be6", "text": "   "})
    lines[8] = json.dumps({**good, "external_id": "be8", "order_external_id": "nope"})
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(dbmod.get_sessionmaker(), kind="interactions", path=path, score=False)
    assert (report.created, report.failed) == (7, 3)
    assert [(e.line, e.field) for e in report.errors] == [
        (4, "customer_external_id"), (7, "text"), (9, "order_external_id"),
    ]  # fmt: skip
    stored = set(
        db.scalars(select(Interaction.external_id).where(Interaction.external_id.like("be%")))
    )
    assert stored == {f"be{i}" for i in range(10)} - {"be3", "be6", "be8"}


def test_rerun_skips_stored_rows_and_stores_the_rest(tmp_path, db):
    _world(db)
    rows = [
        {"external_id": f"br{i}", "customer_external_id": f"bk{i % 3}", "channel": "email",
         "text": f"note {i}", "occurred_at": (T0 + timedelta(hours=i)).isoformat()}
        for i in range(300)
    ]  # fmt: skip
    path = tmp_path / "part.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:120]))
    first = import_file(dbmod.get_sessionmaker(), kind="interactions", path=path, score=False)
    assert first.created == 120
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    again = import_file(
        dbmod.get_sessionmaker(), kind="interactions", path=path, batch_size=50, score=False
    )
    assert (again.created, again.unchanged, again.updated, again.failed) == (180, 120, 0, 0)
    count = select(func.count()).select_from(Interaction).where(Interaction.external_id.like("br%"))
    assert db.scalar(count) == 300
    convs = db.scalar(
        select(func.count(func.distinct(Interaction.conversation_id))).where(
            Interaction.external_id.like("br%")
        )
    )
    assert convs == 3  # hourly messages of three customers: one thread each, across runs


def test_statements_per_row_are_few(tmp_path, db):
    _world(db)
    n = 1000
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(
            json.dumps({"external_id": f"bn{i}", "customer_external_id": f"bk{i % 4}",
                        "channel": ["email", "chat"][i % 2], "text": f"n {i}",
                        "occurred_at": (T0 + timedelta(minutes=i)).isoformat()}) + "\n"
            for i in range(n)
        )
    )  # fmt: skip
    engine = dbmod.get_engine()
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        report = import_file(
            dbmod.get_sessionmaker(), kind="interactions", path=path, batch_size=500, score=False
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report.created == n
    # ~12 per batch of 500 (lookups, one multi-row INSERT per table, an UPDATE executemany
    # per set of changed fields, savepoints, the commit); the row path made ~6.8 per row
    assert len(seen) / n < 0.05, seen


_IMPORT = """
import os, sys
from pathlib import Path
os.environ["HEARTLINE_DATABASE_URL"] = sys.argv[1]
from heartline import db as dbmod
from heartline.interactions.importers import import_file
r = import_file(dbmod.get_sessionmaker(), kind="interactions", path=Path(sys.argv[2]),
                batch_size=int(sys.argv[3]), score=False)
print(r.created, r.unchanged, r.failed)
"""


def test_resume_after_kill_stores_every_row_once(backend, tmp_path):
    """kill -9 an import mid-way (some batches committed), run it again: every row once."""
    from tests.conftest import new_database

    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    try:
        from heartline import migrate

        migrate.upgrade(engine)
        with Session(engine) as s:
            s.add_all(Customer(external_id=f"kc{i}", name=f"K{i}") for i in range(50))
            s.commit()
        n = 6000
        path = tmp_path / "history.jsonl"
        path.write_text(
            "".join(
                json.dumps({"external_id": f"kill-{i}", "customer_external_id": f"kc{i % 50}",
                            "channel": "email", "text": f"message {i}",
                            "occurred_at": (T0 + timedelta(minutes=i)).isoformat()}) + "\n"
                for i in range(n)
            )
        )  # fmt: skip
        stored = _stored_count(engine)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        proc = subprocess.Popen(
            [sys.executable, "-c", _IMPORT, url, str(path), "100"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while stored() < 1000 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = stored()
        why = (before, proc.returncode, proc.stderr.read()[-2000:] if proc.stderr else "")
        assert proc.returncode == -signal.SIGKILL and 1000 <= before < n, why
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT, url, str(path), "100"],
            env=env, capture_output=True, text=True, timeout=600, check=True,
        )  # fmt: skip
        created, unchanged, failed = map(int, done.stdout.split())
        assert (created, unchanged, failed) == (n - before, before, 0)
        assert stored() == n
        with engine.connect() as conn:
            distinct = conn.scalar(select(func.count(func.distinct(Interaction.external_id))))
            threads = conn.scalar(select(func.count()).select_from(Conversation))
        assert distinct == n
        assert threads == 50  # minute-apart messages: one conversation per customer, kill or not
    finally:
        engine.dispose()
        cleanup()


def _stored_count(engine):
    def count() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Interaction)) or 0)

    return count


def test_memory_stays_flat_as_the_file_grows(tmp_path, db, backend):
    """Streaming, a batch at a time: four times the rows, not four times the memory."""
    import tracemalloc

    if backend != "sqlite":
        pytest.skip("memory is the importer's own (Python), the same on both databases")
    _world(db)

    def peak(n: int, tag: str) -> int:
        path = tmp_path / f"{tag}.jsonl"
        path.write_text(
            "".join(
                json.dumps({"external_id": f"{tag}-{i}", "customer_external_id": f"bk{i % 3}",
                            "channel": "chat", "text": f"a longer message, number {i} " * 4,
                            "occurred_at": (T0 + timedelta(minutes=i)).isoformat()}) + "\n"
                for i in range(n)
            )
        )  # fmt: skip
        tracemalloc.start()
        try:
            report = import_file(
                dbmod.get_sessionmaker(), kind="interactions", path=path, batch_size=250,
                score=False,
            )  # fmt: skip
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert report.created == n

    peak(500, "warm")  # statement caches fill once
    small, large = peak(1000, "small"), peak(4000, "large")
    assert large < small * 1.25 + 256 * 1024, (small, large)


def test_a_failing_set_wise_write_goes_row_by_row(db, monkeypatch):
    """If the multi-row write fails (another writer stored a message meanwhile), the batch's
    savepoint rolls back and its rows are stored one by one, with the same outcomes."""
    from sqlalchemy.exc import IntegrityError

    from heartline.interactions import batch

    _world(db)
    items = [
        InteractionIn(external_id=f"bf{i}", customer_external_id="bk0", channel="chat",
                      text=f"t {i}", occurred_at=T0 + timedelta(minutes=i))
        for i in range(5)
    ]  # fmt: skip
    real = batch.insert_rows
    calls = []

    def failing(session, model, rows):
        calls.append(len(rows))
        real(session, model, rows)  # the rows go in, then the statement fails: rolled back
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(batch, "insert_rows", failing)
    outcomes = ingest_interactions(db, items=items)
    assert calls == [1]  # the batch's one conversation, then row by row
    assert [o.status for o in outcomes] == ["created"] * 5
    stored = db.scalars(select(Interaction).where(Interaction.external_id.like("bf%"))).all()
    assert sorted(m.id for m in stored) == sorted(o.id for o in outcomes)
    assert len({m.conversation_id for m in stored}) == 1
