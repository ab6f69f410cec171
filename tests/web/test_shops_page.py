"""Settings -> Shops (#13): an admin connects a Shopify shop with its secret and delivery promise
(a wrong field keeps the form and says what is wrong, the secret never comes back into the page),
the shop's notifications then arrive signed and are listed with what they did; agents and
managers cannot open the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.shop.models import ShopConnection
from tests.shop.payloads import SHOP, SHOP_SECRET, body, shopify_order, sign
from tests.web.conftest import csrf_of


def test_an_admin_connects_a_shop_and_sees_its_orders_arrive(web_as, db: Session) -> None:
    admin: TestClient = web_as("admin")
    settings = admin.get("/settings").text
    assert 'href="/settings/shops"' in settings
    page = admin.get("/settings/shops")
    assert page.status_code == 200 and "No shop yet" in page.text
    assert "/api/v1/webhooks/shopify" in page.text  # where to point the shop
    bad = admin.post("/settings/shops", data={
        "platform": "shopify", "domain": "not a shop", "secret": SHOP_SECRET,
        "promise_days": "5", "csrf": csrf_of(page.text),
    })  # fmt: skip
    assert bad.status_code == 422 and "The shop&#39;s address" in bad.text
    assert SHOP_SECRET not in bad.text and 'value="not a shop"' in bad.text
    no_secret = admin.post("/settings/shops", data={
        "platform": "shopify", "domain": SHOP, "promise_days": "5", "csrf": csrf_of(page.text),
    })  # fmt: skip
    assert no_secret.status_code == 422 and "at least 8 characters" in no_secret.text
    saved = admin.post("/settings/shops", data={
        "platform": "shopify", "domain": SHOP.upper(), "secret": SHOP_SECRET,
        "promise_days": "5", "csrf": csrf_of(page.text),
    })  # fmt: skip
    assert saved.status_code == 200 and f"Shopify shop {SHOP} saved." in saved.text
    assert SHOP_SECRET not in saved.text and "5 days" in saved.text
    row = db.scalar(select(ShopConnection))
    assert row is not None and row.domain == SHOP and SHOP_SECRET not in row.secret_sealed

    data = body(shopify_order(placed=datetime.now(UTC) - timedelta(hours=1)))
    r = admin.post("/api/v1/webhooks/shopify", content=data, headers={
        "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": "w1", "X-Shopify-Hmac-Sha256": sign(SHOP_SECRET, data),
        "Content-Type": "application/json",
    })  # fmt: skip
    assert r.status_code == 200, r.text
    listed = admin.get("/settings/shops").text
    assert "order placed" in listed and "✓ new order" in listed

    # the promise can change without typing the secret again
    changed = admin.post("/settings/shops", data={
        "platform": "shopify", "domain": SHOP, "promise_days": "3", "csrf": csrf_of(listed),
    })  # fmt: skip
    assert "3 days" in changed.text
    gone = admin.post(f"/settings/shops/{row.id}/remove", data={"csrf": csrf_of(changed.text)})
    assert "Shop disconnected." in gone.text and "No shop yet" in gone.text
    for role in ("agent", "manager"):
        assert web_as(role).get("/settings/shops").status_code == 403
