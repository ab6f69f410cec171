"""Pipeline events as playbook triggers: who each event is about, and what it carries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.enums import Direction
from heartline.interactions import service as interaction_service
from heartline.playbooks.context_load import order_dict, order_items

Subject = tuple[int, str, dict[str, Any]]  # (customer_id, event_ref, payload)


def _order_subjects(session: Session, ids: list[int]) -> list[Subject]:
    orders = customer_service.order_snapshots(session, ids=ids)
    items = order_items(session, [o.id for o in orders])
    return [
        (
            o.customer_id,
            f"order:{o.id}",
            {
                "order": order_dict(o, items),
                "is_first_order": customer_service.is_first_order(session, order=o),
                "at": o.placed_at,
            },
        )
        for o in orders
    ]


def _survey_subjects(session: Session, ids: list[int]) -> list[Subject]:
    return [
        (
            s.customer_id,
            f"survey:{s.id}",
            {"survey_kind": s.kind, "survey_score": s.score, "at": s.responded_at},
        )
        for s in interaction_service.surveys_by_ids(session, ids=ids)
    ]


def _interaction_subjects(session: Session, ids: list[int]) -> list[Subject]:
    found = interaction_service.interactions_by_ids(session, ids=ids)
    return [
        (i.customer_id, f"interaction:{i.id}", {})
        for i in found.values()
        if i.direction == Direction.INBOUND
    ]


def _conversation_subjects(session: Session, ids: list[int]) -> list[Subject]:
    return [
        (c.customer_id, f"conversation:{c.id}", {"conversation_status": c.status})
        for c in interaction_service.conversations_by_ids(session, ids=ids)
    ]


SUBJECTS: dict[str, Callable[[Session, list[int]], list[Subject]]] = {
    "order": _order_subjects,
    "survey": _survey_subjects,
    "interaction": _interaction_subjects,
    "conversation": _conversation_subjects,
}


def event_subjects(session: Session, *, event: str, ids: Sequence[int]) -> list[Subject]:
    """(customer_id, event_ref, payload) for each id of a pipeline event."""
    subjects = SUBJECTS.get(event)
    return subjects(session, list(ids)) if subjects is not None and ids else []


def recent_event_ids(session: Session, *, event: str, since: datetime) -> list[int]:
    """Ids of orders or surveys since a time (to replay event playbooks over a backlog)."""
    if event == "order":
        return customer_service.order_ids_since(session, since=since)
    if event == "survey":
        return interaction_service.survey_ids_since(session, since=since)
    return []


def latest_event_ids(
    session: Session, *, event: str, customer_ids: Sequence[int]
) -> dict[int, int]:
    """Each customer's newest order or survey id (for previews of event playbooks), in one
    query: customers without one are absent."""
    if event == "order":
        return customer_service.latest_order_ids(session, customer_ids=customer_ids)
    if event == "survey":
        return interaction_service.latest_survey_ids(session, customer_ids=customer_ids)
    return {}
