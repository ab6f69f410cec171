"""The live inbox through a real server (uvicorn in a subprocess, a committed SQLite file): the
stream flows while open, a message pushed through the API arrives on it, and stopping the
server is not held up by an open stream."""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heartline.web.live_server import live_server

PASSWORD = "live-stream-pass"


def _seed(url: str) -> dict[str, str]:
    """An agent, a customer with an open conversation assigned to the agent, an API token."""
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline import migrate
    from heartline.auth import service as auth_service
    from heartline.customers import service as customer_service
    from heartline.customers.schemas import CustomerIn
    from heartline.interactions import service as interaction_service
    from heartline.interactions.schemas import InteractionIn

    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        agent = auth_service.create_user(
            session, email="sam@example.com", password=PASSWORD, role="agent", name="Sam Rivera"
        )
        ada = customer_service.upsert_customer(
            session, data=CustomerIn(external_id="ada", name="Ada Lovelace")
        ).obj
        first = interaction_service.ingest_interaction(
            session,
            data=InteractionIn(customer_id=ada.id, channel="chat", text="Where is my parcel?"),
        ).obj
        conv = interaction_service.get_conversation(
            session, conversation_id=int(first.conversation_id or 0)
        )
        conv.assignee_id = agent.id
        _, token = auth_service.create_token(session, name="shop", role="integration")
        session.commit()
        return {"token": token, "customer": str(ada.id), "conversation": str(conv.id)}
    finally:
        session.close()
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("live-stream")
    url = f"sqlite:///{tmp}/live.db"
    seeded = _seed(url)
    env = {**os.environ, "HEARTLINE_DATABASE_URL": url, "HEARTLINE_DATA_DIR": str(tmp)}
    with live_server(env, Path(tmp) / "server.log", wait_s=60) as base:
        yield base, seeded


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(
        "/login",
        data={"email": "sam@example.com", "password": PASSWORD, "csrf": csrf.group(1)},
    )
    assert r.status_code in (200, 303), r.text
    return client


def _read_stream(client: httpx.Client, url: str, lines: queue.Queue[str]) -> None:
    try:
        with client.stream("GET", url, headers={"Accept": "text/event-stream"}) as r:
            lines.put(f"status: {r.status_code}")
            for line in r.iter_lines():
                lines.put(line)
    except httpx.HTTPError as exc:
        lines.put(f"closed: {type(exc).__name__}")
    lines.put("closed")


def _wait_for(lines: queue.Queue[str], pattern: str, timeout: float = 15.0) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"no {pattern!r} on the stream; saw {seen}")


def test_a_pushed_message_arrives_on_an_open_stream(server: tuple[str, dict[str, str]]) -> None:
    base, seeded = server
    client = _signed_in(base)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_stream, args=(client, "/live/inbox", lines), daemon=True)
    reader.start()
    _wait_for(lines, r"^retry: \d+")
    r = httpx.post(
        f"{base}/api/v1/interactions",
        headers={"Authorization": f"Bearer {seeded['token']}"},
        json={"customer_id": int(seeded["customer"]), "channel": "chat",
              "conversation_id": int(seeded["conversation"]), "text": "Hello? Anyone?"},
        timeout=10,
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text
    seen = _wait_for(lines, r'^data: .*"conversation_id":' + seeded["conversation"])
    assert "event: notify" in seen
    assert any(re.match(r"^id: \d+$", line) for line in seen), "events carry a resumable id"
    client.close()
    reader.join(timeout=10)


def test_stopping_the_server_ends_open_streams(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/stop.db"
    _seed(url)
    env = {**os.environ, "HEARTLINE_DATABASE_URL": url, "HEARTLINE_DATA_DIR": str(tmp_path)}
    lines: queue.Queue[str] = queue.Queue()
    with live_server(env, tmp_path / "server.log", wait_s=60) as base:
        client = _signed_in(base)
        reader = threading.Thread(
            target=_read_stream, args=(client, "/live/inbox", lines), daemon=True
        )
        reader.start()
        _wait_for(lines, r"^retry: ")
    # Leaving the block sends SIGTERM and allows the server 10 s to stop (else TimeoutExpired):
    # an open stream, which would live for a minute, must not hold it up.
    _wait_for(lines, r"^closed", timeout=10)
    client.close()
