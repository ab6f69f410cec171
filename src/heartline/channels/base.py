"""What every delivery adapter offers the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class OutboundMessage:
    """One message as the outbox hands it to an adapter."""

    idempotency_key: str
    channel: str
    recipient: str
    subject: str
    body: str
    meta: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """A failed send; `permanent` ones go straight to the dead-letter state. `unconfirmed`:
    the provider may have accepted the message (it broke off after the hand-over without an
    answer), so it is never resent automatically: a person checks."""

    def __init__(self, message: str, *, permanent: bool = False, unconfirmed: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unconfirmed = unconfirmed


class Adapter(Protocol):
    """A channel's sender.

    `send` calls `handover()` right before the provider could first receive the message (the
    point of no return) and returns the provider's message id. `resend_safe` says whether the
    provider dedupes on the idempotency key, so an unconfirmed send may be retried.
    """

    name: str
    resend_safe: bool

    def send(self, message: OutboundMessage, *, handover: Callable[[], None]) -> str: ...
