"""Webhook deliveries from Shopify and WooCommerce: the signature checked first (base64 of the
HMAC-SHA256 of the raw body under the shop's secret: `X-Shopify-Hmac-Sha256`,
`X-WC-Webhook-Signature`), then the topic mapped and the order stored. A delivery id seen
before is answered without storing anything again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.api.validation import parse_item
from heartline.enums import OrderStatus
from heartline.errors import AppError, ErrorCode
from heartline.sealed import unseal
from heartline.shop import mapping
from heartline.shop.models import SECRET, ShopConnection, ShopDelivery
from heartline.shop.schemas import (
    ShopifyFulfillmentEvent,
    ShopifyOrder,
    ShopifyTrackingEvent,
    WooDeleted,
    WooOrder,
)
from heartline.shop.store import Stored, apply_status, store_order

SHOPIFY_ORDER_TOPICS = {"orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled",
                        "orders/partially_fulfilled", "orders/paid"}  # fmt: skip
SHOPIFY_FULFILMENT_TOPICS = {"fulfillments/create", "fulfillments/update"}
WOO_ORDER_TOPICS = {"order.created", "order.updated", "order.restored"}
WOO_PING = re.compile(rb"^webhook_id=\d+$")  # the ping WooCommerce sends when a hook is saved


class Refused(AppError):
    """A delivery refused; `shop_id` names the shop it claimed to come from, when known."""

    def __init__(self, error: AppError, shop_id: int | None) -> None:
        super().__init__(error.code, error.message, error.http_status, error.details)
        self.shop_id = shop_id


@dataclass
class Taken:
    """A delivery taken: what it did (`duplicate` when its id was seen before)."""

    outcome: str
    topic: str
    order_id: int | None = None
    detail: str | None = None


def _unauthorised(why: str, shop_id: int | None = None) -> Refused:
    return Refused(AppError(ErrorCode.UNAUTHORIZED, why), shop_id)


def signature(secret: str, body: bytes) -> str:
    """The documented signature of a body: base64(HMAC-SHA256(secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _shop(
    session: Session, platform: str, domain: str, given: str | None, body: bytes
) -> ShopConnection:
    shop = session.scalar(
        select(ShopConnection).where(
            ShopConnection.platform == platform, ShopConnection.domain == domain.lower()
        )
    )
    if shop is None:
        raise _unauthorised(f"no {platform} shop {domain!r} is connected")
    if not given:
        raise _unauthorised("the signature header is missing", shop.id)
    try:
        secret = unseal(shop.secret_sealed, purpose=SECRET)
    except ValueError as exc:
        raise _unauthorised(str(exc), shop.id) from None
    if not hmac.compare_digest(signature(secret, body), given.strip()):
        raise _unauthorised("the signature does not match the shop's secret", shop.id)
    return shop


def _json(body: bytes, shop_id: int) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        error = AppError(
            ErrorCode.VALIDATION_ERROR, f"body: not JSON ({exc})",
            details=[{"field": "body", "message": "not JSON", "type": "json_invalid"}],
        )  # fmt: skip
        raise Refused(error, shop_id) from None


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], data: Any, shop_id: int) -> M:
    try:
        return parse_item(model, data)
    except AppError as exc:
        raise Refused(exc, shop_id) from None


def _seen(session: Session, shop: ShopConnection, delivery_id: str) -> bool:
    return (
        session.scalar(
            select(ShopDelivery.id).where(
                ShopDelivery.shop_id == shop.id, ShopDelivery.delivery_id == delivery_id
            )
        )
        is not None
    )


def _record(
    session: Session, shop: ShopConnection, delivery_id: str, topic: str, done: Stored
) -> Taken:
    session.add(ShopDelivery(
        shop_id=shop.id, delivery_id=delivery_id, topic=topic[:80], outcome=done.outcome,
        detail=done.detail, order_id=done.order_id,
    ))  # fmt: skip
    session.flush()
    return Taken(done.outcome, topic, done.order_id, done.detail)


