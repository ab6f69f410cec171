"""Dashboard query times over 1,000,000 interactions on SQLite and PostgreSQL.

Bulk-loads agents, teams, orders, conversations, interactions, readings and survey answers
straight into a scratch database (executemany on SQLite, COPY on PostgreSQL), builds the daily
rollup, and prints milliseconds per dashboard query (median of 3 runs), side by side, with the
raw-table queries the rollup replaces ("before") for comparison.

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
CATEGORIES = [f"category-{i:02d}" for i in range(20)]
TEAMS, AGENTS = 6, 60
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


def generate(rows: int, sqlite: bool) -> dict[str, list[tuple[Any, ...]]]:
    """Teams, agents, customers, orders, conversations, interactions, readings and surveys as
    row tuples (seeded): 60 agents in 6 teams, 30% of messages about an order, 1 survey
    answer per 10 messages."""
    rng = random.Random(7)
    customers, convs, orders = max(100, rows // 50), max(100, rows // 5), max(100, rows // 10)
    now_s = _ts(NOW, sqlite)
    when = [_ts(NOW - timedelta(seconds=rng.uniform(0, DAYS * 86400)), sqlite) for _ in range(50)]
    out: dict[str, list[tuple[Any, ...]]] = {
        "teams": [(i, f"Team {i}", now_s) for i in range(1, TEAMS + 1)],
        "users": [
            (
                i,
                f"agent{i}@bench",
                f"Agent {i}",
                "x",
                "agent",
                (i - 1) % TEAMS + 1,
                True,
                "UTC",
                now_s,
            )
            for i in range(1, AGENTS + 1)
        ],
        "customers": [
            (
                i,
                f"Customer {i}",
                "en",
                "UTC",
                "[]",
                "[]",
                False,
                True,
                False,
                "{}",
                "{}",
                now_s,
                now_s,
            )
            for i in range(1, customers + 1)
        ],
        "orders": [
            (i, rng.randint(1, customers), "delivered", rng.choice(when), "0", "USD", now_s, now_s)
            for i in range(1, orders + 1)
        ],
    }
    items = []
    for o in range(1, orders + 1):
        for _ in range(rng.choice((1, 1, 2))):
            items.append((len(items) + 1, o, "product", rng.choice(CATEGORIES), 1, "0"))
    out["order_items"] = items
    conv = []
    for i in range(1, convs + 1):
        agent = rng.randint(1, AGENTS)
        conv.append(
            (
                i, rng.randint(1, customers), "", rng.choice(CHANNELS), "open", rng.choice(QUEUES),
                rng.randint(1, 4), "{}", (agent - 1) % TEAMS + 1, agent, now_s, now_s,
            )
        )  # fmt: skip
    out["conversations"] = conv
    inter, read, surveys = [], [], []
    for i in range(1, rows + 1):
        at = NOW - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        at_s = _ts(at, sqlite)
        cid = rng.randint(1, customers)
        ch = rng.choice(CHANNELS)
        conv_id = rng.randint(1, convs)
        order_id = rng.randint(1, orders) if rng.random() < 0.3 else None
        valence = max(-1.0, min(1.0, rng.gauss(0.1, 0.5)))
        sentiment = "negative" if valence < -0.05 else "positive" if valence > 0.05 else "neutral"
        inter.append(
            (i, cid, conv_id, order_id, ch, "inbound", "", "", "message text", at_s, "{}",
             "scored", now_s, now_s)
        )  # fmt: skip
        read.append(
            (i, i, cid, at_s, ch, "bench@1", sentiment, round(valence, 4), rng.choice(EMOTIONS),
             round(abs(valence), 4), 0.8, 0.0, False, "{}", now_s, now_s)
        )  # fmt: skip
        if i % 10 == 0:
            kind = rng.choice(("csat", "nps", "ces"))
            score = rng.randint(*{"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}[kind])
            surveys.append((len(surveys) + 1, cid, kind, score, conv_id, order_id, i, at_s, now_s))
    out.update(interactions=inter, emotion_readings=read, survey_responses=surveys)
    return out


COLUMNS = {
    "teams": "id, name, created_at",
    "users": "id, email, name, password_hash, role, team_id, is_active, timezone, created_at",
    "customers": "id, name, locale, timezone, interests, tags, vip, consent_emotion_analysis, "
    "consent_marketing, channel_consent, attributes, created_at, updated_at",
    "orders": "id, customer_id, status, placed_at, total, currency, created_at, updated_at",
    "order_items": "id, order_id, product, category, quantity, unit_price",
    "conversations": "id, customer_id, subject, channel, status, queue, priority, routing, "
    "team_id, assignee_id, opened_at, updated_at",
    "interactions": "id, customer_id, conversation_id, order_id, channel, direction, author, "
    "subject, text, occurred_at, metadata, analysis_status, created_at, updated_at",
    "emotion_readings": "id, interaction_id, customer_id, occurred_at, channel, model, sentiment, "
    "valence, top_emotion, intensity, confidence, sarcasm, needs_review, data, created_at, "
    "updated_at",
    "survey_responses": "id, customer_id, kind, score, conversation_id, order_id, "
    "interaction_id, responded_at, created_at",
}


def load(engine: Any, data: dict[str, list[tuple[Any, ...]]], columns: dict[str, str]) -> None:
    """Bulk-insert the generated rows."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN")  # Heartline's SQLite connections autocommit unless told
        for table, cols in columns.items():
            rows = data[table]
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


