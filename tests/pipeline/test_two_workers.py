"""Two real Celery worker processes over one backlog on PostgreSQL (#15, scale-out correct).

Messages of overlapping customers, over several days, are submitted in many small batches to a
queue of this run's own; two `celery worker` processes take the stage tasks as they come. Then
the dashboards' counts (the rollup's sums at every grain, and per day) equal the readings
exactly, every message has one reading, the workers logged no deadlock, no unique-key
violation, no error and no retried task, and a customer whose messages were spread over many
batches (and so over both workers) is remembered as a sequential pass remembers them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from heartline import db as dbmod
from heartline import pipeline
from heartline.customers.models import Customer
from heartline.interactions import service as interaction_service
from heartline.interactions.models import Interaction
from heartline.interactions.schemas import InteractionIn
from heartline.metrics.models import GRAINS, DailyReadingRollup
from heartline.mood.models import EmotionReading, MoodState

CUSTOMERS = 24
BATCHES = 24
PER_BATCH = 15
SPACING = timedelta(minutes=17)  # 360 messages over 5 days
START = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
TEXTS = (
    "My parcel is late again and nobody answers. Awful service.",
    "Thanks, the replacement arrived and works great!",
    "I was charged twice for order {i}, please refund me.",
    "Where is my order {i}? I'm getting worried.",
    "OK, noted.",
)
# What the workers must never log (a deadlock, a key violation, a retry, a failed task).
BAD = ("deadlock", "UniqueViolation", "duplicate key", "IntegrityError", "retry", "Traceback",
       "ERROR/")  # fmt: skip


def _broker_or_skip(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {url}: {exc}")


def _pending_tasks(broker: str, queue: str) -> int:
    """Tasks of this run waiting in its queue or taken and not yet acknowledged."""
    import redis

    r = redis.Redis.from_url(broker)
    waiting = int(r.llen(queue))
    unacked = sum(
        1
        for raw in r.hvals("unacked")
        if json.loads(raw)[-1] == queue  # [message, exchange, routing key]
    )
    return waiting + unacked


def _backlog() -> list[int]:
    """BATCHES commits of PER_BATCH messages; each goes to the pipeline after its commit."""
    with dbmod.session_scope() as s:
        customers = [
            Customer(external_id=f"tw-{n}", name=f"Customer {n}") for n in range(CUSTOMERS)
        ]
        s.add_all(customers)
        s.flush()
        cids = [c.id for c in customers]
    every: list[int] = []
    i = 0
    for _ in range(BATCHES):
        with dbmod.session_scope() as s:
            ids = []
            for _ in range(PER_BATCH):
                # customer 0 writes every fourth message; the others share the rest
                cid = cids[0] if i % 4 == 0 else cids[1 + i % (CUSTOMERS - 1)]
                data = InteractionIn(
                    customer_id=cid,
                    channel=("email", "chat", "phone")[i % 3],
                    text=TEXTS[i % len(TEXTS)].format(i=i),
                    occurred_at=START + SPACING * i,
                )
                ids.append(interaction_service.ingest_interaction(s, data=data).obj.id)
                i += 1
            pipeline.submit(s, "interaction", ids)  # queued right after this commit
        every.extend(ids)
    return every


def _wait_drained(broker: str, queue: str, workers: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        for w in workers:
            assert w.poll() is None, "a worker died"
        quiet = quiet + 1 if _pending_tasks(broker, queue) == 0 else 0
        if quiet >= 3:  # a stage acknowledges only after queuing the next: no false gap
            return
        time.sleep(0.5)
    raise AssertionError(f"pipeline not drained after {timeout:.0f}s")


def test_two_workers_count_exactly_and_remember_in_order(
    committed_db, backend, tmp_path: Path, monkeypatch
) -> None:
    if backend != "postgresql":
        pytest.skip("scale-out runs on PostgreSQL (SQLite has one writer per database)")
    from heartline.config import get_settings
    from heartline.mood import service as mood_service
    from heartline.pipeline.runner import CeleryRunner
    from heartline.pipeline.tasks import celery_app

    broker = get_settings().broker_url
    _broker_or_skip(broker)
    queue = f"heartline-two-workers-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    monkeypatch.setattr(pipeline.runner, "get_runner", lambda: CeleryRunner())
    env = {
        **os.environ,
        "HEARTLINE_DATABASE_URL": committed_db.url.render_as_string(hide_password=False),
        "HEARTLINE_DATA_DIR": str(tmp_path),
        "HEARTLINE_EMOTION_ENGINE": "lexicon",
        "HEARTLINE_PIPELINE_RUNNER": "celery",
        "HEARTLINE_PIPELINE_QUEUE": queue,
        "HEARTLINE_RECOVERY_INTERVAL_S": "0",
    }
    logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
    workers = []
    for n, log in enumerate(logs, start=1):
        cmd = [
            sys.executable, "-m", "celery", "-A", "heartline.pipeline.tasks:celery_app", "worker",
            "-Q", queue, "-n", f"w{n}-{queue}@%h", "--pool", "solo", "--loglevel", "INFO",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with log.open("w") as out:
            workers.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT))
    try:
        ids = _backlog()
        _wait_drained(broker, queue, workers, timeout=240)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        import redis

        redis.Redis.from_url(broker).delete(queue)
    texts = [log.read_text() for log in logs]
    # both workers took stage tasks (the second worker was not idle)
    for text in texts:
        assert text.count("succeeded in") > 10, text[-3000:]
    with dbmod.session_scope() as s:
        scored = s.scalar(
            select(func.count())
            .select_from(Interaction)
            .where(Interaction.id.in_(ids), Interaction.analysis_status == "scored")
        )
        assert scored == len(ids)
        readings = s.scalar(select(func.count()).select_from(EmotionReading))
        assert readings == len(ids)  # one reading per message
        # every grain sums to the readings (category needs orders; none here)
        for grain in GRAINS:
            total = s.scalar(
                select(func.coalesce(func.sum(DailyReadingRollup.n), 0)).where(
                    DailyReadingRollup.grain == grain
                )
            )
            assert total == (0 if grain.startswith("category") else readings), grain
        # and per day, per channel: the figure a dashboard shows
        day = func.date(func.timezone("UTC", EmotionReading.occurred_at))
        truth = {
            (d, c): int(n)
            for d, c, n in s.execute(
                select(day, EmotionReading.channel, func.count()).group_by(
                    day, EmotionReading.channel
                )
            )
        }
        R = DailyReadingRollup
        counted = {
            (d, c): int(n)
            for d, c, n in s.execute(
                select(R.day, R.channel, func.sum(R.n))
                .where(R.grain == "channel")
                .group_by(R.day, R.channel)
            )
        }
        assert len(truth) >= 12 and counted == truth
        hero = s.scalar(select(Customer.id).where(Customer.external_id == "tw-0"))
        assert hero is not None
        stored = s.get(MoodState, hero)
        assert stored is not None
        got = (stored.readings_count, stored.last_reading_at, stored.label, stored.trajectory)
        got_valence, got_churn = stored.valence, stored.churn_risk
    for text in texts:
        bad = [line for line in text.splitlines() if any(b.lower() in line.lower() for b in BAD)]
        assert not bad, "\n".join(bad[:20])

    assert got[0] == len(ids) // 4 and got[1] == START + SPACING * (len(ids) - 4)
    with dbmod.session_scope() as s:  # the sequential answer: recomputed from every reading
        again = mood_service.update_customer(s, customer_id=hero)
        want = (again.readings_count, again.last_reading_at, again.label, again.trajectory)
        assert got == want
        assert got_valence == pytest.approx(again.valence, abs=1e-6)
        assert got_churn == pytest.approx(again.churn_risk, abs=1e-6)
