"""The customer's mood state: recomputed from readings, complaints, orders and surveys, so
running it twice gives the same row (idempotent pipeline stage).

The parts live beside it: `points` (readings as the memory sees them), `trajectory` (profile,
baseline, trend), `episodes` (open issues, the last negative episode, recovery stories)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import OrderStatus
from heartline.interactions import service as interaction_service
from heartline.mood import churn, episodes, trajectory
from heartline.mood.models import Complaint, MoodState
from heartline.mood.points import Point, load_points, older_point
from heartline.mood.prefetch import Prefetch
from heartline.mood.trajectory import Survey


@dataclass
class _Inputs:
    """Everything the state is computed from, read once."""

    points: list[Point]
    surveys: list[Survey]
    complaints: list[Complaint]
    conv_status: dict[int, str]


def _inputs(session: Session, customer_id: int, now: datetime, pre: Prefetch | None) -> _Inputs:
    if pre is not None:  # the batch read it all at once (mood/prefetch.py)
        surveys = [
            (s.kind, s.score, s.responded_at)
            for s in pre.surveys.get(customer_id, [])
            if s.responded_at <= now
        ]
        return _Inputs(
            pre.points.get(customer_id, []),
            surveys,
            pre.complaints.get(customer_id, []),
            pre.conv_status,
        )
    points = load_points(session, customer_id, now)
    surveys = [
        (s.kind, s.score, s.responded_at)
        for s in interaction_service.survey_answers(session, customer_id=customer_id)
        if s.responded_at <= now
    ]
    comps = list(
        session.scalars(
            select(Complaint)
            .where(Complaint.customer_id == customer_id, Complaint.occurred_at <= now)
            .order_by(Complaint.occurred_at, Complaint.id)
        )
    )
    conv_ids = {p.conversation_id for p in points} | {c.conversation_id for c in comps}
    convs = interaction_service.conversations_by_ids(
        session, ids=sorted(i for i in conv_ids if i is not None)
    )
    return _Inputs(points, surveys, comps, {c.id: c.status for c in convs})


def _feelings(
    state: MoodState, points: Sequence[Point], baseline: float | None, now: datetime
) -> None:
    """Label, valence, baseline, dominant emotions, trajectory: what the readings say."""
    half_life = get_settings().mood_half_life_days
    state.profile = trajectory.profile(points, now, half_life)
    latest = points[-1] if points else None
    state.label = latest.label if latest else "unknown"
    state.valence = round(latest.valence, 3) if latest else 0.0
    state.baseline_valence = round(baseline, 3) if baseline is not None else 0.0
    state.dominant = [
        k
        for k, v in sorted((latest.emotions if latest else {}).items(), key=lambda kv: -kv[1])
        if v >= 0.15
    ][:3]
    state.trajectory = trajectory.trajectory(points)
    state.readings_count = len(points)
    state.last_reading_at = latest.at if latest else None


def _churn(
    session: Session,
    customer_id: int,
    state: MoodState,
    inputs: _Inputs,
    *,
    open_issues: int,
    baseline: float | None,
    now: datetime,
    pre: Prefetch | None = None,
) -> tuple[float, list[dict[str, Any]]]:
    """The churn risk and its reasons, from orders, feelings, open issues and surveys."""
    points = inputs.points
    orders = (
        pre.orders[customer_id]
        if pre is not None and customer_id in pre.orders
        else customer_service.customer_orders(session, customer_id=customer_id, limit=500)
    )
    return churn.score(
        churn.ChurnInputs(
            order_times=[o.placed_at for o in orders if o.status != OrderStatus.CANCELLED],
            negatives=[
                (p.at, max(p.intensity, -p.valence)) for p in points if p.sentiment == "negative"
            ],
            open_issues=open_issues,
            surveys=inputs.surveys,
            trajectory=state.trajectory,
            valence=state.valence if points else None,
            baseline=baseline,
            threats=episodes.threats(points, inputs.conv_status),
        ),
        now=now,
        half_life_days=get_settings().mood_half_life_days,
    )


def recompute(
    session: Session,
    *,
    customer_id: int,
    now: datetime | None = None,
    persist: bool = True,
    pre: Prefetch | None = None,
) -> MoodState:
    """Rebuild one customer's mood state, churn risk and recovery stories.

    With ``persist=False`` nothing is written: the state is computed on a detached row (and
    recovery stories are left as they are), for reads that must not write. ``pre``: what the
    batch already read about its customers (mood/prefetch.py; its ``now`` is used)."""
    now = pre.now if pre is not None else (now or utcnow())
    half_life = get_settings().mood_half_life_days
    inputs = _inputs(session, customer_id, now, pre)
    points = inputs.points
    stored = None
    if persist:
        stored = (
            pre.states.get(customer_id) if pre is not None else session.get(MoodState, customer_id)
        )
    state = stored or MoodState(customer_id=customer_id)
    if persist and state not in session:
        session.add(state)
        if pre is not None:
            pre.states[customer_id] = state
    baseline = trajectory.baseline(points, inputs.surveys, now, half_life)
    _feelings(state, points, baseline, now)
    open_by_conv = episodes.open_by_conversation(inputs.complaints, inputs.conv_status, now)
    state.open_issues = episodes.open_issue_views(open_by_conv)
    state.last_negative = episodes.last_negative(
        session, inputs.complaints, points, inputs.conv_status
    )
    if persist:
        episodes.refresh_recoveries(
            session,
            customer_id,
            points,
            inputs.complaints,
            existing=pre.stories.get(customer_id, []) if pre is not None else None,
        )
    state.churn_risk, state.churn_reasons = _churn(
        session,
        customer_id,
        state,
        inputs,
        open_issues=len(open_by_conv),
        baseline=baseline,
        now=now,
        pre=pre,
    )
    latest = points[-1] if points else None
    older = older_point(session, customer_id, now) if latest is None else None
    usually = trajectory.usually(baseline)
    state.summary = summary(state, usually=usually, latest=latest, older=older)
    state.updated_at = utcnow()
    if persist and pre is None:  # a batch flushes once, after its last customer
        session.flush()
    return state


def moods_of(session: Session, *, customer_ids: Sequence[int]) -> dict[int, MoodState]:
    """Each customer's stored mood state (one query); computed and not stored for a customer
    the pipeline has not reached yet (``get_mood`` for a batch)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    out = {
        m.customer_id: m
        for m in session.scalars(select(MoodState).where(MoodState.customer_id.in_(ids)))
    }
    for cid in ids:
        if cid not in out:
            out[cid] = recompute(session, customer_id=cid, persist=False)
    return out


