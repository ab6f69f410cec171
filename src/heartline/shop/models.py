"""Shop connections (a Shopify shop or a WooCommerce site, its webhook secret sealed), the
webhook deliveries taken, each shop order's latest platform update time (so an older update
never overwrites a newer one), and the product catalogue that gives line items a category."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, UTCDateTime, utcnow

SECRET = "shop webhook secret"  # the purpose webhook secrets are sealed under (sealed.py)


class ShopConnection(Base):
    """One connected shop: `domain` is the Shopify shop domain (x.myshopify.com) or the
    WooCommerce site's host; deliveries naming another shop are refused."""

    __tablename__ = "shop_connections"
    __table_args__ = (UniqueConstraint("platform", "domain", name="uq_shop_connections_domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))  # shopify | woocommerce
    domain: Mapped[str] = mapped_column(String(255))
    secret_sealed: Mapped[str] = mapped_column(Text)
    promise_days: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ShopDelivery(Base):
    """One webhook delivery taken (signature good): what it was and what became of it."""

    __tablename__ = "shop_deliveries"
    __table_args__ = (
        UniqueConstraint("shop_id", "delivery_id", name="uq_shop_deliveries_delivery"),
        Index("ix_shop_deliveries_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop_connections.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(120))
    topic: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))  # created | updated | unchanged | ignored
    detail: Mapped[str | None] = mapped_column(String(300))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShopOrderVersion(Base):
    """The platform's update time of the newest version stored of one shop order."""

    __tablename__ = "shop_order_versions"

    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShopProduct(Base):
    """A product from a platform's product export: its category, found by SKU or product id."""

    __tablename__ = "shop_products"
    __table_args__ = (UniqueConstraint("platform", "ref", name="uq_shop_products_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(140))  # "sku:<sku>" or "id:<product id>"
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(120))
