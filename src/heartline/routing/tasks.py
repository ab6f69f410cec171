"""ROUTE stage: queue, priority and SLA for each inbound message's conversation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.routing import service


def route_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Route every message (idempotent: the same facts give the same decision), then give
    the conversations customers wrote into to the next person of an auto-assign queue.

    Set-wise over the batch: the messages, their facts and conversations are read once, and
    the batch's customers are locked in id order first (PostgreSQL; mood/locks.py), so two
    workers routing messages of the same conversations take turns instead of deadlocking."""
    found = interaction_service.interactions_by_ids(session, ids=ids)
    messages = [found[i] for i in ids if i in found]
    mood_service.lock_customers(session, customer_ids=[m.customer_id for m in messages])
    service.route_messages(session, messages=messages)
    service.sla_on_messages(session, interaction_ids=list(ids))
    inbound = {
        m.conversation_id
        for m in messages
        if m.direction == Direction.INBOUND and m.conversation_id is not None
    }
    service.auto_assign(session, conversation_ids=sorted(inbound))
    return ids


def sla_on_status(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """SLA stage of a status change: pending pauses the clocks, resolve stops them."""
    service.sla_on_status(session, conversation_ids=list(ids))
    return ids
