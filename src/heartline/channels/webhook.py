"""Signed webhooks: HMAC-SHA256 over "timestamp.body", with a delivery id to dedupe on."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from heartline.channels.base import DeliveryError, OutboundMessage
from heartline.channels.netguard import Allow, UnsafeTarget, check_url, guarded_client
from heartline.config import Settings

SIGNATURE_HEADER = "X-Heartline-Signature"
TIMESTAMP_HEADER = "X-Heartline-Timestamp"
DELIVERY_HEADER = "X-Heartline-Delivery"
# Receivers should reject signatures older than this (replay protection).
TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: sha256=<hex HMAC of b"<timestamp>." + body>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (constant time)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 409, 425, 429)


class WebhookAdapter:
    """POSTs the message body (JSON) to the recipient URL.

    Receivers dedupe on X-Heartline-Delivery (the idempotency key), which is part of the
    webhook contract, so an unconfirmed delivery is safely resent. Targets go through the
    SSRF guard (channels/netguard.py); a receiver's answer is never stored, only its status."""

    name = "webhook"
    resend_safe = True

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.secret = settings.resolved_webhook_secret()
        self.allow = Allow(settings.webhook_allow_list())
        self.client = client

    def send(self, message: OutboundMessage, *, handover: Callable[[], None]) -> str:
        """POST with the signature headers; returns the delivery id."""
        body = message.body.encode()
        json.loads(body)  # the outbox only stores JSON bodies for webhooks
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, ts, body),
            TIMESTAMP_HEADER: str(ts),
            DELIVERY_HEADER: message.idempotency_key,
            "Idempotency-Key": message.idempotency_key,
            "User-Agent": "Heartline-Webhooks/1",
        }
        try:
            check_url(message.recipient, self.allow)
        except UnsafeTarget as exc:
            raise DeliveryError(f"webhook target refused: {exc}", permanent=True) from None
        handover()
        try:
            client = self.client or guarded_client(self.allow)
            try:
                resp = client.post(message.recipient, content=body, headers=headers)
            finally:
                if self.client is None:
                    client.close()
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook request failed: {exc}") from exc
        if resp.status_code >= 300:
            raise DeliveryError(  # the body is the receiver's: never stored or shown
                f"webhook answered {resp.status_code}",
                permanent=not _retryable(resp.status_code),
            )
        return message.idempotency_key
