"""Recovery: stored messages that were never scored go through the pipeline again.

Work is committed before it is submitted, so a crash between the two (a killed import or
server, a worker lost mid-task, a dead broker) leaves rows `pending`. Every
`recovery_interval_s` the scheduler (or the Celery beat task `heartline.pipeline.recover`)
re-submits rows pending for more than `recovery_after_s`, and failed rows once an hour.
Stages are idempotent, so a row that was merely slow is scored once all the same.
Imported help-desk history (a message whose metadata says `imported_from`) goes back to the
silent `history` stages, never to the live ones: nothing is routed or sent for last year's
tickets because a worker was slow.
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


def _by_event(ids: list[int]) -> dict[str, list[int]]:
    """Live messages to the interaction stages, imported history to the silent ones."""
    with session_scope() as session:
        found = interaction_service.interactions_by_ids(session, ids=ids)
        history = {i for i, row in found.items() if (row.meta or {}).get("imported_from")}
    out = {"interaction": [i for i in ids if i not in history],
           "history": [i for i in ids if i in history]}  # fmt: skip
    return {event: some for event, some in out.items() if some}


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
            for event, some in _by_event(ids).items():
                resubmit(event, some)
        except QueueUnavailable:
            log.warning("recovery: queue still unreachable, %d messages wait", len(ids))
            break
        done += len(ids)
        last = ids[-1]
    if done:
        log.info("recovery: re-submitted %d unfinished messages", done)
    return done
