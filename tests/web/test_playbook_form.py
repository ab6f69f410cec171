"""The editor's form round-trips every shipped playbook unchanged, and types condition values
by their field and operator."""

from __future__ import annotations

import pytest

from heartline.playbooks import service
from heartline.web import playbook_form as pf

TYPES = {f["field"]: f["type"] for f in service.condition_fields()}


@pytest.mark.parametrize("data", service.builtin_specs(), ids=lambda d: d["key"])
def test_every_builtin_survives_the_form_unchanged(data) -> None:
    spec = service.parse_spec(data)
    state = pf.from_spec(spec.model_dump(mode="json"))
    again = service.parse_spec(pf.to_spec(state, TYPES).data)
    assert again.model_dump(mode="json") == spec.model_dump(mode="json")


@pytest.mark.parametrize(
    ("text", "kind", "op", "value"),
    [
        ("2", "number", "gte", 2),
        ("1.5", "number", "lt", 1.5),
        ("1, 2, 5", "number", "in", [1, 2, 5]),
        ("lots", "number", "gte", "lots"),  # the rule language names the problem
        ("yes", "bool", "eq", True),
        ("false", "bool", "ne", False),
        ("at_risk", "list", "contains", "at_risk"),
        ("at_risk, delighted", "list", "contains_any", ["at_risk", "delighted"]),
        ("anything", "bool", "truthy", None),  # a test that takes no value
        ("", "text", "eq", None),
    ],
)
def test_condition_values_are_typed(text, kind, op, value) -> None:
    assert pf.parse_value(text, kind, op) == value


def test_a_key_is_made_from_the_name() -> None:
    assert pf.suggested_key("Spring check-in!") == "spring_check_in"
    assert pf.suggested_key("2025 thanks") == "playbook_2025_thanks"
