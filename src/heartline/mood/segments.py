"""Segments: built-in and custom filters over a customer's facts (mood, churn, orders, channel,
tags); membership is stored and refreshed by the pipeline whenever the mood state changes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import OrderStatus
from heartline.errors import AppError, ErrorCode, not_found
from heartline.interactions import service as interaction_service
from heartline.mood import churn, filters, state
from heartline.mood.models import MoodState, Segment, SegmentMember
from heartline.mood.prefetch import Prefetch


class MemberCustomer(Protocol):
    """What a segment's member list shows of a customer (the customers domain's row)."""

    @property
    def id(self) -> int: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str | None: ...


# The fields a segment may filter on, typed by mood.filters.SegmentFacts (validated before a
# definition is stored).
FIELDS = filters.SEGMENT_FACTS

BUILTIN: dict[str, dict[str, Any]] = {
    "highly_satisfied": {
        "name": "Highly satisfied",
        "description": "Usually positive, positive lately, nothing open.",
        "definition": {
            "all": [
                {"field": "mood.readings_count", "op": "gte", "value": 2},
                {"field": "mood.baseline_valence", "op": "gte", "value": 0.3},
                {"field": "mood.valence", "op": "gte", "value": 0.2},
                {"field": "mood.open_issues", "op": "eq", "value": 0},
            ]
        },
    },
    "delighted": {
        "name": "Delighted (advocate candidates)",
        "description": "Strongly positive in the last 60 days, or an NPS promoter.",
        "definition": {
            "any": [
                {
                    "all": [
                        {"field": "mood.valence", "op": "gte", "value": 0.5},
                        {"field": "mood.days_since_reading", "op": "lte", "value": 60},
                        {"field": "mood.open_issues", "op": "eq", "value": 0},
                    ]
                },
                {"field": "survey.last_nps", "op": "gte", "value": 9},
            ]
        },
    },
    "recently_frustrated": {
        "name": "Recently frustrated",
        "description": "A negative episode in the last 14 days that is open or still felt.",
        "definition": {
            "all": [
                {"field": "mood.days_since_negative", "op": "lte", "value": 14},
                {
                    "any": [
                        {"field": "mood.valence", "op": "lt", "value": 0},
                        {"field": "mood.open_issues", "op": "gte", "value": 1},
                    ]
                },
            ]
        },
    },
    "at_risk": {
        "name": "At risk of churn",
        "description": f"Churn risk {churn.HIGH} or more: more likely than not to churn "
        "(calibrated on a demo build, see mood/churn.py).",
        "definition": {"field": "churn.risk", "op": "gte", "value": churn.HIGH},
    },
    "quiet": {
        "name": "Quiet / neutral",
        "description": "No feelings expressed in 60 days, or neutral lately.",
        "definition": {
            "any": [
                {"field": "mood.readings_count", "op": "eq", "value": 0},
                {"field": "mood.days_since_reading", "op": "gt", "value": 60},
                {"field": "mood.label", "op": "eq", "value": "neutral"},
            ]
        },
    },
}
KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,59}$")


def _days(now: datetime, at: datetime | None) -> float | None:
    return None if at is None else round((now - at).total_seconds() / 86400, 2)


def facts(
    session: Session,
    *,
    customer_id: int,
    now: datetime | None = None,
    mood: MoodState | None = None,
    pre: Prefetch | None = None,
) -> dict[str, Any]:
    """What segment and routing filters see about a customer (`mood`: a state computed but
    not stored, instead of the stored one; `pre`: what the batch read already)."""
    now = now or utcnow()
    customer, state, all_orders = _sources(session, customer_id, mood, pre)
    orders = [o for o in all_orders if o.status != OrderStatus.CANCELLED]
    last_neg = state.last_negative if state else None
    out: dict[str, Any] = {
        "mood.label": state.label if state and state.readings_count else None,
        "mood.valence": state.valence if state and state.readings_count else None,
        "mood.baseline_valence": state.baseline_valence if state else None,
        "mood.trajectory": state.trajectory if state else None,
        "mood.readings_count": state.readings_count if state else 0,
        "mood.days_since_reading": _days(now, state.last_reading_at) if state else None,
        "mood.days_since_negative": _days(now, datetime.fromisoformat(last_neg["at"]))
        if last_neg
        else None,
        "mood.open_issues": len(state.open_issues) if state else 0,
        "mood.last_reason": last_neg["reason"] if last_neg else None,
        "mood.last_negative_resolved": last_neg["resolved"] if last_neg else None,
        "churn.risk": state.churn_risk if state else 0.0,
        "churn.reasons": [r["key"] for r in state.churn_reasons] if state else [],
        "orders.count": len(orders),
        "orders.days_since_last": _days(now, orders[0].placed_at) if orders else None,
        "orders.total_spent": float(sum(o.total for o in orders)),
        "channel": pre.last_channel.get(customer_id)
        if pre is not None
        else _last_channel(session, customer_id),
        "preferred_channel": customer.preferred_channel,
        "tags": list(customer.tags or []),
        "interests": list(customer.interests or []),
        "vip": bool(customer.vip),
        "region": customer.region,
    }
    answers = (
        pre.surveys.get(customer_id, [])
        if pre is not None
        else interaction_service.survey_answers(session, customer_id=customer_id)
    )
    last_score = {s.kind: s.score for s in answers}  # oldest first: the newest of a kind wins
    for kind in ("nps", "csat"):
        out[f"survey.last_{kind}"] = last_score.get(kind)
    return out


def _sources(
    session: Session, customer_id: int, mood: MoodState | None, pre: Prefetch | None
) -> tuple[Any, MoodState | None, list[Any]]:
    """The customer, their mood state and orders: from the batch's prefetch when given."""
    if pre is not None and customer_id in pre.customers:
        customer = pre.customers[customer_id]
    else:
        customer = customer_service.get_customer(session, customer_id=customer_id)
    state = mood
    if state is None:
        state = (
            pre.states.get(customer_id) if pre is not None else session.get(MoodState, customer_id)
        )
    if pre is not None and customer_id in pre.orders:
        return customer, state, pre.orders[customer_id]
    return (
        customer,
        state,
        customer_service.customer_orders(session, customer_id=customer_id, limit=500),
    )


