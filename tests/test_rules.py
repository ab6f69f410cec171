"""The one rule language (heartline.rules): operator semantics, validation that names the field,
the fact registries the field lists come from, and the shipped rules giving the results they
gave under the two engines it replaces (mood/filters.py and playbooks/conditions.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from heartline import rules
from heartline.mood import filters
from heartline.playbooks import conditions
from heartline.playbooks.context import CONTEXT_FIELDS, CustomerContext
from heartline.playbooks.schemas import Condition
from heartline.routing import service as routing_service
from heartline.routing.facts import ROUTING_FACTS, RoutingFacts
from heartline.routing.schemas import RoutingRules

ROOT = Path(__file__).resolve().parents[1]


def _segments() -> Any:
    """mood.segments, imported after mood.service (the order the app imports them in)."""
    from heartline.mood import segments

    return segments


@dataclass
class Sample:
    """A fact dataclass of every type, for the semantics table."""

    n: float | None = field(default=None, metadata=rules.fact("a number"))
    t: str | None = field(default=None, metadata=rules.fact("a text", name="x.t"))
    b: bool | None = field(default=None, metadata=rules.fact("a flag"))
    items: list[str] = field(default_factory=list, metadata=rules.fact("a list"))
    c: str | None = field(default=None, metadata=rules.fact("closed", choices=("low", "high")))
    hidden: dict[str, Any] = field(default_factory=dict)  # not a fact: rules cannot name it


REG = rules.FactRegistry.of("sample", Sample)

# (field, op, value, actual, expected): one row per operator and case, missing facts included.
TABLE = [
    ("x.t", "eq", "Negative", "negative", True),  # text ignores case
    ("x.t", "eq", "negative", "NEGATIVE", True),
    ("x.t", "eq", "negative", "positive", False),
    ("x.t", "eq", "negative", None, False),  # a missing fact equals nothing
    ("x.t", "ne", "negative", "Negative", False),
    ("x.t", "ne", "negative", None, True),  # ...and differs from everything
    ("n", "eq", 2, 2.0, True),
    ("n", "ne", 2, 3, True),
    ("b", "eq", True, True, True),
    ("b", "eq", True, False, False),
    ("b", "eq", True, None, False),
    ("n", "gt", 0.5, 0.6, True),
    ("n", "gt", 0.5, 0.5, False),
    ("n", "gte", 0.5, 0.5, True),
    ("n", "lt", 0.5, 0.4, True),
    ("n", "lte", 0.5, 0.5, True),
    ("n", "lte", 0.5, None, False),  # an unknown number never satisfies a comparison
    ("n", "gt", 0.5, None, False),
    ("x.t", "in", ["Review", "survey"], "review", True),
    ("x.t", "in", ["review", "survey"], "Chat", False),
    ("x.t", "in", ["review"], None, False),
    ("x.t", "not_in", ["review"], "REVIEW", False),
    ("x.t", "not_in", ["review"], "chat", True),
    ("x.t", "not_in", ["review"], None, True),
    ("n", "in", [1, 2, 5], 2, True),
    ("n", "in", [1, 2, 5], 3, False),
    ("items", "contains", "Gold", ["gold", "x"], True),
    ("items", "contains", "gold", ["GOLD"], True),
    ("items", "contains", "gold", [], False),
    ("items", "contains", "gold", None, False),
    ("items", "not_contains", "gold", ["Gold"], False),
    ("items", "not_contains", "gold", [], True),
    ("items", "not_contains", "gold", None, True),
    ("items", "contains_any", ["a", "B"], ["b"], True),
    ("items", "contains_any", ["a", "b"], ["c"], False),
    ("items", "contains_any", ["a"], None, False),
    ("x.t", "exists", None, "x", True),
    ("x.t", "exists", None, "", False),
    ("x.t", "exists", None, None, False),
    ("items", "exists", None, [], False),
    ("n", "exists", None, 0, True),  # zero is known
    ("x.t", "not_exists", None, None, True),
    ("items", "not_exists", None, [], True),
    ("n", "not_exists", None, 0, False),
    ("b", "truthy", None, True, True),
    ("n", "truthy", None, 0, False),
    ("items", "truthy", None, ["a"], True),
    ("b", "truthy", None, None, False),
    ("b", "falsy", None, False, True),
    ("b", "falsy", None, None, True),
    ("items", "falsy", None, [], True),
]


@pytest.mark.parametrize(("name", "op", "value", "actual", "expected"), TABLE)
def test_operator_semantics(name: str, op: str, value: Any, actual: Any, expected: bool) -> None:
    node = {"field": name, "op": op} | ({} if value is None else {"value": value})
    rules.validate(node, REG)
    assert rules.evaluate(node, {name: actual}) is expected
    assert rules.holds(op, actual, value) is expected


def test_every_operator_is_in_the_table() -> None:
    assert {row[1] for row in TABLE} == set(rules.OPERATORS)


@pytest.mark.parametrize(
    ("node", "path", "needle"),
    [
        ({"field": "nope", "op": "eq", "value": 1}, "definition.field", "unknown field 'nope'"),
        ({"field": "hidden", "op": "exists"}, "definition.field", "unknown field"),
        ({"field": "n", "op": "contains", "value": 1}, "definition.op", "does not apply"),
        ({"field": "n", "op": "gte", "value": "high"}, "definition.value", "expected a number"),
        ({"field": "n", "op": "gte", "value": True}, "definition.value", "expected a number"),
        ({"field": "x.t", "op": "eq", "value": 3}, "definition.value", "expected text"),
        ({"field": "b", "op": "eq", "value": "yes"}, "definition.value", "expected true or false"),
        ({"field": "items", "op": "contains", "value": 1}, "definition.value", "expected text"),
        ({"field": "x.t", "op": "gt", "value": 1}, "definition.op", "does not apply to text"),
        ({"field": "x.t", "op": "in", "value": "x"}, "definition.value", "non-empty list"),
        ({"field": "x.t", "op": "in", "value": []}, "definition.value", "non-empty list"),
        ({"field": "x.t", "op": "eq"}, "definition.value", "missing"),
        ({"field": "x.t", "op": "exists", "value": "yes"}, "definition.value", "takes no value"),
        ({"field": "b", "op": "truthy", "value": 1}, "definition.value", "takes no value"),
        ({"field": "c", "op": "eq", "value": "medium"}, "definition.value", "unknown value"),
        ({"field": "x.t", "op": "eq", "value": "a", "x": 1}, "definition", "unknown keys"),
        ({"all": []}, "definition.all", "non-empty"),
        (
            {"all": [{"any": [{"field": "n", "op": "eq", "value": "a"}]}]},
            "definition.all.0.any.0.value",
            "expected a number",
        ),
        ({"all": [], "any": []}, "definition", "exactly one key"),
        ([1], "definition", "expected an object"),
    ],
)
def test_invalid_rules_name_the_field(node: Any, path: str, needle: str) -> None:
    with pytest.raises(rules.RuleError) as exc:
        rules.validate(node, REG)
    assert exc.value.path == path
    assert needle in exc.value.message


def test_deep_nesting_is_refused() -> None:
    node: dict[str, Any] = {"field": "n", "op": "exists"}
    for _ in range(rules.MAX_DEPTH + 1):
        node = {"not": node}
    with pytest.raises(rules.RuleError, match="nested more than"):
        rules.validate(node, REG)


def test_a_closed_vocabulary_ignores_case_like_the_comparison() -> None:
    rules.validate({"field": "c", "op": "eq", "value": "HIGH"}, REG)
    assert rules.evaluate({"field": "c", "op": "eq", "value": "HIGH"}, {"c": "high"})


def test_a_stored_exists_with_a_value_keeps_its_meaning() -> None:
    """Segments and routing rules stored `exists: true/false`; it reads as exists/not_exists."""
    yes, no = ({"field": "x.t", "op": "exists", "value": v} for v in (True, False))
    for node in (yes, no):
        rules.validate(node, REG)
    assert rules.evaluate(yes, {"x.t": "a"}) and not rules.evaluate(yes, {"x.t": None})
    assert rules.evaluate(no, {"x.t": None}) and not rules.evaluate(no, {"x.t": "a"})
    assert rules.evaluate(no, {"x.t": []}) and rules.normalise(no)["op"] == "not_exists"


def test_groups_explain_what_matched() -> None:
    node = {
        "all": [
            {"field": "n", "op": "gte", "value": 0.5},
            {
                "any": [
                    {"field": "items", "op": "contains", "value": "Gold"},
                    {"field": "b", "op": "truthy"},
                ]
            },
            {"not": {"field": "x.t", "op": "eq", "value": "churned"}},
        ]
    }
    rules.validate(node, REG)
    why: list[str] = []
    assert rules.evaluate(node, {"n": 0.666, "items": ["gold"], "b": None, "x.t": None}, why)
    assert why == ["n gte 0.5 (is 0.67)", "items contains Gold (is ['gold'])"]
    assert rules.evaluate(node, REG.values(Sample(n=1, b=True)))
    assert not rules.evaluate(node, REG.values(Sample(n=1, b=True, t="Churned")))


def test_registry_reads_types_and_names_from_the_dataclass() -> None:
    assert REG.types() == {"n": "number", "x.t": "text", "b": "bool", "items": "list", "c": "text"}
    described = {d["field"]: d for d in REG.describe()}
    assert described["c"]["choices"] == ["low", "high"]
    assert described["items"]["ops"] == [
        "contains", "not_contains", "contains_any", "exists", "not_exists", "truthy", "falsy",
    ]  # fmt: skip
    assert REG.values(Sample(t="a"))["x.t"] == "a"


# --- the three kinds of facts -----------------------------------------------------------------


def test_routing_facts_are_the_fields_rules_may_name() -> None:
    names = set(ROUTING_FACTS.fields)
    assert {"reading.intent", "churn.level", "reading.anger", "customer.tags"} <= names
    assert "reading.neutral" not in names and "emotions" not in names
    facts = RoutingFacts(channel="email", emotions={"anger": 0.9}, reading_intent="billing")
    seen = ROUTING_FACTS.values(facts)
    assert seen["reading.anger"] == 0.9 and seen["reading.joy"] is None
    assert set(seen) == names


def test_segment_facts_match_what_segments_compute(db: Any, customer: dict[str, Any]) -> None:
    assert set(_segments().facts(db, customer_id=customer["id"])) == set(
        filters.SEGMENT_FACTS.fields
    )


def test_playbook_facts_are_typed_by_the_customer_context() -> None:
    reg = conditions.CONTEXT_FACTS
    assert set(reg.fields) == set(CONTEXT_FIELDS)
    assert reg["vip"].type == "bool" and reg["first_name"].type == "text"
    assert reg["anniversary_years"].type == "number" and reg["segments"].type == "list"
    ctx = CustomerContext(customer_id=1, name="Ada Lovelace", segments=["At_Risk"])
    assert reg.values(ctx)["first_name"] == "Ada"
    assert conditions.matches([Condition(field="segments", op="contains", value="at_risk")], ctx)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"field": "name", "op": "gt", "value": 3}, "op: 'gt' does not apply to text"),
        ({"field": "orders_count", "op": "gte", "value": "2"}, "value: expected a number"),
        ({"field": "tags", "op": "eq", "value": "x"}, "does not apply to list"),
        ({"field": "vip", "op": "eq"}, "value: missing"),
    ],
)
def test_playbook_conditions_use_the_same_validator(raw: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Condition.model_validate(raw)


def test_a_stored_playbook_condition_keeps_its_meaning() -> None:
    """Playbooks ignored a value on `exists` / `truthy`; it is dropped, not reinterpreted."""
    cond = Condition.model_validate({"field": "tags", "op": "exists", "value": False})
    assert (cond.op, cond.value) == ("exists", None)
    ctx = CustomerContext(customer_id=1, name="A", tags=["x"])
    assert conditions.matches([cond], ctx)


# --- the shipped rules give the results they gave under the two old engines -------------------


def _legacy_filter_compare(op: str, actual: Any, value: Any) -> bool:
    """mood/filters.py's operators before the one language (eq / in case-sensitive)."""
    if op == "exists":
        return bool((actual is not None and actual != []) == value)
    if actual is None:
        return op in ("ne", "not_in", "not_contains")
    simple = {
        "eq": lambda: actual == value, "ne": lambda: actual != value, "gt": lambda: actual > value,
        "gte": lambda: actual >= value, "lt": lambda: actual < value,
        "lte": lambda: actual <= value, "in": lambda: actual in value,
        "not_in": lambda: actual not in value,
    }  # fmt: skip
    if op in simple:
        return bool(simple[op]())
    lowered = {str(a).lower() for a in actual}
    if op == "contains":
        return str(value).lower() in lowered
    if op == "not_contains":
        return str(value).lower() not in lowered
    return bool(lowered & {str(v).lower() for v in value})


