"""The Celery tasks of the pipeline: one generic stage task, and recovery for beat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heartline.pipeline.stages import next_stage, run_stage
from heartline.pipeline.worker import RECOVER, RUN_STAGE, celery_app

__all__ = ["celery_app", "recover_task", "run_stage_task"]


def _recover() -> int:
    """Celery beat entry point: re-submit stored work the pipeline never finished."""
    from heartline.pipeline.recovery import recover

    return recover()


# The stages in the order they had while messages carried an index instead of a name: frozen,
# so such a message still means the stage it meant, whatever the table becomes.
LEGACY_ORDER: dict[str, tuple[str, ...]] = {
    "interaction": (
        "score", "remember", "privacy", "route", "rollup", "channel_outcomes", "playbooks",
        "deliver",
    ),
    "survey": ("remember", "rollup", "playbooks", "deliver"),
    "order": ("remember", "playbooks", "deliver"),
    "conversation": ("remember", "rollup", "playbooks", "deliver"),
}  # fmt: skip


def _stage_name(event: str, stage: str | int) -> str:
    """Messages name their stage; a message queued before names existed carries an index."""
    if isinstance(stage, int):
        return LEGACY_ORDER[event][stage]
    return stage


def _run_stage(task: Any, event: str, stage: str | int, ids: Sequence[int]) -> int:
    """Run the named stage of `event`, then enqueue the next stage with what it returned."""
    name = _stage_name(event, stage)
    try:
        next_ids = run_stage(event, name, ids)
    except Exception as exc:
        raise task.retry(exc=exc, countdown=2**task.request.retries) from exc
    following = next_stage(event, name)
    if next_ids and following is not None:
        celery_app.send_task(RUN_STAGE, args=[event, following, list(next_ids)])
    return len(next_ids)


# Celery's decorator is untyped; registering through it once, here, keeps the bodies typed.
recover_task: Any = celery_app.task(name=RECOVER)(_recover)
run_stage_task: Any = celery_app.task(name=RUN_STAGE, bind=True, max_retries=5)(_run_stage)
