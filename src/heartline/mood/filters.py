"""A small, validated filter language shared by segments and routing rules.

A filter is a condition `{"field": "churn.risk", "op": "gte", "value": 0.5}` or a group
`{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}`. Fields are declared with a type so a
definition is checked before it is stored, and every problem names its path
("definition.all.1.value: expected a number").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from heartline.errors import AppError, ErrorCode

# Field types: number, text, bool, list (of text).
OPS: dict[str, set[str]] = {
    "number": {"eq", "ne", "gt", "gte", "lt", "lte", "in", "exists"},
    "text": {"eq", "ne", "in", "not_in", "exists"},
    "bool": {"eq", "ne", "exists"},
    "list": {"contains", "not_contains", "contains_any", "exists"},
}
MAX_DEPTH = 6


class FilterError(ValueError):
    """A definition problem at a path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _check_value(
    path: str, kind: str, op: str, value: Any, choices: Collection[str] | None = None
) -> None:
    if op == "exists":
        if not isinstance(value, bool):
            raise FilterError(f"{path}.value", "exists takes true or false")
        return
    if op in ("in", "not_in", "contains_any"):
        if not isinstance(value, list) or not value:
            raise FilterError(f"{path}.value", f"'{op}' needs a non-empty list")
        items = value
    else:
        items = [value]
    for item in items:
        if kind == "number" and (isinstance(item, bool) or not isinstance(item, int | float)):
            raise FilterError(f"{path}.value", f"expected a number, got {item!r}")
        if kind in ("text", "list") and not isinstance(item, str):
            raise FilterError(f"{path}.value", f"expected text, got {item!r}")
        if kind == "bool" and not isinstance(item, bool):
            raise FilterError(f"{path}.value", f"expected true or false, got {item!r}")
        if choices is not None and item not in choices:
            raise FilterError(
                f"{path}.value", f"unknown value {item!r}; known: {', '.join(choices)}"
            )


def validate(
    node: Any,
    fields: Mapping[str, str],
    path: str = "definition",
    depth: int = 0,
    *,
    choices: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Raise FilterError naming the first problem in a filter definition.

    ``choices`` closes a text field's vocabulary (e.g. intents): a value outside it is an
    error, because a misspelt label would otherwise silently never match."""
    if depth > MAX_DEPTH:
        raise FilterError(path, f"nested more than {MAX_DEPTH} levels")
    if not isinstance(node, dict):
        raise FilterError(path, "expected an object with 'all', 'any', 'not' or 'field'")
    groups = [k for k in ("all", "any", "not") if k in node]
    if groups:
        if len(node) != 1:
            raise FilterError(path, f"a group has exactly one key, got {sorted(node)}")
        key = groups[0]
        if key == "not":
            validate(node["not"], fields, f"{path}.not", depth + 1, choices=choices)
            return
        children = node[key]
        if not isinstance(children, list) or not children:
            raise FilterError(f"{path}.{key}", "expected a non-empty list of conditions")
        for i, child in enumerate(children):
            validate(child, fields, f"{path}.{key}.{i}", depth + 1, choices=choices)
        return
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        raise FilterError(path, f"unknown keys {sorted(unknown)} (use field, op, value)")
    field = node.get("field")
    if not isinstance(field, str) or field not in fields:
        raise FilterError(
            f"{path}.field", f"unknown field {field!r}; known: {', '.join(sorted(fields))}"
        )
    kind = fields[field]
    op = node.get("op")
    if op not in OPS[kind]:
        raise FilterError(
            f"{path}.op",
            f"{op!r} does not apply to {kind} field {field}; use one of "
            f"{', '.join(sorted(OPS[kind]))}",
        )
    if "value" not in node:
        raise FilterError(f"{path}.value", "missing")
    _check_value(path, kind, op, node["value"], (choices or {}).get(field))


def to_app_error(exc: FilterError, what: str) -> AppError:
    """A 422 naming the field at fault."""
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"invalid {what}: {exc}",
        details=[{"field": exc.path, "message": exc.message, "type": "value_error"}],
    )


def _compare(op: str, actual: Any, value: Any) -> bool:
    if op == "exists":
        return (actual is not None and actual != []) == value
    if actual is None:
        return op in ("ne", "not_in", "not_contains")
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "gt":
        return bool(actual > value)
    if op == "gte":
        return bool(actual >= value)
    if op == "lt":
        return bool(actual < value)
    if op == "lte":
        return bool(actual <= value)
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    lowered = {str(a).lower() for a in actual}
    if op == "contains":
        return str(value).lower() in lowered
    if op == "not_contains":
        return str(value).lower() not in lowered
    if op == "contains_any":
        return bool(lowered & {str(v).lower() for v in value})
    raise ValueError(op)


def evaluate(
    node: Mapping[str, Any], facts: Mapping[str, Any], why: list[str] | None = None
) -> bool:
    """Whether the facts satisfy a (validated) filter; matched conditions go to `why`."""
    if "all" in node:
        local: list[str] = []
        ok = all(evaluate(child, facts, local) for child in node["all"])
        if ok and why is not None:
            why.extend(local)
        return ok
    if "any" in node:
        for child in node["any"]:
            local = []
            if evaluate(child, facts, local):
                if why is not None:
                    why.extend(local)
                return True
        return False
    if "not" in node:
        return not evaluate(node["not"], facts, None)
    actual = facts.get(node["field"])
    ok = _compare(node["op"], actual, node["value"])
    if ok and why is not None:
        shown = round(actual, 2) if isinstance(actual, float) else actual
        why.append(f"{node['field']} {node['op']} {node['value']} (is {shown})")
    return ok
