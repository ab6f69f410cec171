"""Segment facts (what a segment may filter on) and the mood domain's door to the rule language.

The language itself (operators, validation, evaluation) is `heartline.rules`, shared with
routing rules and playbook conditions. A definition is a condition
`{"field": "churn.risk", "op": "gte", "value": 0.5}` or a group `{"all": [...]}`,
`{"any": [...]}`, `{"not": {...}}`; every problem names its path
("definition.all.1.value: expected a number").

Since the shared language, text comparisons ignore case (`eq`, `ne`, `in`, `not_in` were
case-sensitive here before), and `exists` takes no value (a stored `exists: true/false` still
reads as `exists` / `not_exists`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from heartline.errors import AppError
from heartline.rules import (
    FactField,
    FactRegistry,
    FactType,
    RuleError,
    fact,
    rule_app_error,
)
from heartline.rules import evaluate as _evaluate
from heartline.rules import validate as _validate

FilterError = RuleError  # the name segments and older callers know


@dataclass
class SegmentFacts:
    """What segment definitions see about one customer (`mood.segments.facts` fills it)."""

    mood_label: str | None = field(
        default=None, metadata=fact("current mood label", name="mood.label")
    )
    mood_valence: float | None = field(
        default=None, metadata=fact("current valence, -1..1", name="mood.valence")
    )
    mood_baseline_valence: float | None = field(
        default=None, metadata=fact("usual valence, -1..1", name="mood.baseline_valence")
    )
    mood_trajectory: str | None = field(
        default=None, metadata=fact("where the mood is heading", name="mood.trajectory")
    )
    mood_readings_count: int = field(
        default=0, metadata=fact("readings so far", name="mood.readings_count")
    )
    mood_days_since_reading: float | None = field(
        default=None, metadata=fact("days since the latest reading", name="mood.days_since_reading")
    )
    mood_days_since_negative: float | None = field(
        default=None,
        metadata=fact("days since the last negative episode", name="mood.days_since_negative"),
    )
    mood_open_issues: int = field(default=0, metadata=fact("open issues", name="mood.open_issues"))
    mood_last_reason: str | None = field(
        default=None, metadata=fact("reason of the last negative episode", name="mood.last_reason")
    )
    mood_last_negative_resolved: bool | None = field(
        default=None,
        metadata=fact("the last negative episode was resolved", name="mood.last_negative_resolved"),
    )
    churn_risk: float = field(
        default=0.0, metadata=fact("churn risk score, 0..1", name="churn.risk")
    )
    churn_reasons: list[str] = field(
        default_factory=list,
        metadata=fact("keys of the churn risk's reasons", name="churn.reasons"),
    )
    orders_count: int = field(
        default=0, metadata=fact("orders (not cancelled)", name="orders.count")
    )
    orders_days_since_last: float | None = field(
        default=None, metadata=fact("days since the newest order", name="orders.days_since_last")
    )
    orders_total_spent: float = field(
        default=0.0, metadata=fact("total of the orders", name="orders.total_spent")
    )
    channel: str | None = field(default=None, metadata=fact("channel of the latest reading"))
    preferred_channel: str | None = field(default=None, metadata=fact("preferred channel"))
    tags: list[str] = field(default_factory=list, metadata=fact("tags"))
    interests: list[str] = field(default_factory=list, metadata=fact("interests"))
    vip: bool = field(default=False, metadata=fact("VIP flag"))
    region: str | None = field(default=None, metadata=fact("region code"))
    survey_last_nps: int | None = field(
        default=None, metadata=fact("latest NPS score", name="survey.last_nps")
    )
    survey_last_csat: int | None = field(
        default=None, metadata=fact("latest CSAT score", name="survey.last_csat")
    )


SEGMENT_FACTS = FactRegistry.of("segment", SegmentFacts)


def _registry(
    fields: FactRegistry | Mapping[str, str], choices: Mapping[str, Collection[str]] | None
) -> FactRegistry:
    if isinstance(fields, FactRegistry) and not choices:
        return fields
    types = fields.types() if isinstance(fields, FactRegistry) else fields
    return FactRegistry(
        "filter",
        [
            FactField(
                name,
                FactType(kind),
                "",
                choices=tuple((choices or {})[name]) if name in (choices or {}) else None,
            )
            for name, kind in types.items()
        ],
    )


def validate(
    node: Any,
    fields: FactRegistry | Mapping[str, str],
    path: str = "definition",
    depth: int = 0,
    *,
    choices: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Raise FilterError naming the first problem in a filter definition.

    `fields` is a fact registry (or the older name -> type map); ``choices`` closes a text
    field's vocabulary, because a misspelt label would otherwise silently never match."""
    _validate(node, _registry(fields, choices), path, depth)


def to_app_error(exc: FilterError, what: str) -> AppError:
    """A 422 naming the field at fault."""
    return rule_app_error(exc, what)


def evaluate(
    node: Mapping[str, Any], facts: Mapping[str, Any], why: list[str] | None = None
) -> bool:
    """Whether the facts satisfy a (validated) filter; matched conditions go to `why`."""
    return _evaluate(node, facts, why)
