"""Real servers on loopback: an aiosmtpd SMTP server and a small HTTP server for providers."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller

from heartline.config import get_settings


@pytest.fixture(autouse=True)
def _no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEARTLINE_QUIET_HOURS_START", "0")
    monkeypatch.setenv("HEARTLINE_QUIET_HOURS_END", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler that keeps every accepted message (or answers with `reply`)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []
        self.reply: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running SMTP server on loopback."""

    host: str
    port: int
    box: Mailbox

    @property
    def count(self) -> int:
        """Messages accepted so far."""
        return len(self.box.messages)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that counts what it accepts."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, box)
    finally:
        controller.stop()


@dataclass
class Provider:
    """State of the fake SMS/webhook provider: requests seen, status to answer, dedupe."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # idempotency key -> sid
    status: int = 0  # answer with this status instead of success when non-zero
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def provider() -> Iterator[Provider]:
    """An HTTP server on 127.0.0.1: Twilio-style Messages.json (deduping on Idempotency-Key)
    and a webhook receiver at /hooks."""
    state = Provider(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            req = {"path": self.path, "headers": dict(self.headers.items()), "body": body}
            with state.lock:
                state.requests.append(req)
                if state.status:
                    self._answer(state.status, {"message": "provider says no"})
                    return
                key = self.headers.get("Idempotency-Key") or f"anon-{len(state.requests)}"
                fresh = key not in state.created
                if fresh:
                    state.created[key] = f"SM{len(state.created) + 1:032d}"
                sid = state.created[key]
            if self.path.endswith("/Messages.json"):
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                req["form"] = form
                auth = self.headers.get("Authorization", "")
                req["auth"] = base64.b64decode(auth.removeprefix("Basic ")).decode()
                self._answer(
                    201 if fresh else 200, {"sid": sid, "to": form.get("To"), "status": "queued"}
                )
            else:
                self._answer(200, {"ok": True, "duplicate": not fresh})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
