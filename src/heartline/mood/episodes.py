"""Negative episodes as the mood state keeps them: what is still open, the last one (with its
order and reason), the churn threats and what answered them, and the recovery stories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.enums import ConversationStatus
from heartline.mood import churn, complaints
from heartline.mood.models import Complaint, RecoveryStory
from heartline.mood.points import Point

# A positive message this long after a resolution still counts as the recovery.
RECOVERY_WINDOW = timedelta(days=30)
# A complaint outside any conversation stays open this long unless resolved.
TICKETLESS_OPEN = timedelta(days=14)
DONE = ("resolved", "closed")


def open_by_conversation(
    comps: Sequence[Complaint], conv_status: Mapping[int, str], now: datetime
) -> dict[int | None, Complaint]:
    """The newest still-open complaint of each conversation (None: outside any)."""
    out: dict[int | None, Complaint] = {}
    for c in comps:
        still_open = c.resolved_at is None and (
            conv_status.get(c.conversation_id)
            in (ConversationStatus.OPEN, ConversationStatus.PENDING)
            if c.conversation_id
            else now - c.occurred_at <= TICKETLESS_OPEN
        )
        if still_open:
            out[c.conversation_id] = c
    return out


def open_issue_views(open_by_conv: Mapping[int | None, Complaint]) -> list[dict[str, Any]]:
    """The open issues as the mood state stores them."""
    return [
        {
            "conversation_id": k,
            "reason": c.reason,
            "since": c.occurred_at.isoformat(),
            "interaction_id": c.interaction_id,
        }
        for k, c in open_by_conv.items()
    ]


def last_negative(
    session: Session,
    comps: Sequence[Complaint],
    points: Sequence[Point],
    conv_status: Mapping[int, str],
) -> dict[str, Any] | None:
    """The last negative episode (reason, order, resolved or not), or None."""
    last = comps[-1] if comps else None
    if last is None:
        return None
    resolved = last.resolved_at is not None or conv_status.get(last.conversation_id or 0) in DONE
    order_ext = None
    if last.order_id:
        order_ext = customer_service.get_order(session, order_id=last.order_id).external_id
    point = next((p for p in points if p.interaction_id == last.interaction_id), None)
    return {
        "interaction_id": last.interaction_id,
        "at": last.occurred_at.isoformat(),
        "reason": last.reason,
        "reason_text": complaints.REASON_PHRASES[last.reason],
        "confidence": last.confidence,
        "order_id": last.order_id,
        "order_external_id": order_ext,
        "conversation_id": last.conversation_id,
        "resolved": resolved,
        "resolved_at": last.resolved_at.isoformat() if last.resolved_at else None,
        "label": point.label if point else "frustrated",
        "intensity": last.intensity,
    }


def threats(points: Sequence[Point], conv_status: Mapping[int, str]) -> list[churn.Threat]:
    """Each churn threat, with what has answered it since (a resolution, a positive word)."""
    out = []
    for i, p in enumerate(points):
        if p.intent != "churn_threat":
            continue
        resolved = conv_status.get(p.conversation_id or 0) in DONE
        answered = any(q.sentiment == "positive" for q in points[i + 1 :])
        out.append(churn.Threat(at=p.at, resolved=resolved, answered=answered))
    return out


def _recovery_values(c: Complaint, points: Sequence[Point]) -> dict[str, Any] | None:
    """The story of one resolved episode, if a positive reading followed in time."""
    assert c.resolved_at is not None
    good = next(
        (
            p
            for p in points
            if p.sentiment == "positive"
            and p.valence >= 0.2
            and c.resolved_at <= p.at <= c.resolved_at + RECOVERY_WINDOW
        ),
        None,
    )
    if good is None:
        return None
    neg = next((p for p in points if p.interaction_id == c.interaction_id), None)
    return {
        "positive_interaction_id": good.interaction_id,
        "conversation_id": c.conversation_id,
        "reason": c.reason,
        "from_label": neg.label if neg else "frustrated",
        "to_label": good.label,
        "from_valence": neg.valence if neg else -c.intensity,
        "to_valence": good.valence,
        "negative_at": c.occurred_at,
        "resolved_at": c.resolved_at,
        "recovered_at": good.at,
    }


def refresh_recoveries(
    session: Session,
    customer_id: int,
    points: Sequence[Point],
    comps: Sequence[Complaint],
    existing: Sequence[RecoveryStory] | None = None,
) -> None:
    """A resolved negative episode followed by a positive reading becomes a recovery story
    (``existing``: the customer's stored stories, when the caller read them already)."""
    by_conv: dict[Any, Complaint] = {}
    for c in comps:
        if c.resolved_at is not None:
            by_conv[c.conversation_id or f"i{c.interaction_id}"] = c  # the episode's last complaint
    if existing is None:
        existing = list(
            session.scalars(select(RecoveryStory).where(RecoveryStory.customer_id == customer_id))
        )
    stored = {s.negative_interaction_id: s for s in existing}
    keep: set[int] = set()
    for c in by_conv.values():
        values = _recovery_values(c, points)
        if values is None:
            continue
        keep.add(c.interaction_id)
        story = stored.get(c.interaction_id)
        if story is None:
            session.add(
                RecoveryStory(
                    customer_id=customer_id, negative_interaction_id=c.interaction_id, **values
                )
            )
        else:
            for k, v in values.items():
                setattr(story, k, v)
    stale = [i for i in stored if i not in keep]
    if stale:  # a correction can undo a recovery (e.g. the "happy" message was sarcasm)
        session.execute(
            delete(RecoveryStory).where(RecoveryStory.negative_interaction_id.in_(stale))
        )


# --- figures for the dashboards (metrics) ---------------------------------------------------
def complaint_reason_counts(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Complaints that occurred in [start, end), counted by reason."""
    stmt = (
        select(Complaint.reason, func.count())
        .where(Complaint.occurred_at >= start, Complaint.occurred_at < end)
        .group_by(Complaint.reason)
    )
    return {str(reason): int(n) for reason, n in session.execute(stmt).all()}


def episodes_recovered(session: Session, *, start: datetime, end: datetime) -> tuple[int, int]:
    """(negative episodes resolved in [start, end), recovery stories among them): an episode
    is a conversation, or a lone message outside any conversation."""
    episode = func.coalesce(Complaint.conversation_id, -Complaint.interaction_id)
    resolved = session.scalar(
        select(func.count(distinct(episode))).where(
            Complaint.resolved_at >= start, Complaint.resolved_at < end
        )
    )
    recovered = session.scalar(
        select(func.count())
        .select_from(RecoveryStory)
        .where(RecoveryStory.resolved_at >= start, RecoveryStory.resolved_at < end)
    )
    return int(resolved or 0), int(recovered or 0)
