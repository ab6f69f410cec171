"""Pages speak to agents and managers, not developers (#12): churn risk as a chance to leave
(never a raw score beside "high"), error pages without codes or file paths."""

from __future__ import annotations

import re

from heartline.mood.churn import probability


def test_churn_risk_is_shown_as_the_chance_to_leave(web_as, frustrated, api) -> None:
    mood = api.get(f"/customers/{frustrated['customer_id']}/mood").json()
    pct = round(probability(mood["churn"]["risk"]) * 100)
    assert abs(mood["churn"]["probability"] * 100 - pct) < 1
    html = web_as("agent").get(f"/customers/{frustrated['customer_id']}").text
    assert re.search(rf"\b{pct}% likely to leave", html), pct


def test_error_pages_use_words_not_codes(web_as) -> None:
    html = web_as("agent").get("/settings", headers={"accept": "text/html"})
    assert html.status_code == 403 and "Not for your role" in html.text
    assert "forbidden" not in html.text.lower().split("<main")[1]
    bad = web_as("manager").get("/dashboard?from=x", headers={"accept": "text/html"})
    assert "validation_error" not in bad.text and ".py" not in bad.text


def test_rules_read_as_words_without_server_paths(web_as) -> None:
    from heartline.web.render import condition_words

    rule = {
        "all": [
            {"field": "reading.intent", "op": "eq", "value": "churn_threat"},
            {"any": [{"field": "reading.complaint", "op": "gte", "value": 0.5},
                     {"field": "customer.vip", "op": "exists"}]},
        ]
    }  # fmt: skip
    assert condition_words(rule) == (
        "reading intent is churn threat and "
        "(reading complaint at least 0.5 or customer vip is known)"
    )
    html = web_as("admin").get("/settings").text
    assert "default_rules.yaml" not in html and "the shipped defaults" in html
    assert '{"all"' not in html.split('id="routing"')[1].split("<textarea")[0]


def test_trends_say_better_or_worse_in_words() -> None:
    """Colour-blind managers exist: good versus bad is also a word on every tile."""
    from heartline.web.pages_dashboard import _trend

    assert _trend(80.0, 70.0)["word"] == "up 10.0, better"
    assert _trend(3.0, 4.0, higher_is_better=False)["word"] == "down 1.0, better"
    assert _trend(3.0, 4.0)["word"] == "down 1.0, worse"
    assert _trend(None, 4.0)["word"] == "no earlier data"


def test_every_operator_reads_in_words_from_the_rule_language():
    """Conditions shown in settings use the rule language's own words; operators that take no
    value never print one ("email is not known", not "email not_exists None")."""
    from heartline.rules import OPERATORS, Arity
    from heartline.web.render import condition_words

    for name, op in OPERATORS.items():
        node = {"field": "customer.email", "op": name}
        if op.arity is not Arity.NONE:
            node["value"] = ["a_b", "c"] if op.arity is Arity.LIST else "a_b"
        words = condition_words(node)
        assert words.startswith(f"customer email {op.words}"), words
        assert name not in words.split() and "None" not in words, words
    nested = {"all": [{"field": "x", "op": "truthy"}, {"any": [{"field": "y", "op": "exists"}]}]}
    assert condition_words(nested) == f"x {OPERATORS['truthy'].words} and (y is known)"
