"""`heartline serve` as a user runs it: a real server process on loopback, a real SQLite file."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "HEARTLINE_DATA_DIR": str(tmp_path),
        "HEARTLINE_EMOTION_ENGINE": "neural",
        "HEARTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
    }
    env.pop("HEARTLINE_PIPELINE_RUNNER", None)
    cli = [sys.executable, "-m", "heartline"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    token = (
        subprocess.run(
            [*cli, "tokens", "create", "--name", "e2e"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("server did not start: " + (proc.stdout.read() if proc.stdout else ""))
    yield base, {"Authorization": f"Bearer {token}"}
    proc.terminate()
    proc.wait(timeout=20)


def test_posted_interaction_is_scored_on_the_timeline(server):
    base, auth = server
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    login = httpx.get(f"{base}/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    assert httpx.get(f"{base}/api/v1/customers").status_code == 401
    r = httpx.post(
        f"{base}/api/v1/customers", headers=auth, json={"external_id": "e2e-1", "name": "Eve"}
    )
    assert r.status_code == 201
    customer_id = r.json()["id"]
    r = httpx.post(
        f"{base}/api/v1/interactions",
        headers=auth,
        timeout=30,
        json={
            "customer_external_id": "e2e-1",
            "channel": "chat",
            "text": "I've been waiting 3 days and still no reply.",
        },
    )
    assert r.status_code == 201, r.text
    timeline = httpx.get(f"{base}/api/v1/customers/{customer_id}/timeline", headers=auth).json()
    item = timeline["items"][0]["interaction"]
    assert item["text"].startswith("I've been waiting")
    assert item["reading"]["sentiment"] == "negative"
    assert item["reading"]["model"]
