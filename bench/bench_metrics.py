"""Dashboard query times over 1,000,000 interactions on SQLite and PostgreSQL.

Bulk-loads interactions and their readings straight into a scratch database (executemany on
SQLite, COPY on PostgreSQL), builds the daily rollup, and prints milliseconds per dashboard
query (median of 3 runs), side by side, with the raw-table equivalent for comparison.

    .venv/bin/python bench/bench_metrics.py [--rows 1000000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

CHANNELS = ["email", "chat", "whatsapp", "sms", "review", "survey", "social", "phone"]
QUEUES = ["general", "senior", "billing", "returns"]
EMOTIONS = [
    "anger",
    "frustration",
    "disappointment",
    "joy",
    "gratitude",
    "satisfaction",
    "neutral",
    None,
]
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
DAYS = 365


def _ts(dt: datetime, sqlite: bool) -> Any:
    return dt.replace(tzinfo=None).isoformat(sep=" ") if sqlite else dt


def generate(
    rows: int, customers: int, convs: int, sqlite: bool
) -> tuple[list[tuple[Any, ...]], ...]:
    """Customers, conversations, interactions and readings as row tuples (seeded)."""
    rng = random.Random(7)
    now_s = _ts(NOW, sqlite)
    cust = [
        (i, f"Customer {i}", "en", "UTC", "[]", "[]", False, True, False, "{}", "{}", now_s, now_s)
        for i in range(1, customers + 1)
    ]
    conv = [
        (
            i,
            rng.randint(1, customers),
            "",
            rng.choice(CHANNELS),
            "open",
            rng.choice(QUEUES),
            rng.randint(1, 4),
            "{}",
            now_s,
            now_s,
        )
        for i in range(1, convs + 1)
    ]
    inter, read = [], []
    for i in range(1, rows + 1):
        at = NOW - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        at_s = _ts(at, sqlite)
        cid = rng.randint(1, customers)
        ch = rng.choice(CHANNELS)
        valence = max(-1.0, min(1.0, rng.gauss(0.1, 0.5)))
        sentiment = "negative" if valence < -0.05 else "positive" if valence > 0.05 else "neutral"
        inter.append(
            (
                i,
                cid,
                rng.randint(1, convs),
                ch,
                "inbound",
                "",
                "",
                "message text",
                at_s,
                "{}",
                "scored",
                now_s,
                now_s,
            )
        )
        read.append(
            (
                i,
                i,
                cid,
                at_s,
                ch,
                "bench@1",
                sentiment,
                round(valence, 4),
                rng.choice(EMOTIONS),
                round(abs(valence), 4),
                0.8,
                0.0,
                False,
                "{}",
                now_s,
                now_s,
            )
        )
    return cust, conv, inter, read


COLUMNS = {
    "customers": "id, name, locale, timezone, interests, tags, vip, consent_emotion_analysis, consent_marketing, "  # noqa: E501
    "channel_consent, attributes, created_at, updated_at",
    "conversations": "id, customer_id, subject, channel, status, queue, priority, routing, opened_at, updated_at",  # noqa: E501
    "interactions": "id, customer_id, conversation_id, channel, direction, author, subject, text, occurred_at, "  # noqa: E501
    "metadata, analysis_status, created_at, updated_at",
    "emotion_readings": "id, interaction_id, customer_id, occurred_at, channel, model, sentiment, valence, "  # noqa: E501
    "top_emotion, intensity, confidence, sarcasm, needs_review, data, created_at, updated_at",
}


def load(engine: Any, data: tuple[list[tuple[Any, ...]], ...], columns: dict[str, str]) -> None:
    """Bulk-insert the generated rows."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN")  # Heartline's SQLite connections autocommit unless told
        for table, rows in zip(columns, data, strict=True):
            cols = columns[table]
            if engine.dialect.name == "sqlite":
                marks = ", ".join("?" for _ in cols.split(","))
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
            else:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        if engine.dialect.name == "sqlite":
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        else:
            raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def timed(fn: Any, runs: int = 3) -> float:
    """Median milliseconds of a call."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_backend(name: str, url: str, rows: int) -> dict[str, float]:
    """Load a scratch database and time the dashboard queries."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from heartline import migrate
    from heartline.db import make_engine
    from heartline.metrics import service
    from heartline.mood.models import EmotionReading

    engine = make_engine(url)
    migrate.upgrade(engine)
    from sqlalchemy import inspect

    conv_cols = {c["name"] for c in inspect(engine).get_columns("conversations")}
    sqlite = engine.dialect.name == "sqlite"
    started = time.perf_counter()
    data = generate(rows, customers=max(100, rows // 50), convs=max(100, rows // 5), sqlite=sqlite)
    gen_s = time.perf_counter() - started
    started = time.perf_counter()
    columns = dict(COLUMNS)
    if "last_activity_at" in conv_cols:  # added by a later migration (NOT NULL)
        columns["conversations"] += ", last_activity_at"
        data = (data[0], [(*row, row[-1]) for row in data[1]], data[2], data[3])
    load(engine, data, columns)
    load_s = time.perf_counter() - started
    del data
    out: dict[str, float] = {}
    with Session(engine) as session:
        started = time.perf_counter()
        n_rollup = service.rebuild_rollup(session)
        session.commit()
        rollup_s = time.perf_counter() - started
        print(
            f"[{name}] generated {rows:,} interactions+readings in {gen_s:.1f} s, loaded in {load_s:.1f} s, "  # noqa: E501
            f"rollup of {n_rollup:,} rows built in {rollup_s:.1f} s",
            flush=True,
        )
        d30, d365 = NOW - timedelta(days=30), NOW - timedelta(days=DAYS)
        queries = {
            "summary, 30 days (rollup + surveys)": lambda: service.summary(
                session, start=d30, end=NOW
            ),
            "summary, 365 days (rollup + surveys)": lambda: service.summary(
                session, start=d365, end=NOW
            ),
            "trend by day x channel, 365 days (rollup)": lambda: service.sentiment_trend(
                session, bucket="day", by="channel", start=d365, end=NOW
            ),
            "trend by week, 90 days, channel=chat (rollup)": lambda: service.sentiment_trend(
                session,
                bucket="week",
                start=NOW - timedelta(days=90),
                end=NOW,
                where={"channel": "chat"},
            ),
            "trend by week x queue, 30 days (live join)": lambda: service.sentiment_trend(
                session, bucket="week", by="queue", start=d30, end=NOW
            ),
            "trend by week x queue, 365 days (live join)": lambda: service.sentiment_trend(
                session, bucket="week", by="queue", start=d365, end=NOW
            ),
            "raw: avg valence by day, 365 days (no rollup)": lambda: session.execute(
                select(
                    service.day_of(session, EmotionReading.occurred_at),
                    func.avg(EmotionReading.valence),
                    func.count(),
                )
                .where(EmotionReading.occurred_at >= d365)
                .group_by(service.day_of(session, EmotionReading.occurred_at))
            ).all(),
            "pipeline: refresh one day's rollup": lambda: service.refresh_rollup(
                session, days=[d30.date()]
            ),
        }
        for label, fn in queries.items():
            out[label] = timed(fn)
            print(f"[{name}] {label}: {out[label]:.1f} ms", flush=True)
        session.rollback()
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "HEARTLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-bench-"))
    results: dict[str, dict[str, float]] = {}
    tmp = tempfile.mkdtemp(prefix="heartline-bench-metrics-")
    results["sqlite"] = run_backend("sqlite", f"sqlite:///{tmp}/metrics.db", args.rows)
    if not args.skip_pg:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin_url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"heartline_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no server: report SQLite alone
            print(f"PostgreSQL skipped ({exc.__class__.__name__}: {str(exc).splitlines()[0]})")
        else:
            try:
                url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
                results["postgresql"] = run_backend("postgresql", url, args.rows)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    backends = list(results)
    print(f"\nDashboard queries over {args.rows:,} interactions (ms, median of 3)")
    print(f"{'query':<50}" + "".join(f"{b:>14}" for b in backends))
    for label in results["sqlite"]:
        print(f"{label:<50}" + "".join(f"{results[b][label]:>14.1f}" for b in backends))


if __name__ == "__main__":
    main()
