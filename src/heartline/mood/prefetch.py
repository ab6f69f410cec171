"""What the REMEMBER stage reads about a batch's customers, read once per batch: their
readings of the last year (as Points), complaints, the statuses of their conversations,
surveys, orders, recovery stories, customer rows, last channels and segment memberships.

The mood state (state.recompute) and segment membership (segments.refresh) take it instead
of asking per customer: a batch of 500 messages from 100 customers costs a few statements a
customer (orders, and surveys for those who answered any) rather than dozens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.interactions import service as interaction_service
from heartline.mood.models import (
    Complaint,
    EmotionReading,
    MoodState,
    RecoveryStory,
    Segment,
    SegmentMember,
)
from heartline.mood.points import HISTORY, MAX_READINGS, Point, point_of


@dataclass
class Prefetch:
    """A batch's customers as the memory reads them (see the module docstring)."""

    now: datetime
    points: dict[int, list[Point]] = field(default_factory=dict)
    complaints: dict[int, list[Complaint]] = field(default_factory=dict)
    conv_status: dict[int, str] = field(default_factory=dict)
    surveys: dict[int, list[Any]] = field(default_factory=dict)
    orders: dict[int, list[Any]] = field(default_factory=dict)
    stories: dict[int, list[RecoveryStory]] = field(default_factory=dict)
    customers: dict[int, Any] = field(default_factory=dict)
    last_channel: dict[int, str | None] = field(default_factory=dict)
    members: dict[int, set[str]] = field(default_factory=dict)
    states: dict[int, MoodState] = field(default_factory=dict)
    segments: list[Segment] | None = None


def load_orders(session: Session, customer_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each customer's orders, newest first (at most the 500 the memory reads)."""
    return {
        cid: customer_service.customer_orders(session, customer_id=cid, limit=500)
        for cid in sorted(set(customer_ids))
    }


def load(
    session: Session,
    *,
    customer_ids: Sequence[int],
    now: datetime,
    orders: dict[int, list[Any]] | None = None,
) -> Prefetch:
    """Read everything the mood state and segments need about these customers."""
    ids = sorted(set(customer_ids))
    pre = Prefetch(now=now)
    if not ids:
        return pre
    _points(session, pre, ids)
    for c in session.scalars(
        select(Complaint)
        .where(Complaint.customer_id.in_(ids), Complaint.occurred_at <= now)
        .order_by(Complaint.occurred_at, Complaint.id)
    ):
        pre.complaints.setdefault(c.customer_id, []).append(c)
    conv_ids = {p.conversation_id for ps in pre.points.values() for p in ps} | {
        c.conversation_id for cs in pre.complaints.values() for c in cs
    }
    convs = interaction_service.conversations_by_ids(
        session, ids=sorted(i for i in conv_ids if i is not None)
    )
    pre.conv_status = {c.id: c.status for c in convs}
    answered = interaction_service.latest_survey_ids(session, customer_ids=ids)
    for cid in ids:
        pre.surveys[cid] = (
            interaction_service.survey_answers(session, customer_id=cid) if cid in answered else []
        )
    known = orders or {}
    pre.orders = {**known, **load_orders(session, [c for c in ids if c not in known])}
    for s in session.scalars(select(RecoveryStory).where(RecoveryStory.customer_id.in_(ids))):
        pre.stories.setdefault(s.customer_id, []).append(s)
    pre.customers = {c.id: c for c in customer_service.list_customers_by_ids(session, ids=set(ids))}
    pre.states = {
        m.customer_id: m
        for m in session.scalars(select(MoodState).where(MoodState.customer_id.in_(ids)))
    }
    _last_channels(session, pre, ids)
    for cid, key in session.execute(
        select(SegmentMember.customer_id, SegmentMember.segment_key).where(
            SegmentMember.customer_id.in_(ids)
        )
    ):
        pre.members.setdefault(cid, set()).add(key)
    return pre


def _points(session: Session, pre: Prefetch, ids: list[int]) -> None:
    """Each customer's scored readings of the last year (at most MAX_READINGS), oldest first:
    points.load_points for many customers in one query."""
    er = EmotionReading
    rows = list(
        session.scalars(
            select(er)
            .where(
                er.customer_id.in_(ids),
                er.occurred_at >= pre.now - HISTORY,
                er.occurred_at <= pre.now,
                er.sentiment.is_not(None),
            )
            .order_by(er.customer_id, er.occurred_at.desc(), er.id.desc())
        )
    )
    newest: dict[int, list[EmotionReading]] = {}
    for r in rows:
        kept = newest.setdefault(r.customer_id, [])
        if len(kept) < MAX_READINGS:
            kept.append(r)
    convs = interaction_service.conversation_ids_of(
        session, interaction_ids=[r.interaction_id for rs in newest.values() for r in rs]
    )
    for cid in ids:
        points = [
            point_of(r, convs[r.interaction_id])
            for r in newest.get(cid, [])
            if r.interaction_id in convs
        ]
        points.reverse()
        pre.points[cid] = points


def _last_channels(session: Session, pre: Prefetch, ids: list[int]) -> None:
    """The channel of each customer's latest reading (segments' `channel` fact)."""
    er = EmotionReading
    rank = func.row_number().over(partition_by=er.customer_id, order_by=er.occurred_at.desc())
    sub = (
        select(er.customer_id, er.channel, rank.label("rank"))
        .where(er.customer_id.in_(ids))
        .subquery()
    )
    rows = session.execute(select(sub.c.customer_id, sub.c.channel).where(sub.c.rank == 1))
    found = {int(cid): channel for cid, channel in rows}
    pre.last_channel = {cid: found.get(cid) for cid in ids}
