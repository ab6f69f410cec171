"""The one rule language: routing rules, segments and playbook conditions share it.

A rule is a condition `{"field": "churn.risk", "op": "gte", "value": 0.5}` or a group
`{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}`. The fields a rule may name are the
fields of a typed fact dataclass (one per rule kind), declared with `fact(...)`; a
`FactRegistry` reads them (name, type, description, closed vocabulary) so validation, the API,
the UI and the docs all show the same list. Every problem names its path
("definition.all.1.value: expected a number").

Operators (one meaning everywhere):
- text comparisons (`eq`, `ne`, `in`, `not_in`, `contains`, `not_contains`, `contains_any`)
  ignore case;
- `exists` / `not_exists`, `truthy` / `falsy` take no value (a stored `exists` with true or
  false still reads as `exists` / `not_exists`);
- a missing fact (None) satisfies only the negative operators (`ne`, `not_in`, `not_contains`,
  `not_exists`, `falsy`).

This module is kernel level: every domain may import it, it imports no domain.
"""

from __future__ import annotations

from heartline.rules.facts import FactField, FactRegistry, fact
from heartline.rules.language import (
    GROUPS,
    MAX_DEPTH,
    Facts,
    RuleError,
    evaluate,
    explain,
    normalise,
    rule_app_error,
    validate,
    validate_condition,
)
from heartline.rules.operators import (
    OPERATORS,
    Arity,
    FactType,
    Operator,
    OperatorName,
    holds,
    operators_described,
    operators_markdown,
)

__all__ = [
    "GROUPS",
    "MAX_DEPTH",
    "OPERATORS",
    "Arity",
    "FactField",
    "FactRegistry",
    "FactType",
    "Facts",
    "Operator",
    "OperatorName",
    "RuleError",
    "evaluate",
    "explain",
    "fact",
    "holds",
    "normalise",
    "operators_described",
    "operators_markdown",
    "rule_app_error",
    "validate",
    "validate_condition",
]
