"""ROUTE stage: queue, priority and SLA for each inbound message's conversation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from heartline.routing import service


def route_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Route every message (idempotent: the same facts give the same decision)."""
    for iid in ids:
        service.route_interaction(session, interaction_id=iid)
    return ids
