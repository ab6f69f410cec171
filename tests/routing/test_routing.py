"""Routing rules: defaults, validation, admin-only changes, YAML override, escalate-only."""

from __future__ import annotations

import pytest

from heartline.config import get_settings
from heartline.routing import service

RULES = {
    "sla_hours": {"urgent": 1, "high": 2, "normal": 8, "low": 48},
    "default": {"queue": "general", "priority": "low"},
    "rules": [
        {
            "name": "vip",
            "reason": "VIP customer",
            "when": {"field": "customer.vip", "op": "eq", "value": True},
            "then": {"queue": "vip", "priority": "urgent"},
        },
        {
            "name": "billing",
            "when": {"field": "complaint.reason", "op": "eq", "value": "billing_refund"},
            "then": {"queue": "billing", "priority": "normal"},
        },
    ],
}


def test_default_rules_load_and_are_readable_by_agents(api_as):
    r = api_as("agent").get("/routing/rules")
    assert r.status_code == 200
    body = r.json()
    assert body["source"].endswith("default_rules.yaml")
    assert body["sla_hours"] == {"urgent": 1, "high": 4, "normal": 24, "low": 72}
    assert any(rule["then"]["queue"] == "senior" for rule in body["rules"])


def test_put_is_admin_only_and_validated(api_as):
    assert api_as("manager").put("/routing/rules", json=RULES).status_code == 403
    admin = api_as("admin")
    bad = {
        **RULES,
        "rules": [{**RULES["rules"][0], "when": {"field": "reading.mood", "op": "eq", "value": 1}}],
    }
    r = admin.put("/routing/rules", json=bad)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["details"][0]["field"].startswith("body.rules.0.when")
    assert "unknown field 'reading.mood'" in err["message"]
    r = admin.put("/routing/rules", json={**RULES, "sla_hours": {"high": 4}})
    assert r.status_code == 422 and "missing a target for" in r.json()["error"]["message"]
    r = admin.put("/routing/rules", json={**RULES, "rules": [RULES["rules"][0], RULES["rules"][0]]})
    assert r.status_code == 422 and "duplicate rule name" in r.json()["error"]["message"]
    r = admin.put(
        "/routing/rules",
        json={**RULES, "default": {"queue": "General Queue!", "priority": "normal"}},
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body.default.queue"
    ok = admin.put("/routing/rules", json=RULES)
    assert ok.status_code == 200 and ok.json()["source"] == "api"
    assert admin.delete("/routing/rules").json()["source"].endswith(".yaml")


def test_api_rules_route_vip_and_billing(api, api_as):
    api_as("admin").put("/routing/rules", json=RULES)
    vip = api.post("/customers", json={"external_id": "vip-1", "name": "V", "vip": True}).json()
    plain = api.post("/customers", json={"external_id": "p-1", "name": "P"}).json()
    m1 = api.post(
        "/interactions", json={"customer_id": vip["id"], "channel": "email", "text": "Hello there"}
    ).json()
    m2 = api.post(
        "/interactions",
        json={
            "customer_id": plain["id"],
            "channel": "email",
            "text": "I was charged twice, I want my refund, this is unacceptable",
        },
    ).json()
    m3 = api.post(
        "/interactions", json={"customer_id": plain["id"], "channel": "chat", "text": "Hi"}
    ).json()
    c1, c2, c3 = (api.get(f"/conversations/{m['conversation_id']}").json() for m in (m1, m2, m3))
    assert (c1["queue"], c1["priority"], c1["routing"]["rule"]) == ("vip", 4, "vip")
    assert c1["routing"]["reason"] == "VIP customer" and c1["routing"]["sla_hours"] == 1
    assert (c2["queue"], c2["priority"]) == ("billing", 2)
    assert (c3["queue"], c3["priority"], c3["routing"]["rule"]) == ("general", 1, None)
    listed = api.get("/conversations", params={"queue": "vip"}).json()
    assert [c["id"] for c in listed["items"]] == [c1["id"]]


def test_routing_only_escalates(api, customer):
    cid = customer["id"]
    angry = api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "chat",
            "text": "This is outrageous, I am furious, worst service ever!",
        },
    ).json()
    conv = api.get(f"/conversations/{angry['conversation_id']}").json()
    assert conv["queue"] == "senior" and conv["priority"] == 3
    calm = api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "chat",
            "conversation_id": conv["id"],
            "text": "ok thanks",
        },
    ).json()
    after = api.get(f"/conversations/{calm['conversation_id']}").json()
    assert (after["queue"], after["priority"], after["sla_due_at"]) == (
        "senior",
        3,
        conv["sla_due_at"],
    )


def test_rules_file_override(tmp_path, monkeypatch, db):
    path = tmp_path / "rules.yaml"
    path.write_text("sla_hours: {urgent: 1, high: 2, normal: 3, low: 4}\nrules: []\n")
    monkeypatch.setenv("HEARTLINE_ROUTING_RULES_PATH", str(path))
    get_settings.cache_clear()
    try:
        rules, source = service.get_rules(db)
        assert source == str(path) and rules.sla_hours["normal"] == 3 and rules.rules == []
        path.write_text(
            "rules:\n  - name: x\n    when: {field: churn.risk, op: gte, value: high}\n"
            "    then: {queue: senior, priority: high}\n"
        )
        with pytest.raises(Exception) as exc:
            service.get_rules(db)
        assert "rules.0.when" in str(exc.value) and "expected a number" in str(exc.value)
    finally:
        monkeypatch.delenv("HEARTLINE_ROUTING_RULES_PATH")
        get_settings.cache_clear()
