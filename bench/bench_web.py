"""Server time of each web page: the demo workspace and a 100,000-interaction workspace.

Builds each workspace in a scratch SQLite database (the demo through the demo generator, the
large one bulk-inserted with readings, conversations, orders and surveys), signs in through the
login form with TestClient and prints the median of 5 timed requests per page, side by side.
Targets: under 200 ms with the demo workspace, under 1 s with 100,000 interactions.
The large workspace's review queue is timed twice: with its ~1% of flagged readings and after
flagging more (``--review-backlog``, 12,000 by default: the neural engine's 15 % flag rate at
80k messages), on the first page, a deep page and a reason filter, so a page's cost can be
compared across backlogs. Prints, asserts nothing.

    .venv/bin/python bench/bench_web.py [--rows 100000] [--demo-customers 300] [--skip-demo]
        [--review-backlog 12000] [--pg ADMIN_URL]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-bench-web-"))

PASSWORD = "bench-password-1"
RUNS = 5
NOW = datetime.now(UTC).replace(microsecond=0)
CHANNELS = ["email", "chat", "whatsapp", "sms", "review", "social"]
QUEUES = ["general", "senior", "billing", "returns"]
EMOTIONS = [
    ("anger", "negative", -0.8),
    ("frustration", "negative", -0.6),
    ("disappointment", "negative", -0.4),
    ("neutral", "neutral", 0.0),
    ("joy", "positive", 0.7),
    ("gratitude", "positive", 0.6),
    ("satisfaction", "positive", 0.5),
]
TEXTS = [
    "My order is late again and nobody answers. I am furious.",
    "Where is my parcel? Still waiting.",
    "Thanks, the delivery was quick and lovely.",
    "Can you tell me when the sale starts?",
    "The item arrived broken, really disappointed.",
    "Great service, thank you so much!",
]


def _engine(url: str) -> Any:
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline import migrate

    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    return engine


def build_large(rows: int) -> dict[str, int]:
    """Bulk-insert interactions with readings, customers, conversations, orders and surveys."""
    from sqlalchemy import insert

    from heartline.auth import service as auth_service
    from heartline.auth.models import Team
    from heartline.customers.models import Customer, Order, OrderItem
    from heartline.db import session_scope
    from heartline.interactions.models import Conversation, Interaction, SurveyResponse
    from heartline.mood.models import EmotionReading

    rng = random.Random(7)
    customers, convs = max(100, rows // 20), max(50, rows // 5)
    with session_scope() as s:
        teams = [
            auth_service.get_or_create_team(s, name=n).id for n in ("Frontline", "Senior care")
        ]
        agent = auth_service.create_user(
            s,
            email="agent@bench.local",
            password=PASSWORD,
            role="agent",
            name="Bench Agent",
            team_id=teams[0],
        )
        auth_service.create_user(
            s, email="admin@bench.local", password=PASSWORD, role="admin", name="Bench Admin"
        )
        agent_id = agent.id
        s.execute(
            insert(Customer.__table__),
            [
                {
                    "id": i,
                    "name": f"Customer {i}",
                    "email": f"c{i}@example.com",
                    "phone": f"+1 555 {i:05d}",
                    "external_id": f"c{i}",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(1, customers + 1)
            ],
        )
        s.execute(
            insert(Order.__table__),
            [
                {
                    "id": i,
                    "customer_id": rng.randint(1, customers),
                    "external_id": f"HL-{i:07d}",
                    "status": "delivered",
                    "placed_at": NOW - timedelta(days=rng.uniform(0, 365)),
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(1, customers * 2 + 1)
            ],
        )
        s.execute(
            insert(OrderItem.__table__),
            [
                {
                    "order_id": i,
                    "product": "Thing",
                    "category": rng.choice(["audio", "home", "garden", "toys"]),
                }
                for i in range(1, customers * 2 + 1)
            ],
        )
        s.execute(
            insert(Conversation.__table__),
            [
                {
                    "id": i,
                    "customer_id": rng.randint(1, customers),
                    "channel": rng.choice(CHANNELS),
                    "subject": f"Conversation {i}",
                    "status": rng.choice(["open", "open", "resolved", "closed"]),
                    "queue": rng.choice(QUEUES),
                    "priority": rng.randint(1, 4),
                    "team_id": rng.choice(teams),
                    "assignee_id": agent_id if i % 10 == 0 else None,
                    "sla_due_at": NOW + timedelta(hours=rng.uniform(-48, 48)),
                    "opened_at": NOW - timedelta(days=30),
                    "updated_at": NOW,
                    "routing": {},
                }
                for i in range(1, convs + 1)
            ],
        )
        conv_customer = dict(
            s.execute(
                Conversation.__table__.select().with_only_columns(
                    Conversation.id, Conversation.customer_id
                )
            ).all()
        )
        batch = 20_000
        for start in range(1, rows + 1, batch):
            inter, read = [], []
            for i in range(start, min(rows, start + batch - 1) + 1):
                conv = rng.randint(1, convs)
                at = NOW - timedelta(days=rng.uniform(0, 365))
                emo, sent, val = rng.choice(EMOTIONS)
                inbound = rng.random() < 0.8
                inter.append(
                    {
                        "id": i,
                        "customer_id": conv_customer[conv],
                        "conversation_id": conv,
                        "channel": rng.choice(CHANNELS),
                        "direction": "inbound" if inbound else "outbound",
                        "author_user_id": None if inbound else agent_id,
                        "text": rng.choice(TEXTS),
                        "occurred_at": at,
                        "analysis_status": "scored" if inbound else "skipped",
                        "order_id": rng.randint(1, customers * 2) if rng.random() < 0.3 else None,
                        "meta": {},
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
                if inbound:
                    read.append(
                        {
                            "interaction_id": i,
                            "customer_id": conv_customer[conv],
                            "occurred_at": at,
                            "channel": inter[-1]["channel"],
                            "model": "bench",
                            "sentiment": sent,
                            "valence": val,
                            "top_emotion": emo,
                            "intensity": abs(val),
                            "confidence": 0.8,
                            "sarcasm": 0.0,
                            "needs_review": rng.random() < 0.01,
                            "data": {"evidence": [], "review_reasons": []},
                        }
                    )
            s.execute(insert(Interaction.__table__), inter)
            s.execute(insert(EmotionReading.__table__), read)
        s.execute(
            insert(SurveyResponse.__table__),
            [
                {
                    "customer_id": rng.randint(1, customers),
                    "kind": k,
                    "score": rng.randint(lo, hi),
                    "responded_at": NOW - timedelta(days=rng.uniform(0, 120)),
                }
                for k, lo, hi in [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)]
                for _ in range(rows // 50)
            ],
        )
        s.add(Team(name="Bench spare"))
    return {"conversation": 10, "customer": conv_customer[10]}


REVIEW_REASONS = ("possible_sarcasm", "low_confidence", "conflicting_signals")


def flag_readings(backlog: int) -> int:
    """Flag readings for review (oldest unflagged first, one or two reasons each, reason rows
    too) until `backlog` wait; returns how many wait."""
    from sqlalchemy import func, insert, select, update

    from heartline.db import session_scope
    from heartline.mood.models import EmotionReading as ER
    from heartline.mood.models import ReadingReviewReason

    with session_scope() as s:
        have = s.scalar(select(func.count()).where(ER.needs_review.is_(True))) or 0
        ids = list(
            s.scalars(
                select(ER.id)
                .where(ER.needs_review.is_(False))
                .order_by(ER.id)
                .limit(max(0, backlog - have))
            )
        )
        rows, readings = [], []
        for n, rid in enumerate(ids):
            reasons = list(
                dict.fromkeys([REVIEW_REASONS[n % 3], *(["low_confidence"] * (n % 5 == 0))])
            )
            rows += [{"reading_id": rid, "reason": r} for r in reasons]
            readings.append(
                {"id": rid, "needs_review": True,
                 "data": {"evidence": [], "review_reasons": reasons}}
            )  # fmt: skip
        if readings:
            s.execute(update(ER), readings)
            s.execute(insert(ReadingReviewReason.__table__), rows)
        return have + len(ids)


def time_review(backlog: int, label: str) -> dict[str, float]:
    """The review queue's pages: first, deep (the middle of the backlog), a reason filter."""
    agent = _client("agent@bench.local")
    middle = max(1, backlog // 25 // 2)
    pages = [
        (f"review, {label}", "/review"),
        (f"review page {middle} (offset)", f"/review?page={middle}"),
        (f"review, {label}, one reason", "/review?reason=conflicting_signals"),
    ]
    out = {}
    for name, path in pages:
        r = agent.get(path)
        if r.status_code != 200:
            print(f"  {name}: HTTP {r.status_code}: {r.text[:160]}")
            out[name] = float("nan")
            continue
        nxt = re.search(r'href="/review(\?[^"]*after=[^"]+)"', r.text)
        if nxt and name == f"review, {label}":
            cursor = f"review, {label}, Next (cursor)"
            out[cursor] = _median(agent, "/review" + nxt.group(1).replace("&amp;", "&"), cursor)
        out[name] = _median(agent, path, name)
    return out


# page -> median CPU ms of the last timing (TestClient serves in this process, so the process's
# CPU time is the server's work plus the client's small share: on a busy machine it says more
# than the wall clock, which also counts waiting for a core).
CPU: dict[str, float] = {}


def _median(client: Any, path: str, name: str = "") -> float:
    """Median wall ms of RUNS requests; the median CPU ms goes to CPU[name]."""
    times, cpus = [], []
    for _ in range(RUNS):
        t0, c0 = time.perf_counter(), time.process_time()
        client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    CPU[name or path] = statistics.median(cpus)
    return statistics.median(times)


def rebuild_rollup() -> int:
    """Build the metrics daily rollup the dashboard reads (a bulk load bypasses the pipeline)."""
    from heartline.db import session_scope
    from heartline.metrics import rollup

    with session_scope() as s:
        return rollup.rebuild_rollup(s)


def build_demo(customers: int) -> dict[str, int]:
    """The demo workspace, plus bench users."""
    from sqlalchemy import select

    from heartline.auth import service as auth_service
    from heartline.db import session_scope
    from heartline.demo.service import build_demo_workspace
    from heartline.interactions.models import Conversation

    build_demo_workspace(customers=customers)
    with session_scope() as s:
        auth_service.create_user(
            s, email="agent@bench.local", password=PASSWORD, role="agent", name="Bench Agent"
        )
        auth_service.create_user(
            s, email="admin@bench.local", password=PASSWORD, role="admin", name="Bench Admin"
        )
        conv = s.scalars(select(Conversation).order_by(Conversation.priority.desc()).limit(1)).one()
        return {"conversation": conv.id, "customer": conv.customer_id}


def _client(email: str) -> Any:
    from fastapi.testclient import TestClient

    from heartline.app import create_app

    c = TestClient(create_app())
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return c


def time_pages(ids: dict[str, int]) -> dict[str, float]:
    """Median ms per page over RUNS requests after one warm-up request."""
    agent, admin = _client("agent@bench.local"), _client("admin@bench.local")
    today = NOW.date()
    pages = [
        ("inbox", agent, "/inbox"),
        ("inbox queue=senior", agent, "/inbox?queue=senior"),
        ("inbox unassigned", agent, "/inbox?view=unassigned"),
        ("tasks", agent, "/tasks?view=all"),
        ("conversation", agent, f"/conversations/{ids['conversation']}"),
        ("customer 360", agent, f"/customers/{ids['customer']}"),
        ("customers search", agent, "/customers?q=a"),
        ("search words", agent, "/search?q=parcel"),
        ("search words filtered", agent, "/search?q=late&status=open&channel=email&mood=negative"),
        ("search name", agent, "/search?q=4321+customer"),
        ("search phone", agent, "/search?q=555+04321"),
        ("search order", agent, "/search?q=HL-0000042"),
        ("how did they feel", agent, "/feelings"),
        ("review queue", agent, "/review"),
        ("dashboard 30 days", admin, "/dashboard"),
        ("dashboard 365 days", admin, f"/dashboard?from={today - timedelta(days=364)}&to={today}"),
        ("dashboard filtered", admin, "/dashboard?channel=email&queue=senior"),
        ("playbooks", admin, "/playbooks"),
        ("settings", admin, "/settings"),
    ]
    out = {}
    for name, client, path in pages:
        r = client.get(path)
        if r.status_code != 200:  # report and go on: one broken page should not hide the rest
            print(f"  {name}: HTTP {r.status_code}: {r.text[:160]}")
            out[name] = float("nan")
            continue
        out[name] = _median(client, path, name)
    return out


def _pg_scratch(admin_url: str) -> tuple[str, Any]:
    """A fresh PostgreSQL database: (url, drop)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"heartline_bench_web_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def _kept(rows: int) -> dict[str, int] | None:
    """The ids of a kept workspace holding `rows` interactions, with the review backlog the
    last run added taken back; None when the database is new."""
    from sqlalchemy import delete, func, select, update

    from heartline.db import session_scope
    from heartline.interactions.models import Conversation, Interaction
    from heartline.mood.models import EmotionReading as ER
    from heartline.mood.models import ReadingReviewReason

    with session_scope() as s:
        have = s.scalar(select(func.count()).select_from(Interaction)) or 0
        if not have:
            return None
        if have != rows:
            raise SystemExit(f"the kept workspace holds {have:,} interactions, not {rows:,}")
        flagged = select(ReadingReviewReason.reading_id)
        s.execute(update(ER).where(ER.id.in_(flagged)).values(needs_review=False))
        s.execute(delete(ReadingReviewReason))
        return {"conversation": 10, "customer": s.get_one(Conversation, 10).customer_id}


def _large(url: str, rows: int, backlog: int, keep: bool = False) -> dict[str, float]:
    from heartline import db as dbmod

    engine = _engine(url)
    t0 = time.perf_counter()
    ids = _kept(rows) if keep else None
    if ids is not None:
        print(f"reusing the kept {rows:,}-interaction workspace ({url.split('/')[-1]})")
    else:
        ids = build_large(rows)
        t1 = time.perf_counter()
        rollup_rows = rebuild_rollup()
        print(f"daily rollup rebuilt ({rollup_rows:,} rows) in {time.perf_counter() - t1:.1f} s")
    if engine.dialect.name == "postgresql":
        # Autovacuum would analyse the freshly loaded tables soon; do it now so plans are real.
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    print(
        f"{rows:,} interactions ready in {engine.dialect.name} in {time.perf_counter() - t0:.0f} s"
    )
    out = time_pages(ids)
    before = flag_readings(0)
    out.update(time_review(before, "small backlog"))
    t1 = time.perf_counter()
    waiting = flag_readings(backlog)
    print(f"{waiting:,} readings flagged for review in {time.perf_counter() - t1:.1f} s")
    out.update(time_review(waiting, "big backlog"))
    print(f"review backlog: small = {before:,} waiting, big = {waiting:,} waiting")
    engine.dispose()
    dbmod.set_sessionmaker(None, None)
    return out


def main() -> None:
    """Build the workspaces, time every page, print a table."""
    from heartline import db as dbmod

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--demo-customers", type=int, default=300)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--pg", help="also time the large workspace on PostgreSQL (admin URL)")
    parser.add_argument(
        "--review-backlog",
        type=int,
        default=12_000,
        help="readings flagged for review in the large workspace's second review timing",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the large SQLite workspace in DIR and reuse it on the next run with the "
        "same --rows (building 100k takes minutes on a busy machine)",
    )
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    tmp = args.keep or tempfile.mkdtemp(prefix="heartline-bench-web-")
    if args.keep:
        os.makedirs(tmp, exist_ok=True)
    if not args.skip_demo:
        engine = _engine(f"sqlite:///{tmp}/demo.db")
        t0 = time.perf_counter()
        ids = build_demo(args.demo_customers)
        print(
            f"demo workspace ({args.demo_customers} customers) built in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        results["demo sqlite"] = time_pages(ids)
        engine.dispose()
        dbmod.set_sessionmaker(None, None)
    results[f"{args.rows // 1000}k sqlite"] = _large(
        f"sqlite:///{tmp}/large-{args.rows}.db", args.rows, args.review_backlog, bool(args.keep)
    )
    if args.pg:
        url, drop = _pg_scratch(args.pg)
        try:
            results[f"{args.rows // 1000}k postgres"] = _large(url, args.rows, args.review_backlog)
        finally:
            drop()
    cols = list(results)
    print(
        f"\nServer time per page, median of {RUNS} (ms); targets: demo < 200, 100k < 1000; "
        f"CPU ms of the last column's run beside it"
    )
    print(f"{'page':<28}" + "".join(f"{c:>16}" for c in cols) + f"{'CPU':>10}")
    pages = list(dict.fromkeys(p for c in cols for p in results[c]))
    for page in pages:
        vals = [results[c].get(page, float("nan")) for c in cols]
        line = f"{page:<28}" + "".join(f"{v:>16.1f}" for v in vals)
        print(line + f"{CPU.get(page, float('nan')):>10.1f}")


if __name__ == "__main__":
    main()
