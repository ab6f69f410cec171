"""Ingestion throughput against the database's own bulk insert, SQLite and PostgreSQL.

For each backend, in one run and on the same rows and migrated schema:
- the database's own bulk insert of the rows as stored (SQLite `executemany` in one
  transaction, PostgreSQL `COPY ... FROM STDIN` through psycopg's `cursor.copy`): the limit;
- `heartline import` of a JSONL file of them (validation, customers, threading, upsert);
- `POST /api/v1/interactions:bulk`, 1,000 items a call;
with scoring deferred, each printed as rows/s and as a ratio of the limit against the #15
target (>= 25 %). Then the scoring stage alone on a slice, so the two costs stay apart.
Usage: python bench/bench_ingest.py [--rows 20000] [--score-rows 1000]
                                    [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-bench-"))

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from heartline import db as dbmod
from heartline import migrate, pipeline
from heartline.auth import service as auth_service
from heartline.customers.models import Customer
from heartline.interactions.importers import import_file

PG = os.environ.get("HEARTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
OPENERS = ["Hi,", "Hello team,", "Hey", "", "Good morning,"]
BODIES = [
    "my order still hasn't arrived and it's been a week.",
    "thanks so much, the new kettle is perfect!",
    "I was charged twice for the same order, please refund me.",
    "the box arrived crushed and the lamp is broken.",
    "Great, another delay. Just what I needed.",
    "how do I change the delivery address?",
    "I've been waiting 3 days and still no reply.",
    "love the quality, will buy again.",
    "I can't log in to my account since yesterday.",
    "please cancel my subscription.",
]
CHANNELS = ["email", "chat", "whatsapp", "sms", "review", "social"]
TARGET = 0.25  # #15: import and API bulk at >= 25 % of the database's own bulk insert


def interactions(n: int, customers: int, seed: int = 1):
    """Deterministic varied messages spread over customers."""
    rnd = random.Random(seed)
    for i in range(n):
        text_ = (
            f"{rnd.choice(OPENERS)} {rnd.choice(BODIES)} (ref {rnd.randint(1000, 99999)})".strip()
        )
        yield {
            "external_id": f"bench-{i}",
            "customer_external_id": f"bc-{rnd.randrange(customers)}",
            "channel": rnd.choice(CHANNELS),
            "text": text_,
            "occurred_at": f"2026-{rnd.randint(1, 10):02d}-{rnd.randint(1, 28):02d}"
            f"T{rnd.randint(0, 23):02d}:00:00Z",
        }


def fresh_db(backend: str, tmp: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'{uuid.uuid4().hex[:6]}.db'}", lambda: None
    name = f"heartline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        PG.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return PG.rsplit("/", 1)[0] + f"/{name}", drop


def setup(url: str, customers: int) -> None:
    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    with dbmod.session_scope() as s:
        s.add_all(Customer(external_id=f"bc-{i}", name=f"Bench {i}") for i in range(customers))


COLUMNS = (
    "external_id", "customer_id", "channel", "direction", "author", "subject", "text",
    "occurred_at", "metadata", "analysis_status", "created_at", "updated_at",
)  # fmt: skip


def stored_rows(n: int, customers: int, seed: int) -> list[tuple]:
    """The bench's messages as the interactions table stores them (customer ids resolved)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    out = []
    for item in interactions(n, customers, seed=seed):
        at = datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00"))
        cid = int(item["customer_external_id"].removeprefix("bc-")) + 1
        out.append(
            (item["external_id"], cid, item["channel"], "inbound", "", "", item["text"], at,
             "{}", "pending", now, now)
        )  # fmt: skip
    return out


def db_bulk_insert(backend: str, url: str, rows: list[tuple]) -> float:
    """The database's own bulk insert of the rows: rows/s."""
    cols = ", ".join(COLUMNS)
    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")  # the app's own settings (db.py)
        naive = [
            (*r[:7], r[7].replace(tzinfo=None), *r[8:10], *(t.replace(tzinfo=None) for t in r[10:]))
            for r in rows
        ]
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO interactions ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})", naive
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
        return len(rows) / elapsed
    import psycopg

    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY interactions ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return len(rows) / (time.perf_counter() - start)


