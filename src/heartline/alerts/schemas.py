"""Team alert payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, HttpUrl

from heartline.schemas import InModel, OutModel

Kind = Literal["churn_threat", "angry_vip", "sla_warning", "privacy_request"]
KINDS: dict[str, str] = {
    "churn_threat": "A customer says they will leave",
    "angry_vip": "A VIP customer writes angry or frustrated",
    "sla_warning": "A conversation is about to miss its SLA",
    "privacy_request": "A customer asks to be erased or left alone",
}


class AlertSettingsIn(InModel):
    """Where alerts go and which events raise one. `webhook_url` null keeps the stored URL;
    an empty `kinds` list turns alerts off."""

    webhook_url: HttpUrl | None = None
    kinds: list[Kind] = Field(default_factory=list, max_length=len(KINDS))
    per_hour: int = Field(default=30, ge=1, le=1000)


class AlertSettingsOut(OutModel):
    """The alert configuration (the webhook URL is never shown back, only whether it is set)."""

    webhook_set: bool
    webhook_host: str | None
    kinds: list[str]
    per_hour: int


class AlertOut(OutModel):
    """One alert raised."""

    id: int
    kind: str
    customer_id: int | None
    conversation_id: int | None
    text: str
    status: str
    detail: str | None
    created_at: datetime