def summary(
    state: MoodState, *, usually: str | None, latest: Point | None, older: Point | None = None
) -> str:
    """A line an agent reads in two seconds.

    ``older`` is the newest reading before the history window, used when nothing is inside
    it: an angry last message a year ago is still the customer's last word, not "no history".
    """
    if latest is None:
        if older is not None:
            return f"Last message on {older.at.day} {older.at:%b %Y}: {older.label}; nothing since"
        return "No emotional history yet" + (f"; usually {usually}" if usually else "")
    parts: list[str] = []
    last = state.last_negative
    if last and (not last["resolved"] or last["interaction_id"] == latest.interaction_id):
        when = datetime.fromisoformat(last["at"])
        parts.append(
            f"{last['label'].capitalize()} about {last['reason_text']} on {when.day} {when:%b}"
        )
        parts.append("resolved" if last["resolved"] else "unresolved")
    elif last and last["resolved"] and latest.sentiment == "positive":
        when = datetime.fromisoformat(last["at"])
        parts.append(
            f"{latest.label.capitalize()} now, after {last['reason_text']} on {when.day} {when:%b} "
            "(resolved)"
        )
    else:
        parts.append(f"{latest.label.capitalize()} on {latest.at.day} {latest.at:%b}")
    threat = next((r for r in state.churn_reasons or [] if r.get("key") == "churn_threat"), None)
    if threat is not None and threat.get("signal", 0) >= 1.0:
        parts.append(str(threat["label"]))
    if usually:
        parts.append(f"usually {usually}")
    if state.trajectory != "stable":
        parts.append(state.trajectory)
    if state.churn_risk >= churn.HIGH:
        parts.append("high churn risk")
    return "; ".join(parts)