def bench_backend(backend: str, rows: int, score_rows: int, tmp: Path) -> dict[str, float]:
    results: dict[str, float] = {}
    customers = max(100, rows // 30)
    deferred = pipeline.submit
    # --- the database's own bulk insert of the same rows, same schema: the limit
    url, drop = fresh_db(backend, tmp)
    try:
        setup(url, customers)
        dbmod.get_engine().dispose()
        results["db_rows_s"] = db_bulk_insert(backend, url, stored_rows(rows, customers, 3))
    finally:
        dbmod.get_engine().dispose()
        drop()
    # --- API bulk, scoring deferred (measures the ingest stage alone)
    url, drop = fresh_db(backend, tmp)
    try:
        setup(url, customers)
        from heartline.app import create_app

        with dbmod.session_scope() as s:
            _, token = auth_service.create_token(s, name="bench", role="integration")
        client = TestClient(create_app())
        headers = {"Authorization": f"Bearer {token}"}
        pipeline.submit = lambda session, event, ids: None  # type: ignore[assignment]
        batch: list[dict] = []
        start = time.perf_counter()
        for item in interactions(rows, customers):
            batch.append(item)
            if len(batch) == 1000:
                r = client.post("/api/v1/interactions:bulk", json={"items": batch}, headers=headers)
                assert r.status_code == 200 and r.json()["failed"] == 0, r.text[:300]
                batch = []
        if batch:
            client.post("/api/v1/interactions:bulk", json={"items": batch}, headers=headers)
        results["api_bulk_rows_s"] = rows / (time.perf_counter() - start)
        pipeline.submit = deferred  # type: ignore[assignment]
        # --- scoring stage on a slice of what was stored
        from heartline.emotion import get_engine
        from heartline.emotion.tasks import score_interactions

        engine_name = get_engine().model_id
        with dbmod.session_scope() as s:
            ids = [
                r[0]
                for r in s.execute(
                    text(f"SELECT id FROM interactions ORDER BY id LIMIT {score_rows}")
                )
            ]
        start = time.perf_counter()
        for i in range(0, len(ids), 1000):
            with dbmod.session_scope() as s:
                score_interactions(s, ids[i : i + 1000])
        results["score_rows_s"] = len(ids) / (time.perf_counter() - start)
        results["engine"] = engine_name  # type: ignore[assignment]
    finally:
        pipeline.submit = deferred  # type: ignore[assignment]
        dbmod.get_engine().dispose()
        drop()
    # --- file import (JSONL), scoring deferred
    url, drop = fresh_db(backend, tmp)
    try:
        setup(url, customers)
        path = tmp / "bench.jsonl"
        with path.open("w") as f:
            for item in interactions(rows, customers, seed=2):
                f.write(json.dumps(item) + "\n")
        start = time.perf_counter()
        report = import_file(
            dbmod.get_sessionmaker(), kind="interactions", path=path, batch_size=1000, score=False
        )
        assert report.failed == 0 and report.created == rows, report
        results["import_rows_s"] = rows / (time.perf_counter() - start)
    finally:
        dbmod.get_engine().dispose()
        drop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--score-rows", type=int, default=1_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"ingestion of {args.rows:,} interactions (scoring deferred), against the database's own "
        f"bulk insert of the same rows (target: >= {TARGET:.0%} of it), then scoring "
        f"{args.score_rows:,}"
    )
    print(
        f"{'backend':<11} {'DB bulk rows/s':>15} {'import rows/s':>14} {'ratio':>7} "
        f"{'API bulk rows/s':>16} {'ratio':>7} {'score rows/s':>13}  engine"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            try:
                r = bench_backend(backend, args.rows, args.score_rows, Path(tmp))
            except Exception as exc:  # e.g. PostgreSQL not running: say so, keep going
                print(f"{backend:<11} skipped: {exc}", file=sys.stderr)
                continue
            imp, api = r["import_rows_s"] / r["db_rows_s"], r["api_bulk_rows_s"] / r["db_rows_s"]
            print(
                f"{backend:<11} {r['db_rows_s']:>15,.0f} {r['import_rows_s']:>14,.0f} "
                f"{imp:>7.1%} {r['api_bulk_rows_s']:>16,.0f} {api:>7.1%} "
                f"{r['score_rows_s']:>13,.0f}  {r['engine']}",
                flush=True,
            )
            for name, ratio in (("JSONL import", imp), ("API bulk", api)):
                verdict = "meets" if ratio >= TARGET else "BELOW"
                print(
                    f"  {backend} {name}: {ratio:.1%} of the DB's bulk insert "
                    f"({ratio / TARGET:.2f}x the {TARGET:.0%} target: {verdict})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
