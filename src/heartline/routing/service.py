"""ACT: route every inbound message's conversation to a queue with a priority and an SLA.

Rules come from the API-stored config if one was PUT, else the YAML file at
HEARTLINE_ROUTING_RULES_PATH, else the shipped default_rules.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from heartline.api.validation import error_details, validation_error
from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import ConversationStatus, Direction
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.routing import sla
from heartline.routing.assignment import (
    UNSET,
    QueueView,
    assign,
    auto_assign,
    queue_settings,
    set_availability,
    set_queue,
)
from heartline.routing.business_hours import WEEKDAYS, BusinessHours
from heartline.routing.facts import ROUTING_FACTS, RoutingFacts
from heartline.routing.models import RoutingConfig
from heartline.routing.schemas import PRIORITY_VALUE, RoutingRules
from heartline.routing.sla import ClockView, SlaWarning
from heartline.routing.team_hours import clear_team_hours, set_team_hours, team_hours
from heartline.routing.triage import (
    MAX_BULK,
    BulkOutcome,
    add_tags,
    bulk,
    remove_tag,
    set_tags,
    snooze,
    wake,
)
from heartline.rules import evaluate

__all__ = [
    "DEFAULT_RULES",
    "MAX_BULK",
    "PRIORITY_VALUE",
    "ROUTING_FACTS",
    "UNSET",
    "WEEKDAYS",
    "BulkOutcome",
    "BusinessHours",
    "ClockView",
    "QueueView",
    "RoutingConfig",
    "RoutingFacts",
    "RoutingRules",
    "SlaWarning",
    "add_tags",
    "assign",
    "auto_assign",
    "bulk",
    "clear_team_hours",
    "decide",
    "facts",
    "facts_of",
    "get_rules",
    "load_file",
    "put_rules",
    "queue_settings",
    "remove_tag",
    "reset_rules",
    "route_interaction",
    "route_messages",
    "set_availability",
    "set_queue",
    "set_tags",
    "set_team_hours",
    "sla_on_messages",
    "sla_on_status",
    "sla_views",
    "sla_warn_seconds",
    "sla_warnings",
    "snooze",
    "team_hours",
    "validate_rules",
    "wake",
]

DEFAULT_RULES = Path(__file__).with_name("default_rules.yaml")
_file_cache: dict[tuple[str, int, int], RoutingRules] = {}


def validate_rules(raw: Any, *, source: str = "body") -> RoutingRules:
    """Parse and check a rule set; a 422 naming each problem (e.g. body.rules.2.when)."""
    if not isinstance(raw, dict):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"{source}: routing rules must be a mapping",
            details=[{"field": source, "message": "expected an object", "type": "type_error"}],
        )
    try:
        return RoutingRules.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(error_details(exc.errors(include_url=False), (source,))) from None


def _rules_path() -> Path:
    return get_settings().routing_rules_path or DEFAULT_RULES


def load_file(path: Path) -> RoutingRules:
    """Rules from a YAML file (cached until the file changes)."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
    except OSError as exc:
        raise AppError(
            ErrorCode.BAD_REQUEST, f"routing rules file {path} cannot be read: {exc}"
        ) from None
    if key not in _file_cache:
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise AppError(
                ErrorCode.VALIDATION_ERROR, f"routing rules file {path} is not valid YAML: {exc}"
            ) from None
        _file_cache[key] = validate_rules(raw, source=path.name)
    return _file_cache[key]


def get_rules(session: Session) -> tuple[RoutingRules, str]:
    """The active rules and where they come from ('api' or the file path)."""
    row = session.get(RoutingConfig, 1)
    if row is not None:
        return RoutingRules.model_validate(row.config), "api"
    path = _rules_path()
    return load_file(path), str(path)


def put_rules(session: Session, *, raw: Any, user: str, user_id: int | None) -> RoutingRules:
    """Validate and store a rule set (replaces the file's rules until deleted)."""
    rules = validate_rules(raw)
    row = session.get(RoutingConfig, 1) or RoutingConfig(id=1)
    row.config = rules.model_dump(mode="json")
    row.updated_by, row.updated_by_user_id, row.updated_at = user, user_id, utcnow()
    session.add(row)
    session.flush()
    return rules


