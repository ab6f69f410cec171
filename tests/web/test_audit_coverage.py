"""The audit trail records who read and who changed what: customer views (page and API),
sign-ins and failed sign-ins, users and tokens, playbook and routing changes."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.web.conftest import csrf_of


def _actions(admin, entity: str, **params) -> list[str]:
    r = admin.get("/audit", params={"entity": entity, **params})
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["items"]]


def test_changes_and_reads_are_audited(api, api_as, web_as, customer) -> None:
    admin = api_as("admin")
    manager = api_as("manager")
    web = web_as("agent")
    assert web.get(f"/customers/{customer['id']}").status_code == 200
    api.get(f"/customers/{customer['id']}/timeline")
    api.get(f"/customers/{customer['id']}/mood")
    assert {"view", "read"} <= set(_actions(admin, "customer", entity_id=customer["id"]))
    from tests.playbooks.test_api import SPEC as spec

    assert manager.put("/playbooks/audit_me", json=spec).status_code == 201
    assert manager.patch("/playbooks/audit_me", json={"enabled": False}).status_code == 200
    assert _actions(admin, "playbook")[:2] == ["playbook.changed", "playbook.created"]
    rules = admin.get("/routing/rules").json()
    assert admin.put("/routing/rules", json={"rules": rules["rules"]}).status_code == 200
    assert admin.delete("/routing/rules").status_code == 200
    assert _actions(admin, "routing")[:2] == ["routing.reset", "routing.changed"]
    web_admin = web_as("admin")
    r = web_admin.post(
        "/settings/users",
        data={"csrf": csrf_of(web_admin.get("/settings").text), "email": "n@example.com",
              "password": "willow-copper-ladder-3", "role": "agent"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    users = _actions(admin, "user")
    assert "user.created" in users and "login" in users


def test_cli_tokens_are_audited(tmp_path) -> None:
    env = {
        **os.environ,
        "HEARTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
        "HEARTLINE_DATA_DIR": str(tmp_path),
    }

    def run(*args: str) -> str:
        p = subprocess.run(
            [sys.executable, "-m", "heartline", *args], env=env, capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert p.returncode == 0, p.stderr
        return p.stdout + p.stderr

    run("db", "upgrade")
    run("tokens", "create", "--name", "shop")
    run("tokens", "revoke", "1")
    import sqlite3

    rows = (
        sqlite3.connect(tmp_path / "a.db")
        .execute("SELECT action, entity, entity_id FROM audit_events ORDER BY id")
        .fetchall()
    )
    assert rows == [("token.created", "token", 1), ("token.revoked", "token", 1)]
