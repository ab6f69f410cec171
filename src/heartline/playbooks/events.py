"""Pipeline events as playbook triggers: who each event is about, and what it carries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers.models import Order
from heartline.playbooks.context import order_dict, order_items


def event_subjects(
    session: Session, *, event: str, ids: Sequence[int]
) -> list[tuple[int, str, dict[str, Any]]]:
    """(customer_id, event_ref, payload) for each id of a pipeline event."""
    from heartline.interactions.models import Conversation, Interaction, SurveyResponse

    out: list[tuple[int, str, dict[str, Any]]] = []
    ids = list(ids)
    if not ids:
        return out
    if event == "order":
        rows = list(
            session.execute(
                select(
                    Order.id,
                    Order.external_id,
                    Order.customer_id,
                    Order.status,
                    Order.placed_at,
                    Order.promised_at,
                    Order.delivered_at,
                ).where(Order.id.in_(ids))
            )
        )
        items = order_items(session, [r.id for r in rows])
        for r in rows:
            earlier = (
                session.scalar(
                    select(func.count())
                    .select_from(Order)
                    .where(
                        Order.customer_id == r.customer_id,
                        Order.id != r.id,
                        Order.placed_at <= r.placed_at,
                    )
                )
                or 0
            )
            out.append(
                (
                    r.customer_id,
                    f"order:{r.id}",
                    {
                        "order": order_dict(r, items),
                        "is_first_order": earlier == 0,
                        "at": r.placed_at,
                    },
                )
            )
    elif event == "survey":
        surveys = select(
            SurveyResponse.id,
            SurveyResponse.customer_id,
            SurveyResponse.kind,
            SurveyResponse.score,
            SurveyResponse.responded_at,
        ).where(SurveyResponse.id.in_(ids))
        for sid, cid, kind, score, at in session.execute(surveys):
            out.append(
                (cid, f"survey:{sid}", {"survey_kind": kind, "survey_score": score, "at": at})
            )
    elif event == "interaction":
        inbound = select(Interaction.id, Interaction.customer_id).where(
            Interaction.id.in_(ids), Interaction.direction == "inbound"
        )
        out = [(cid, f"interaction:{iid}", {}) for iid, cid in session.execute(inbound)]
    elif event == "conversation":
        convs = select(Conversation.id, Conversation.customer_id, Conversation.status).where(
            Conversation.id.in_(ids)
        )
        out = [
            (cid, f"conversation:{conv_id}", {"conversation_status": st})
            for conv_id, cid, st in session.execute(convs)
        ]
    return out


def recent_event_ids(session: Session, *, event: str, since: datetime) -> list[int]:
    """Ids of orders or surveys since a time (to replay event playbooks over a backlog)."""
    from heartline.interactions.models import SurveyResponse

    if event == "order":
        return list(
            session.scalars(
                select(Order.id).where(Order.placed_at >= since).order_by(Order.placed_at)
            )
        )
    if event == "survey":
        return list(
            session.scalars(
                select(SurveyResponse.id)
                .where(SurveyResponse.responded_at >= since)
                .order_by(SurveyResponse.responded_at)
            )
        )
    return []


def latest_event_ids(
    session: Session, *, event: str, customer_ids: Sequence[int]
) -> dict[int, int]:
    """Each customer's newest order or survey id (for previews of event playbooks), in one
    query: customers without one are absent."""
    from heartline.interactions.models import SurveyResponse

    model: Any
    if event == "order":
        model, at = Order, Order.placed_at
    elif event == "survey":
        model, at = SurveyResponse, SurveyResponse.responded_at
    else:
        return {}
    if not customer_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=model.customer_id, order_by=(at.desc(), model.id.desc()))
        .label("rank")
    )
    ranked = (
        select(model.customer_id, model.id, rank)
        .where(model.customer_id.in_(list(customer_ids)))
        .subquery()
    )
    rows = session.execute(select(ranked.c.customer_id, ranked.c.id).where(ranked.c.rank == 1))
    return {int(cid): int(i) for cid, i in rows}
