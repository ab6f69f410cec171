"""Evaluate a playbook's conditions against a CustomerContext, explaining each outcome.

A condition is one `field op value` of the shared rule language (`heartline.rules`): the same
operators, meanings and validation as routing rules and segments. The fields it may name are
`CONTEXT_FACTS`: context.CONTEXT_FIELDS's descriptions, typed by CustomerContext's annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from heartline.playbooks.context import CONTEXT_FIELDS, CustomerContext
from heartline.rules import OPERATORS, Arity, FactRegistry, RuleError, holds, validate_condition

CONTEXT_FACTS = FactRegistry.described("playbook", CustomerContext, CONTEXT_FIELDS)


class ConditionLike(Protocol):
    """A playbook condition (schemas.Condition)."""

    @property
    def field(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def value(self) -> Any: ...


def legacy_shape(data: Any) -> Any:
    """A stored condition as the language reads it today: an operator that takes no value
    (`exists`, `truthy`...) ignored any value given, so the value is dropped."""
    op = OPERATORS.get(str(data.get("op"))) if isinstance(data, dict) else None
    if op is not None and op.arity is Arity.NONE and data.get("value") is not None:
        return {k: v for k, v in data.items() if k != "value"}
    return data


def check(field: str, op: str, value: Any) -> None:
    """Raise ValueError naming what is wrong with a condition (type, operator, value)."""
    node = {"field": field, "op": op} | ({} if value is None else {"value": value})
    try:
        validate_condition(node, CONTEXT_FACTS, "condition")
    except RuleError as exc:
        raise ValueError(f"{exc.path.removeprefix('condition.')}: {exc.message}") from None


def evaluate(conditions: Sequence[ConditionLike], ctx: CustomerContext) -> tuple[bool, list[str]]:
    """(all hold, reasons): on a miss the reason names the first failing condition."""
    for cond in conditions:  # a cheap pass first: most customers miss most playbooks
        if not holds(cond.op, ctx.get(cond.field), cond.value):
            return False, [_describe(cond, ctx, "fails ")]
    return True, [_describe(cond, ctx, "") for cond in conditions]


def matches(conditions: Sequence[ConditionLike], ctx: CustomerContext) -> bool:
    """Whether every condition holds (no explanations)."""
    return all(holds(c.op, ctx.get(c.field), c.value) for c in conditions)


def _describe(cond: ConditionLike, ctx: CustomerContext, verb: str) -> str:
    shown = "" if cond.value is None else f" {cond.value!r}"
    return f"{cond.field}={ctx.get(cond.field)!r} {verb}{cond.op}{shown}"
