"""Validate and evaluate rules (groups and `field op value` conditions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from heartline.errors import AppError, ErrorCode
from heartline.rules.facts import FactField, FactRegistry
from heartline.rules.operators import OPERATORS, Arity, FactType, holds

MAX_DEPTH = 6
GROUPS = ("all", "any", "not")


class RuleError(ValueError):
    """A rule problem at a path (e.g. `when.all.1.value`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def rule_app_error(exc: RuleError, what: str) -> AppError:
    """A 422 naming the field at fault ("invalid segment definition: definition.value: ...")."""
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"invalid {what}: {exc}",
        details=[{"field": exc.path, "message": exc.message, "type": "value_error"}],
    )


def normalise(node: Mapping[str, Any]) -> dict[str, Any]:
    """A leaf in today's shape: a stored `exists` with true/false becomes `exists`/`not_exists`."""
    out = dict(node)
    if out.get("op") == "exists" and isinstance(out.get("value"), bool):
        out["op"] = "exists" if out.pop("value") else "not_exists"
    return out


def validate(node: Any, registry: FactRegistry, path: str = "definition", depth: int = 0) -> None:
    """Raise RuleError naming the first problem in a rule (groups or a condition)."""
    if depth > MAX_DEPTH:
        raise RuleError(path, f"nested more than {MAX_DEPTH} levels")
    if not isinstance(node, dict):
        raise RuleError(path, "expected an object with 'all', 'any', 'not' or 'field'")
    groups = [k for k in GROUPS if k in node]
    if not groups:
        validate_condition(node, registry, path)
        return
    if len(node) != 1:
        raise RuleError(path, f"a group has exactly one key, got {sorted(node)}")
    key = groups[0]
    if key == "not":
        validate(node["not"], registry, f"{path}.not", depth + 1)
        return
    children = node[key]
    if not isinstance(children, list) or not children:
        raise RuleError(f"{path}.{key}", "expected a non-empty list of conditions")
    for i, child in enumerate(children):
        validate(child, registry, f"{path}.{key}.{i}", depth + 1)


def validate_condition(node: Mapping[str, Any], registry: FactRegistry, path: str) -> None:
    """Raise RuleError naming what is wrong with one `field op value` condition."""
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        raise RuleError(path, f"unknown keys {sorted(unknown)} (use field, op, value)")
    node = normalise(node)
    name = node.get("field")
    if not isinstance(name, str) or name not in registry:
        known = ", ".join(sorted(registry.fields))
        raise RuleError(f"{path}.field", f"unknown field {name!r}; known: {known}")
    spec = registry[name]
    op = OPERATORS.get(str(node.get("op")))
    if op is None or spec.type not in op.types:
        usable = ", ".join(o.name for o in OPERATORS.values() if spec.type in o.types)
        raise RuleError(
            f"{path}.op", f"{node.get('op')!r} does not apply to {spec.type} field {name}; "
            f"use one of {usable}",
        )  # fmt: skip
    if op.arity is Arity.NONE:
        if node.get("value") is not None:
            raise RuleError(f"{path}.value", f"'{op.name}' takes no value")
        return
    if "value" not in node:
        raise RuleError(f"{path}.value", "missing")
    value = node["value"]
    if op.arity is Arity.LIST:
        if not isinstance(value, list) or not value:
            raise RuleError(f"{path}.value", f"'{op.name}' needs a non-empty list")
        items = value
    else:
        items = [value]
    for item in items:
        _check_item(f"{path}.value", spec, item)


def _check_item(path: str, spec: FactField, item: Any) -> None:
    if spec.type is FactType.NUMBER and (
        isinstance(item, bool) or not isinstance(item, int | float)
    ):
        raise RuleError(path, f"expected a number, got {item!r}")
    if spec.type in (FactType.TEXT, FactType.LIST) and not isinstance(item, str):
        raise RuleError(path, f"expected text, got {item!r}")
    if spec.type is FactType.BOOL and not isinstance(item, bool):
        raise RuleError(path, f"expected true or false, got {item!r}")
    if spec.choices is not None and item.casefold() not in {c.casefold() for c in spec.choices}:
        raise RuleError(path, f"unknown value {item!r}; known: {', '.join(spec.choices)}")


Facts = Mapping[str, Any] | Callable[[str], Any]


def _lookup(facts: Facts) -> Callable[[str], Any]:
    return facts.get if isinstance(facts, Mapping) else facts


def evaluate(node: Mapping[str, Any], facts: Facts, why: list[str] | None = None) -> bool:
    """Whether the facts satisfy a (validated) rule; matched conditions go to `why`."""
    return _evaluate(node, _lookup(facts), why)


def _evaluate(node: Mapping[str, Any], get: Callable[[str], Any], why: list[str] | None) -> bool:
    if "all" in node:
        local: list[str] = []
        ok = all(_evaluate(child, get, local) for child in node["all"])
        if ok and why is not None:
            why.extend(local)
        return ok
    if "any" in node:
        for child in node["any"]:
            local = []
            if _evaluate(child, get, local):
                if why is not None:
                    why.extend(local)
                return True
        return False
    if "not" in node:
        return not _evaluate(node["not"], get, None)
    leaf = normalise(node)
    actual = get(leaf["field"])
    ok = holds(leaf["op"], actual, leaf.get("value"))
    if ok and why is not None:
        why.append(explain(leaf, actual))
    return ok


def explain(leaf: Mapping[str, Any], actual: Any) -> str:
    """`reading.anger gte 0.5 (is 0.81)`: a matched condition, for people."""
    shown = round(actual, 2) if isinstance(actual, float) else actual
    value = "" if OPERATORS[leaf["op"]].arity is Arity.NONE else f" {leaf.get('value')}"
    return f"{leaf['field']} {leaf['op']}{value} (is {shown})"
