"""The shops' CSV exports read row by row into the platforms' order JSON shape (so the CSV
and the webhooks share one mapping), or into catalogue entries for the product exports."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import datetime
from typing import IO, Any
from urllib.parse import urlsplit


@dataclass
class Record:
    """One order (or product) read from the file: its data, or why it cannot be read."""

    line: int
    rows: int = 1
    data: dict[str, Any] = _field(default_factory=dict)
    error: str | None = None
    field: str = "row"
    names: dict[str, str] = _field(default_factory=dict)  # JSON field -> CSV column
    item_lines: list[int] = _field(default_factory=list)

    def line_of(self, column: str) -> int:
        """The file line a problem is on: a line item's own row where known."""
        match = re.search(r"#(\d+)$", column)
        if match and int(match.group(1)) - 1 < len(self.item_lines):
            return self.item_lines[int(match.group(1)) - 1]
        return self.line


def woo_host(site: str) -> str:
    """A WooCommerce site's host from its address (or the host itself)."""
    parts = urlsplit(site.strip() if "//" in site else "//" + site.strip())
    return (parts.netloc or site).lower()


def parse_when(value: str) -> str | None:
    """Dates as the exports write them (`2026-03-02 10:15:00 -0500`, ISO), as ISO text."""
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z"):
        try:
            return datetime.strptime(value, fmt).isoformat()
        except ValueError:
            pass
    return value  # ISO and anything else: the schema names the column if it is not a date


def _rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    reader = csv.DictReader(stream)
    for row in reader:
        if None in row:
            yield reader.line_num, None, "more cells than columns"
            continue
        yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}, None


SHOPIFY_NAMES = {
    "id": "Id", "name": "Name", "email": "Email", "created_at": "Created at",
    "cancelled_at": "Cancelled at", "financial_status": "Financial Status",
    "fulfillment_status": "Fulfillment Status", "total_price": "Total", "currency": "Currency",
}  # fmt: skip
SHOPIFY_ITEM = {"title": "Lineitem name", "sku": "Lineitem sku",
                "quantity": "Lineitem quantity", "price": "Lineitem price"}  # fmt: skip


def _shopify_item(row: dict[str, str]) -> dict[str, Any]:
    return {k: row.get(col) or None for k, col in SHOPIFY_ITEM.items() if row.get(col)}


def _shopify_order(line: int, row: dict[str, str]) -> Record:
    first, _, last = (row.get("Billing Name") or "").partition(" ")
    data: dict[str, Any] = {
        "id": row.get("Id") or None, "name": row.get("Name"), "email": row.get("Email") or None,
        "customer": {"first_name": first or None, "last_name": last or None,
                     "phone": row.get("Phone") or row.get("Billing Phone") or None},
        "created_at": parse_when(row.get("Created at", "")),
        "cancelled_at": parse_when(row.get("Cancelled at", "")),
        "financial_status": row.get("Financial Status") or None,
        "fulfillment_status": row.get("Fulfillment Status") or None,
        "total_price": row.get("Total") or "0", "currency": row.get("Currency") or "USD",
        "line_items": [_shopify_item(row)],
    }  # fmt: skip
    names = dict(SHOPIFY_NAMES)
    if data["id"] is None:  # an export without the Id column: the order number stands in
        data["id"] = re.sub(r"\D", "", row.get("Name", "")) or None
        names["id"] = "Name"
    return Record(line=line, data=data, names=names, item_lines=[line])


def shopify_orders(stream: IO[str]) -> Iterator[Record]:
    """Shopify's orders export: consecutive rows with the same Name are one order."""
    current: Record | None = None
    for line, row, problem in _rows(stream):
        if row is None:
            yield Record(line=line, error=problem)
            continue
        if current is not None and row.get("Name") == current.data.get("name"):
            current.rows += 1
            current.data["line_items"].append(_shopify_item(row))
            current.item_lines.append(line)
            continue
        if current is not None:
            yield _named_items(current)
        current = _shopify_order(line, row)
    if current is not None:
        yield _named_items(current)


def _named_items(rec: Record) -> Record:
    for i in range(len(rec.data.get("line_items", []))):
        for key, col in SHOPIFY_ITEM.items():
            rec.names[f"line_items.{i}.{key}"] = f"{col} #{i + 1}"
    for key, col in (("title", "Lineitem name"), ("name", "Lineitem name")):
        rec.names.setdefault(key, col)
    return rec


WOO_NAMES = {
    "id": "order_id", "number": "order_number", "status": "status",
    "date_created_gmt": "order_date", "date_completed_gmt": "completed_date",
    "total": "order_total", "currency": "order_currency", "customer_id": "customer_id",
    "billing": "billing_email",
}  # fmt: skip


