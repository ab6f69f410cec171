"""ALERTS stage: team alerts for the scored messages (churn threats, angry VIPs, privacy
requests). Takes interaction ids, idempotent (one alert per event), passes every id on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

import heartline.models  # noqa: F401  (stages run in bare processes: CLI, workers; load every table)
from heartline.alerts import service


def alert_on_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Raise the alerts these messages call for."""
    service.alerts_for_interactions(session, ids)
    return ids