def reset_rules(session: Session) -> None:
    """Drop the API-stored rules so the file's rules apply again."""
    row = session.get(RoutingConfig, 1)
    if row is not None:
        session.delete(row)
        session.flush()


def facts(session: Session, *, interaction_id: int) -> RoutingFacts | None:
    """What routing rules see about one inbound message (None for other messages)."""
    interaction = interaction_service.get_interaction(session, interaction_id=interaction_id)
    return facts_of(session, messages=[interaction]).get(interaction_id)


def facts_of(session: Session, *, messages: Sequence[Any]) -> dict[int, RoutingFacts]:
    """What routing rules see about each inbound message of a batch, read set-wise: the
    complaints, customers, moods, earlier negative episodes and readings in one query each.
    Other messages (outbound, outside a conversation, customer gone) are absent."""
    inbound = [
        m for m in messages if m.direction == Direction.INBOUND and m.conversation_id is not None
    ]
    if not inbound:
        return {}
    ids = [m.id for m in inbound]
    complaints = mood_service.complaints_for(session, interaction_ids=ids)
    customers = {
        c.id: c
        for c in customer_service.list_customers_by_ids(
            session, ids={m.customer_id for m in inbound}
        )
    }
    moods = mood_service.moods_of(session, customer_ids=sorted(customers))
    prev = mood_service.previous_negatives(
        session,
        messages=[(m.id, m.customer_id, m.occurred_at) for m in inbound if m.customer_id in moods],
    )
    readings = mood_service.readings_for(session, interaction_ids=ids)
    out: dict[int, RoutingFacts] = {}
    for m in inbound:
        customer, mood = customers.get(m.customer_id), moods.get(m.customer_id)
        if customer is None or mood is None:
            continue
        complaint, before = complaints.get(m.id), prev.get(m.id)
        f = RoutingFacts(
            channel=m.channel,
            customer_vip=bool(customer.vip),
            customer_tags=list(customer.tags or []),
            customer_previous_negative=before is not None,
            customer_days_since_previous_negative=(
                round((m.occurred_at - before).total_seconds() / 86400, 2) if before else None
            ),
            churn_risk=mood.churn_risk,
            churn_level=mood_service.churn_level(mood.churn_risk or 0.0),
            mood_label=mood.label,
            mood_open_issues=len(mood.open_issues or []),
            complaint_reason=complaint.reason if complaint else None,
            complaint_confidence=complaint.confidence if complaint else None,
        )
        reading = readings.get(m.id)
        if reading is not None:
            _add_reading(f, reading)
        out[m.id] = f
    return out


def _add_reading(out: RoutingFacts, reading: Any) -> None:
    data = reading.data or {}
    out.reading_sentiment = reading.sentiment
    out.reading_valence = reading.valence
    out.reading_intensity = reading.intensity
    out.reading_top_emotion = reading.top_emotion
    out.reading_sarcasm = reading.sarcasm
    out.reading_confidence = reading.confidence
    out.reading_needs_review = reading.needs_review
    # Customer-service acts (taxonomy.INTENTS / SEVERITIES); None from a model without those
    # heads, so a rule on them simply does not match.
    out.reading_intent = data.get("intent")
    out.reading_intent_confidence = _number(data.get("intent_confidence"))
    out.reading_complaint = _number(data.get("complaint"))
    out.reading_complaint_severity = data.get("complaint_severity")
    review = data.get("review") or {}
    emotions = {e: 1.0 for e in review.get("emotions") or []} or data.get("cs_emotions") or {}
    out.emotions = {name: float(value) for name, value in emotions.items()}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def decide(rules: RoutingRules, facts_: RoutingFacts | Mapping[str, Any]) -> dict[str, Any]:
    """The first matching rule's action (or the default), with the reasons it matched."""
    seen = facts_ if isinstance(facts_, Mapping) else ROUTING_FACTS.values(facts_)
    for rule in rules.rules:
        why: list[str] = []
        if evaluate(rule.when, seen, why):
            return {
                "rule": rule.name,
                "reason": rule.reason or rule.name,
                "queue": rule.then.queue,
                "priority": rule.then.priority,
                "matched": why,
            }
    return {
        "rule": None,
        "reason": "no rule matched",
        "queue": rules.default.queue,
        "priority": rules.default.priority,
        "matched": [],
    }


