"""Real processes killed with SIGKILL: an import halfway through, and a server right after it
committed a bulk call. Afterwards every stored message is scored exactly once, by a re-run or by
the recovery job (a fresh process, as after a restart)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.channels.conftest import free_port

CLI = [sys.executable, "-m", "heartline"]


def _env(tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HEARTLINE_DATA_DIR": str(tmp),
        "HEARTLINE_DATABASE_URL": f"sqlite:///{tmp / 'crash.db'}",
        "HEARTLINE_EMOTION_ENGINE": "lexicon",  # the guarantee does not depend on the engine
        "HEARTLINE_RECOVERY_INTERVAL_S": "0",  # the test decides when recovery runs
    }
    env.pop("HEARTLINE_PIPELINE_RUNNER", None)
    return env


def _counts(db: Path) -> tuple[int, int, int, int]:
    """(interactions, scored, readings, interactions with more than one reading)."""
    con = sqlite3.connect(db)
    try:
        n = con.execute("SELECT count(*) FROM interactions").fetchone()[0]
        scored = con.execute(
            "SELECT count(*) FROM interactions WHERE analysis_status = 'scored'"
        ).fetchone()[0]
        readings = con.execute("SELECT count(*) FROM emotion_readings").fetchone()[0]
        dup = con.execute(
            "SELECT count(*) FROM (SELECT interaction_id FROM emotion_readings "
            "GROUP BY interaction_id HAVING count(*) > 1)"
        ).fetchone()[0]
        return n, scored, readings, dup
    finally:
        con.close()


def _recover(env: dict[str, str]) -> None:
    """A fresh process runs the recovery job as if 10 minutes had passed (after a restart)."""
    code = (
        "from datetime import timedelta\n"
        "from heartline.db import utcnow\n"
        "from heartline.pipeline.recovery import recover\n"
        "print(recover(utcnow() + timedelta(minutes=10)))"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_kill_an_import_halfway(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    people = tmp_path / "customers.jsonl"
    people.write_text("".join(json.dumps({"external_id": f"c{i}"}) + "\n" for i in range(300)))
    subprocess.run(
        [*CLI, "import", "customers", str(people)], env=env, check=True, capture_output=True,
        timeout=300,
    )  # fmt: skip
    rows = tmp_path / "msgs.jsonl"
    with rows.open("w") as fh:
        for i in range(3000):
            fh.write(json.dumps({
                "external_id": f"m{i}", "customer_external_id": f"c{i % 300}", "channel": "email",
                "text": f"Order {i} is late again and nobody answers. Really annoyed.",
            }) + "\n")  # fmt: skip
    db = tmp_path / "crash.db"
    proc = subprocess.Popen(
        [*CLI, "import", "interactions", str(rows), "--batch-size", "250"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(lambda: db.exists() and _counts(db)[0] >= 300)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    stored, scored, _, _ = _counts(db)
    assert 0 < stored < 3000 and scored <= stored  # killed halfway: some stored, some not
    # a re-run stores the rest and scores what the killed run left pending
    subprocess.run(
        [*CLI, "import", "interactions", str(rows)], env=env, check=True, capture_output=True,
        timeout=600,
    )  # fmt: skip
    assert _counts(db) == (3000, 3000, 3000, 0)


def test_kill_the_server_after_a_bulk_commit(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    token = subprocess.run(
        [*CLI, "tokens", "create", "--name", "crash"], env=env, check=True, capture_output=True,
        text=True, timeout=120,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    db = tmp_path / "crash.db"
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _up(base))
        items = [
            {"customer_external_id": "c0", "channel": "chat",
             "text": f"Still waiting for refund {i}, this is ridiculous."}
            for i in range(1000)
        ]  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=120) as client:
            try:  # the server dies while it scores what it has just committed
                client.post(f"{base}/api/v1/customers", headers=headers, json={"external_id": "c0"})
                future = client.build_request(
                    "POST", f"{base}/api/v1/interactions:bulk", headers=headers,
                    json={"items": items},
                )  # fmt: skip
                t = threading.Thread(target=lambda: _swallow(client, future), daemon=True)
                t.start()
                _wait_for(lambda: db.exists() and _counts(db)[0] == 1000)
                server.send_signal(signal.SIGKILL)
                t.join(timeout=30)
            finally:
                server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    stored, scored, _, _ = _counts(db)
    assert stored == 1000 and scored < 1000  # committed, not all scored: the crash window
    _recover(env)
    assert _counts(db) == (1000, 1000, 1000, 0)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _swallow(client: httpx.Client, request: httpx.Request) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server was killed under it
        client.send(request)


def test_kill_a_celery_worker_mid_task(committed_db, tmp_path: Path, monkeypatch) -> None:
    """A real `celery worker` process over the real Redis broker is killed with SIGKILL while
    it scores; the recovery job re-submits the unfinished rows and a new worker scores every
    message exactly once."""
    import uuid

    import redis
    from sqlalchemy import func, select

    from heartline import pipeline
    from heartline.config import get_settings
    from heartline.customers.models import Customer
    from heartline.db import session_scope, utcnow
    from heartline.interactions import service as interaction_service
    from heartline.interactions.models import Interaction
    from heartline.interactions.schemas import InteractionIn
    from heartline.mood.models import EmotionReading
    from heartline.pipeline import recovery
    from heartline.pipeline.runner import CeleryRunner
    from heartline.pipeline.tasks import celery_app

    broker = get_settings().broker_url
    try:
        redis.Redis.from_url(broker).ping()
    except Exception as exc:
        import pytest

        pytest.skip(f"Redis not reachable at {broker}: {exc}")
    with session_scope() as s:
        customer = Customer(external_id="w-1", name="Wanda")
        s.add(customer)
        s.flush()
        ids = [
            interaction_service.ingest_interaction(
                s, data=InteractionIn(customer_id=customer.id, channel="chat",
                                      text=f"Parcel {i} is lost and nobody helps. Awful.")
            ).obj.id
            for i in range(1500)
        ]  # fmt: skip
    queue = f"heartline-crash-{uuid.uuid4().hex[:6]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    monkeypatch.setattr(pipeline.runner, "get_runner", lambda: CeleryRunner())
    env = {
        **os.environ,
        "HEARTLINE_DATABASE_URL": committed_db.url.render_as_string(hide_password=False),
        "HEARTLINE_DATA_DIR": str(tmp_path),
        "HEARTLINE_EMOTION_ENGINE": "neural",
        "HEARTLINE_EMOTION_THREADS": "1",
        "HEARTLINE_PIPELINE_RUNNER": "celery",
    }
    worker_cmd = [
        sys.executable, "-m", "celery", "-A", "heartline.pipeline.tasks:celery_app", "worker",
        "-Q", queue, "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip

    def scored() -> int:
        with session_scope() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(Interaction)
                    .where(Interaction.analysis_status == "scored")
                )
                or 0
            )

    first = subprocess.Popen(
        worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        pipeline.resubmit("interaction", ids)  # one task: the worker scores all 1,500 at once
        r = redis.Redis.from_url(broker)
        _wait_for(lambda: r.hlen("unacked") > 0 or r.llen(queue) == 0, timeout=120)
        time.sleep(1.0)  # taken and being scored (with evidence: over 10 s for 1,500)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert scored() < len(ids)  # killed before its transaction committed
        second = subprocess.Popen(
            worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            from datetime import timedelta

            assert recovery.recover(utcnow() + timedelta(minutes=10)) == len(ids)
            _wait_for(lambda: scored() == len(ids), timeout=180)
        finally:
            second.kill()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
        redis.Redis.from_url(broker).delete(queue)
    with session_scope() as s:  # one reading per message (interaction_id is unique)
        assert s.scalar(select(func.count()).select_from(EmotionReading)) == len(ids)
