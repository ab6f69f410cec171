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
    # A task a killed worker had taken is redelivered after this long (Redis and SQS default
    # to an hour). Longer than the slowest stage, short enough to recover within minutes.
    broker_transport_options={"visibility_timeout": 600},
    # Publishing to a dead broker fails within about a second (the API answers 503 and the
    # recovery job re-submits the stored rows) instead of hanging the request.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.3},
    broker_connection_timeout=2,
)


@celery_app.task(name="heartline.pipeline.recover")
def recover_task() -> int:
    """Celery beat entry point: re-submit stored work the pipeline never finished."""
    from heartline.pipeline.recovery import recover

    return recover()


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
