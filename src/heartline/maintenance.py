"""Daily housekeeping run by the scheduler: segment sweep, raw-text retention, and ended
sessions and old sign-in attempts deleted.

Segment conditions such as "quiet for 30 days" change with time alone, so a nightly sweep keeps
membership current between pipeline events; retention blanks old raw text when configured.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from heartline.config import get_settings
from heartline.db import session_scope, utcnow

log = logging.getLogger(__name__)
DAILY = timedelta(hours=24)
_last_run: dict[str, datetime] = {}


def run_due(now: datetime | None = None, *, force: bool = False) -> dict[str, Any]:
    """Run each daily job whose last run in this process is over a day old."""
    now = now or utcnow()
    done: dict[str, Any] = {}
    if force or now - _last_run.get("segments", datetime.min.replace(tzinfo=now.tzinfo)) >= DAILY:
        from heartline.metrics import service as metrics_service
        from heartline.mood import service as mood_service

        # Churn risk and "days since" conditions move with time alone: recompute, then refresh
        # the recent rollup days so reassigned conversations count under their new queue/team.
        with session_scope() as session:
            done["segments_refreshed"] = mood_service.daily_refresh(session, now=now)
        with session_scope() as session:
            metrics_service.refresh_recent(session, days=7, now=now)
        _last_run["segments"] = now
    if force or now - _last_run.get("sessions", datetime.min.replace(tzinfo=now.tzinfo)) >= DAILY:
        from heartline.auth import service as auth_service

        with session_scope() as session:
            done["sessions_purged"] = auth_service.purge_sessions(session, now=now)
        _last_run["sessions"] = now
    days = get_settings().retention_days
    if days and (
        force or now - _last_run.get("retention", datetime.min.replace(tzinfo=now.tzinfo)) >= DAILY
    ):
        from heartline.privacy import service as privacy_service

        with session_scope() as session:
            done["texts_expired"] = privacy_service.expire_raw_text(
                session, older_than_days=days, now=now
            )
        _last_run["retention"] = now
    return done
