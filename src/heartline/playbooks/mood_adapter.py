"""The bridge to emotional memory (mood state, churn risk, segments, complaint episodes).

Reads through heartline.mood.service when it offers bulk functions; the fallback derives the
same facts from the stored mood state so playbooks keep working while that API settles.
Everything playbooks know about feelings passes through `snapshots` and `apply`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from heartline.mood import churn
from heartline.mood import service as mood_service

if TYPE_CHECKING:
    from heartline.playbooks.context import CustomerContext

# A negative episode this recent (or still open) makes a customer "recently frustrated":
# only service messages go to them until it is resolved.
FRUSTRATION_WINDOW = timedelta(days=14)
AT_RISK = churn.HIGH  # the calibrated at-risk cut, shared with the at_risk segment
NEGATIVE_LABELS = {"angry", "frustrated", "disappointed", "sad", "anxious", "negative", "upset"}
DELIGHTED_LABELS = {"delighted", "joyful", "grateful", "happy"}
SEGMENT_TAG = "segment:"


def _as_dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def snapshots(
    session: Session, *, customer_ids: Sequence[int], now: datetime
) -> dict[int, dict[str, Any]]:
    """Mood facts per customer id (customers without a mood state are absent)."""
    bulk = getattr(mood_service, "mood_snapshots", None)
    if bulk is not None:
        return dict(bulk(session, customer_ids=list(customer_ids)))
    return _fallback(session, customer_ids)


def _fallback(session: Session, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    from sqlalchemy import inspect, select

    from heartline.mood import models as mood_models

    state = getattr(mood_models, "MoodState", None)
    if state is None or not inspect(session.get_bind()).has_table(state.__tablename__):
        return {}
    ids = list(customer_ids)
    out: dict[int, dict[str, Any]] = {}
    from heartline.playbooks.context import id_filter

    wanted = set(ids)
    for row in session.scalars(select(state).where(id_filter(state.customer_id, ids))):
        if row.customer_id not in wanted:
            continue
        out[row.customer_id] = {
            "label": row.label,
            "valence": row.valence,
            "churn_risk": row.churn_risk,
            "churn_reasons": row.churn_reasons or [],
            "last_negative": row.last_negative,
            "open_issues": row.open_issues or [],
            "segments": None,
            "last_reading_at": row.last_reading_at,
        }
    # Stored segment membership (kept by the mood pipeline), read in one query per chunk
    # instead of mood_service.customer_segments per customer.
    member = getattr(mood_models, "SegmentMember", None)
    if member is not None and out:
        found: dict[int, list[str]] = {cid: [] for cid in out}
        stmt = select(member.customer_id, member.segment_key).where(
            id_filter(member.customer_id, list(out))
        )
        for cid, key in session.execute(stmt):
            if cid in found:
                found[cid].append(key)
        for cid, keys in found.items():
            out[cid]["segments"] = sorted(keys)
    return out


def intent_holds(session: Session, *, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Customers with a churn threat or privacy request in a conversation nobody has resolved
    (intent, at, conversation_id): no marketing to them until a person has."""
    return mood_service.intent_holds(session, customer_ids=customer_ids)


def latest_languages(session: Session, *, customer_ids: Sequence[int]) -> dict[int, str]:
    """The language of each customer's latest read message (message variants pick by it)."""
    return mood_service.latest_languages(session, customer_ids=customer_ids)


def _reason_texts(reasons: Sequence[Any]) -> list[str]:
    return [
        str(r.get("label") or r.get("key") or r) if isinstance(r, dict) else str(r) for r in reasons
    ]


def apply(ctx: CustomerContext, snap: dict[str, Any] | None, now: datetime) -> None:
    """Copy mood facts onto the context and derive the built-in segments if not given."""
    custom = [t.removeprefix(SEGMENT_TAG) for t in ctx.tags if t.startswith(SEGMENT_TAG)]
    if not snap:
        ctx.segments = custom
        return
    ctx.mood_label = str(snap.get("label") or "unknown")
    ctx.valence = float(snap.get("valence") or 0.0)
    ctx.churn_risk = float(snap.get("churn_risk") or 0.0)
    ctx.churn_reasons = _reason_texts(snap.get("churn_reasons") or [])
    neg = snap.get("last_negative")
    open_issues = list(snap.get("open_issues") or [])
    if neg:
        at = _as_dt(neg.get("at") or neg.get("occurred_at"))
        resolved = bool(neg.get("resolved") or neg.get("resolved_at"))
        ctx.last_issue_reason = neg.get("reason")
        ctx.last_issue_resolved = resolved
        ctx.days_since_issue = (now - at).days if at else None
        ctx.last_issue = {
            "id": neg.get("id") or neg.get("complaint_id") or neg.get("interaction_id"),
            "reason": neg.get("reason"),
            "reason_text": neg.get("reason_text") or _phrase(neg.get("reason")),
            "order_id": neg.get("order_id"),
            "order": neg.get("order_external_id") or neg.get("order_id"),
            "product": neg.get("product"),
            "at": at,
            "resolved": resolved,
            "summary": neg.get("summary") or neg.get("text"),
        }
    # The mood state decides what is still open (ticket status, age of ticketless complaints).
    ctx.open_complaint = bool(open_issues)
    recent = ctx.days_since_issue is not None and ctx.days_since_issue <= FRUSTRATION_WINDOW.days
    segments = snap.get("segments")
    if segments is None:
        segments = []
        if (recent and not ctx.last_issue_resolved) or ctx.mood_label in NEGATIVE_LABELS:
            segments.append("recently_frustrated")
        if ctx.churn_risk >= AT_RISK:
            segments.append("at_risk")
        if ctx.mood_label in DELIGHTED_LABELS or ctx.valence >= 0.6:
            segments.append("delighted")
        if ctx.valence >= 0.4:
            segments.append("highly_satisfied")
    ctx.segments = list(dict.fromkeys([*segments, *custom]))
    ctx.recently_frustrated = "recently_frustrated" in ctx.segments


def _phrase(reason: str | None) -> str:
    try:
        from heartline.mood.complaints import REASON_PHRASES
    except ImportError:  # pragma: no cover - emotional memory not installed
        return (reason or "an issue").replace("_", " ")
    return REASON_PHRASES.get(reason or "other", "an issue")


def add_to_segment(session: Session, *, customer_id: int, segment: str) -> bool:
    """Put a customer in a custom segment; True if they were not in it yet."""
    fn = getattr(mood_service, "add_to_segment", None)
    if fn is not None:
        return bool(fn(session, customer_id=customer_id, segment=segment))
    from heartline.customers import service as customer_service

    # Until segments have static members, membership is a customer tag custom segments filter on.
    customer = customer_service.get_customer(session, customer_id=customer_id)
    tag = f"{SEGMENT_TAG}{segment}"
    if tag in (customer.tags or []):
        return False
    customer.tags = [*(customer.tags or []), tag]
    session.flush()
    return True
