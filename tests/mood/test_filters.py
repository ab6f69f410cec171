"""The filter language behind segments and routing rules."""

from __future__ import annotations

import pytest

from heartline.mood import filters

FIELDS = {"churn.risk": "number", "mood.label": "text", "tags": "list", "vip": "bool"}


def test_valid_nested_definition_evaluates():
    node = {
        "all": [
            {"field": "churn.risk", "op": "gte", "value": 0.5},
            {
                "any": [
                    {"field": "tags", "op": "contains", "value": "Gold"},
                    {"field": "vip", "op": "eq", "value": True},
                ]
            },
        ]
    }
    filters.validate(node, FIELDS)
    why: list[str] = []
    assert filters.evaluate(node, {"churn.risk": 0.7, "tags": ["gold"], "vip": False}, why)
    assert any("churn.risk" in w for w in why)
    assert not filters.evaluate(node, {"churn.risk": 0.7, "tags": [], "vip": False})
    assert not filters.evaluate(node, {"churn.risk": None, "tags": ["gold"], "vip": True})


@pytest.mark.parametrize(
    ("node", "path", "needle"),
    [
        ({"field": "nope", "op": "eq", "value": 1}, "definition.field", "unknown field"),
        ({"field": "churn.risk", "op": "contains", "value": 1}, "definition.op", "does not apply"),
        (
            {"field": "churn.risk", "op": "gte", "value": "high"},
            "definition.value",
            "expected a number",
        ),
        ({"all": []}, "definition.all", "non-empty"),
        (
            {"all": [{"field": "mood.label", "op": "in", "value": "x"}]},
            "definition.all.0.value",
            "non-empty list",
        ),
        ({"field": "vip", "op": "eq"}, "definition.value", "missing"),
        ([1], "definition", "expected an object"),
    ],
)
def test_invalid_definitions_name_the_path(node, path, needle):
    with pytest.raises(filters.FilterError) as exc:
        filters.validate(node, FIELDS)
    assert exc.value.path == path
    assert needle in exc.value.message
