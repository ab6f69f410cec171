"""Customers and their orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heartline.db import Base, JSONType, UTCDateTime, utcnow
from heartline.enums import OrderStatus


class Customer(Base):
    """A person or account we serve; `external_id` is the integrator's key."""

    __tablename__ = "customers"
    __table_args__ = {"sqlite_autoincrement": True}  # an erased customer's id is never reused

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(20), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    region: Mapped[str | None] = mapped_column(String(8))
    birthday: Mapped[date | None] = mapped_column(Date)
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    preferred_channel: Mapped[str | None] = mapped_column(String(20))
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    # Consent: emotion analysis is on unless the customer opts out (legitimate interest for
    # service); marketing is opt-in; channel_consent maps channel -> allowed.
    consent_emotion_analysis: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    channel_consent: Mapped[dict[str, bool]] = mapped_column(JSONType, default=dict)
    # Marketing paused without touching consent (e.g. the customer asked to be erased or left
    # alone and an admin has not handled it yet): set and cleared only through the service.
    marketing_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marketing_pause_reason: Mapped[str | None] = mapped_column(String(300))
    account_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    customer_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="customer", passive_deletes=True)


class Order(Base):
    """A purchase; dates drive cadence (churn) and delay detection."""

    __tablename__ = "orders"
    # 0027: with the status, retention's "last order per customer" reads only the index.
    __table_args__ = (
        Index("ix_orders_customer_placed_status", "customer_id", "placed_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )

    @property
    def is_late(self) -> bool:
        """Delivered after the promise, or flagged delayed by the shop."""
        if self.status == OrderStatus.DELAYED:
            return True
        return bool(self.promised_at and self.delivered_at and self.delivered_at > self.promised_at)


class OrderItem(Base):
    """A line of an order: product and category feed interest offers and check-ins."""

    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str | None] = mapped_column(String(100))
    product: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(120), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))

    order: Mapped[Order] = relationship(back_populates="items")
