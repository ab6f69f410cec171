"""Shop data drives the order playbooks (#13): a regular buyer's orders arrive by Shopify
webhooks, the last one delivered later than the shop promises; after the customer writes about
it, the built-in delay-recovery playbook fires and names the late product. A WooCommerce
delivery brings the check-in; catalogue categories bring the interest offer."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.playbooks import outbox
from heartline.playbooks import service as playbook_service
from heartline.shop.models import ShopProduct
from tests.playbooks.helpers import NOW, feel, outbox_for, runs_for
from tests.shop.payloads import SHOP, fulfillment, shopify_order, woo_order
from tests.shop.test_webhooks import shopify, woo


def test_late_delivery_from_webhooks_triggers_delay_recovery(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    last = NOW - timedelta(days=75)
    for i in reversed(range(4)):  # monthly orders, each delivered in 2 days
        placed = last - timedelta(days=30 * i)
        oid = 1000 + i
        r = shopify(client, shopify_order(oid, placed=placed, email="maya@example.com"),
                    delivery=f"o{oid}")  # fmt: skip
        assert r.status_code == 200, r.text
        done = fulfillment(oid, status="delivered", at=placed + timedelta(days=2))
        shopify(client, done, topic="fulfillments/create", delivery=f"f{oid}")
    # the newest order: promised within 5 days, delivered after 12
    late_placed = NOW - timedelta(days=40)
    shopify(
        client, shopify_order(2000, placed=late_placed, email="maya@example.com"), delivery="o2000"
    )
    late_at = late_placed + timedelta(days=12)
    shopify(client, fulfillment(2000, status="delivered", at=late_at), topic="fulfillments/update",
            delivery="f2000")  # fmt: skip
    late_id = customer_service.find_order_id(db, external_id=f"shopify:{SHOP}:2000")
    assert late_id is not None
    late = customer_service.get_order(db, order_id=late_id)
    assert late.is_late and late.promised_at == late_placed + timedelta(days=5)
    who = late.customer_id
    feel(db, who, "Great, another delay. Still no sign of my boots.", at=NOW - timedelta(days=32),
         sentiment="positive", valence=0.2, order_id=late_id)  # fmt: skip

    playbook_service.run_scheduled(db, now=NOW)
    db.commit()
    outbox.deliver_due(db, now=NOW)

    [run] = runs_for(db, who, "delay_recovery")
    assert run.status == "fired"
    [msg] = [m for m in outbox_for(db, who) if m.playbook_key == "delay_recovery"]
    assert f"({late.external_id}) had a delay" in msg.body
    assert "your Trail boots arrived later than we promised" in msg.body


def _woo_run(db: Session) -> None:
    playbook_service.run_scheduled(db, now=NOW)
    db.commit()
    outbox.deliver_due(db, now=NOW)


def test_a_delivery_from_woocommerce_brings_the_check_in(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    placed, delivered = NOW - timedelta(days=10), NOW - timedelta(days=6)
    done = woo_order(41, status="completed", placed=placed, modified=delivered, completed=delivered)
    assert woo(client, done, delivery="c41").json()["status"] == "created"
    order_id = customer_service.find_order_id(db, external_id="woo:shop.example.org:41")
    assert order_id is not None
    who = customer_service.get_order(db, order_id=order_id).customer_id
    _woo_run(db)
    [run] = runs_for(db, who, "product_check_in")
    assert run.status == "fired"
    [msg] = [m for m in outbox_for(db, who) if m.playbook_key == "product_check_in"]
    assert "your new Hoodie - Blue" in msg.subject


def test_catalogue_categories_feed_the_interest_offer(
    client: TestClient, db: Session, shops: dict[str, int]
) -> None:
    db.add(ShopProduct(platform="woocommerce", ref="id:93", title="Hoodie", category="Hoodies"))
    db.commit()
    for n, days in ((51, 80), (52, 30)):
        placed = NOW - timedelta(days=days)
        done = woo_order(n, status="completed", placed=placed, modified=placed + timedelta(days=2),
                         completed=placed + timedelta(days=2))  # fmt: skip
        assert woo(client, done, delivery=f"i{n}").status_code == 200
    order_id = customer_service.find_order_id(db, external_id="woo:shop.example.org:52")
    assert order_id is not None
    who = customer_service.get_customer(
        db, customer_id=customer_service.get_order(db, order_id=order_id).customer_id
    )
    who.consent_marketing = True  # the shop's customers do not bring marketing consent along
    db.commit()
    _woo_run(db)
    [msg] = [m for m in outbox_for(db, who.id) if m.playbook_key == "interest_offer"]
    assert msg.subject == "A little something for your love of hoodies"
