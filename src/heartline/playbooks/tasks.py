"""Pipeline stages, the scheduler tick and the Celery beat task for playbooks.

Celery beat (scale-out): schedule the task "heartline.playbooks.run_scheduled", e.g.
    beat_schedule = {"playbooks": {"task": "heartline.playbooks.run_scheduled", "schedule": 3600}}
and start workers with `-I heartline.playbooks.tasks` so the task is registered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from heartline.db import session_scope, utcnow
from heartline.playbooks import outbox, service

log = logging.getLogger(__name__)


def record_outcomes(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Stage: link inbound replies to the messages they answer; passes the ids on."""
    service.record_channel_outcomes(session, interaction_ids=ids)
    return ids


def act_on_event(session: Session, event: str, ids: Sequence[int]) -> Sequence[int]:
    """Stage: run the event's playbooks; commits, then returns the new outbox ids."""
    created = service.run_event(session, event=event, ids=ids)
    session.commit()  # the deliver stage claims rows in its own transactions
    return created


def deliver_outbox(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Stage: send the given outbox messages if they are due (quiet hours may defer them)."""
    report = outbox.deliver_due(session, ids=ids)
    return report.sent


def scheduled_tick(now: datetime | None = None, *, deliver: bool = True) -> dict[str, Any]:
    """One scheduler pass: scheduled playbooks over everyone, then delivery of what is due."""
    now = now or utcnow()
    with session_scope() as session:
        summary = service.run_scheduled(session, now=now)
    if deliver:
        with session_scope() as session:
            report = outbox.deliver_due(session, now=now, limit=10_000)
        summary["delivery"] = {
            "sent": len(report.sent),
            "retrying": len(report.retrying),
            "dead": len(report.dead),
            "recovered": len(report.recovered),
        }
    from heartline import maintenance
    from heartline.alerts import service as alert_service
    from heartline.routing import service as routing_service

    # Every tick, not daily: a breach warning must come before the breach (routing.sla).
    with session_scope() as session:
        warnings = routing_service.sla_warnings(session, now=now)
        summary["sla_warnings"] = len(warnings)
        summary["sla_alerts"] = alert_service.alerts_for_sla(session, warnings)
    summary["maintenance"] = maintenance.run_due(now)
    return summary


def _beat_tick() -> dict[str, Any]:
    """Celery beat entry point: one scheduler pass on a worker."""
    return scheduled_tick()


run_scheduled_task: Any
try:  # Celery is optional (the `workers` extra); the embedded default never needs it.
    from celery import shared_task

    run_scheduled_task = shared_task(name="heartline.playbooks.run_scheduled")(_beat_tick)
except ImportError:  # pragma: no cover
    run_scheduled_task = None
