"""The shop connections API (#13): an admin connects, changes and removes a shop; the secret is
stored sealed and never returned or audited; bad input is a 422 naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.privacy.audit import AuditEvent
from heartline.sealed import unseal
from heartline.shop.models import SECRET, ShopConnection


def test_connect_change_and_remove_a_shop(db: Session, api_as: Callable[[str], Any]) -> None:
    admin = api_as("admin")
    new = {"platform": "woocommerce", "domain": "https://Shop.Example.org/", "promise_days": 3}
    r = admin.put("/shops", json=new)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body.secret"
    for field, value in (("domain", "not a domain"), ("promise_days", 0), ("platform", "etsy"),
                         ("secret", "short")):  # fmt: skip
        r = admin.put("/shops", json={**new, "secret": "long-enough-secret", field: value})
        assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == f"body.{field}"
    assert db.scalar(select(ShopConnection)) is None
    r = admin.put("/shops", json={**new, "secret": "long-enough-secret"})
    assert r.status_code == 200, r.text
    shop = r.json()
    assert shop["domain"] == "shop.example.org" and "secret" not in str(shop)
    row = db.get(ShopConnection, shop["id"])
    assert row is not None and unseal(row.secret_sealed, purpose=SECRET) == "long-enough-secret"
    # a change without the secret keeps it
    r = admin.put("/shops", json={"platform": "woocommerce", "domain": "shop.example.org"})
    assert r.json()["promise_days"] is None
    db.expire_all()
    assert unseal(db.get(ShopConnection, shop["id"]).secret_sealed, purpose=SECRET) == (
        "long-enough-secret"
    )
    trail = db.scalars(select(AuditEvent).where(AuditEvent.entity == "shop")).all()
    assert [e.action for e in trail] == ["shop.connected", "shop.updated"]
    assert "long-enough-secret" not in str([e.details for e in trail])
    assert admin.delete(f"/shops/{shop['id']}").status_code == 204
    assert admin.delete(f"/shops/{shop['id']}").status_code == 404
    assert admin.get("/shops").json() == []
    assert api_as("manager").get("/shops").status_code == 403
