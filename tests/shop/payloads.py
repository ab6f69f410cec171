"""Webhook bodies in the platforms' documented shapes (Shopify REST Admin Order and Fulfillment,
WooCommerce REST v3 order), trimmed to realistic fields, and the signing the shops do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

SHOP = "kettle-harbour.myshopify.com"
SHOP_SECRET = "shpss_4f1c2b7e9a0d5e6f"
WOO_SITE = "https://shop.example.org/"
WOO_SECRET = "woo-secret-8c3e1d"


def sign(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, raw body)): what both platforms send."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_order(
    order_id: int = 820982911946154508,
    *,
    placed: datetime,
    updated: datetime | None = None,
    email: str = "nora.new@example.com",
    fulfillments: list[dict[str, Any]] | None = None,
    cancelled: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An order as Shopify's orders/* webhooks send it."""
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#1001",
        "order_number": 1001,
        "email": email,
        "created_at": placed.isoformat(),
        "updated_at": (updated or placed).isoformat(),
        "cancelled_at": cancelled.isoformat() if cancelled else None,
        "cancel_reason": "customer" if cancelled else None,
        "financial_status": "paid",
        "fulfillment_status": None,
        "currency": "EUR",
        "total_price": "79.90",
        "subtotal_price": "74.90",
        "customer": {
            "id": 115310627314723954,
            "email": email,
            "first_name": "Nora",
            "last_name": "New",
            "phone": "+33612345678",
            "tags": "",
        },
        "line_items": [
            {
                "id": 866550311766439020,
                "title": "Trail boots",
                "sku": "BOOT-TR-42",
                "quantity": 1,
                "price": "69.90",
                "product_id": 632910392,
                "vendor": "Kettle",
            },
            {
                "id": 141249953214522974,
                "title": "Wool socks",
                "sku": "SOCK-W",
                "quantity": 2,
                "price": "5.00",
                "product_id": 632910393,
                "vendor": "Kettle",
            },
        ],
        "fulfillments": fulfillments or [],
        **extra,
    }


def fulfillment(order_id: int = 820982911946154508, *, status: str, at: datetime) -> dict[str, Any]:
    """A fulfillment as fulfillments/create and fulfillments/update send it."""
    return {
        "id": 255858046,
        "order_id": order_id,
        "status": "success",
        "shipment_status": status,
        "created_at": (at - timedelta(days=2)).isoformat(),
        "updated_at": at.isoformat(),
        "tracking_company": "DHL",
        "tracking_number": "JJD000390007827",
    }


def woo_order(
    order_id: int = 727,
    *,
    status: str = "processing",
    placed: datetime,
    modified: datetime | None = None,
    completed: datetime | None = None,
    email: str = "wanda.woo@example.com",
) -> dict[str, Any]:
    """An order as WooCommerce's order.created / order.updated webhooks send it (v3)."""
    fmt = "%Y-%m-%dT%H:%M:%S"  # WooCommerce writes *_gmt without an offset
    return {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "status": status,
        "currency": "GBP",
        "date_created": placed.strftime(fmt),
        "date_created_gmt": placed.strftime(fmt),
        "date_modified_gmt": (modified or placed).strftime(fmt),
        "date_completed_gmt": completed.strftime(fmt) if completed else None,
        "total": "45.00",
        "customer_id": 26,
        "billing": {
            "first_name": "Wanda",
            "last_name": "Woo",
            "email": email,
            "phone": "(555) 555-5555",
        },
        "line_items": [
            {
                "id": 315,
                "name": "Hoodie - Blue",
                "product_id": 93,
                "variation_id": 0,
                "quantity": 1,
                "sku": "woo-hoodie-blue",
                "price": 45,
                "total": "45.00",
            }
        ],
    }


def body(payload: Any) -> bytes:
    """JSON as the platforms send it."""
    return json.dumps(payload).encode()
