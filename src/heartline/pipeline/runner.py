"""Runners: inline (same process, after the caller's commit) or Celery (workers)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from heartline.config import get_settings
from heartline.db import session_scope
from heartline.errors import AppError, ErrorCode
from heartline.pipeline.stages import stages_for

log = logging.getLogger(__name__)


class QueueUnavailable(AppError):
    """The work is stored but could not be queued; the recovery job picks it up later."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.SERVICE_UNAVAILABLE,
            "stored, but the processing queue is unreachable: it will be scored automatically "
            "once the queue is back (nothing to resend)",
        )


class Runner(Protocol):
    """Something that runs an event's stages over ids, now or later."""

    def submit(self, event: str, ids: Sequence[int]) -> None: ...


def run_stage(event: str, index: int, ids: Sequence[int]) -> Sequence[int]:
    """Run one stage in its own transaction and return the ids for the next one."""
    stage = stages_for(event)[index]
    with session_scope() as session:
        return list(stage.fn(session, list(ids)))


class InlineRunner:
    """Runs every stage right away in this process; a failing stage is logged, not raised,
    because the caller's data is already committed and the stage can be re-run later."""

    def submit(self, event: str, ids: Sequence[int]) -> None:
        """Run the event's stages now, in order."""
        current: Sequence[int] = list(ids)
        for index, stage in enumerate(stages_for(event)):
            if not current:
                return
            try:
                current = run_stage(event, index, current)
            except Exception:
                log.exception(
                    "pipeline stage %s/%s failed for %d ids", event, stage.name, len(current)
                )
                return


class CeleryRunner:
    """Queues the first stage on Celery; each stage task queues the next."""

    def submit(self, event: str, ids: Sequence[int]) -> None:
        """Enqueue the event's first stage."""
        from heartline.pipeline.tasks import run_stage_task

        if ids and stages_for(event):
            try:
                run_stage_task.delay(event, 0, list(ids))
            except Exception as exc:  # broker unreachable: the rows are committed, kept
                log.error("pipeline queue unreachable, %d %s ids left to recovery: %s",
                          len(ids), event, exc)  # fmt: skip
                raise QueueUnavailable() from exc


_runners: dict[str, Runner] = {}


def get_runner() -> Runner:
    """The configured runner."""
    kind = get_settings().pipeline_runner
    if kind not in _runners:
        _runners[kind] = CeleryRunner() if kind == "celery" else InlineRunner()
    return _runners[kind]


def submit(event: str, ids: Sequence[int]) -> None:
    """Hand committed ids to the pipeline. Call only after the transaction committed."""
    if ids:
        get_runner().submit(event, ids)
