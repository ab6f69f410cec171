"""Shop export imports (#13): Shopify's orders and products exports, WooCommerce's products
export and the Order Export Import plugin's orders CSV, from the sample files in samples/. A bad
row (or a bad line of an order) is reported with its line and reason while the rest are stored;
product categories reach the order lines; re-running changes nothing; the command line too."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline import db as dbmod
from heartline.customers.models import Customer, Order
from heartline.shop import service as shop_service
from heartline.shop.models import ShopProduct

SAMPLES = Path(__file__).parent / "samples"


def run(kind: str, name: str, shop: str | None = None) -> shop_service.ImportReport:
    return shop_service.import_export(
        dbmod.get_sessionmaker(), kind=kind, path=SAMPLES / name, shop=shop
    )


def orders(db: Session, prefix: str) -> dict[str, Order]:
    db.expire_all()
    rows = db.scalars(select(Order).where(Order.external_id.like(f"{prefix}%")))
    return {o.external_id or "": o for o in rows}


def test_shopify_products_then_orders(db: Session, shops: dict[str, int]) -> None:
    products = run("shopify-products", "shopify_products.csv")
    assert (products.rows, products.created, products.failed) == (5, 4, 1)
    assert [(e.line, e.field) for e in products.errors] == [(5, "Handle")]
    db.expire_all()
    cats = dict(db.execute(select(ShopProduct.ref, ShopProduct.category)).all())
    assert cats["sku:BOOT-TR-43"] == "Hiking"  # a variant row takes its product's Type
    assert cats["sku:SOCK-W"] == "Socks"  # no Type: the last step of Product Category

    report = run("shopify-orders", "shopify_orders.csv")  # the one Shopify shop connected
    assert (report.rows, report.created, report.failed) == (6, 3, 1)
    [bad] = report.errors
    assert (bad.line, bad.field) == (6, "Lineitem quantity #2") and "integer" in bad.message
    got = orders(db, "shopify:kettle-harbour.myshopify.com:")
    first = got["shopify:kettle-harbour.myshopify.com:5001000001"]
    assert first.status == "shipped" and first.total == Decimal("79.90")
    assert first.placed_at == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert first.promised_at == first.placed_at + timedelta(days=5)
    assert [(i.product, i.quantity, i.category) for i in first.items] == [
        ("Trail boots", 1, "Hiking"), ("Wool socks", 2, "Socks"),
    ]  # fmt: skip
    assert got["shopify:kettle-harbour.myshopify.com:5001000002"].status == "cancelled"
    assert got["shopify:kettle-harbour.myshopify.com:5001000004"].currency == "USD"
    assert "shopify:kettle-harbour.myshopify.com:5001000003" not in got
    nora = db.get(Customer, first.customer_id)
    assert nora is not None and (nora.name, nora.email) == ("Nora New", "nora.new@example.com")

    again = run("shopify-orders", "shopify_orders.csv")
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 3, 1)


def test_woocommerce_products_then_orders(db: Session, shops: dict[str, int]) -> None:
    products = run("woocommerce-products", "woocommerce_products.csv")
    assert (products.created, products.failed) == (3, 1)
    assert products.errors[0].line == 5 and products.errors[0].field == "ID"
    report = run("woocommerce-orders", "woocommerce_orders.csv", shop="https://shop.example.org/")
    assert (report.rows, report.created, report.failed) == (4, 3, 1)
    [bad] = report.errors
    assert (bad.line, bad.field) == (4, "order_date")
    got = orders(db, "woo:shop.example.org:")
    done = got["woo:shop.example.org:727"]
    assert done.status == "delivered" and done.delivered_at == datetime(2026, 2, 13, 16, tzinfo=UTC)
    assert done.promised_at == datetime(2026, 2, 15, 9, 30, tzinfo=UTC) and not done.is_late
    assert [(i.product, i.sku, i.category) for i in done.items] == [
        ("Hoodie - Blue", "woo-hoodie-blue", "Hoodies"),
    ]
    beanies = got["woo:shop.example.org:728"]
    assert beanies.items[0].unit_price == Decimal("18.00") and beanies.items[0].quantity == 2
    assert beanies.items[0].category == "Hats"
    assert got["woo:shop.example.org:730"].status == "cancelled"
    assert len(got["woo:shop.example.org:730"].items) == 2


def test_orders_without_a_shop_named_when_two_could_be_meant(db: Session) -> None:
    try:
        run("woocommerce-orders", "woocommerce_orders.csv")
    except ValueError as exc:
        assert "--shop" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("an import with no shop connected and none named must stop")


def test_command_line_reports_bad_rows(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HEARTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HEARTLINE_DATA_DIR": str(tmp_path),
        "HEARTLINE_EMOTION_ENGINE": "lexicon",
    }

    def heartline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "heartline", *args], capture_output=True, text=True,
            env=env, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    assert heartline("db", "upgrade").returncode == 0
    errors = tmp_path / "errors.csv"
    proc = heartline(
        "import", "shopify-orders", str(SAMPLES / "shopify_orders.csv"),
        "--shop", "kettle-harbour.myshopify.com", "--errors", str(errors),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "3 created" in proc.stdout and "1 rejected" in proc.stdout
    assert "line 6" in proc.stderr and "Lineitem quantity #2" in proc.stderr
    assert errors.read_text().splitlines()[1].startswith("6,Lineitem quantity #2,")
    nope = heartline("import", "woocommerce-orders", str(SAMPLES / "woocommerce_orders.csv"))
    assert nope.returncode == 2 and "--shop" in nope.stderr