def _legacy_filter(node: dict[str, Any], facts: dict[str, Any]) -> bool:
    if "all" in node:
        return all(_legacy_filter(c, facts) for c in node["all"])
    if "any" in node:
        return any(_legacy_filter(c, facts) for c in node["any"])
    if "not" in node:
        return not _legacy_filter(node["not"], facts)
    return _legacy_filter_compare(node["op"], facts.get(node["field"]), node["value"])


def _legacy_condition(op: str, actual: Any, value: Any) -> bool:
    """playbooks/conditions.py's operators before the one language."""

    def low(v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v

    if op in ("exists", "not_exists"):
        known = actual is not None and actual != [] and actual != ""
        return known if op == "exists" else not known
    if op in ("truthy", "falsy"):
        return bool(actual) if op == "truthy" else not actual
    if op in ("contains", "not_contains", "contains_any"):
        items = [low(a) for a in (actual or [])]
        hit = any(low(v) in items for v in value) if op == "contains_any" else low(value) in items
        return not hit if op == "not_contains" else hit
    if op in ("in", "not_in"):
        hit = low(actual) in [low(v) for v in value]
        return hit if op == "in" else not hit
    if op in ("eq", "ne"):
        return (low(actual) == low(value)) is (op == "eq")
    if actual is None:
        return False
    return bool({"gt": actual > value, "gte": actual >= value, "lt": actual < value,
                 "lte": actual <= value}[op])  # fmt: skip


def _leaves(node: Any) -> list[dict[str, Any]]:
    if "field" in node:
        return [node]
    return [leaf for key in ("all", "any") for c in node.get(key, []) for leaf in _leaves(c)] + (
        _leaves(node["not"]) if "not" in node else []
    )


def _samples(leaves: list[dict[str, Any]], reg: rules.FactRegistry, rng: random.Random) -> Any:
    """Values near every value a rule names (the facts the rules will meet, lowercase as
    stored), plus None, for each field the rules use."""
    near: dict[str, list[Any]] = {}
    for leaf in leaves:
        kind = reg[leaf["field"]].type
        values = leaf.get("value")
        values = values if isinstance(values, list) else [values]
        pool = near.setdefault(leaf["field"], [None])
        for v in values:
            if kind == "number" and isinstance(v, int | float) and not isinstance(v, bool):
                pool += [v - 1, v - 0.01, v, v + 0.01, v + 1, 0]
            elif kind == "list":
                pool += [[], [v], [v, "other"], ["other"]]
            elif kind == "bool":
                pool += [True, False]
            elif isinstance(v, str):
                pool += [v, "other"]
        if kind == "bool":
            pool += [True, False]
        if kind == "list":
            pool += [[], ["other"]]
    for _ in range(3000):
        yield {name: rng.choice(pool) for name, pool in near.items()}


def test_shipped_routing_rules_route_as_before() -> None:
    raw = yaml.safe_load((ROOT / "src/heartline/routing/default_rules.yaml").read_text())
    shipped = RoutingRules.model_validate(raw)
    leaves = [leaf for r in shipped.rules for leaf in _leaves(r.when)]
    rng = random.Random(11)
    for facts in _samples(leaves, ROUTING_FACTS, rng):
        legacy = next((r.name for r in shipped.rules if _legacy_filter(r.when, facts)), None)
        assert routing_service.decide(shipped, facts)["rule"] == legacy, facts


def test_builtin_segments_select_as_before() -> None:
    segments = _segments()
    leaves = [leaf for s in segments.BUILTIN.values() for leaf in _leaves(s["definition"])]
    rng = random.Random(11)
    for spec in segments.BUILTIN.values():
        filters.validate(spec["definition"], segments.FIELDS)
    for facts in _samples(leaves, filters.SEGMENT_FACTS, rng):
        for spec in segments.BUILTIN.values():
            old = _legacy_filter(spec["definition"], facts)
            assert filters.evaluate(spec["definition"], facts) is old, (spec["name"], facts)


def test_builtin_playbooks_match_as_before() -> None:
    specs = yaml.safe_load((ROOT / "src/heartline/playbooks/builtin.yaml").read_text())
    conds = [[Condition.model_validate(c) for c in s.get("conditions", [])] for s in specs]
    leaves = [c.model_dump() for cs in conds for c in cs]
    rng = random.Random(11)
    for facts in _samples(leaves, conditions.CONTEXT_FACTS, rng):
        for cs in conds:
            old = all(_legacy_condition(c.op, facts.get(c.field), c.value) for c in cs)
            assert all(rules.holds(c.op, facts.get(c.field), c.value) for c in cs) is old


def test_what_changed_for_stored_routing_rules_and_segments() -> None:
    """The one deliberate change: text `eq` / `ne` / `in` / `not_in` ignore case now, as
    playbook conditions always did (a stored `region eq EU` now matches `eu` too)."""
    node = {"field": "region", "op": "eq", "value": "EU"}
    assert not _legacy_filter(node, {"region": "eu"})
    assert filters.evaluate(node, {"region": "eu"})


# --- the field lists people read are generated ------------------------------------------------


TABLES = {
    "ops": rules.operators_markdown,
    "routing": ROUTING_FACTS.markdown,
    "segment": filters.SEGMENT_FACTS.markdown,
    "playbook": conditions.CONTEXT_FACTS.markdown,
}
DOCS = ROOT / "docs/rules.md"


def generated_docs(text: str) -> str:
    """docs/rules.md with each `<!-- generated: name -->` block rewritten from the registries."""
    for name, table in TABLES.items():
        start, end = f"<!-- generated: {name} -->\n", "<!-- end -->"
        head, rest = text.split(start, 1)
        text = head + start + table() + "\n" + end + rest.split(end, 1)[1]
    return text


def test_docs_list_the_generated_fields_and_operators() -> None:
    text = DOCS.read_text()
    assert generated_docs(text) == text, "docs/rules.md is stale: `python tests/test_rules.py`"


# --- through the API: a 4xx that names the field at fault -------------------------------------


def test_api_lists_routing_fields(api_as: Any) -> None:
    body = api_as("agent").get("/routing/fields").json()
    fields = {f["field"]: f for f in body["fields"]}
    assert fields["reading.intent"]["choices"][0] == "churn_threat"
    assert "gte" in fields["reading.anger"]["ops"] and body["ops"]["exists"]["value"] == "none"


def test_api_lists_segment_and_playbook_fields_from_their_fact_types(api_as: Any) -> None:
    """Every rule kind publishes its field list, generated from its typed facts: what a
    segment editor or a playbook condition picker offers is what the validator accepts."""
    from heartline.mood.filters import SEGMENT_FACTS
    from heartline.playbooks.conditions import CONTEXT_FACTS
    from heartline.rules import OPERATORS

    segments = api_as("agent").get("/segments/fields").json()
    assert [f["field"] for f in segments["fields"]] == list(SEGMENT_FACTS.fields)
    assert set(segments["ops"]) == set(OPERATORS)
    playbooks = api_as("manager").get("/playbooks/fields").json()
    assert [f["field"] for f in playbooks["fields"]] == list(CONTEXT_FACTS.fields)
    numeric = next(f for f in playbooks["fields"] if f["type"] == "number")
    assert "gte" in numeric["ops"] and "contains" not in numeric["ops"]
    assert api_as("agent").get("/playbooks/fields").status_code == 403  # managers' pages


def test_api_rejects_a_bad_rule_naming_the_field(api_as: Any) -> None:
    admin = api_as("admin")
    rule = {"name": "r", "then": {"queue": "senior", "priority": "high"}}
    bad = {"all": [{"field": "customer.vip", "op": "eq", "value": "yes"}]}
    r = admin.put("/routing/rules", json={"rules": [{**rule, "when": bad}]})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["details"][0]["field"].startswith("body.rules.0.when")
    assert "when.all.0.value: expected true or false" in err["message"]
    old_shape = {"field": "complaint.reason", "op": "exists", "value": True}
    assert admin.put("/routing/rules", json={"rules": [{**rule, "when": old_shape}]}).is_success

    r = api_as("manager").post(
        "/segments",
        json={"key": "eu", "name": "EU", "definition": {"field": "region", "op": "gt", "value": 1}},
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "definition.op"

    spec = {
        "name": "x",
        "trigger": {"event": "schedule"},
        "conditions": [
            {"field": "vip", "op": "truthy"},
            {"field": "region", "op": "gte", "value": 2},
        ],
        "actions": [{"type": "message", "body": "Hi"}],
    }
    r = api_as("manager").put("/playbooks/x_rule", json={**spec, "key": "x_rule"})
    assert r.status_code == 422
    detail = r.json()["error"]["details"][0]
    assert detail["field"].startswith("body.conditions.1") and "does not apply" in detail["message"]


if __name__ == "__main__":  # rewrite the generated tables of docs/rules.md
    DOCS.write_text(generated_docs(DOCS.read_text()))
