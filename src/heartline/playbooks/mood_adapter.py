"""The bridge to emotional memory (mood state, churn risk, segments, complaint episodes).

Reads through heartline.mood.service: `mood_snapshots` gives a typed MoodSnapshot per
customer in bulk; `snapshots` lays it out as the facts dict the context loader reads.
Everything playbooks know about feelings passes through `snapshots` and `apply`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from heartline.mood import service as mood_service

if TYPE_CHECKING:
    from heartline.playbooks.context import CustomerContext

SEGMENT_TAG = "segment:"


def _episode(neg: mood_service.NegativeEpisode | None) -> dict[str, Any] | None:
    if neg is None:
        return None
    return {
        "interaction_id": neg.interaction_id,
        "at": neg.at,
        "reason": neg.reason,
        "reason_text": neg.reason_text,
        "confidence": neg.confidence,
        "order_id": neg.order_id,
        "order_external_id": neg.order_external_id,
        "conversation_id": neg.conversation_id,
        "resolved": neg.resolved,
        "resolved_at": neg.resolved_at,
        "label": neg.label,
        "intensity": neg.intensity,
    }


def facts_of(snap: mood_service.MoodSnapshot) -> dict[str, Any]:
    """One customer's mood snapshot as the facts dict the context reads."""
    return {
        "label": snap.label,
        "valence": snap.valence,
        "churn_risk": snap.churn_risk,
        "churn_reasons": [r.label or r.key for r in snap.churn_reasons],
        "last_negative": _episode(snap.last_negative),
        "open_issues": [
            {
                "conversation_id": i.conversation_id,
                "reason": i.reason,
                "since": i.since,
                "interaction_id": i.interaction_id,
            }
            for i in snap.open_issues
        ],
        "segments": list(snap.segments),
        "last_reading_at": snap.last_reading_at,
    }


def snapshots(
    session: Session, *, customer_ids: Sequence[int], now: datetime
) -> dict[int, dict[str, Any]]:
    """Mood facts per customer id (customers without a mood state are absent)."""
    found = mood_service.mood_snapshots(session, customer_ids=list(customer_ids))
    return {cid: facts_of(snap) for cid, snap in found.items()}


def intent_holds(session: Session, *, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Customers with a churn threat or privacy request in a conversation nobody has resolved
    (intent, at, conversation_id): no marketing to them until a person has."""
    return mood_service.intent_holds(session, customer_ids=customer_ids)


def latest_languages(session: Session, *, customer_ids: Sequence[int]) -> dict[int, str]:
    """The language of each customer's latest read message (message variants pick by it)."""
    return mood_service.latest_languages(session, customer_ids=customer_ids)


def apply(ctx: CustomerContext, snap: dict[str, Any] | None, now: datetime) -> None:
    """Copy mood facts onto the context (segments: the stored ones, then custom tags)."""
    custom = [t.removeprefix(SEGMENT_TAG) for t in ctx.tags if t.startswith(SEGMENT_TAG)]
    if not snap:
        ctx.segments = custom
        return
    ctx.mood_label = str(snap["label"] or "unknown")
    ctx.valence = float(snap["valence"] or 0.0)
    ctx.churn_risk = float(snap["churn_risk"] or 0.0)
    ctx.churn_reasons = [str(r) for r in snap["churn_reasons"]]
    neg = snap["last_negative"]
    if neg:
        at = neg["at"]
        ctx.last_issue_reason = neg["reason"]
        ctx.last_issue_resolved = bool(neg["resolved"] or neg["resolved_at"])
        ctx.days_since_issue = (now - at).days
        ctx.last_issue = {
            "id": neg["interaction_id"],
            "reason": neg["reason"],
            "reason_text": neg["reason_text"],
            "order_id": neg["order_id"],
            "order": neg["order_external_id"] or neg["order_id"],
            "product": None,
            "at": at,
            "resolved": ctx.last_issue_resolved,
            "summary": None,
        }
    # The mood state decides what is still open (ticket status, age of ticketless complaints).
    ctx.open_complaint = bool(snap["open_issues"])
    ctx.segments = list(dict.fromkeys([*snap["segments"], *custom]))
    ctx.recently_frustrated = "recently_frustrated" in ctx.segments


def add_to_segment(session: Session, *, customer_id: int, segment: str) -> bool:
    """Put a customer in a custom segment; True if they were not in it yet."""
    from heartline.customers import service as customer_service

    # Until segments have static members, membership is a customer tag custom segments filter on.
    customer = customer_service.get_customer(session, customer_id=customer_id)
    tag = f"{SEGMENT_TAG}{segment}"
    if tag in (customer.tags or []):
        return False
    customer.tags = [*(customer.tags or []), tag]
    session.flush()
    return True
