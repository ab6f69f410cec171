"""Store a shop order: the customer found (by the platform's customer id, else by email) or
created, line items given their catalogue category, the promised date from the shop's setting,
and never a step back: an update older than the one stored is ignored, and a delivered order
does not go back to shipped. A stored change hands the order to the pipeline (ORDER event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline import pipeline
from heartline.api.validation import parse_item
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.enums import OrderStatus, PipelineEvent
from heartline.shop.mapping import Line, ShopOrder
from heartline.shop.models import ShopOrderVersion, ShopProduct

# A later status never gives way to an earlier one: a late "processing" update after
# "delivered" (webhooks are not ordered) must not undo the delivery.
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)
FINAL = {OrderStatus.DELIVERED, OrderStatus.RETURNED, OrderStatus.CANCELLED}


@dataclass
class Stored:
    """What storing one shop order did."""

    outcome: str  # created | updated | unchanged | ignored
    order_id: int | None = None
    detail: str | None = None


def category_for(
    session: Session, *, platform: str, sku: str | None, product_id: str | None
) -> str | None:
    """The catalogue's category for a line item, by SKU first, then by product id."""
    refs = [
        r for r in (f"sku:{sku}" if sku else None, f"id:{product_id}" if product_id else None) if r
    ]
    for ref in refs:
        memo: dict[tuple[str, str], str | None] = session.info.setdefault("shop_categories", {})
        if (platform, ref) not in memo:
            memo[(platform, ref)] = session.scalar(
                select(ShopProduct.category).where(
                    ShopProduct.platform == platform, ShopProduct.ref == ref
                )
            )
        if memo[(platform, ref)]:
            return memo[(platform, ref)]
    return None


def _usable_email(value: str | None) -> str | None:
    """The order's email if it is an address at all (a shop may hold anything there): an
    unusable one finds no customer rather than refusing the order."""
    if not value:
        return None
    try:
        return str(_EMAIL.validate_python(value.strip()))
    except ValidationError:
        return None


def _clean(text: str, limit: int) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def _customer_id(session: Session, order: ShopOrder) -> int | None:
    order.email, order.name = _usable_email(order.email), _clean(order.name, 200)
    order.phone = _clean(order.phone, 40) if order.phone else None
    if order.customer_ref:
        found = customer_service.find_customer(session, external_id=order.customer_ref)
        if found is not None:
            return found.id
    if order.email:
        return customer_service.customer_for_address(session, email=order.email, name=order.name)
    if order.customer_ref:
        data = parse_item(
            CustomerIn,
            {"external_id": order.customer_ref, "name": order.name, "phone": order.phone},
        )
        return customer_service.upsert_customer(session, data=data).obj.id
    return None


def _items(session: Session, platform: str, lines: list[Line]) -> list[dict[str, Any]]:
    return [
        {
            "product": line.title, "sku": line.sku, "quantity": line.quantity,
            "unit_price": str(line.price),
            "category": category_for(session, platform=platform, sku=line.sku,
                                     product_id=line.product_id),
        }
        for line in lines
    ]  # fmt: skip


def _newer_than_stored(session: Session, order: ShopOrder) -> bool:
    version = session.get(ShopOrderVersion, order.external_id)
    if version is None:
        session.add(ShopOrderVersion(external_id=order.external_id, updated_at=order.updated_at))
        return True
    if order.updated_at < version.updated_at:
        return False
    version.updated_at = order.updated_at
    return True


def store_order(
    session: Session, *, platform: str, order: ShopOrder, promise_days: int | None
) -> Stored:
    """Create or update the order (see the module docstring); flushes, never commits."""
    if not _newer_than_stored(session, order):
        known = customer_service.find_order_id(session, external_id=order.external_id)
        return Stored("ignored", known, "older than the version already stored")
    customer_id = _customer_id(session, order)
    if customer_id is None:
        return Stored("ignored", None, "the order has no customer email or customer id")
    status, delivered_at = order.status, order.delivered_at
    existing_id = customer_service.find_order_id(session, external_id=order.external_id)
    if existing_id is not None:
        old = customer_service.get_order(session, order_id=existing_id)
        if old.status in FINAL and status not in FINAL:
            status, delivered_at = OrderStatus(old.status), old.delivered_at
    promised = order.placed_at + timedelta(days=promise_days) if promise_days else None
    data = parse_item(
        OrderIn,
        {
            "external_id": order.external_id, "customer_id": customer_id, "status": status,
            "placed_at": order.placed_at, "promised_at": promised,
            "delivered_at": delivered_at, "total": str(order.total), "currency": order.currency,
            "items": _items(session, platform, order.lines),
        },
    )  # fmt: skip
    result = customer_service.upsert_order(session, data=data)
    if result.status != "unchanged":
        pipeline.submit(session, PipelineEvent.ORDER, [result.obj.id])
    return Stored(result.status, result.obj.id)


def apply_status(
    session: Session, *, external_id: str, status: OrderStatus, delivered_at: datetime | None
) -> Stored:
    """A status event on a stored order (a Shopify fulfillment, a WooCommerce deletion):
    never a step back, and nothing for an order not stored yet."""
    order_id = customer_service.find_order_id(session, external_id=external_id)
    if order_id is None:
        return Stored("ignored", None, "the order is not known yet")
    old = customer_service.get_order(session, order_id=order_id)
    if old.status in FINAL or old.status == status:
        return Stored("unchanged", order_id)
    data = parse_item(
        OrderIn,
        {
            "external_id": external_id, "customer_id": old.customer_id, "status": status,
            "placed_at": old.placed_at, "promised_at": old.promised_at,
            "delivered_at": delivered_at, "total": str(old.total), "currency": old.currency,
        },
    )  # fmt: skip
    result = customer_service.upsert_order(session, data=data)
    if result.status != "unchanged":
        pipeline.submit(session, PipelineEvent.ORDER, [order_id])
    return Stored(result.status, order_id)
