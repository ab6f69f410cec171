"""Operators of the rule language: what each applies to, takes, and means."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, get_args


class FactType(StrEnum):
    """What a fact holds; decides which operators and values apply."""

    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    LIST = "list"  # of text


class Arity(StrEnum):
    """What value an operator takes."""

    NONE = "none"
    ONE = "one"
    LIST = "list"  # a non-empty list


_ANY_TYPE = frozenset(FactType)
_SCALAR = frozenset({FactType.NUMBER, FactType.TEXT})


@dataclass(frozen=True)
class Operator:
    """One operator: the fact types it applies to, its value, and how people read it."""

    name: str
    types: frozenset[FactType]
    arity: Arity
    words: str


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", frozenset({*_SCALAR, FactType.BOOL}), Arity.ONE, "is"),
        Operator("ne", frozenset({*_SCALAR, FactType.BOOL}), Arity.ONE, "is not"),
        Operator("gt", frozenset({FactType.NUMBER}), Arity.ONE, "above"),
        Operator("gte", frozenset({FactType.NUMBER}), Arity.ONE, "at least"),
        Operator("lt", frozenset({FactType.NUMBER}), Arity.ONE, "below"),
        Operator("lte", frozenset({FactType.NUMBER}), Arity.ONE, "at most"),
        Operator("in", _SCALAR, Arity.LIST, "is one of"),
        Operator("not_in", _SCALAR, Arity.LIST, "is none of"),
        Operator("contains", frozenset({FactType.LIST}), Arity.ONE, "includes"),
        Operator("not_contains", frozenset({FactType.LIST}), Arity.ONE, "does not include"),
        Operator("contains_any", frozenset({FactType.LIST}), Arity.LIST, "includes any of"),
        Operator("exists", _ANY_TYPE, Arity.NONE, "is known"),
        Operator("not_exists", _ANY_TYPE, Arity.NONE, "is not known"),
        Operator("truthy", _ANY_TYPE, Arity.NONE, "is set (true, non-zero or non-empty)"),
        Operator("falsy", _ANY_TYPE, Arity.NONE, "is not set (false, zero, empty or unknown)"),
    )
}
# The operator names as a type, for request schemas (an enum in the OpenAPI document); the
# assertion keeps it and the table above one list.
OperatorName = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "not_contains",
    "contains_any", "exists", "not_exists", "truthy", "falsy",
]  # fmt: skip
assert set(get_args(OperatorName)) == set(OPERATORS), "OperatorName and OPERATORS differ"


def operators_described() -> dict[str, dict[str, str]]:
    """Each operator's value (none, one, list) and how people read it (API, UI)."""
    return {op.name: {"value": str(op.arity), "words": op.words} for op in OPERATORS.values()}


_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
# Operators a missing fact satisfies: "not equal to x" holds for an unknown value.
_HOLD_WHEN_MISSING = frozenset({"ne", "not_in", "not_contains", "not_exists", "falsy"})


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def holds(op: str, actual: Any, value: Any = None) -> bool:
    """Whether `actual op value` holds (text compared without case)."""
    if op in ("exists", "not_exists"):
        known = actual is not None and actual != [] and actual != ""
        return known if op == "exists" else not known
    if op == "truthy":
        return bool(actual)
    if op == "falsy":
        return not actual
    if actual is None:
        return op in _HOLD_WHEN_MISSING
    if op in ("contains", "not_contains", "contains_any"):
        items = {_fold(a) for a in actual}
        wanted = value if op == "contains_any" else [value]
        hit = any(_fold(v) in items for v in wanted)
        return not hit if op == "not_contains" else hit
    if op in ("in", "not_in"):
        hit = _fold(actual) in {_fold(v) for v in value}
        return hit if op == "in" else not hit
    if op == "eq":
        return bool(_fold(actual) == _fold(value))
    if op == "ne":
        return bool(_fold(actual) != _fold(value))
    return bool(_COMPARE[op](actual, value))


def operators_markdown() -> str:
    """A Markdown table of the operators (docs/rules.md is checked against it)."""
    lines = ["| op | applies to | value | reads as |", "| --- | --- | --- | --- |"]
    for op in OPERATORS.values():
        kinds = ", ".join(t for t in FactType if t in op.types)
        value = {Arity.NONE: "none", Arity.ONE: "one", Arity.LIST: "a non-empty list"}[op.arity]
        lines.append(f"| `{op.name}` | {kinds} | {value} | {op.words} |")
    return "\n".join(lines)
