"""The in-process scheduler (embedded default): a daemon thread running scheduled playbooks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from heartline.config import Settings, get_settings

log = logging.getLogger(__name__)


class Scheduler:
    """Calls `tick` every `interval_s` seconds until stopped; a failing tick is logged."""

    def __init__(self, interval_s: float, tick: Callable[[], Any] | None = None) -> None:
        self.interval_s = interval_s
        self._tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0

    def run_once(self) -> None:
        """One tick, errors logged (the next tick retries: runs are idempotent)."""
        from heartline.playbooks.tasks import scheduled_tick

        try:
            summary = (self._tick or scheduled_tick)()
            log.info("scheduler tick: %s", summary)
        except Exception:
            log.exception("scheduler tick failed")
        self.ticks += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.run_once()

    def start(self) -> Scheduler:
        """Start the background thread (first tick after one interval)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="heartline-scheduler", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def start_background(settings: Settings | None = None) -> Scheduler | None:
    """Start the scheduler if scheduler_interval_s > 0 (what `heartline serve` does), and the
    pipeline recovery loop if recovery_interval_s > 0."""
    settings = settings or get_settings()
    if settings.recovery_interval_s > 0:
        from heartline.pipeline.recovery import recover

        Scheduler(settings.recovery_interval_s, tick=recover).start()
    if settings.scheduler_interval_s <= 0:
        return None
    return Scheduler(settings.scheduler_interval_s).start()
