"""Routing configuration: rules (first match wins), the default, and SLA targets per priority."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from heartline import rules
from heartline.routing.facts import ROUTING_FACTS
from heartline.schemas import InModel

Priority = Literal["low", "normal", "high", "urgent"]
PRIORITY_VALUE = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
QueueName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_-]{0,59}$")
]


class Action(InModel):
    """Where a matching conversation goes."""

    queue: QueueName
    priority: Priority


class Rule(InModel):
    """A named condition (over routing.facts.ROUTING_FACTS) and the action it takes."""

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{1,80}$")
    ]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    when: dict[str, Any]
    then: Action

    @field_validator("when")
    @classmethod
    def _valid_filter(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            rules.validate(value, ROUTING_FACTS, path="when")
        except rules.RuleError as exc:
            raise ValueError(str(exc)) from None
        return value


class RoutingRules(InModel):
    """The whole rule set."""

    sla_hours: dict[Priority, Annotated[float, Field(gt=0, le=24 * 90)]] = Field(
        default_factory=lambda: {"urgent": 1.0, "high": 4.0, "normal": 24.0, "low": 72.0}  # type: ignore[arg-type]
    )
    # SLA clocks (routing.sla), counted in the team's business hours: the next reply after a
    # customer writes again, and the resolution from the first message.
    next_reply_hours: dict[Priority, Annotated[float, Field(gt=0, le=24 * 90)]] = Field(
        default_factory=lambda: {"urgent": 1.0, "high": 4.0, "normal": 24.0, "low": 72.0}  # type: ignore[arg-type]
    )
    resolution_hours: dict[Priority, Annotated[float, Field(gt=0, le=24 * 365)]] = Field(
        default_factory=lambda: {"urgent": 8.0, "high": 24.0, "normal": 72.0, "low": 168.0}  # type: ignore[arg-type]
    )
    # Breach warning: a running clock this close to its due time is "at risk" (Freshdesk's
    # reminders are a fixed time before the due time, too).
    sla_warn_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    default: Action = Action(queue="general", priority="normal")
    rules: list[Rule] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _complete(self) -> RoutingRules:
        for name in ("sla_hours", "next_reply_hours", "resolution_hours"):
            missing = [p for p in PRIORITY_VALUE if p not in getattr(self, name)]
            if missing:
                raise ValueError(f"{name}: missing a target for {', '.join(missing)}")
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rules: duplicate rule name(s) {', '.join(dupes)}")
        return self