def route_interaction(session: Session, *, interaction_id: int) -> dict[str, Any] | None:
    """Set the conversation's queue, priority and SLA from the rules (escalate only; idempotent)."""
    interaction = interaction_service.get_interaction(session, interaction_id=interaction_id)
    return route_messages(session, messages=[interaction]).get(interaction_id)


def route_messages(session: Session, *, messages: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """Route a batch of messages, in the order given, reading everything set-wise; returns
    {interaction id: the conversation's routing} for the messages that routed (or kept) it."""
    found = facts_of(session, messages=messages)
    if not found:
        return {}
    convs = {
        c.id: c
        for c in interaction_service.conversations_by_ids(
            session, ids=sorted({m.conversation_id for m in messages if m.id in found})
        )
    }
    rules, source = get_rules(session)
    out: dict[int, dict[str, Any]] = {}
    for m in messages:
        f, conv = found.get(m.id), convs.get(m.conversation_id)
        if f is None or conv is None:
            continue
        routed = _route_one(conv, m.id, decide(rules, f), rules, source)
        if routed is not None:
            out[m.id] = routed
    session.flush()
    return out


def _route_one(
    conv: Any, interaction_id: int, decision: dict[str, Any], rules: RoutingRules, source: str
) -> dict[str, Any] | None:
    """Apply one decision to its conversation (escalate only; the same outcome keeps the
    first reason and SLA)."""
    if conv.status not in (ConversationStatus.OPEN, ConversationStatus.PENDING):
        return None
    value = PRIORITY_VALUE[decision["priority"]]
    routed_before = bool(conv.routing)
    if routed_before and value < conv.priority:
        return None  # never lower: an earlier, angrier message set it
    if routed_before and value == conv.priority and conv.queue == decision["queue"]:
        return dict(conv.routing)  # same outcome: keep the first reason and SLA
    # The SLA due time is the clocks' (routing.sla, run next by the route stage): escalation
    # can only bring it closer.
    conv.queue = decision["queue"]
    conv.priority = value
    conv.routing = {
        **decision,
        "interaction_id": interaction_id,
        "source": source,
        "sla_hours": rules.sla_hours[decision["priority"]],
        "routed_at": utcnow().isoformat(),
        "history": [
            *((conv.routing or {}).get("history") or [])[-9:],
            {k: (conv.routing or {}).get(k) for k in ("rule", "queue", "priority")},
        ]
        if routed_before
        else [],
    }
    return dict(conv.routing)


def sla_warn_seconds(session: Session) -> int:
    """How close to its due time a running SLA clock counts as at risk (the rules' setting)."""
    return get_rules(session)[0].sla_warn_minutes * 60


def sla_on_messages(session: Session, *, interaction_ids: list[int]) -> None:
    """Run the SLA clocks for new messages: a customer starts them, an agent's reply stops
    the reply clock (the route stage, after the priority is set)."""
    sla.on_messages(session, interaction_ids=interaction_ids, rules=get_rules(session)[0])


def sla_on_status(
    session: Session, *, conversation_ids: list[int], now: datetime | None = None
) -> None:
    """Pause (pending), stop (resolved/closed) or resume (open) the SLA clocks."""
    sla.on_status(session, conversation_ids=conversation_ids, now=now)


def sla_views(
    session: Session, *, conversations: list[Any], now: datetime | None = None
) -> dict[int, ClockView]:
    """How each conversation's SLA stands (badge states), for one page of conversations."""
    return sla.views(
        session, conversations=conversations, warn_s=sla_warn_seconds(session), now=now
    )


def sla_warnings(session: Session, *, now: datetime | None = None) -> list[SlaWarning]:
    """The scheduler's pass: record a warning, once per clock, for every running clock that
    came within the warning window of its due time, and notify the conversation's assignee."""
    found = sla.record_warnings(session, now=now or utcnow(), warn_s=sla_warn_seconds(session))
    for warning in found:
        sla.notify(session, warning)
    return found
