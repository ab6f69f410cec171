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
    # locked first (PostgreSQL), in id order: workers sharing customers take turns
    mood_service.lock_customers(session, customer_ids=customer_ids)
    mood_service.update_customers(session, customer_ids=sorted(customer_ids))


def remember_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Complaint reasons for the messages, then their customers' mood, churn and segments,
    set-wise over the batch.

    The batch's customers are locked first (PostgreSQL, in id order; mood/locks.py), so two
    workers whose batches share a customer take turns and the later one reads what the
    earlier committed. A customer's state is recomputed from every stored reading, so the
    order in which their messages are remembered does not matter: an older message
    remembered after a newer one gives the same state as in time order."""
    found = interaction_service.interactions_by_ids(session, ids=ids)
    messages = [found[i] for i in dict.fromkeys(ids) if i in found]
    mood_service.lock_customers(session, customer_ids=[m.customer_id for m in messages])
    mood_service.remember_batch(session, interactions=messages)
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
    convs = interaction_service.conversations_by_ids(session, ids=ids)
    mood_service.lock_customers(session, customer_ids=[c.customer_id for c in convs])
    customers: set[int] = set()
    for conv in convs:
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
