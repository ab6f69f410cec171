"""REMEMBER stages: complaint reason, mood, churn and segments after every reading, survey,
order and resolution. Each takes ids, re-reads its rows and is idempotent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

import heartline.models  # noqa: F401  (stages run in bare processes: CLI, workers; load every table)
from heartline.customers import service as customer_service
from heartline.enums import ConversationStatus
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service


def _update(session: Session, customer_ids: set[int]) -> None:
    for cid in sorted(customer_ids):
        mood_service.update_customer(session, customer_id=cid)


def remember_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Complaint reasons for the messages, then their customers' mood, churn and segments."""
    customers: set[int] = set()
    for iid in ids:
        cid = mood_service.remember_interaction(session, interaction_id=iid)
        if cid is not None:
            customers.add(cid)
    _update(session, customers)
    return ids


def remember_surveys(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """A survey answer moves the baseline, detractor signal and segments."""
    _update(session, interaction_service.survey_customer_ids(session, survey_ids=ids))
    return ids


def remember_orders(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """An order changes purchase cadence (churn) and order-based segments."""
    _update(session, customer_service.customer_ids_with_orders(session, order_ids=ids))
    return ids


def remember_conversations(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """A resolution closes the conversation's complaints (and may complete a recovery)."""
    customers: set[int] = set()
    for conv in interaction_service.conversations_by_ids(session, ids=ids):
        if (
            conv.status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)
            and conv.resolved_at is not None
        ):
            mood_service.resolve_conversation(
                session, conversation_id=conv.id, resolved_at=conv.resolved_at
            )
        customers.add(conv.customer_id)
    _update(session, customers)
    return ids
