"""Help-desk history scored in parallel (#15): with the Celery runner an import hands each
batch's ticket messages to two real worker processes, split by customer, and ends with the same
memory and counts as the inline import of the same export: one reading per message, the same
complaints and resolutions, every customer's mood as a sequential pass leaves it, the rollup
equal to the readings; silent all the same (nothing routed or queued to send)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from heartline import db as dbmod
from heartline import migrate
from heartline.customers.models import Customer
from heartline.helpdesk import service as helpdesk
from heartline.interactions.models import Conversation, Interaction
from heartline.metrics.models import DailyReadingRollup as R
from heartline.mood.models import Complaint, EmotionReading, MoodState

from ..conftest import new_database

TICKETS, CUSTOMERS = 80, 12
BODIES = (
    "My order {n} still hasn't arrived and it's been a week. Where is it?",
    "Thanks so much, order {n} came early and the kettle is perfect!",
    "I was charged twice for order {n}, please refund me.",
    "The box for order {n} arrived crushed and I am really upset.",
)


def _export(folder: Path) -> None:
    users = [{"id": 1, "name": "Agent One", "role": "agent"}]
    users += [{"id": 100 + c, "name": f"Customer {c}", "email": f"c{c}@example.org",
               "role": "end-user"} for c in range(CUSTOMERS)]  # fmt: skip
    (folder / "users.json").write_text("\n".join(json.dumps(u) for u in users) + "\n")
    lines = []
    for i in range(TICKETS):
        day = f"2025-{1 + i % 6:02d}-{1 + i % 27:02d}"
        requester = 100 + (i * 7) % CUSTOMERS
        comments = [
            {"id": i * 3 + k, "author_id": requester if k != 1 else 1, "public": True,
             "plain_body": BODIES[(i + k) % 4].format(n=i) if k != 1 else "We are on it.",
             "created_at": f"{day}T{9 + k:02d}:00:00Z"}
            for k in range(3)
        ]  # fmt: skip
        ticket = {
            "id": i + 1, "subject": f"Order {i}", "status": "solved" if i % 3 else "open",
            "via": {"channel": "email" if i % 2 else "chat"}, "requester_id": requester,
            "created_at": f"{day}T09:00:00Z", "updated_at": f"{day}T12:00:00Z",
            "tags": ["history"], "comments": comments,
            "satisfaction_rating": {"id": i, "score": "bad", "comment": "Still angry."}
            if i % 10 == 0 else {"score": "unoffered"},
        }  # fmt: skip
        lines.append(json.dumps(ticket))
    (folder / "tickets.json").write_text("\n".join(lines) + "\n")


def _snapshot() -> dict[str, Any]:
    with dbmod.session_scope() as s:
        moods = {
            ext: (m.readings_count, m.last_reading_at, m.label, m.trajectory,
                  round(m.valence, 6), round(m.churn_risk, 4), len(m.open_issues))
            for ext, m in s.execute(
                select(Customer.external_id, MoodState).join(
                    MoodState, MoodState.customer_id == Customer.id)
            )
        }  # fmt: skip
        complaints = sorted(
            (iext, c.reason, c.resolved_at is not None)
            for iext, c in s.execute(
                select(Interaction.external_id, Complaint).join(
                    Complaint, Complaint.interaction_id == Interaction.id
                )
            )
        )
        return {
            "readings": s.scalar(select(func.count()).select_from(EmotionReading)),
            "unscored": s.scalar(
                select(func.count())
                .select_from(Interaction)
                .where(Interaction.direction == "inbound", Interaction.analysis_status != "scored")
            ),
            "rollup": s.scalar(select(func.coalesce(func.sum(R.n), 0)).where(R.grain == "full")),
            "queued": s.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.queue.is_not(None))
            ),
            "moods": moods,
            "complaints": complaints,
        }


def _import(folder: Path) -> None:
    report = helpdesk.run_import(
        dbmod.get_sessionmaker(), source="zendesk", path=folder, batch_size=20
    )
    assert report.failed == 0 and report.tickets == TICKETS


def _pending(broker: str, queue: str) -> int:
    import redis

    r = redis.Redis.from_url(broker)
    unacked = sum(1 for raw in r.hvals("unacked") if json.loads(raw)[-1] == queue)
    return int(r.llen(queue)) + unacked


def test_parallel_import_remembers_like_the_inline_one(
    committed_db, backend, tmp_path: Path, monkeypatch
) -> None:
    if backend != "postgresql":
        pytest.skip("parallel history runs on PostgreSQL workers")
    import redis

    from heartline.config import get_settings
    from heartline.pipeline.runner import CeleryRunner
    from heartline.pipeline.tasks import celery_app

    settings = get_settings()
    try:
        redis.Redis.from_url(settings.broker_url).ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "lexicon")
    folder = tmp_path / "export"
    folder.mkdir()
    _export(folder)
    _import(folder)  # inline, into committed_db: the reference
    inline = _snapshot()
    assert inline["readings"] > TICKETS and inline["unscored"] == 0 and inline["moods"]

    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    queue = f"heartline-history-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    monkeypatch.setattr(settings, "pipeline_runner", "celery")
    monkeypatch.setattr(settings, "history_partitions", 2)
    from heartline import pipeline

    monkeypatch.setattr(pipeline.runner, "get_runner", lambda: CeleryRunner())
    env = {**os.environ, "HEARTLINE_DATABASE_URL": url, "HEARTLINE_DATA_DIR": str(tmp_path),
           "HEARTLINE_EMOTION_ENGINE": "lexicon", "HEARTLINE_PIPELINE_RUNNER": "celery",
           "HEARTLINE_PIPELINE_QUEUE": queue, "HEARTLINE_RECOVERY_INTERVAL_S": "0"}  # fmt: skip
    logs = [tmp_path / f"w{n}.log" for n in (1, 2)]
    workers = []
    for n, log in enumerate(logs):
        cmd = [sys.executable, "-m", "celery", "-A", "heartline.pipeline.tasks:celery_app",
               "worker", "-Q", queue, "-n", f"h{n}-{queue}@%h", "--pool", "solo", "--loglevel",
               "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
        with log.open("w") as out:
            workers.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT))
    try:
        _import(folder)
        deadline, quiet = time.monotonic() + 240, 0
        while quiet < 3:
            assert time.monotonic() < deadline, "history not drained"
            assert all(w.poll() is None for w in workers), "a worker died"
            quiet = quiet + 1 if _pending(settings.broker_url, queue) == 0 else 0
            time.sleep(0.5)
        parallel = _snapshot()
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
        redis.Redis.from_url(settings.broker_url).delete(queue)
        dbmod.set_sessionmaker(None, None)
        engine.dispose()
        cleanup()
    assert parallel == inline  # the inline import is silent: so was this one (queues included)
    texts = [log.read_text() for log in logs]
    assert all(t.count("succeeded in") >= 4 for t in texts)  # both workers read history
    bad = [ln for t in texts for ln in t.splitlines()
           if any(b in ln for b in ("retry", "Traceback", "ERROR/", "deadlock"))]  # fmt: skip
    assert not bad, "\n".join(bad[:10])
