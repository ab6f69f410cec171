"""Celery app and the one generic stage task (scale-out runner)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import Celery

from heartline.config import get_settings
from heartline.pipeline.stages import stages_for

# include: the playbooks module registers the beat task `heartline.playbooks.run_scheduled`.
celery_app = Celery(
    "heartline", broker=get_settings().broker_url, include=["heartline.playbooks.tasks"]
)
celery_app.conf.update(
    task_acks_late=True,  # a worker crash re-delivers the task; stages are idempotent
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
)


@celery_app.task(name="heartline.pipeline.run_stage", bind=True, max_retries=5)
def run_stage_task(self: Any, event: str, index: int, ids: Sequence[int]) -> int:
    """Run stage `index` of `event`, then enqueue the next stage with what it returned."""
    from heartline.pipeline.runner import run_stage

    try:
        next_ids = run_stage(event, index, ids)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
    if next_ids and index + 1 < len(stages_for(event)):
        run_stage_task.delay(event, index + 1, list(next_ids))
    return len(next_ids)