def _queries(session: Any) -> dict[str, tuple[Any, int]]:
    """label -> (call, runs). "before:" rows are the raw-table queries the rollup replaces."""
    from sqlalchemy import func, select

    from heartline.interactions.models import Conversation, Interaction
    from heartline.metrics import service
    from heartline.mood.models import EmotionReading as ER

    d30, d365 = NOW - timedelta(days=30), NOW - timedelta(days=DAYS)

    def trend(bucket: str, by: str | None, since: datetime, **where: Any) -> Any:
        return lambda: service.sentiment_trend(
            session, bucket=bucket, by=by, start=since, end=NOW, where=where
        )

    week = service.week_of_day(session, service.day_of(session, ER.occurred_at))
    raw_queue = (
        select(week, Conversation.queue, ER.sentiment, ER.top_emotion, func.count())
        .add_columns(func.sum(ER.valence))
        .join(Interaction, Interaction.id == ER.interaction_id)
        .outerjoin(Conversation, Conversation.id == Interaction.conversation_id)
        .where(ER.occurred_at >= d365, ER.occurred_at < NOW)
        .group_by(week, Conversation.queue, ER.sentiment, ER.top_emotion)
    )  # fmt: skip
    day = service.day_of(session, ER.occurred_at)
    raw_day = (
        select(day, ER.channel, func.avg(ER.valence), func.count())
        .where(ER.occurred_at >= d365, ER.occurred_at < NOW)
        .group_by(day, ER.channel)
    )
    return {
        "before: trend week x queue, 365 d (raw join)": (
            lambda: session.execute(raw_queue).all(),
            1,
        ),
        "before: trend day x channel, 365 d (raw)": (lambda: session.execute(raw_day).all(), 1),
        "summary, 30 days": (lambda: service.summary(session, start=d30, end=NOW), 3),
        "summary, 365 days": (lambda: service.summary(session, start=d365, end=NOW), 3),
        "summary, 365 d, queue+team+category": (
            lambda: service.summary(
                session,
                start=d365,
                end=NOW,
                where={"queue": "billing", "team": 2, "category": "category-03"},
            ),
            3,
        ),
        "trend day x channel, 365 d": (trend("day", "channel", d365), 3),
        "trend week, 90 d, channel=chat": (
            trend("week", None, NOW - timedelta(90), channel="chat"),
            3,
        ),
        "trend week x queue, 30 d": (trend("week", "queue", d30), 3),
        "trend week x queue, 365 d": (trend("week", "queue", d365), 3),
        "trend day x agent, 365 d": (trend("day", "agent", d365), 3),
        "trend week x team, 365 d, channel=chat": (trend("week", "team", d365, channel="chat"), 3),
        "trend day x category, 365 d": (trend("day", "category", d365), 3),
        "trend week x agent, 365 d, queue+category": (
            trend("week", "agent", d365, queue="senior", category="category-07"),
            3,
        ),
        "surveys by queue, 365 d": (
            lambda: service.surveys(session, by="queue", start=d365, end=NOW),
            3,
        ),
        "pipeline: refresh one day's rollup": (
            lambda: service.refresh_rollup(session, days=[d30.date()]),
            3,
        ),
    }  # fmt: skip


def run_backend(name: str, url: str, rows: int) -> dict[str, float]:
    """Load a scratch database and time the dashboard queries."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy.orm import Session

    from heartline import migrate
    from heartline.db import make_engine
    from heartline.metrics import service
    from heartline.metrics.models import DailyReadingRollup as R

    engine = make_engine(url)
    migrate.upgrade(engine)
    conv_cols = {c["name"] for c in inspect(engine).get_columns("conversations")}
    sqlite = engine.dialect.name == "sqlite"
    started = time.perf_counter()
    data = generate(rows, sqlite=sqlite)
    gen_s = time.perf_counter() - started
    started = time.perf_counter()
    columns = dict(COLUMNS)
    if "last_activity_at" in conv_cols:  # added by a later migration (NOT NULL)
        columns["conversations"] += ", last_activity_at"
        data["conversations"] = [(*row, row[-1]) for row in data["conversations"]]
    load(engine, data, columns)
    load_s = time.perf_counter() - started
    del data
    out: dict[str, float] = {}
    with Session(engine) as session:
        started = time.perf_counter()
        n_rollup = service.rebuild_rollup(session)
        session.commit()
        rollup_s = time.perf_counter() - started
        grains = dict(session.execute(select(R.grain, func.count()).group_by(R.grain)).all())
        print(
            f"[{name}] generated {rows:,} interactions+readings in {gen_s:.1f} s, "
            f"loaded in {load_s:.1f} s, rollup of {n_rollup:,} rows built in {rollup_s:.1f} s "
            f"({', '.join(f'{k} {v:,}' for k, v in sorted(grains.items()))})",
            flush=True,
        )
        if engine.dialect.name == "postgresql":
            session.connection().exec_driver_sql("ANALYZE metric_daily_readings")
        else:
            session.connection().exec_driver_sql("ANALYZE")
        session.commit()
        for label, (fn, runs) in _queries(session).items():
            out[label] = timed(fn, runs)
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
    print(
        f"\nDashboard queries over {args.rows:,} interactions (ms, median of 3; "
        "'before' rows: one run of the raw-table query the rollup replaces)"
    )
    print(f"{'query':<46}" + "".join(f"{b:>12}" for b in backends))
    for label in results["sqlite"]:
        print(f"{label:<46}" + "".join(f"{results[b][label]:>12.1f}" for b in backends))


if __name__ == "__main__":
    main()
