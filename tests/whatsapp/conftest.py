"""A local stand-in for Meta's Graph API (POST /v21.0/{phone_number_id}/messages) answering in
the documented shapes, and a signed-notification helper for the webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from heartline.channels.whatsapp import sign
from heartline.config import get_settings

PHONE_NUMBER_ID = "106540352242922"
TOKEN = "EAAG-test-token"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "heartline-verify"

ERRORS = {
    "131047": (400, 131047, "Re-engagement message"),
    "131026": (400, 131026, "Message undeliverable"),
    "130429": (400, 130429, "Rate limit hit"),
    "500": (500, 1, "An unknown error occurred"),
}


@dataclass
class Graph:
    """What the fake Graph API received, and how it answers next (`ok` or an ERRORS key)."""

    base: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    answer: str = "ok"
    seq: int = 0


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[Graph]:
    g = Graph()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            ok_call = (
                self.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
                and self.headers.get("Authorization") == f"Bearer {TOKEN}"
                and body.get("messaging_product") == "whatsapp"
                and body.get("type") in ("text", "template")
            )
            if not ok_call:
                status, answer = 400, {"error": {"message": "(#100) Invalid parameter",
                                                 "type": "OAuthException", "code": 100,
                                                 "fbtrace_id": "Ax"}}  # fmt: skip
            elif g.answer == "ok":
                g.requests.append(body)
                g.seq += 1
                status, answer = (
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                        "messages": [{"id": f"wamid.OUT{g.seq}"}],
                    },
                )
            else:
                g.requests.append(body)
                status, code, title = ERRORS[g.answer]
                answer = {"error": {"message": f"(#{code}) {title}", "type": "OAuthException",
                                    "code": code, "error_subcode": 2494010,
                                    "fbtrace_id": "AbCdEf"}}  # fmt: skip
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    g.base = f"http://127.0.0.1:{server.server_address[1]}/v21.0"
    for key, value in {
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_TOKEN": TOKEN,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_BASE": g.base,
        "WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "QUIET_HOURS_START": "0",
        "QUIET_HOURS_END": "0",
    }.items():
        monkeypatch.setenv(f"HEARTLINE_{key}", value)
    get_settings.cache_clear()
    yield g
    server.shutdown()
    monkeypatch.undo()
    get_settings.cache_clear()


def notification(messages: list[dict[str, Any]] = (), statuses: list[dict[str, Any]] = (),
                 contacts: list[dict[str, Any]] = ()) -> dict[str, Any]:  # fmt: skip
    """A webhook body in Meta's shape."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
    }
    if contacts:
        value["contacts"] = list(contacts)
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages",
                                                            "value": value}]}]}  # fmt: skip


def signed(payload: dict[str, Any], secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Meta would send with it."""
    raw = json.dumps(payload).encode()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, raw)}
