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


def _build_processes(status_file: str) -> list[int]:
    """Running `heartline demo --status-file STATUS_FILE` processes (the background build)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
        except OSError:
            continue
        if b"demo" in args and status_file.encode() in args:
            found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the build process")
def test_serve_demo_answers_while_the_workspace_is_built(tmp_path):
    """`make run` on an empty database: the server answers at once with a page that says the
    demo is being built (and refreshes itself); signing in works once the users exist; the
    build stops with the server."""
    port = _free_port()
    env = {
        **os.environ,
        "HEARTLINE_DATA_DIR": str(tmp_path),
        "HEARTLINE_EMOTION_ENGINE": "lexicon",
        "HEARTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
    }
    env.pop("HEARTLINE_PIPELINE_RUNNER", None)
    status_file = str(tmp_path / "demo-build.json")
    log = tmp_path / "serve.log"
    with open(log, "w") as sink:  # a file, not a pipe: nobody drains a pipe while we poll
        proc = subprocess.Popen(
            [sys.executable, "-m", "heartline", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        first = _wait_for(lambda: httpx.get(f"{base}/", timeout=5), 240, proc, log)
        assert first.status_code == 200
        assert "Building the demo workspace" in first.text
        assert "of 300</strong> customers" in first.text
        assert '<meta http-equiv="refresh"' in first.text  # refreshes without JavaScript
        assert _build_processes(status_file), "the build runs beside the server"
        # the server itself is up: health, the API (its own 401), static files
        assert httpx.get(f"{base}/healthz", timeout=30).json()["status"] == "ok"
        assert httpx.get(f"{base}/api/v1/customers", timeout=30).status_code == 401
        assert httpx.get(f"{base}/static/app.css", timeout=30).status_code == 200

        # once the demo users exist the page says so, and signing in works
        def users_ready() -> httpx.Response | None:
            page = httpx.get(f"{base}/", timeout=30)
            done = page.status_code != 200  # finished: `/` goes to the inbox again
            return page if done or "sign in</a> now" in page.text else None

        page = _wait_for(users_ready, 180, proc, log)
        assert "Building the demo workspace" in page.text  # still building
        client = httpx.Client(base_url=base, timeout=30)
        form = client.get("/login")
        assert form.status_code == 200
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        signed_in = client.post(
            "/login",
            data={"email": "manager@heartline.local", "password": "demo-kettle-harbour",
                  "csrf": csrf, "next": "/inbox"},
        )  # fmt: skip
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
        inbox = client.get("/inbox")
        assert inbox.status_code == 200 and "Building the demo workspace" not in inbox.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while _build_processes(status_file) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _build_processes(status_file) == []  # the build ended with the server


def _wait_for(probe, seconds, proc, log):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("server exited: " + log.read_text())
        try:
            result = probe()
        except httpx.HTTPError:
            result = None
        if result is not None:
            return result
        time.sleep(0.3)
    proc.kill()
    pytest.fail(f"gave up after {seconds} s: " + log.read_text())
