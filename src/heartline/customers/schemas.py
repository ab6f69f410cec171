"""Customer and order payloads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints, model_validator

from heartline.enums import Channel, OrderStatus
from heartline.schemas import ExternalId, InModel, OutModel, ShortText, TimeZone, UTCDatetime

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class ConsentIn(InModel):
    """Consent flags; omitted ones are left as they are."""

    emotion_analysis: bool | None = None
    marketing: bool | None = None
    channels: dict[Channel, bool] | None = None


class ConsentOut(OutModel):
    """Consent as stored."""

    emotion_analysis: bool
    marketing: bool
    channels: dict[str, bool]


class CustomerIn(InModel):
    """Create or update a customer; with external_id, sending it twice stores one row."""

    external_id: ExternalId | None = None
    name: ShortText = ""
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    locale: Annotated[str, StringConstraints(max_length=20)] = "en"
    timezone: TimeZone = "UTC"
    region: Annotated[str, StringConstraints(max_length=8, to_upper=True)] | None = None
    birthday: date | None = None
    interests: list[Tag] = Field(default_factory=list, max_length=100)
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    preferred_channel: Channel | None = None
    vip: bool = False
    consent: ConsentIn | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    customer_since: UTCDatetime | None = None


class CustomerOut(OutModel):
    """A customer as the API returns it."""

    id: int
    external_id: str | None
    name: str
    email: str | None
    phone: str | None
    locale: str
    timezone: str
    region: str | None
    birthday: date | None
    interests: list[str]
    tags: list[str]
    preferred_channel: str | None
    vip: bool
    consent: ConsentOut
    # Set while marketing is paused (a privacy request waiting for an admin); consent unchanged.
    marketing_paused_at: datetime | None = None
    marketing_pause_reason: str | None = None
    attributes: dict[str, Any]
    customer_since: datetime | None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _consent_from_row(cls, data: Any) -> Any:
        if hasattr(data, "consent_emotion_analysis"):
            fields = {k: getattr(data, k) for k in cls.model_fields if k != "consent"}
            fields["consent"] = ConsentOut(
                emotion_analysis=data.consent_emotion_analysis,
                marketing=data.consent_marketing,
                channels=dict(data.channel_consent or {}),
            )
            return fields
        return data


class CustomerRef(InModel):
    """Names a customer by the integrator's id or by Heartline's id (exactly one needed)."""

    customer_external_id: ExternalId | None = None
    customer_id: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_customer_ref(self) -> CustomerRef:
        if self.customer_external_id is None and self.customer_id is None:
            raise ValueError("customer_external_id or customer_id is required")
        return self


class OrderItemIn(InModel):
    """A line item."""

    product: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    category: ShortText | None = None
    sku: Annotated[str, StringConstraints(max_length=100)] | None = None
    quantity: int = Field(default=1, ge=1, le=100_000)
    unit_price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)


class OrderIn(CustomerRef):
    """Create or update an order (idempotent by external_id)."""

    external_id: ExternalId | None = None
    status: OrderStatus = OrderStatus.PENDING
    placed_at: UTCDatetime
    promised_at: UTCDatetime | None = None
    delivered_at: UTCDatetime | None = None
    total: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    currency: Currency = "USD"
    items: list[OrderItemIn] = Field(default_factory=list, max_length=500)


class OrderItemOut(OutModel):
    """A stored line item."""

    product: str
    category: str | None
    sku: str | None
    quantity: int
    unit_price: Decimal


class OrderOut(OutModel):
    """An order as the API returns it."""

    id: int
    external_id: str | None
    customer_id: int
    status: str
    placed_at: datetime
    promised_at: datetime | None
    delivered_at: datetime | None
    total: Decimal
    currency: str
    is_late: bool
    items: list[OrderItemOut]
