"""Typed facts: the fields a kind of rule may name, read from a fact dataclass."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from heartline.rules.operators import OPERATORS, FactType


@dataclass(frozen=True)
class FactField:
    """A field rules may name: `name` as rules spell it, read from `attr` (then `key`)."""

    name: str
    type: FactType
    description: str
    attr: str = ""
    key: str | None = None  # for a dict-valued attribute (one emotion's probability)
    choices: tuple[str, ...] | None = None  # a closed vocabulary: other values are errors

    def read(self, facts: object) -> Any:
        """This field's value on a fact object."""
        value = getattr(facts, self.attr or self.name, None)
        if self.key is not None:
            return (value or {}).get(self.key)
        return value


_META = "heartline.fact"


@dataclass(frozen=True)
class _FactMeta:
    description: str
    name: str | None
    choices: tuple[str, ...] | None
    type: FactType | None


def fact(
    description: str,
    *,
    name: str | None = None,
    choices: Iterable[str] | None = None,
    as_type: FactType | None = None,
) -> dict[str, Any]:
    """Field metadata that lets rules name a dataclass field:
    `vip: bool = field(default=False, metadata=fact("VIP flag"))`. Its type comes from the
    annotation (else `as_type`); `name` is how rules spell it when that is not the attribute."""
    meta = _FactMeta(description, name, tuple(choices) if choices is not None else None, as_type)
    return {_META: meta}


def _fact_type(annotation: Any) -> FactType:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        if len(args) != 1:
            raise TypeError(f"a fact must have one type, got {annotation!r}")
        annotation = args[0]
    if annotation is bool:
        return FactType.BOOL
    if annotation in (int, float):
        return FactType.NUMBER
    if annotation is str:
        return FactType.TEXT
    if typing.get_origin(annotation) in (list, tuple) or annotation in (list, tuple):
        return FactType.LIST
    raise TypeError(f"no fact type for {annotation!r}")


class FactRegistry:
    """The fields one kind of rule may name, in declaration order."""

    def __init__(self, kind: str, fields: Iterable[FactField]) -> None:
        self.kind = kind
        self.fields: dict[str, FactField] = {}
        for f in fields:
            if f.name in self.fields:
                raise ValueError(f"{kind}: fact {f.name} declared twice")
            self.fields[f.name] = f

    @classmethod
    def of(cls, kind: str, facts_cls: type, extra: Iterable[FactField] = ()) -> FactRegistry:
        """The registry of a fact dataclass's `fact(...)` fields, plus `extra` ones."""
        hints = typing.get_type_hints(facts_cls)
        found = []
        for f in dataclasses.fields(facts_cls):
            meta = f.metadata.get(_META)
            if meta is None:
                continue  # a field for templates or bookkeeping, not for rules
            found.append(
                FactField(
                    name=meta.name or f.name,
                    type=meta.type or _fact_type(hints[f.name]),
                    description=meta.description,
                    attr=f.name,
                    choices=meta.choices,
                )
            )
        return cls(kind, [*found, *extra])

    @classmethod
    def described(cls, kind: str, facts_cls: type, descriptions: Mapping[str, str]) -> FactRegistry:
        """The fields a small registry (name -> description) names, typed by the dataclass's
        annotations (a property by its return type): a name that is not there is an error."""
        hints = typing.get_type_hints(facts_cls)
        found = []
        for name, text in descriptions.items():
            prop = getattr(facts_cls, name, None)
            if name in hints:
                annotation = hints[name]
            elif isinstance(prop, property) and prop.fget is not None:
                annotation = typing.get_type_hints(prop.fget)["return"]
            else:
                raise TypeError(f"{kind}: {name} is not a field of {facts_cls.__name__}")
            found.append(FactField(name, _fact_type(annotation), text, attr=name))
        return cls(kind, found)

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def __getitem__(self, name: str) -> FactField:
        return self.fields[name]

    def types(self) -> dict[str, str]:
        """name -> type, the shape older callers know."""
        return {n: str(f.type) for n, f in self.fields.items()}

    def values(self, facts: object) -> dict[str, Any]:
        """name -> value for a fact object (what a rule sees)."""
        return {n: f.read(facts) for n, f in self.fields.items()}

    def describe(self) -> list[dict[str, Any]]:
        """The fields with their type, operators, description and choices (API, UI, docs)."""
        return [
            {
                "field": f.name,
                "type": str(f.type),
                "ops": [op.name for op in OPERATORS.values() if f.type in op.types],
                "description": f.description,
                "choices": list(f.choices) if f.choices is not None else None,
            }
            for f in self.fields.values()
        ]

    def markdown(self) -> str:
        """A Markdown table of the fields (docs/rules.md is checked against it)."""
        lines = ["| field | type | meaning |", "| --- | --- | --- |"]
        for f in self.fields.values():
            choices = f" (one of: {', '.join(f.choices)})" if f.choices else ""
            lines.append(f"| `{f.name}` | {f.type} | {f.description}{choices} |")
        return "\n".join(lines)
