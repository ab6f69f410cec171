"""Imports of the shops' own CSV exports, streaming: Shopify's orders export (one row per line
item, the order's fields on its first row) and products export; WooCommerce's products export
(core) and the orders CSV of the "Order / Coupon / Subscription Export Import" plugin
(WebToffee: one row per order, items in line_item_1..N as `name:..|sku:..|quantity:..`),
since the core Analytics export carries no emails. A bad row (or order) is reported with its
line and reason and rolls back alone; the rest are stored, committed in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heartline.api.validation import parse_item
from heartline.errors import AppError
from heartline.importing import ImportReport, RowError
from heartline.shop import csvrows, mapping
from heartline.shop.models import ShopConnection, ShopProduct
from heartline.shop.schemas import ShopifyOrder, WooOrder
from heartline.shop.store import store_order

IMPORT_KINDS = {
    "shopify-orders": "Shopify orders export (CSV)",
    "woocommerce-orders": "WooCommerce orders (Order Export Import plugin CSV)",
    "shopify-products": "Shopify products export (CSV)",
    "woocommerce-products": "WooCommerce products export (CSV)",
}


def _shop_for(session: Session, platform: str, shop: str | None) -> tuple[str, int | None]:
    """The shop orders are imported for (its domain, its promise days): the one named, or the
    only one connected on the platform."""
    rows = list(session.scalars(select(ShopConnection).where(ShopConnection.platform == platform)))
    if shop:
        domain = (csvrows.woo_host(shop) if platform == "woocommerce" else shop).strip().lower()
        found = next((r for r in rows if r.domain == domain), None)
        return domain, found.promise_days if found else None
    if len(rows) != 1:
        raise ValueError(
            f"--shop: name the {platform} shop these orders are from"
            + (f" ({', '.join(r.domain for r in rows)})" if rows else "")
        )
    return rows[0].domain, rows[0].promise_days


def _problem(exc: AppError, names: dict[str, str]) -> tuple[str, str]:
    detail = exc.details[0] if exc.details else {"field": "row", "message": exc.message}
    where = str(detail["field"])
    head = where.split(".")[0]
    return names.get(where, names.get(head, where)), str(detail["message"])


def _upsert_product(
    session: Session, platform: str, ref: str, title: str, category: str | None
) -> str:
    row = session.scalar(
        select(ShopProduct).where(ShopProduct.platform == platform, ShopProduct.ref == ref)
    )
    if row is None:
        session.add(ShopProduct(platform=platform, ref=ref[:140], title=title[:300],
                                category=category[:120] if category else None))  # fmt: skip
        return "created"
    if (row.title, row.category) == (title[:300], category[:120] if category else None):
        return "unchanged"
    row.title, row.category = title[:300], category[:120] if category else None
    return "updated"


class _Run:
    def __init__(self, session: Session, kind: str, on_error: Callable[[RowError], None] | None):
        self.session, self.on_error = session, on_error
        self.report = ImportReport(kind=kind)
        self.in_batch = 0

    def reject(self, err: RowError) -> None:
        self.report.reject(err, self.on_error)

    def done(self, status: str) -> None:
        status = "unchanged" if status == "ignored" else status
        setattr(self.report, status, getattr(self.report, status) + 1)
        self.in_batch += 1

    def commit(self) -> None:
        self.session.commit()
        self.in_batch = 0


def _orders(run: _Run, kind: str, records: Iterator[csvrows.Record], shop: str | None) -> None:
    platform = "shopify" if kind == "shopify-orders" else "woocommerce"
    domain, promise = _shop_for(run.session, platform, shop)
    model = ShopifyOrder if platform == "shopify" else WooOrder
    for rec in records:
        run.report.rows += rec.rows
        if rec.error:
            run.reject(RowError(rec.line, rec.field, rec.error))
            continue
        try:
            with run.session.begin_nested():
                parsed: Any = parse_item(model, rec.data)
                order = (
                    mapping.shopify_order(domain, parsed) if platform == "shopify"
                    else mapping.woo_order(domain, parsed)
                )  # fmt: skip
                stored = store_order(run.session, platform=platform, order=order,
                                     promise_days=promise)  # fmt: skip
        except AppError as exc:
            where, why = _problem(exc, rec.names)
            run.reject(RowError(rec.line_of(where), where, why))
            continue
        run.done(stored.outcome)
        if run.in_batch >= 200:
            run.commit()


def _products(run: _Run, kind: str, records: Iterator[csvrows.Record]) -> None:
    platform = "shopify" if kind == "shopify-products" else "woocommerce"
    for rec in records:
        run.report.rows += rec.rows
        if rec.error:
            run.reject(RowError(rec.line, rec.field, rec.error))
            continue
        statuses = [
            _upsert_product(run.session, platform, ref, rec.data["title"], rec.data["category"])
            for ref in rec.data["refs"]
        ]
        run.session.flush()
        status = (
            "created"
            if "created" in statuses
            else "updated"
            if "updated" in statuses
            else "unchanged"
        )
        run.done(status)
        if run.in_batch >= 500:
            run.commit()


def import_export(
    factory: sessionmaker[Session],
    *,
    kind: str,
    path: Path,
    shop: str | None = None,
    on_error: Callable[[RowError], None] | None = None,
) -> ImportReport:
    """Import one platform export file (kind: see IMPORT_KINDS); ValueError for a kind or shop
    that cannot be used, before anything is read."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(IMPORT_KINDS)}")
    run = _Run(factory(), kind, on_error)
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as stream:
            records = csvrows.READERS[kind](stream)
            if kind.endswith("-orders"):
                _orders(run, kind, records, shop)
            else:
                _products(run, kind, records)
        run.commit()
    finally:
        run.session.close()
    return run.report
