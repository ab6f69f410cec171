"""Scale-out: the same backlog through 1 and then 2 Celery worker processes on PostgreSQL.

A backlog of stored messages (overlapping customers, spread over days like imported history)
is loaded once into a template database; each run copies it (CREATE DATABASE ... TEMPLATE),
starts N `celery worker` processes (solo pool, lexicon engine, a queue of its own), waits until
they are ready, submits the backlog in pipeline batches and times until the queue is drained.
It prints each run's messages/s, the workers' CPU per message, where PostgreSQL backends
waited (pg_stat_activity sampled every 0.2 s: lock waits on advisory locks, rows, transactions)
and the ratio 2 workers / 1 worker against the #15 target (a second worker adds >= 70 % where
cores allow). Each run is checked: every message scored once, the rollup's sum equal to the
readings, no retried task, no deadlock.
Usage: python bench/bench_scaleout.py [--messages 20000] [--customers 2000] [--days 30]
       [--batch 200] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-bench-"))
os.environ["HEARTLINE_EMOTION_ENGINE"] = "lexicon"
os.environ["HEARTLINE_RECOVERY_INTERVAL_S"] = "0"

PG = os.environ.get("HEARTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BODIES = (
    "My order {n} still hasn't arrived and it's been a week. Where is it?",
    "Thanks so much, order {n} came early and the kettle is perfect!",
    "I was charged twice for order {n}, please refund me.",
    "The box for order {n} arrived crushed and I am really upset.",
    "Can you change the delivery address for order {n}?",
)
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _admin() -> Any:
    from sqlalchemy import create_engine

    url = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


def _url(name: str) -> str:
    return PG.rsplit("/", 1)[0] + f"/{name}"


def _sql(admin: Any, statement: str) -> None:
    from sqlalchemy import text

    with admin.connect() as c:
        c.execute(text(statement))


def load_template(name: str, messages: int, customers: int, days: int) -> None:
    """Migrate a fresh database and store the backlog (not submitted to the pipeline)."""
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline import migrate
    from heartline.customers.models import Customer
    from heartline.interactions import service as interaction_service
    from heartline.interactions.schemas import InteractionIn

    engine = dbmod.make_engine(_url(name))
    migrate.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    dbmod.set_sessionmaker(factory, engine)
    step = timedelta(days=days) / messages
    with factory() as s:
        rows = [Customer(external_id=f"b-{c}", name=f"Customer {c}") for c in range(customers)]
        s.add_all(rows)
        s.commit()
        cids = [c.id for c in rows]
    try:  # the batched ingest (#15) where it exists, else row by row
        from heartline.interactions.batch import ingest_interactions
    except ImportError:
        ingest_interactions = None
    t0 = time.perf_counter()
    for start in range(0, messages, 500):
        with factory() as s:
            items = [
                InteractionIn(
                    customer_id=cids[(i * 7919) % customers],  # customers recur, interleaved
                    channel=("email", "chat", "phone", "whatsapp")[i % 4],
                    text=BODIES[i % len(BODIES)].format(n=i),
                    occurred_at=START + step * i,
                )
                for i in range(start, min(start + 500, messages))
            ]
            if ingest_interactions is not None:
                ingest_interactions(s, items=items)
            else:
                for data in items:
                    interaction_service.ingest_interaction(s, data=data)
            s.commit()
    print(
        f"backlog: {messages:,} messages of {customers:,} customers over {days} days stored "
        f"in {time.perf_counter() - t0:.0f} s (template database, loaded once)"
    )
    engine.dispose()
    dbmod.set_sessionmaker(None, None)


class Sampler(threading.Thread):
    """Counts what the database's active backends wait on, every `every` seconds."""

    def __init__(self, name: str, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.name_, self.every = name, every
        self.waits: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(PG.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, 'running'),"
                    " (SELECT count(*) FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted"
                    "  AND l.locktype = 'advisory') "
                    "FROM pg_stat_activity a WHERE datname = %s AND state = 'active'"
                    " AND pid <> pg_backend_pid()",
                    (self.name_,),
                ).fetchall()
                self.samples += 1
                for kind, event, advisory in rows:
                    if kind == "Lock" and advisory:
                        event = "advisory (rollup day)"
                    self.waits[f"{kind}:{event}"] += 1
                time.sleep(self.every)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends_cpu(name: str) -> float:
    """CPU seconds of the database's server processes (same machine: /proc)."""
    import psycopg

    with psycopg.connect(PG.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]  # fmt: skip
    total = 0.0
    for pid in pids:
        try:
            total += _cpu_seconds(pid)
        except OSError:
            continue  # gone meanwhile
    return total