def _woo_item(text: str) -> dict[str, Any]:
    parts = dict(p.split(":", 1) for p in text.split("|") if ":" in p)
    qty = parts.get("quantity") or "1"
    item: dict[str, Any] = {
        "name": parts.get("name"),
        "sku": parts.get("sku") or None,
        "product_id": parts.get("product_id") or None,
        "quantity": qty,
    }
    if parts.get("total") and qty.isdigit() and int(qty) > 0:
        try:
            item["price"] = f"{float(parts['total']) / int(qty):.2f}"
        except ValueError:
            item["price"] = parts["total"]
    return item


def woo_orders(stream: IO[str]) -> Iterator[Record]:
    """The Order Export Import plugin's orders CSV: one row per order."""
    for line, row, problem in _rows(stream):
        if row is None:
            yield Record(line=line, error=problem)
            continue
        items = [_woo_item(v) for k, v in row.items() if k.startswith("line_item_") and v]
        status = (row.get("status") or "").removeprefix("wc-")
        data = {
            "id": row.get("order_id") or None, "number": row.get("order_number") or None,
            "status": status, "date_created_gmt": parse_when(row.get("order_date", "")),
            "date_modified_gmt": parse_when(row.get("order_date", "")),
            "date_completed_gmt": parse_when(row.get("completed_date", "")),
            "customer_id": row.get("customer_id") or row.get("customer_user") or None,
            "billing": {"email": row.get("billing_email") or None,
                        "first_name": row.get("billing_first_name") or None,
                        "last_name": row.get("billing_last_name") or None,
                        "phone": row.get("billing_phone") or None},
            "line_items": items, "total": row.get("order_total") or "0",
            "currency": row.get("order_currency") or "USD",
        }  # fmt: skip
        if data["customer_id"] == "0":  # a guest checkout
            data["customer_id"] = None
        names = dict(WOO_NAMES) | {"line_items": "line_item_1"}
        for i in range(len(items)):
            names[f"line_items.{i}.name"] = names[f"line_items.{i}.quantity"] = f"line_item_{i + 1}"
            names[f"line_items.{i}.price"] = f"line_item_{i + 1}"
        yield Record(line=line, data=data, names=names)


def shopify_products(stream: IO[str]) -> Iterator[Record]:
    """Shopify's products export: one row per variant; the category is the product Type (or
    the last step of Product Category), carried to the variants below the product's row."""
    titles: dict[str, tuple[str, str | None]] = {}
    for line, row, problem in _rows(stream):
        if row is None:
            yield Record(line=line, error=problem)
            continue
        handle = row.get("Handle", "")
        if not handle:
            yield Record(line=line, error="no Handle", field="Handle")
            continue
        if row.get("Title"):
            kind = row.get("Type") or (row.get("Product Category") or "").split(">")[-1].strip()
            titles[handle] = (row["Title"], kind or None)
        title, category = titles.get(handle, (handle, None))
        sku = row.get("Variant SKU")
        if not sku:
            yield Record(line=line, data={"title": title, "category": category, "refs": []})
            continue
        yield Record(line=line, data={"title": title, "category": category, "refs": [f"sku:{sku}"]})


def woo_products(stream: IO[str]) -> Iterator[Record]:
    """WooCommerce's product export (core): ID, SKU, Name, Categories ("A > B, C": the first
    category's last step), Parent ("id:12" on variations, which take the parent's category)."""
    by_id: dict[str, str | None] = {}
    for line, row, problem in _rows(stream):
        if row is None:
            yield Record(line=line, error=problem)
            continue
        pid, sku, name = row.get("ID", ""), row.get("SKU", ""), row.get("Name", "")
        if not pid.isdigit() and not sku:
            yield Record(line=line, error="a product needs an ID or a SKU", field="ID")
            continue
        first = (row.get("Categories") or "").split(",")[0]
        category = first.split(">")[-1].strip() or None
        parent = (row.get("Parent") or "").removeprefix("id:")
        if category is None and parent:
            category = by_id.get(parent)
        if pid.isdigit():
            by_id[pid] = category
        refs = ([f"id:{pid}"] if pid.isdigit() else []) + ([f"sku:{sku}"] if sku else [])
        yield Record(
            line=line, data={"title": name or sku or pid, "category": category, "refs": refs}
        )


READERS: dict[str, Callable[[IO[str]], Iterator[Record]]] = {
    "shopify-orders": shopify_orders,
    "woocommerce-orders": woo_orders,
    "shopify-products": shopify_products,
    "woocommerce-products": woo_products,
}
