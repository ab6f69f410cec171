"""ROUTE stage: queue, priority and SLA for each inbound message's conversation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.routing import service


def route_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Route every message (idempotent: the same facts give the same decision), then give
    the conversations customers wrote into to the next person of an auto-assign queue."""
    for iid in ids:
        service.route_interaction(session, interaction_id=iid)
    service.sla_on_messages(session, interaction_ids=list(ids))
    messages = interaction_service.interactions_by_ids(session, ids=ids).values()
    conversations = {
        m.conversation_id
        for m in messages
        if m.direction == Direction.INBOUND and m.conversation_id is not None
    }
    service.auto_assign(session, conversation_ids=sorted(conversations))
    return ids


def sla_on_status(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """SLA stage of a status change: pending pauses the clocks, resolve stops them."""
    service.sla_on_status(session, conversation_ids=list(ids))
    return ids