def _delivery_id(given: str | None, body: bytes) -> str:
    return (given or "").strip()[:120] or "sha256:" + hashlib.sha256(body).hexdigest()[:64]


def receive_shopify(session: Session, *, headers: Mapping[str, str], body: bytes) -> Taken:
    """One Shopify delivery; Refused (401, or 422 naming the field) stores nothing."""
    domain = (headers.get("x-shopify-shop-domain") or "").strip().lower()
    shop = _shop(session, "shopify", domain, headers.get("x-shopify-hmac-sha256"), body)
    topic = (headers.get("x-shopify-topic") or "").strip()
    delivery = _delivery_id(headers.get("x-shopify-webhook-id"), body)
    if _seen(session, shop, delivery):
        return Taken("duplicate", topic)
    data = _json(body, shop.id)
    if topic in SHOPIFY_ORDER_TOPICS:
        order = mapping.shopify_order(shop.domain, _parse(ShopifyOrder, data, shop.id))
        done = _store(session, shop, order)
    elif topic in SHOPIFY_FULFILMENT_TOPICS or topic == "fulfillment_events/create":
        if topic == "fulfillment_events/create":  # a carrier event: its status is the shipment's
            t = _parse(ShopifyTrackingEvent, data, shop.id)
            event = ShopifyFulfillmentEvent(
                order_id=t.order_id, shipment_status=t.status,
                updated_at=t.happened_at or t.created_at,
            )  # fmt: skip
        else:
            event = _parse(ShopifyFulfillmentEvent, data, shop.id)
        status, when = mapping.fulfilment_state([event])
        done = apply_status(
            session, external_id=f"shopify:{shop.domain}:{event.order_id}",
            status=status or OrderStatus.SHIPPED, delivered_at=when,
        )  # fmt: skip
    else:
        done = Stored("ignored", None, f"Heartline does not use {topic or 'this topic'}")
    return _record(session, shop, delivery, topic, done)


def _store(session: Session, shop: ShopConnection, order: mapping.ShopOrder) -> Stored:
    try:
        return store_order(
            session, platform=shop.platform, order=order, promise_days=shop.promise_days
        )
    except AppError as exc:
        raise Refused(exc, shop.id) from None


def woo_site(source: str) -> str:
    """The site host a WooCommerce delivery names (`X-WC-Webhook-Source`, a URL)."""
    parts = urlsplit(source.strip() if "//" in source else "//" + source.strip())
    return (parts.netloc or "").lower()


def is_woo_ping(body: bytes) -> bool:
    """Whether this is the ping WooCommerce sends when a webhook is saved."""
    return bool(WOO_PING.match(body.strip()))


def receive_woocommerce(session: Session, *, headers: Mapping[str, str], body: bytes) -> Taken:
    """One WooCommerce delivery; Refused (401, or 422 naming the field) stores nothing."""
    site = woo_site(headers.get("x-wc-webhook-source") or "")
    shop = _shop(session, "woocommerce", site, headers.get("x-wc-webhook-signature"), body)
    topic = (headers.get("x-wc-webhook-topic") or "").strip()
    delivery = _delivery_id(headers.get("x-wc-webhook-delivery-id"), body)
    if _seen(session, shop, delivery):
        return Taken("duplicate", topic)
    data = _json(body, shop.id)
    if topic in WOO_ORDER_TOPICS:
        done = _store(
            session, shop, mapping.woo_order(shop.domain, _parse(WooOrder, data, shop.id))
        )
    elif topic == "order.deleted":
        gone = _parse(WooDeleted, data, shop.id)
        done = apply_status(
            session, external_id=f"woo:{shop.domain}:{gone.id}",
            status=OrderStatus.CANCELLED, delivered_at=None,
        )  # fmt: skip
    else:
        done = Stored("ignored", None, f"Heartline does not use {topic or 'this topic'}")
    return _record(session, shop, delivery, topic, done)
