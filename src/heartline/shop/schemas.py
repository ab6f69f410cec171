"""Shop payloads: the connection an admin sets, and the platforms' order JSON as documented
(Shopify's REST Admin order and fulfillment resources, WooCommerce's REST v3 order). The
platform models ignore fields Heartline does not use and take ids of any size (Shopify's are
64-bit); a field of the wrong type is a 422 naming it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from heartline.schemas import InModel, OutModel, UTCDatetime

Platform = Literal["shopify", "woocommerce"]
PLATFORMS: dict[str, str] = {"shopify": "Shopify", "woocommerce": "WooCommerce"}


def _host(value: object) -> object:
    """An address pasted whole (https://shop.example.com/) is taken as its host."""
    if isinstance(value, str):
        value = value.strip().lower()
        if "//" in value:
            value = urlsplit(value).netloc
        value = value.rstrip("/")
    return value


Domain = Annotated[
    str,
    BeforeValidator(_host),
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=3, max_length=255,
        pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$",
    ),
]  # fmt: skip


def _blank_none(value: object) -> object:
    return None if value == "" else value


Text = Annotated[str | None, BeforeValidator(_blank_none)]
When = Annotated[UTCDatetime | None, BeforeValidator(_blank_none)]


class ShopIn(InModel):
    """Connect a shop (or change it): the platform, the shop's domain or site host, the webhook
    secret (null keeps the stored one) and how many days delivery is promised within."""

    platform: Platform
    domain: Domain
    secret: Annotated[str, StringConstraints(min_length=8, max_length=500)] | None = None
    promise_days: int | None = Field(default=None, ge=1, le=365)


class ShopOut(OutModel):
    """A connected shop as shown: never the secret."""

    id: int
    platform: str
    domain: str
    promise_days: int | None
    last_error: str | None
    last_error_at: datetime | None
    created_at: datetime


class DeliveryOut(OutModel):
    """One webhook delivery taken and what became of it."""

    id: int
    shop_id: int
    delivery_id: str
    topic: str
    outcome: str
    detail: str | None
    order_id: int | None
    created_at: datetime


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ShopifyCustomer(_Payload):
    id: int | None = None
    email: Text = None
    first_name: Text = None
    last_name: Text = None
    phone: Text = None


class ShopifyLine(_Payload):
    title: str = Field(min_length=1, max_length=300)
    sku: Text = None
    quantity: int = Field(default=1, ge=1, le=100_000)
    price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    product_id: int | None = None


class ShopifyFulfillment(_Payload):
    id: int | None = None
    order_id: int | None = None
    status: Text = None
    shipment_status: Text = None
    created_at: When = None
    updated_at: When = None


class ShopifyOrder(_Payload):
    """orders/create, orders/updated, orders/cancelled, orders/fulfilled, orders/paid..."""

    id: int
    name: Text = None
    email: Text = None
    customer: ShopifyCustomer | None = None
    created_at: UTCDatetime
    updated_at: When = None
    cancelled_at: When = None
    financial_status: Text = None
    fulfillment_status: Text = None
    line_items: list[ShopifyLine] = Field(default_factory=list, max_length=500)
    total_price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Za-z]{3}$")
    fulfillments: list[ShopifyFulfillment] = Field(default_factory=list, max_length=200)


class ShopifyFulfillmentEvent(ShopifyFulfillment):
    """fulfillments/create and fulfillments/update: a fulfillment naming its order."""

    order_id: int


class ShopifyTrackingEvent(_Payload):
    """fulfillment_events/create: one carrier event (REST `FulfillmentEvent`) on an order."""

    order_id: int
    status: str = Field(min_length=1, max_length=40)
    happened_at: When = None
    created_at: When = None


class WooBilling(_Payload):
    email: Text = None
    first_name: Text = None
    last_name: Text = None
    phone: Text = None


class WooLine(_Payload):
    name: str = Field(min_length=1, max_length=300)
    sku: Text = None
    quantity: int = Field(default=1, ge=1, le=100_000)
    price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    product_id: int | None = None


class WooOrder(_Payload):
    """order.created and order.updated (WooCommerce REST v3 order)."""

    id: int
    number: Text = None
    status: Literal[
        "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
        "checkout-draft", "trash",
    ]  # fmt: skip
    date_created_gmt: UTCDatetime
    date_modified_gmt: When = None
    date_completed_gmt: When = None
    customer_id: int | None = None
    billing: WooBilling = Field(default_factory=WooBilling)
    line_items: list[WooLine] = Field(default_factory=list, max_length=500)
    total: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Za-z]{3}$")


class WooDeleted(_Payload):
    """order.deleted: only the id."""

    id: int
