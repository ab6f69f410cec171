"""Shopify and WooCommerce orders mapped to one neutral shape, and their statuses to
Heartline's OrderStatus. Neither platform has a promised date: that comes from the shop's
"delivery promised within N days" setting when the order is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from heartline.enums import OrderStatus
from heartline.shop.schemas import ShopifyFulfillment, ShopifyOrder, WooOrder

# Shopify fulfillment shipment_status values (carrier tracking) that mean the parcel is moving
# or that it went wrong; `delivered` sets the delivered date.
SHIPPED = {"label_printed", "label_purchased", "confirmed", "in_transit", "out_for_delivery",
           "ready_for_pickup", "attempted_delivery"}  # fmt: skip
TROUBLE = {"failure"}
WOO_STATUS = {
    "pending": OrderStatus.PENDING, "processing": OrderStatus.PENDING,
    "on-hold": OrderStatus.PENDING, "checkout-draft": OrderStatus.PENDING,
    "completed": OrderStatus.DELIVERED, "cancelled": OrderStatus.CANCELLED,
    "failed": OrderStatus.CANCELLED, "trash": OrderStatus.CANCELLED,
    "refunded": OrderStatus.RETURNED,
}  # fmt: skip


@dataclass
class Line:
    """One line item as the platform gave it (the category comes from the catalogue)."""

    title: str
    sku: str | None
    product_id: str | None
    quantity: int
    price: Decimal


@dataclass
class ShopOrder:
    """An order from either platform, ready to store."""

    external_id: str
    placed_at: datetime
    updated_at: datetime
    status: OrderStatus
    delivered_at: datetime | None
    total: Decimal
    currency: str
    email: str | None
    name: str
    phone: str | None
    customer_ref: str | None  # the platform's customer id, as a Heartline external id
    lines: list[Line] = field(default_factory=list)


def _name(first: str | None, last: str | None) -> str:
    return " ".join(p.strip() for p in (first or "", last or "") if p and p.strip())


def fulfilment_state(
    fulfillments: list[ShopifyFulfillment],
) -> tuple[OrderStatus | None, datetime | None]:
    """What a Shopify order's fulfillments say: delivered (and when), shipped, in trouble."""
    states = [(f.shipment_status or "").lower() for f in fulfillments]
    delivered = [f.updated_at or f.created_at for f in fulfillments
                 if (f.shipment_status or "").lower() == "delivered"]  # fmt: skip
    if delivered and len(delivered) == len(fulfillments):
        return OrderStatus.DELIVERED, max((d for d in delivered if d), default=None)
    if any(s in TROUBLE for s in states):
        return OrderStatus.DELAYED, None
    if fulfillments:
        return OrderStatus.SHIPPED, None
    return None, None


def shopify_order(shop: str, o: ShopifyOrder) -> ShopOrder:
    """A Shopify order (REST Admin `Order` resource, as webhooks send it)."""
    status, delivered_at = fulfilment_state(o.fulfillments)
    if o.cancelled_at is not None:
        status, delivered_at = OrderStatus.CANCELLED, None
    elif status is None:
        fulfilled = (o.fulfillment_status or "").lower() in ("fulfilled", "partial")
        status = OrderStatus.SHIPPED if fulfilled else OrderStatus.PENDING
    if (o.financial_status or "").lower() == "refunded" and status == OrderStatus.DELIVERED:
        status = OrderStatus.RETURNED
    c = o.customer
    return ShopOrder(
        external_id=f"shopify:{shop}:{o.id}",
        placed_at=o.created_at,
        updated_at=o.updated_at or o.created_at,
        status=status,
        delivered_at=delivered_at,
        total=o.total_price,
        currency=o.currency.upper(),
        email=o.email or (c.email if c else None),
        name=_name(c.first_name, c.last_name) if c else "",
        phone=c.phone if c else None,
        customer_ref=f"shopify:{shop}:customer:{c.id}" if c and c.id else None,
        lines=[
            Line(li.title, li.sku, str(li.product_id) if li.product_id else None,
                 li.quantity, li.price)
            for li in o.line_items
        ],
    )  # fmt: skip


def woo_order(site: str, o: WooOrder) -> ShopOrder:
    """A WooCommerce order (REST API v3 `order`, as webhooks send it)."""
    status = WOO_STATUS[o.status]
    b = o.billing
    return ShopOrder(
        external_id=f"woo:{site}:{o.id}",
        placed_at=o.date_created_gmt,
        updated_at=o.date_modified_gmt or o.date_created_gmt,
        status=status,
        delivered_at=o.date_completed_gmt if status == OrderStatus.DELIVERED else None,
        total=o.total,
        currency=o.currency.upper(),
        email=b.email,
        name=_name(b.first_name, b.last_name),
        phone=b.phone,
        customer_ref=f"woo:{site}:customer:{o.customer_id}" if o.customer_id else None,
        lines=[
            Line(li.name, li.sku, str(li.product_id) if li.product_id else None,
                 li.quantity, li.price)
            for li in o.line_items
        ],
    )  # fmt: skip
