"""Pulling a support mailbox: 10,000 mails read over IMAP from Debian's Dovecot on loopback
(`make mailserver` installs it) into SQLite and PostgreSQL, scoring deferred (the engine's own
rate is in bench_emotion). Prints mails/s for the pull, and for a second poll that finds
nothing new.
Usage: python bench/bench_mailbox.py [--mails 10000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-bench-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imapclient import IMAPClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from tests.mailbox.dovecot import run_dovecot

from heartline import db as dbmod
from heartline import migrate
from heartline.mailbox import receive
from heartline.mailbox import service as mailbox_service
from heartline.mailbox.schemas import MailboxIn

PG = os.environ.get("HEARTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BODIES = [
    "My order {n} still hasn't arrived and it's been a week. Where is it?",
    "Thanks so much, order {n} came early and the kettle is perfect!",
    "I was charged twice for order {n}, please refund me.",
    "The box for order {n} arrived crushed.\n\nOn Mon, Support wrote:\n> Sorry",
]


def _mail(i: int) -> bytes:
    m = EmailMessage()
    m["From"] = f"Customer {i % 2000} <c{i % 2000}@example.org>"
    m["To"] = "support@shop.example"
    m["Subject"] = f"Order {10000 + i // 3}"
    m["Date"] = formatdate(localtime=False)
    m["Message-ID"] = f"<bench-{i}@example.org>"
    if i % 3:
        m["In-Reply-To"] = f"<bench-{i - 1}@example.org>"
    m.set_content(BODIES[i % len(BODIES)].format(n=10000 + i // 3) + "\n\nBest,\nA customer")
    return m.as_bytes()


def _fill(server, n: int) -> None:
    c = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    c.login(server.user, server.password)
    for start in range(0, n, 500):
        c.multiappend("INBOX", [_mail(i) for i in range(start, min(n, start + 500))])
    c.logout()


def _database(backend: str, tmp: str) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{tmp}/mail.db", None
    name = f"heartline_bench_mail_{os.getpid()}"
    admin = create_engine(PG.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    return PG.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def run(backend: str, server, n: int) -> None:
    tmp = tempfile.mkdtemp()
    url, pg = _database(backend, tmp)
    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    deferred: list[int] = []
    receive.pipeline.submit = lambda _s, _e, ids: deferred.extend(ids)  # type: ignore[assignment]
    with dbmod.session_scope() as s:
        box = mailbox_service.add_mailbox(
            s,
            data=MailboxIn(
                name="bench", host=server.host, port=server.port, security="none",
                username=server.user, password=server.password,
            ),
            actor=None,
        ).id  # fmt: skip
    t0 = time.perf_counter()
    first = mailbox_service.poll_mailbox(box)
    pull = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = mailbox_service.poll_mailbox(box)
    idle = time.perf_counter() - t0
    assert first.error is None and first.created == n, first
    print(
        f"{backend:10s} pull {n:,} mails: {pull:6.1f} s = {n / pull:6.0f} mails/s "
        f"({len(deferred):,} queued for scoring); poll with nothing new: {idle * 1000:.0f} ms "
        f"({again.fetched} read)"
    )
    engine.dispose()
    if pg is not None:
        admin, name = pg
        with admin.connect() as c:  # type: ignore[attr-defined]
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mails", type=int, default=10_000)
    p.add_argument("--backends", default="sqlite,postgresql")
    args = p.parse_args()
    with run_dovecot() as (server, _root):
        t0 = time.perf_counter()
        _fill(server, args.mails)
        print(f"filled the mailbox with {args.mails:,} mails in {time.perf_counter() - t0:.1f} s")
        for backend in args.backends.split(","):
            run(backend, server, args.mails)


if __name__ == "__main__":
    main()
