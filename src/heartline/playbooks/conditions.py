"""Evaluate a playbook's conditions against a CustomerContext, explaining each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heartline.playbooks.context import CustomerContext
from heartline.playbooks.schemas import Condition


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _holds(op: str, actual: Any, value: Any) -> bool:
    if op == "exists":
        return actual is not None and actual != [] and actual != ""
    if op == "not_exists":
        return actual is None or actual == [] or actual == ""
    if op == "truthy":
        return bool(actual)
    if op == "falsy":
        return not actual
    if op in ("contains", "not_contains", "contains_any"):
        items = [_lower(a) for a in (actual or [])]
        if op == "contains_any":
            hit = any(_lower(v) in items for v in value)
        else:
            hit = _lower(value) in items
        return not hit if op == "not_contains" else hit
    if op in ("in", "not_in"):
        hit = _lower(actual) in [_lower(v) for v in value]
        return hit if op == "in" else not hit
    if op == "eq":
        return bool(_lower(actual) == _lower(value))
    if op == "ne":
        return bool(_lower(actual) != _lower(value))
    if actual is None:  # an unknown number never satisfies a comparison
        return False
    return {
        "gt": actual > value,
        "gte": actual >= value,
        "lt": actual < value,
        "lte": actual <= value,
    }[op]


def evaluate(conditions: Sequence[Condition], ctx: CustomerContext) -> tuple[bool, list[str]]:
    """(all hold, reasons): on a miss the reason names the first failing condition."""
    for cond in conditions:  # a cheap pass first: most customers miss most playbooks
        if not _holds(cond.op, ctx.get(cond.field), cond.value):
            return False, [_describe(cond, ctx, "fails ")]
    return True, [_describe(cond, ctx, "") for cond in conditions]


def matches(conditions: Sequence[Condition], ctx: CustomerContext) -> bool:
    """Whether every condition holds (no explanations)."""
    return all(_holds(c.op, ctx.get(c.field), c.value) for c in conditions)


def _describe(cond: Condition, ctx: CustomerContext, verb: str) -> str:
    shown = "" if cond.value is None else f" {cond.value!r}"
    return f"{cond.field}={ctx.get(cond.field)!r} {verb}{cond.op}{shown}"
