"""Recovery: stored messages that were never scored go through the pipeline again.

Work is committed before it is submitted, so a crash between the two (a killed import or
server, a worker lost mid-task, a dead broker) leaves rows `pending`. Every
`recovery_interval_s` the scheduler (or the Celery beat task `heartline.pipeline.recover`)
re-submits rows pending for more than `recovery_after_s`, and failed rows once an hour.
Stages are idempotent, so a row that was merely slow is scored once all the same.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from heartline.config import get_settings
from heartline.db import session_scope, utcnow
from heartline.interactions import service as interaction_service
from heartline.pipeline.runner import QueueUnavailable, resubmit

log = logging.getLogger(__name__)
BATCH = 500
FAILED_RETRY = timedelta(hours=1)


def recover(now: datetime | None = None, *, max_batches: int = 20) -> int:
    """Re-submit unfinished messages (at most max_batches x BATCH per call); returns how many."""
    now = now or utcnow()
    before = now - timedelta(seconds=get_settings().recovery_after_s)
    done = 0
    last = 0
    for _ in range(max_batches):
        with session_scope() as session:
            ids = interaction_service.stuck_ids(
                session, before=before, failed_before=now - FAILED_RETRY, limit=BATCH, after_id=last
            )
        if not ids:
            break
        try:
            resubmit("interaction", ids)
        except QueueUnavailable:
            log.warning("recovery: queue still unreachable, %d messages wait", len(ids))
            break
        done += len(ids)
        last = ids[-1]
    if done:
        log.info("recovery: re-submitted %d unfinished messages", done)
    return done
