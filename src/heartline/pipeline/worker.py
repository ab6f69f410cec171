"""The Celery application (scale-out runner): configuration only.

Publishers (the Celery runner) send tasks by name through this app; the task bodies live in
`pipeline/tasks.py`, which workers load through `include`.
"""

from __future__ import annotations

from celery import Celery

from heartline.config import get_settings

RUN_STAGE = "heartline.pipeline.run_stage"
RECOVER = "heartline.pipeline.recover"

# include: the tasks of the pipeline, and the playbooks module's beat task
# `heartline.playbooks.run_scheduled`.
celery_app = Celery(
    "heartline",
    broker=get_settings().broker_url,
    include=["heartline.pipeline.tasks", "heartline.playbooks.tasks"],
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
    # Publishers and workers of one deployment share the configured queue name; `-Q` must match.
    task_default_queue=get_settings().pipeline_queue,
)
