"""Dashboard query times over 1,000,000 interactions on SQLite and PostgreSQL.

Bulk-loads agents, teams, orders, conversations, interactions, readings and survey answers
straight into a scratch database (executemany on SQLite, COPY on PostgreSQL), builds the daily
rollup, and prints milliseconds per dashboard query (median of 3 runs), side by side, with the
raw-table queries the rollup replaces ("before", with --raw) for comparison, and each query's
ratio to #15's 300 ms limit. The queries are the metrics API's with its defaults (a year by
week, the top 10 agents and the rest in one row) and every read the dashboard page makes for a
365-day range. SQLite's CPU milliseconds are printed too: on a busy machine they say what the
query costs when the wall clock also counts waiting for a core.

Loading 1M rows takes minutes (on a busy 2-core VM: SQLite 19 s to generate, 22 min to load,
5.5 min to build the rollup; PostgreSQL 63 s, 9 min, 4-5 min); `--keep DIR` keeps the databases
and reuses them, so a second run takes a few minutes.

    .venv/bin/python bench/bench_metrics.py [--rows 1000000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
        [--skip-sqlite] [--skip-pg] [--keep DIR] [--rebuild-rollup] [--raw]
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


LIMIT_MS = 300  # #15: every dashboard query under 300 ms at 1M interactions, on both databases


def timed(fn: Any, runs: int = 3) -> tuple[float, float]:
    """Median wall and CPU milliseconds of a call (CPU of this process: on SQLite that is the
    query itself, which on a busy machine says more than the wall clock)."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


# Labels of rows that are not dashboard reads: no limit applies (printed for comparison).
REFERENCE = ("before:", "reference:", "pipeline:")


def _queries(session: Any, raw: bool) -> dict[str, tuple[Any, int]]:
    """label -> (call, runs): the metrics API's reads with their defaults (a year by week, the
    top agents), every read the dashboard page makes for 365 days, and reference rows: the
    raw-table queries the rollup replaces ("before:", with --raw), the widest read the API
    still gives when asked explicitly ("reference:") and the pipeline's rollup refresh."""
    from sqlalchemy import func, select

    from heartline.assist import dashboard
    from heartline.interactions.models import Conversation, Interaction
    from heartline.metrics import service
    from heartline.mood.models import EmotionReading as ER

    d30, d365 = NOW - timedelta(days=30), NOW - timedelta(days=DAYS)

    def trend(bucket: str, by: str | None, since: datetime, top: int | None = None,
              **where: Any) -> Any:  # fmt: skip
        return lambda: service.sentiment_trend(
            session, bucket=bucket, by=by, start=since, end=NOW, where=where, top=top
        )

    year = dashboard.Filters(start=(NOW - timedelta(days=DAYS - 1)).date(), end=NOW.date(),
                             bucket="week")  # fmt: skip
    year_cq = dashboard.Filters(start=year.start, end=year.end, channel="chat",
                                queue="billing", bucket="week")  # fmt: skip
    pair = {"split": year.t0, "start": year.previous().t0, "end": year.t1}

    def compare(by: str | None, where: dict[str, Any] | None = None) -> Any:
        return lambda: service.compare_periods(session, by=by, where=where or {}, **pair)

    out: dict[str, tuple[Any, int]] = {}
    if raw:
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
        out["before: trend week x queue, 365 d (raw join)"] = (
            lambda: session.execute(raw_queue).all(), 1)  # fmt: skip
        out["before: trend day x channel, 365 d (raw)"] = (
            lambda: session.execute(raw_day).all(), 1)  # fmt: skip
    out.update({
        "summary, 30 days": (lambda: service.summary(session, start=d30, end=NOW), 3),
        "summary, 365 days": (lambda: service.summary(session, start=d365, end=NOW), 3),
        "summary, 365 d, queue+team+category": (
            lambda: service.summary(session, start=d365, end=NOW,
                                    where={"queue": "billing", "team": 2,
                                           "category": "category-03"}), 3),
        "trend day x channel, 30 d": (trend("day", "channel", d30), 3),
        "trend week x channel, 365 d": (trend("week", "channel", d365), 3),
        "trend week, 90 d, channel=chat": (trend("week", None, NOW - timedelta(90),
                                                 channel="chat"), 3),
        "trend week x queue, 30 d": (trend("week", "queue", d30), 3),
        "trend week x queue, 365 d": (trend("week", "queue", d365), 3),
        "trend week x top 10 agents, 365 d": (trend("week", "agent", d365, top=10), 3),
        "trend week x team, 365 d, channel=chat": (trend("week", "team", d365, channel="chat"),
                                                   3),
        "trend week x category, 365 d": (trend("week", "category", d365), 3),
        "trend week x top 10 agents, 365 d, queue+cat.": (
            trend("week", "agent", d365, top=10, queue="senior", category="category-07"), 3),
        "surveys by queue, 365 d": (
            lambda: service.surveys(session, by="queue", start=d365, end=NOW), 3),
        "page 365 d: survey trend by week": (
            lambda: service.survey_trend(session, bucket="week", start=year.start,
                                         end=year.end), 3),
        "page 365 d: filter options (4 reads)": (lambda: dashboard.filter_options(session), 3),
        "page 365 d: retention (customers, orders)": (
            lambda: service.retention_rate(session, as_of=year.t1), 3),
    })  # fmt: skip
    # The dashboard's reading figures for a year, unfiltered and filtered (chat + billing):
    # the chart by week, then this year against the last one in total and per breakdown.
    for view, f in (("page 365 d", year), ("page 365 d, chat+billing", year_cq)):
        where = f.where()
        out[f"{view}: chart by week"] = (
            lambda where=where: service.sentiment_trend(
                session, bucket="week", start=year.t0, end=year.t1, where=where
            ),
            3,
        )
        for dim in (None, *dashboard.DIMENSIONS, "agent"):
            out[f"{view}: 2 years by {dim or 'total'}"] = (compare(dim, where), 3)
    out.update({
        "reference: trend day x all agents, 365 d": (trend("day", "agent", d365), 1),
        "reference: trend day x category, 365 d": (trend("day", "category", d365), 1),
        "pipeline: refresh one day's rollup": (
            lambda: service.refresh_rollup(session, days=[d30.date()]), 3),
    })  # fmt: skip
    return out


