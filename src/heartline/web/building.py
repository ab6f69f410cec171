"""The "being built" page while the demo workspace is built beside the server (`make run`).

`heartline serve --demo` answers at once; the build runs in its own process and reports its
progress in a JSON file (demo/background.py). While it runs, the front door (`/`) and
`/building` show its progress and refresh themselves every two seconds (a meta refresh, no
JavaScript); until the demo users exist, every page does, since nobody could sign in yet. Once
they exist, signing in works and the pages show what has been written so far; when the build
is done `/` goes to the inbox as usual.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from heartline.demo import service as demo_service

REFRESH_S = 2
CHECK_EVERY_S = 1.0  # the status file is read at most once a second
# Never held back: assets, the API, health, the API docs and signing in.
PASS_PREFIXES = ("/static/", "/api/", "/healthz", "/docs", "/redoc", "/openapi.json", "/favicon")
SIGN_IN = ("/login", "/password")


class DemoBuilding:
    """ASGI middleware: the progress page instead of empty pages while the demo is built."""

    def __init__(self, app: ASGIApp, status_file: Path) -> None:
        self.app = app
        self.status_file = Path(status_file)
        self._status: dict[str, Any] | None = None
        self._checked = 0.0
        self._done = False

    def status(self) -> dict[str, Any] | None:
        """The build's progress (cached for a second); None when no build is running."""
        if self._done:
            return None
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY_S:
            self._checked = now
            self._status = demo_service.read_status(self.status_file)
        return self._status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(PASS_PREFIXES):
            await self.app(scope, receive, send)
            return
        status = self.status()
        if status is not None and status.get("state") == "done" and path != "/building":
            self._done = True  # nothing to show any more: stop reading the file
            status = None
        if path == "/building" or (status is not None and _holds(path, status, scope)):
            await _send_page(send, render_page(status), scope["method"] == "HEAD")
            return
        await self.app(scope, receive, send)


def _holds(path: str, status: dict[str, Any], scope: Scope) -> bool:
    """Show the progress page instead of `path`? The front door while building; any page
    (not signing in) until the demo users exist; pages that are not HTML never."""
    if status.get("state") not in ("building", "failed"):
        return False
    if path == "/":
        return True
    if status.get("users_ready") or path.startswith(SIGN_IN):
        return False
    accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
    return "text/html" in accept


async def _send_page(send: Send, body: str, head_only: bool) -> None:
    data = body.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(data)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head_only else data})


def render_page(status: dict[str, Any] | None) -> str:
    """The progress page: N of M customers, signing in once the users exist."""
    state = (status or {}).get("state", "done")
    done, total = int((status or {}).get("done") or 0), int((status or {}).get("total") or 0)
    written = max(done, int((status or {}).get("written") or 0))
    refresh = f'<meta http-equiv="refresh" content="{REFRESH_S}">' if state == "building" else ""
    if state == "done":
        title = "The demo workspace is ready"
        lines = ['<p><a href="/inbox">Open the inbox</a> (signing in first if need be).</p>']
    elif state == "failed":
        title = "The demo workspace could not be finished"
        lines = [
            f"<p>{escape(str((status or {}).get('error') or 'unknown error'))}</p>",
            "<p>The server is running; see its terminal, then start it again "
            "(<code>make run</code>) to finish the build.</p>",
        ]
    else:
        started = float((status or {}).get("started") or time.time())
        title = "Building the demo workspace…"
        lines = [
            f'<p><progress value="{done + written}" max="{max(2 * total, 1)}"></progress></p>',
            f"<p><strong>{done} of {total}</strong> customers written and scored; "
            f"{written} written ({time.time() - started:.0f} s so far).</p>",
            _sign_in_line(ready=bool((status or {}).get("users_ready"))),
            f"<p class=muted>This page refreshes every {REFRESH_S} seconds and becomes the "
            "inbox when the workspace is complete.</p>",
        ]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"{refresh}<title>{escape(title)} · Heartline</title>"
        '<link rel="stylesheet" href="/static/app.css"></head>'
        '<body><main style="max-width:40rem;margin:3rem auto;padding:0 1rem">'
        f"<h1>{escape(title)}</h1>{''.join(lines)}</main></body></html>"
    )


def _sign_in_line(*, ready: bool) -> str:
    if not ready:
        return "<p>Creating the demo users; signing in works in a moment.</p>"
    manager = next(s.email for s in demo_service.STAFF if s.role == "manager")
    return (
        f'<p>You can <a href="/login">sign in</a> now and watch the inbox fill in: '
        f"<code>{escape(manager)}</code> (or an agent) with the demo password "
        f"<code>{escape(demo_service.DEMO_PASSWORD)}</code>; the admin's password is printed "
        "in the terminal.</p>"
    )