def _time_recount(factory: Any) -> tuple[int, float]:
    """(readings of the busiest day, seconds one refresh of that day takes)."""
    from sqlalchemy import func, select

    from heartline.metrics import rollup
    from heartline.mood.models import EmotionReading as ER

    with factory() as s:
        day = rollup.day_of(s, ER.occurred_at)
        busiest = s.execute(
            select(day, func.count()).group_by(day).order_by(func.count().desc()).limit(1)
        ).first()
        if busiest is None:
            return 0, 0.0
        t0 = time.perf_counter()
        rollup.refresh_rollup(s, days=[busiest[0]])
        s.commit()
        return int(busiest[1]), time.perf_counter() - t0


def _machine_busy() -> tuple[float, float]:
    parts = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(parts), parts[3] + parts[4]  # total, idle + iowait


def _pending(broker: str, queue: str) -> int:
    import json

    import redis

    r = redis.Redis.from_url(broker)
    unacked = sum(1 for raw in r.hvals("unacked") if json.loads(raw)[-1] == queue)
    return int(r.llen(queue)) + unacked


def run_workers(template: str, n: int, batch: int, messages: int) -> float:
    """Copy the template, drain the backlog through n workers; returns messages/s."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline.config import get_settings
    from heartline.interactions.models import Interaction
    from heartline.metrics.models import DailyReadingRollup as R
    from heartline.mood.models import EmotionReading
    from heartline.pipeline.runner import CeleryRunner
    from heartline.pipeline.tasks import celery_app

    admin = _admin()
    name = f"{template}_w{n}"
    _sql(admin, f'DROP DATABASE IF EXISTS "{name}"')
    _sql(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    queue = f"heartline-bench-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = queue
    broker = get_settings().broker_url
    tmp = Path(tempfile.mkdtemp(prefix="heartline-scaleout-"))
    env = {
        **os.environ,
        "HEARTLINE_DATABASE_URL": _url(name),
        "HEARTLINE_DATA_DIR": str(tmp),
        "HEARTLINE_PIPELINE_RUNNER": "celery",
        "HEARTLINE_PIPELINE_QUEUE": queue,
    }
    logs = [tmp / f"worker{k}.log" for k in range(n)]
    procs = []
    for k, log in enumerate(logs):
        cmd = [
            sys.executable, "-m", "celery", "-A", "heartline.pipeline.tasks:celery_app", "worker",
            "-Q", queue, "-n", f"b{k}-{queue}@%h", "--pool", "solo", "--loglevel", "INFO",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with log.open("w") as out:
            procs.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT))
    engine = dbmod.make_engine(_url(name))
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        deadline = time.monotonic() + 120
        while not all(" ready." in log.read_text() for log in logs):
            assert time.monotonic() < deadline, "workers did not start"
            assert all(p.poll() is None for p in procs), "a worker died at start"
            time.sleep(0.2)
        with factory() as s:
            ids = list(s.scalars(select(Interaction.id).order_by(Interaction.id)))
        cpu0 = sum(_cpu_seconds(p.pid) for p in procs)
        busy0 = _machine_busy()
        sampler = Sampler(name)
        sampler.start()
        t0 = time.perf_counter()
        runner = CeleryRunner()
        for start in range(0, len(ids), batch):
            runner.submit("interaction", ids[start : start + batch])
        quiet = 0
        while quiet < 3:
            assert all(p.poll() is None for p in procs), "a worker died"
            quiet = quiet + 1 if _pending(broker, queue) == 0 else 0
            time.sleep(0.25)
        took = time.perf_counter() - t0 - 0.5  # the last two quiet polls
        sampler.stop.set()
        sampler.join()
        cpu = sum(_cpu_seconds(p.pid) for p in procs) - cpu0
        busy1 = _machine_busy()
        db_cpu = _backends_cpu(name)  # the workers' connections, opened for this run
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    total, idle = busy1[0] - busy0[0], busy1[1] - busy0[1]
    with factory() as s:
        done = Interaction.analysis_status == "scored"
        scored = s.scalar(select(func.count()).select_from(Interaction).where(done))
        readings = s.scalar(select(func.count()).select_from(EmotionReading))
        counted = s.scalar(select(func.coalesce(func.sum(R.n), 0)).where(R.grain == "full"))
    recount = _time_recount(factory)
    engine.dispose()
    text = "\n".join(log.read_text() for log in logs)
    retried = text.count(" retry: ")
    deadlocks = text.lower().count("deadlock detected")
    uniques = text.count("UniqueViolation")
    rate = messages / took
    print(
        f"{n} worker{'s' if n > 1 else ' '}: {messages:,} messages in {took:6.1f} s = {rate:6.1f} "
        f"msg/s; CPU per message: workers {1000 * cpu / messages:.1f} ms + PostgreSQL "
        f"{1000 * db_cpu / messages:.1f} ms; each worker had {100 * cpu / took / n:.0f} % of a "
        f"core; machine busy {100 * (1 - idle / total):.0f} % of {os.cpu_count()} cores"
    )
    ok = scored == messages and readings == messages and counted == readings
    print(
        f"           check: scored {scored:,}, readings {readings:,}, rollup sum {counted:,} "
        f"({'exact' if counted == readings else 'WRONG'}); retried tasks {retried}, deadlocks "
        f"{deadlocks}, unique violations {uniques}{'' if ok else '  <-- NOT CORRECT'}"
    )
    if sampler.samples:
        top = sampler.waits.most_common(6)
        described = ", ".join(f"{k} {v / sampler.samples:.2f}" for k, v in top)
        print(f"           active backends by wait (mean per sample): {described}")
        locked = sum(v for k, v in sampler.waits.items() if k.startswith("Lock:"))
        lock_ms = 1000 * locked * sampler.every / messages
        print(
            f"           lock waits: {lock_ms:.2f} ms/message (advisory rollup days, rows, "
            f"transactions); CPU-bound estimate {messages / (cpu + db_cpu):.0f} "
            f"msg/s per free core"
        )
    print(
        f"           rollup recount of the busiest day ({recount[0]:,} readings): "
        f"{1000 * recount[1]:.0f} ms, under that day's lock (every batch recounts its days)"
    )
    _sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    import redis

    redis.Redis.from_url(broker).delete(queue)
    return rate


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--customers", type=int, default=2_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--batch", type=int, default=200, help="messages per pipeline task")
    p.add_argument("--workers", default="1,2")
    args = p.parse_args()
    admin = _admin()
    template = f"heartline_bench_scaleout_{os.getpid()}"
    _sql(admin, f'DROP DATABASE IF EXISTS "{template}"')
    _sql(admin, f'CREATE DATABASE "{template}"')
    try:
        load_template(template, args.messages, args.customers, args.days)
        rates = {n: run_workers(template, n, args.batch, args.messages)
                 for n in (int(w) for w in args.workers.split(","))}  # fmt: skip
    finally:
        _sql(admin, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    load = os.getloadavg()
    if 1 in rates and 2 in rates:
        gain = rates[2] / rates[1] - 1
        print(
            f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}x (second worker adds "
            f"{100 * gain:.0f} %; target >= 70 % where cores allow: "
            f"{'met' if gain >= 0.70 else 'NOT met'}) on {os.cpu_count()} cores shared with the "
            f"broker and PostgreSQL; load average {load[0]:.1f}"
        )


if __name__ == "__main__":
    main()
