"""Complaint reasons: what a negative message is about, from its text (rules), and the order it
concerns (named in the text, or implied: the latest late order for a delivery complaint)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from heartline.enums import OrderStatus


class OrderFacts(Protocol):
    """What linking a complaint reads of an order (the customers domain's Order has it)."""

    @property
    def id(self) -> int: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def placed_at(self) -> datetime: ...
    @property
    def promised_at(self) -> datetime | None: ...
    @property
    def delivered_at(self) -> datetime | None: ...
    @property
    def is_late(self) -> bool: ...


REASONS = (
    "delivery_delay",
    "damaged_or_wrong_item",
    "billing_refund",
    "product_quality",
    "support_wait",
    "account_login",
    "cancellation",
    "other",
)

# Plain-language names for summaries ("Frustrated about a late delivery on 3 Oct").
REASON_PHRASES = {
    "delivery_delay": "a late delivery",
    "damaged_or_wrong_item": "a damaged or wrong item",
    "billing_refund": "billing or a refund",
    "product_quality": "product quality",
    "support_wait": "waiting for support",
    "account_login": "their account or login",
    "cancellation": "a cancellation",
    "other": "an issue",
}

# (pattern, weight): a strong phrase alone is enough for a confident reason; weak words add up.
_RULES: dict[str, list[tuple[str, float]]] = {
    "delivery_delay": [
        (r"\b(late|delay(ed|s)?|overdue)\b", 1.0),
        (
            r"\b(still )?(hasn'?t|has not|didn'?t|did not|never) (arrived?|come|shown up|been delivered)\b",  # noqa: E501
            1.2,
        ),
        (r"\bwhere('?s| is) my (order|package|parcel|delivery)\b", 1.2),
        (r"\b(not|never) (arrived|delivered|received)\b", 1.0),
        (r"\b(tracking|shipping|shipment|courier|delivery|parcel|package)\b", 0.5),
        (r"\b(days|weeks) (late|ago)\b", 0.4),
    ],
    "damaged_or_wrong_item": [
        (r"\b(damaged|broken|smashed|cracked|dented|torn)\b", 1.0),
        (r"\bwrong (item|size|colou?r|product|order|one)\b", 1.2),
        (r"\b(missing (item|part|piece)s?|not what i ordered)\b", 1.2),
        (r"\barrived (broken|damaged|opened)\b", 1.2),
    ],
    "billing_refund": [
        (r"\b(refund(ed|s)?|charged?( me)? twice|double[- ]charged|overcharged)\b", 1.2),
        (r"\b(invoice|billing|bill|payment|charge[ds]?|money back|credit card)\b", 0.8),
    ],
    "product_quality": [
        (r"\b(poor|bad|cheap|terrible|low) quality\b", 1.2),
        (
            r"\b(stopped working|doesn'?t work|does not work|fell apart|defective|faulty|useless)\b",  # noqa: E501
            1.0,
        ),
        (r"\b(quality|flimsy|broke after)\b", 0.6),
    ],
    "support_wait": [
        (r"\b(no (one|body) (answers?|replie[sd]|responds?|got back)|nobody answers)\b", 1.2),
        (r"\b(no (reply|response|answer)|never (heard|got a reply)|ignored)\b", 1.1),
        (r"\b(on hold|waiting (for|since)|still waiting|been waiting)\b", 0.8),
        (r"\b(your support|customer service|support team|agent)\b", 0.4),
    ],
    "account_login": [
        (r"\b(log ?in|sign ?in|password|locked out|account (locked|hacked|blocked)|2fa)\b", 1.1),
        (r"\b(account|username|verification code)\b", 0.5),
    ],
    "cancellation": [
        (r"\b(cancel(led|ling)?( my)? (order|subscription|account|membership)|unsubscribe)\b", 1.2),
        (r"\b(cancel(led|ling|lation)?|close my account|switching to|leave you)\b", 0.8),
    ],
}
_COMPILED = {k: [(re.compile(p, re.IGNORECASE), w) for p, w in v] for k, v in _RULES.items()}
# An order reference like "#A1001", "order 12345", "ORD-778".
_ORDER_REF = re.compile(
    r"(?:#|\border(?:\s+(?:no\.?|number|num|#))?\s*)([A-Za-z]{0,5}-?\d{3,})", re.IGNORECASE
)
# A late order older than this is no longer what a "where is my parcel" message is about.
IMPLIED_ORDER_WINDOW = timedelta(days=120)


# The intent head's labels that name a complaint reason (the others say nothing about one).
INTENT_REASON = {
    "delivery_problem": "delivery_delay",
    "order_status": "delivery_delay",
    "damaged_wrong_item": "damaged_or_wrong_item",
    "refund_return": "billing_refund",
    "billing": "billing_refund",
    "account_access": "account_login",
    "churn_threat": "cancellation",
}
# The head's reason is taken over the rules' when it is at least this sure (bench_reasons.py
# measures rules, head and this combination on the customer-service dev splits).
INTENT_REASON_MIN = 0.5


@dataclass
class ReasonResult:
    """A complaint reason with its confidence and the matched phrases."""

    reason: str
    confidence: float
    matches: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


def classify(text: str) -> ReasonResult:
    """The most likely complaint reason of a message ("other" when no rule fires)."""
    scores: dict[str, float] = {}
    found: dict[str, list[str]] = {}
    for reason, rules in _COMPILED.items():
        total = 0.0
        for pattern, weight in rules:
            for m in pattern.finditer(text or ""):
                total += weight
                found.setdefault(reason, []).append(m.group(0))
        if total:
            scores[reason] = round(total, 3)
    if not scores:
        return ReasonResult("other", 0.3, [], {})
    best = max(scores, key=lambda k: (scores[k], -REASONS.index(k)))
    # Confidence: how strong the evidence is (saturates at 2 strong hits) times how clearly
    # it beats the runner-up.
    ranked = sorted(scores.values(), reverse=True)
    margin = ranked[0] / (ranked[0] + (ranked[1] if len(ranked) > 1 else 0.0))
    strength = min(1.0, ranked[0] / 2.0) * 0.5 + 0.5
    return ReasonResult(best, round(min(0.99, strength * margin), 3), found[best][:5], scores)


def classify_with_intent(text: str, intent: str | None, intent_confidence: float) -> ReasonResult:
    """The rules' reason, unless the reading's intent head names a reason with confidence
    (INTENT_REASON_MIN); the rules' matched words stay as evidence either way."""
    result = classify(text)
    reason = INTENT_REASON.get(intent or "")
    if reason is None or intent_confidence < INTENT_REASON_MIN or reason == result.reason:
        return result
    return ReasonResult(
        reason,
        round(min(0.99, intent_confidence), 3),
        result.matches if reason in result.scores else [],
        {**result.scores, f"intent:{intent}": round(intent_confidence, 3)},
    )


def order_refs(text: str) -> list[str]:
    """Order numbers named in a message, normalised (no '#', upper case)."""
    return [m.group(1).upper() for m in _ORDER_REF.finditer(text or "")]


def _norm(ref: str | None) -> str:
    return (ref or "").lstrip("#").upper()


def link_order(
    *,
    text: str,
    reason: str,
    orders: Sequence[OrderFacts],
    at: datetime,
    explicit_order_id: int | None = None,
) -> tuple[int | None, str | None]:
    """The order a complaint concerns and how it was found (explicit, named, implied)."""
    if explicit_order_id is not None:
        return explicit_order_id, "given with the message"
    refs = set(order_refs(text))
    if refs:
        for order in orders:
            ext = _norm(order.external_id)
            if ext and (ext in refs or any(ext.endswith(r) or r.endswith(ext) for r in refs)):
                return order.id, f"order {order.external_id} named in the message"
            if str(order.id) in refs:
                return order.id, f"order {order.id} named in the message"
    recent = [o for o in orders if o.placed_at <= at and at - o.placed_at <= IMPLIED_ORDER_WINDOW]
    recent.sort(key=lambda o: o.placed_at, reverse=True)
    if reason == "delivery_delay":
        late = [
            o
            for o in recent
            if o.is_late or (o.delivered_at is None and o.promised_at and o.promised_at < at)
        ]
        if late:
            return late[0].id, "most recent late order"
        undelivered = [
            o
            for o in recent
            if o.delivered_at is None
            and o.status not in (OrderStatus.CANCELLED, OrderStatus.RETURNED)
        ]
        if undelivered:
            return undelivered[0].id, "most recent undelivered order"
    if (
        reason in ("damaged_or_wrong_item", "product_quality", "billing_refund", "cancellation")
        and recent
    ):
        return recent[0].id, "most recent order"
    return None, None


def explain(result: ReasonResult, how: str | None) -> dict[str, Any]:
    """The evidence stored with a complaint."""
    return {"matches": result.matches, "scores": result.scores, "order_link": how}
