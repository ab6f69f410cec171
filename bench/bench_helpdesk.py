"""Importing help-desk history: a generated 100,000-ticket Zendesk export (NDJSON users and
tickets with their comments, as Zendesk's full JSON export writes them) into SQLite and
PostgreSQL, silently (score, remember, rollup; nothing routed or sent), scored by the fast
lexicon engine (the neural engine's own rate is in bench_emotion). Prints tickets/s and the
process's peak RSS; each backend runs in its own process so the peaks do not mix.
Usage: python bench/bench_helpdesk.py [--tickets 100000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-bench-"))
os.environ["HEARTLINE_EMOTION_ENGINE"] = "lexicon"

PG = os.environ.get("HEARTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CUSTOMERS = 5_000
AGENTS = 8
BODIES = [
    "My order {n} still hasn't arrived and it's been a week. Where is it?",
    "Thanks so much, order {n} came early and the kettle is perfect!",
    "I was charged twice for order {n}, please refund me.",
    "The box for order {n} arrived crushed and I am really upset.",
]


def generate(folder: Path, tickets: int) -> None:
    """users.json and tickets.json, one JSON object a line."""
    with (folder / "users.json").open("w") as f:
        for a in range(1, AGENTS + 1):
            f.write(json.dumps({"id": a, "name": f"Agent {a}", "role": "agent"}) + "\n")
        for c in range(1, CUSTOMERS + 1):
            user = {
                "id": 1000 + c,
                "name": f"Customer {c}",
                "email": f"c{c}@example.org",
                "role": "end-user",
                "created_at": "2023-01-01T00:00:00Z",
            }
            f.write(json.dumps(user) + "\n")
    with (folder / "tickets.json").open("w") as f:
        for i in range(1, tickets + 1):
            day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
            requester = 1000 + 1 + i % CUSTOMERS
            comments = [
                {
                    "id": i * 3,
                    "author_id": requester,
                    "plain_body": BODIES[i % 4].format(n=i),
                    "public": True,
                    "created_at": f"{day}T09:00:00Z",
                },
                {
                    "id": i * 3 + 1,
                    "author_id": 1 + i % AGENTS,
                    "plain_body": "Sorry about that, a fix is on its way.",
                    "public": True,
                    "created_at": f"{day}T10:00:00Z",
                },
                {
                    "id": i * 3 + 2,
                    "author_id": 1 + i % AGENTS,
                    "plain_body": "Checked the courier.",
                    "public": False,
                    "created_at": f"{day}T10:01:00Z",
                },
            ]
            ticket = {
                "id": i,
                "subject": f"Order {i}",
                "status": "closed" if i % 5 else "open",
                "priority": "normal",
                "via": {"channel": "email" if i % 3 else "chat"},
                "requester_id": requester,
                "created_at": f"{day}T09:00:00Z",
                "updated_at": f"{day}T10:00:00Z",
                "tags": ["history"],
                "satisfaction_rating": {"id": i, "score": "good" if i % 4 else "bad"}
                if i % 10 == 0
                else {"score": "unoffered"},
                "comments": comments,
            }
            f.write(json.dumps(ticket) + "\n")


def _database(backend: str, tmp: str) -> tuple[str, object]:
    from sqlalchemy import create_engine, text

    if backend == "sqlite":
        return f"sqlite:///{tmp}/helpdesk.db", None
    name = f"heartline_bench_helpdesk_{os.getpid()}"
    admin = create_engine(PG.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    return PG.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def run_one(backend: str, folder: Path) -> None:
    """Import the export into a fresh database of `backend` and print the figures."""
    from sqlalchemy import text
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline import migrate
    from heartline.helpdesk import service as helpdesk

    tmp = tempfile.mkdtemp()
    url, pg = _database(backend, tmp)
    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    dbmod.set_sessionmaker(factory, engine)
    t0 = time.perf_counter()
    report = helpdesk.run_import(factory, source="zendesk", path=folder, batch_size=500)
    took = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = helpdesk.run_import(factory, source="zendesk", path=folder)
    rerun = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert report.failed == 0 and again.created == 0, (report.errors[:3], again.created)
    print(
        f"{backend:10s} import {report.tickets:,} tickets ({report.customers:,} customers): "
        f"{took:6.1f} s = {report.tickets / took:6.0f} tickets/s; peak RSS {peak_mb:.0f} MB; "
        f"re-run (already imported): {rerun:.1f} s"
    )
    engine.dispose()
    if pg is not None:
        admin, name = pg
        with admin.connect() as c:  # type: ignore[attr-defined]
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--one", help=argparse.SUPPRESS)  # internal: import FOLDER into one backend
    p.add_argument("--folder", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        run_one(args.one, Path(args.folder))
        return
    with tempfile.TemporaryDirectory(prefix="heartline-zendesk-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        generate(folder, args.tickets)
        size = (folder / "tickets.json").stat().st_size / 1e6
        print(
            f"generated a {args.tickets:,}-ticket Zendesk export ({size:.0f} MB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        for backend in args.backends.split(","):
            cmd = [sys.executable, __file__, "--one", backend, "--folder", str(folder)]
            subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