def _last_channel(session: Session, customer_id: int) -> str | None:
    from heartline.mood.models import EmotionReading

    return session.scalar(
        select(EmotionReading.channel)
        .where(EmotionReading.customer_id == customer_id)
        .order_by(EmotionReading.occurred_at.desc())
        .limit(1)
    )


def ensure_builtins(session: Session) -> None:
    """Create the built-in segments once (definitions are updated to the shipped ones).

    Missing rows go in with INSERT .. ON CONFLICT DO NOTHING on the unique key: two workers
    reaching a fresh database at once both try, and neither fails."""
    rows = {s.key: s for s in session.scalars(select(Segment).where(Segment.builtin.is_(True)))}
    fields = ("name", "description", "definition")
    missing = [
        {"key": key, "builtin": True, **{f: spec[f] for f in fields}}
        for key, spec in BUILTIN.items()
        if key not in rows
    ]
    if missing:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(Segment).values(missing).on_conflict_do_nothing(index_elements=["key"])
        )
    for key, spec in BUILTIN.items():
        row = rows.get(key)
        if row is not None and row.definition != spec["definition"]:
            row.definition = spec["definition"]
    session.flush()


def all_segments(session: Session) -> list[Segment]:
    """Built-in then custom segments."""
    ensure_builtins(session)
    return list(session.scalars(select(Segment).order_by(Segment.builtin.desc(), Segment.key)))


def get_segment(session: Session, *, key: str) -> Segment:
    """One segment, or a 404."""
    ensure_builtins(session)
    row = session.scalar(select(Segment).where(Segment.key == key))
    if row is None:
        raise not_found("segment", key)
    return row


def refresh(
    session: Session,
    *,
    customer_ids: Sequence[int],
    now: datetime | None = None,
    segments: Iterable[Segment] | None = None,
    pre: Prefetch | None = None,
) -> None:
    """Re-evaluate segment membership of these customers (idempotent; ``pre``: what the
    batch read about them, memberships included)."""
    if segments is not None:
        segs = list(segments)
    elif pre is not None and pre.segments is not None:
        segs = pre.segments
    else:
        segs = all_segments(session)
    keys = [s.key for s in segs]
    since = now or utcnow()
    gone_rows: list[tuple[int, set[str]]] = []
    for cid in customer_ids:
        f = facts(session, customer_id=cid, now=now, pre=pre)
        if pre is not None:
            current = pre.members.get(cid, set()) & set(keys)
        else:
            current = set(
                session.scalars(
                    select(SegmentMember.segment_key).where(
                        SegmentMember.customer_id == cid, SegmentMember.segment_key.in_(keys)
                    )
                )
            )
        wanted = {s.key for s in segs if filters.evaluate(s.definition, f)}
        for key in sorted(wanted - current):
            session.add(SegmentMember(segment_key=key, customer_id=cid, since=since))
        if current - wanted:
            gone_rows.append((cid, current - wanted))
        if pre is not None:
            pre.members[cid] = (pre.members.get(cid, set()) - (current - wanted)) | wanted
    for cid, gone in gone_rows:
        session.execute(
            delete(SegmentMember).where(
                SegmentMember.customer_id == cid, SegmentMember.segment_key.in_(gone)
            )
        )
    session.flush()


