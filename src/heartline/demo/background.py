"""The demo build beside the server (`heartline serve --demo`, `make run`).

The server starts at once; the build runs in its own process (`heartline demo --status-file`)
and reports its progress in a small JSON file in the data directory, which the server's
"being built" page reads (web/building.py). The file says:
  state       building | done | failed
  written     customers written so far
  done/total  customers written and scored (the pipeline ran on them) / planned
  users_ready the demo users exist (signing in works)
  error       why it failed (state failed)
An interrupted build (the server stopped mid-way) is finished on the next start: the build is
idempotent (same seed and `now`, same workspace), so it resumes by writing what is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

STATUS_NAME = "demo-build.json"
DEFAULT_CUSTOMERS = 300


def status_path(data_dir: Path) -> Path:
    """Where the build's progress is kept."""
    return Path(data_dir) / STATUS_NAME


def read_status(path: Path) -> dict[str, Any] | None:
    """The build's progress, or None when no build was ever started here."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_status(path: Path, **fields: Any) -> dict[str, Any]:
    """Update the progress file atomically (a reader never sees half a file)."""
    path = Path(path)
    data = {**(read_status(path) or {}), **fields, "updated": time.time()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
    return data


@dataclass
class Builder:
    """A running demo build; stop() ends it (the server is shutting down)."""

    proc: subprocess.Popen[bytes]
    status_file: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the build ends if the server is killed outright (no orphan keeps writing)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_if_needed(
    data_dir: Path, *, empty: bool, customers: int = DEFAULT_CUSTOMERS
) -> Builder | None:
    """Start the build in a child process when the database is empty or the last build
    did not finish; the status file says `building` before this returns, so the very first
    page the server answers already says the workspace is being built."""
    path = status_path(data_dir)
    previous = read_status(path)
    unfinished = previous is not None and previous.get("state") != "done"
    if not (empty or unfinished):
        return None
    now = (previous or {}).get("now") if unfinished else None
    write_status(
        path,
        state="building",
        done=0,
        written=0,
        total=customers,
        users_ready=False,
        started=time.time(),
        error=None,
    )
    command = [sys.executable, "-m", "heartline", "demo", "--status-file", str(path)]
    command += ["--customers", str(customers)]
    if now:
        command += ["--now", str(now)]
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    return Builder(subprocess.Popen(command, preexec_fn=preexec), path)


def run_with_status(
    path: str | Path,
    build: Callable[..., Any],
    *,
    seed: int,
    customers: int,
    console: Any = None,
    now: datetime | None = None,
) -> Any:
    """Run `build` (service.build_demo_workspace), keeping the status file up to date
    (`heartline demo --status-file`); a failure is recorded there and raised."""
    from heartline.demo.plan import default_now

    path = Path(path)
    now = now or default_now()  # kept, so an interrupted build resumes the same workspace
    write_status(
        path, state="building", total=customers, written=0, done=0, error=None, now=now.isoformat()
    )

    def progress(**fields: Any) -> None:
        write_status(path, **fields)

    try:
        summary = build(seed=seed, customers=customers, console=console, now=now, progress=progress)
    except BaseException as exc:
        write_status(path, state="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    write_status(
        path,
        state="done",
        done=customers,
        written=customers,
        users_ready=True,
        seconds=round(summary.seconds, 1),
    )
    return summary