def _loaded_rows(engine: Any) -> int:
    """Interactions already in a kept database (0 when it is new)."""
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM interactions").scalar() or 0)


def run_backend(
    name: str,
    url: str,
    rows: int,
    *,
    reuse: bool = False,
    rebuild: bool = False,
    raw: bool = False,
) -> dict[str, tuple[float, float]]:
    """Load a scratch database (or reuse a kept one holding `rows`) and time the queries."""
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
    have = _loaded_rows(engine) if reuse else 0
    if have and have != rows:
        raise SystemExit(f"[{name}] the kept database holds {have:,} interactions, not {rows:,}")
    gen_s = load_s = 0.0
    if not have:
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
    out: dict[str, tuple[float, float]] = {}
    with Session(engine) as session:
        started = time.perf_counter()
        n_rollup = 0
        if not have or rebuild:
            n_rollup = service.rebuild_rollup(session)
            session.commit()
        rollup_s = time.perf_counter() - started
        grains = dict(session.execute(select(R.grain, func.count()).group_by(R.grain)).all())
        loaded = (
            f"generated {rows:,} interactions+readings in {gen_s:.1f} s, loaded in {load_s:.1f} s"
            if not have
            else f"reused the kept {rows:,} interactions"
        )
        built = (
            f"rollup of {n_rollup:,} rows built in {rollup_s:.1f} s" if n_rollup else "rollup kept"
        )
        print(
            f"[{name}] {loaded}, {built} "
            f"({', '.join(f'{k} {v:,}' for k, v in sorted(grains.items()))})",
            flush=True,
        )
        session.commit()
        if engine.dialect.name == "postgresql":
            # A rebuild deletes and re-inserts every rollup row; autovacuum would clear the dead
            # ones soon after, so measure the table as it then is.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE metric_daily_readings")
        else:
            session.connection().exec_driver_sql("ANALYZE")
            session.commit()
        for label, (fn, runs) in _queries(session, raw).items():
            out[label] = timed(fn, runs)
            wall, cpu = out[label]
            print(f"[{name}] {label}: {wall:.1f} ms (CPU {cpu:.1f} ms)", flush=True)
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
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the loaded databases (SQLite file in DIR, PostgreSQL database "
        "heartline_bench_metrics_<rows>) and reuse them on the next run with the same --rows: "
        "loading 1M rows takes minutes",
    )
    parser.add_argument(
        "--rebuild-rollup", action="store_true", help="rebuild the rollup of a kept database"
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="also time the raw-table queries the rollup replaces (minutes at 1M rows)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-bench-"))
    results: dict[str, dict[str, tuple[float, float]]] = {}
    tmp = args.keep or tempfile.mkdtemp(prefix="heartline-bench-metrics-")
    if args.keep:
        os.makedirs(tmp, exist_ok=True)
    kw = {"reuse": bool(args.keep), "rebuild": args.rebuild_rollup, "raw": args.raw}
    if not args.skip_sqlite:
        results["sqlite"] = run_backend(
            "sqlite", f"sqlite:///{tmp}/metrics-{args.rows}.db", args.rows, **kw
        )
    if not args.skip_pg:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin_url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
        if args.keep:
            name = f"heartline_bench_metrics_{args.rows}"
        else:
            name = f"heartline_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                exists = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).scalar()
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no server: report SQLite alone
            print(f"PostgreSQL skipped ({exc.__class__.__name__}: {str(exc).splitlines()[0]})")
        else:
            try:
                url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
                results["postgresql"] = run_backend("postgresql", url, args.rows, **kw)
            finally:
                if not args.keep:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    report(results, args.rows)


def report(results: dict[str, dict[str, tuple[float, float]]], rows: int) -> None:
    """One line per query: each backend's ms and its ratio to the limit (SQLite's CPU too)."""
    if not results:
        return
    backends = list(results)
    print(
        f"\nDashboard queries over {rows:,} interactions: median ms of 3 runs and the ratio to "
        f"the {LIMIT_MS} ms limit (reference rows, no limit: 'before' = the raw-table query "
        "the rollup replaces, 'reference' = the widest read the API gives when asked, "
        "'pipeline' = the rollup refresh)"
    )
    head = "".join(f"{b + ' ms':>14}{'ratio':>7}" for b in backends)
    print(f"{'query':<48}{head}{'sqlite CPU':>12}")
    worst: dict[str, float] = {}
    for label in results[backends[0]]:
        ref = label.startswith(REFERENCE)
        line = f"{label:<48}"
        for b in backends:
            wall = results[b].get(label, (float("nan"), 0.0))[0]
            line += f"{wall:>14.1f}" + (f"{'':>7}" if ref else f"{wall / LIMIT_MS:>7.2f}")
            if not ref:
                worst[b] = max(worst.get(b, 0.0), wall)
        if "sqlite" in results:
            line += f"{results['sqlite'].get(label, (0.0, float('nan')))[1]:>12.1f}"
        print(line)
    for b, ms in worst.items():
        verdict = "under" if ms < LIMIT_MS else "OVER"
        print(f"slowest dashboard query on {b}: {ms:.0f} ms = {ms / LIMIT_MS:.2f} x the limit "
              f"({verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