def refresh_all(
    session: Session,
    *,
    now: datetime | None = None,
    segment: Segment | None = None,
    recompute: bool = False,
) -> int:
    """Re-evaluate every customer (a new custom segment, a nightly sweep); returns how many.

    With `recompute`, each customer's mood state and churn risk are rebuilt as of `now` first:
    risk moves with time alone (a buying rhythm breaks, a negative feeling decays), so a daily
    job should pass it; a new custom segment does not need it."""
    ids = customer_service.customer_ids(session)
    if recompute:
        active = set(session.scalars(select(MoodState.customer_id)))
        active |= customer_service.customer_ids_with_orders(session)
        for cid in ids:
            if cid in active:
                state.recompute(session, customer_id=cid, now=now)
    refresh(session, customer_ids=ids, now=now, segments=[segment] if segment else None)
    return len(ids)


def daily_refresh(session: Session, *, now: datetime | None = None) -> int:
    """The scheduler's daily job: time-based churn and "days since" segments as of `now`."""
    return refresh_all(session, now=now, recompute=True)


def create_segment(
    session: Session, *, key: str, name: str, description: str, definition: dict[str, Any]
) -> Segment:
    """Store a validated custom segment and compute its members."""
    if not KEY_RE.match(key):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "key: use 2-60 lowercase letters, digits, '_' or '-'",
            details=[{"field": "key", "message": "invalid key", "type": "pattern"}],
        )
    try:
        filters.validate(definition, FIELDS)
    except filters.FilterError as exc:
        raise filters.to_app_error(exc, "segment definition") from None
    ensure_builtins(session)
    if session.scalar(select(Segment.id).where(Segment.key == key)) is not None:
        raise AppError(
            ErrorCode.CONFLICT,
            f"segment {key!r} already exists",
            details=[{"field": "key", "message": "already exists", "type": "conflict"}],
        )
    seg = Segment(key=key, name=name, description=description, builtin=False, definition=definition)
    session.add(seg)
    session.flush()
    refresh_all(session, segment=seg)
    return seg


def delete_segment(session: Session, *, key: str) -> None:
    """Remove a custom segment and its memberships (built-ins cannot be removed)."""
    seg = get_segment(session, key=key)
    if seg.builtin:
        raise AppError(ErrorCode.BAD_REQUEST, f"segment {key!r} is built in and cannot be deleted")
    session.execute(delete(SegmentMember).where(SegmentMember.segment_key == key))
    session.delete(seg)
    session.flush()


def member_counts(session: Session) -> dict[str, int]:
    """Members per segment key."""
    rows = session.execute(
        select(SegmentMember.segment_key, func.count()).group_by(SegmentMember.segment_key)
    )
    return {k: int(n) for k, n in rows}


def members(
    session: Session, *, key: str, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[MemberCustomer, MoodState | None, datetime]], int]:
    """A page of a segment's members (highest churn risk first), with their mood, and the total."""
    get_segment(session, key=key)
    base = select(SegmentMember).where(SegmentMember.segment_key == key)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        select(SegmentMember.customer_id, MoodState, SegmentMember.since)
        .outerjoin(MoodState, MoodState.customer_id == SegmentMember.customer_id)
        .where(SegmentMember.segment_key == key)
        .order_by(func.coalesce(MoodState.churn_risk, 0).desc(), SegmentMember.customer_id)
        .limit(limit)
        .offset(offset)
    ).all()
    found = customer_service.list_customers_by_ids(session, ids={cid for cid, _, _ in rows})
    customers: dict[int, MemberCustomer] = {c.id: c for c in found}
    return [(customers[cid], m, s) for cid, m, s in rows if cid in customers], total


def customer_segments(session: Session, *, customer_id: int) -> list[str]:
    """Keys of the segments a customer is in."""
    return sorted(
        session.scalars(
            select(SegmentMember.segment_key).where(SegmentMember.customer_id == customer_id)
        )
    )


def definitions(session: Session) -> dict[str, dict[str, Any]]:
    """Every segment's definition by key, read only: the shipped built-ins, then the stored
    custom ones (what `refresh` evaluates, without creating the built-in rows)."""
    out = {key: spec["definition"] for key, spec in BUILTIN.items()}
    for seg in session.scalars(select(Segment).where(Segment.builtin.is_(False))):
        out.setdefault(seg.key, seg.definition)
    return out


def matching(session: Session, *, customer_id: int, mood: MoodState) -> list[str]:
    """Keys of the segments a customer with this (unstored) mood would be in; writes nothing."""
    f = facts(session, customer_id=customer_id, mood=mood)
    return sorted(k for k, d in definitions(session).items() if filters.evaluate(d, f))
