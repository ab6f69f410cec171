"""Shop webhooks (#13) in the documented wire format: the HMAC checked before anything (a bad,
missing or foreign signature is a 401 and stores nothing), each topic mapped to a customer and
an order with items, categories, promised and delivered dates; the same delivery twice, or an
older update after a newer one, never moves an order back; a stored order reaches playbooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers.models import Customer, Order
from heartline.playbooks.models import PlaybookRun
from heartline.shop.models import ShopDelivery, ShopProduct
from tests.shop.payloads import (
    SHOP,
    SHOP_SECRET,
    WOO_SECRET,
    WOO_SITE,
    body,
    fulfillment,
    shopify_order,
    sign,
    woo_order,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def shopify(
    client: TestClient, payload: Any, *, topic: str = "orders/create", secret: str = SHOP_SECRET,
    delivery: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", shop: str = SHOP,
    signature: str | None = None, raw: bytes | None = None,
) -> Any:  # fmt: skip
    data = raw if raw is not None else body(payload)
    headers = {
        "Content-Type": "application/json", "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop, "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-Triggered-At": NOW.isoformat(), "X-Shopify-API-Version": "2025-01",
        "X-Shopify-Hmac-Sha256": signature if signature is not None else sign(secret, data),
    }  # fmt: skip
    return client.post("/api/v1/webhooks/shopify", content=data, headers=headers)


def woo(client: TestClient, payload: Any, *, topic: str = "order.created",
        delivery: str = "1", secret: str = WOO_SECRET) -> Any:  # fmt: skip
    data = body(payload)
    headers = {
        "Content-Type": "application/json", "X-WC-Webhook-Source": WOO_SITE,
        "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1], "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": delivery, "X-WC-Webhook-Signature": sign(secret, data),
    }  # fmt: skip
    return client.post("/api/v1/webhooks/woocommerce", content=data, headers=headers)


def counts(db: Session) -> tuple[int, int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Customer)) or 0,
        db.scalar(select(func.count()).select_from(Order)) or 0,
        db.scalar(select(func.count()).select_from(ShopDelivery)) or 0,
    )


def order_row(db: Session, external_id: str) -> Order:
    db.expire_all()
    found = db.scalar(select(Order).where(Order.external_id == external_id))
    assert found is not None
    return found


SHOP_ORDER = f"shopify:{SHOP}:820982911946154508"


def test_bad_missing_and_foreign_signatures_are_401_and_store_nothing(
    client: TestClient, db: Session, shops: dict[str, int], api_as: Callable[[str], Any]
) -> None:
    admin = api_as("admin")
    payload = shopify_order(placed=NOW)
    before = counts(db)
    wrong = shopify(client, payload, secret="not-the-secret")
    assert wrong.status_code == 401 and "signature" in wrong.json()["error"]["message"]
    assert shopify(client, payload, signature="").status_code == 401
    tampered = body(payload).replace(b"79.90", b"0.01")
    assert (
        shopify(
            client, payload, raw=tampered, signature=sign(SHOP_SECRET, body(payload))
        ).status_code
        == 401
    )
    assert shopify(client, payload, shop="other.myshopify.com").status_code == 401
    assert woo(client, woo_order(placed=NOW), secret=SHOP_SECRET).status_code == 401
    assert counts(db) == before
    # the admin sees why the last one was refused, on the shop (never the secret)
    listed = {x["platform"]: x for x in admin.get("/shops").json()}
    assert "signature" in listed["woocommerce"]["last_error"]
    assert "secret" not in listed["shopify"] and SHOP_SECRET not in str(listed)


def test_shopify_order_create_maps_customer_items_categories_and_promise(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    db.add(
        ShopProduct(
            platform="shopify", ref="sku:BOOT-TR-42", title="Trail boots", category="Hiking"
        )
    )
    db.commit()
    r = shopify(client, shopify_order(placed=NOW - timedelta(hours=1)))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "created"
    order = order_row(db, SHOP_ORDER)
    assert order.status == "pending" and order.total == Decimal("79.90") and order.currency == "EUR"
    assert order.promised_at == NOW - timedelta(hours=1) + timedelta(days=5)
    assert [(i.product, i.sku, i.quantity, i.category) for i in order.items] == [
        ("Trail boots", "BOOT-TR-42", 1, "Hiking"), ("Wool socks", "SOCK-W", 2, None),
    ]  # fmt: skip
    who = db.get(Customer, order.customer_id)
    assert who is not None and who.email == "nora.new@example.com" and who.name == "Nora New"
    # the ORDER event reached the playbooks: a first order runs the welcome playbook
    runs = db.scalars(select(PlaybookRun).where(PlaybookRun.customer_id == who.id)).all()
    assert "first_purchase_welcome" in {r.playbook_key for r in runs}


def test_fulfilment_delivered_late_and_cancellation(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    placed = NOW - timedelta(days=9)
    assert shopify(client, shopify_order(placed=placed)).status_code == 200
    shipped = fulfillment(status="in_transit", at=placed + timedelta(days=2))
    r = shopify(client, shipped, topic="fulfillments/create", delivery="f1")
    assert r.json()["status"] == "updated" and order_row(db, SHOP_ORDER).status == "shipped"
    late = placed + timedelta(days=7)  # promised within 5 days
    r = shopify(
        client, fulfillment(status="delivered", at=late), topic="fulfillments/update", delivery="f2"
    )
    order = order_row(db, SHOP_ORDER)
    assert order.status == "delivered" and order.delivered_at == late and order.is_late
    # an in-transit update arriving after the delivery does not undo it
    shopify(client, shipped, topic="fulfillments/update", delivery="f3")
    assert order_row(db, SHOP_ORDER).status == "delivered"
    # a fulfilment for an order never seen is taken and recorded, nothing stored
    r = shopify(
        client,
        fulfillment(order_id=1, status="delivered", at=late),
        topic="fulfillments/create",
        delivery="f4",
    )
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    other = shopify_order(order_id=99, placed=placed, email="c@example.com")
    shopify(client, other, delivery="o99")
    cancelled = shopify_order(
        order_id=99, placed=placed, updated=NOW, email="c@example.com", cancelled=NOW
    )
    r = shopify(client, cancelled, topic="orders/cancelled", delivery="o99c")
    assert order_row(db, f"shopify:{SHOP}:99").status == "cancelled"


def test_same_delivery_twice_and_older_update_never_regress(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    placed = NOW - timedelta(days=3)
    delivered = {
        "shipment_status": "delivered",
        "updated_at": (NOW - timedelta(hours=2)).isoformat(),
    }
    newer = shopify_order(placed=placed, updated=NOW - timedelta(hours=1), fulfillments=[delivered],
                          fulfillment_status="fulfilled")  # fmt: skip
    older = shopify_order(placed=placed, updated=NOW - timedelta(days=2))
    assert (
        shopify(client, newer, topic="orders/updated", delivery="d1").json()["status"] == "created"
    )
    again = shopify(client, newer, topic="orders/updated", delivery="d1")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    late = shopify(client, older, topic="orders/updated", delivery="d0")
    assert late.json()["status"] == "ignored"
    order = order_row(db, SHOP_ORDER)
    assert order.status == "delivered" and order.delivered_at == NOW - timedelta(hours=2)
    assert counts(db)[1:] == (1, 2)  # one order; the duplicate was not recorded again


def test_bad_json_with_a_good_signature_is_422_naming_the_field(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    before = counts(db)
    broken = shopify_order(placed=NOW)
    broken["line_items"][1]["quantity"] = "two"
    r = shopify(client, broken)
    assert (
        r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "line_items.1.quantity"
    )
    r = shopify(client, None, raw=b"{not json")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body"
    no_date = shopify_order(placed=NOW)
    del no_date["created_at"]
    assert shopify(client, no_date).json()["error"]["details"][0]["field"] == "created_at"
    assert counts(db) == before


def test_woocommerce_ping_topics_and_statuses(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    ping = client.post("/api/v1/webhooks/woocommerce", content=b"webhook_id=12",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert ping.status_code == 200 and counts(db)[2] == 0
    db.add(ShopProduct(platform="woocommerce", ref="id:93", title="Hoodie", category="Hoodies"))
    db.commit()
    placed = NOW - timedelta(days=4)
    assert woo(client, woo_order(placed=placed)).json()["status"] == "created"
    order = order_row(db, "woo:shop.example.org:727")
    assert order.status == "pending" and order.items[0].category == "Hoodies"
    assert order.currency == "GBP" and order.promised_at == placed + timedelta(days=5)
    done = woo_order(
        status="completed", placed=placed, modified=NOW, completed=NOW - timedelta(hours=1)
    )
    assert woo(client, done, topic="order.updated", delivery="2").json()["status"] == "updated"
    order = order_row(db, "woo:shop.example.org:727")
    assert order.status == "delivered" and order.delivered_at == NOW - timedelta(hours=1)
    refunded = woo_order(status="refunded", placed=placed, modified=NOW + timedelta(minutes=5))
    woo(client, refunded, topic="order.updated", delivery="3")
    assert order_row(db, "woo:shop.example.org:727").status == "returned"
    second = woo_order(order_id=728, placed=placed, email="wanda.woo@example.com")
    woo(client, second, delivery="4")
    assert (
        woo(client, {"id": 728}, topic="order.deleted", delivery="5").json()["status"] == "updated"
    )
    assert order_row(db, "woo:shop.example.org:728").status == "cancelled"
    # both orders belong to the one customer found by email
    assert order_row(db, "woo:shop.example.org:728").customer_id == order.customer_id
    bad = woo_order(placed=placed, status="processing")
    bad["status"] = "shipped-by-owl"
    r = woo(client, bad, topic="order.updated", delivery="6")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "status"


def test_an_unusable_email_or_odd_name_does_not_refuse_the_order(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    odd = shopify_order(placed=NOW, email="not an address")
    odd["customer"]["first_name"] = "Nora\x00\x07"
    r = shopify(client, odd)
    assert r.status_code == 200, r.text
    who = db.get(Customer, order_row(db, SHOP_ORDER).customer_id)
    assert who is not None and who.name == "Nora New" and who.email is None
    assert who.external_id == f"shopify:{SHOP}:customer:115310627314723954"
    # the next order of that shop customer finds them by the shop's customer id
    again = shopify_order(order_id=5, placed=NOW, email="nora.later@example.com")
    assert shopify(client, again, delivery="next").status_code == 200
    assert order_row(db, f"shopify:{SHOP}:5").customer_id == who.id
    # no email and no customer: taken, recorded as not used, nothing stored
    guest = shopify_order(order_id=6, placed=NOW, email="")
    guest["customer"] = None
    r = shopify(client, guest, delivery="guest")
    assert r.status_code == 200 and r.json()["status"] == "ignored"


def test_a_carrier_event_marks_the_delivery(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    placed = NOW - timedelta(days=3)
    shopify(client, shopify_order(placed=placed), delivery="o1")
    event = {
        "id": 944956392, "fulfillment_id": 255858046, "order_id": 820982911946154508,
        "status": "delivered", "message": "Delivered to the front door",
        "happened_at": (NOW - timedelta(hours=5)).isoformat(), "city": "Lyon",
        "created_at": (NOW - timedelta(hours=4)).isoformat(), "shop_id": 548380009,
    }  # fmt: skip
    r = shopify(client, event, topic="fulfillment_events/create", delivery="e1")
    assert r.status_code == 200 and r.json()["status"] == "updated"
    order = order_row(db, SHOP_ORDER)
    assert order.status == "delivered" and order.delivered_at == NOW - timedelta(hours=5)
    assert not order.is_late
    del event["status"]
    assert (
        shopify(client, event, topic="fulfillment_events/create", delivery="e2").json()["error"][
            "details"
        ][0]["field"]
        == "status"
    )
