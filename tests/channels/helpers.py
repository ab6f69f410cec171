"""Outbox rows for delivery tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from heartline.playbooks.models import OutboxMessage
from tests.playbooks.helpers import NOW, customer


def queued(
    db: Session,
    *,
    channel: str = "email",
    recipient: str | None = None,
    body: str = "We noticed your last order had a delay; we're sorry.",
    key: str = "hl-test-0001",
    customer_id: int | None = None,
) -> OutboxMessage:
    """A queued outbox message for a fresh customer, due at NOW."""
    cid = customer_id or customer(
        db, name="Dora Delivery", email="dora@example.com", phone="+15550001111"
    )
    msg = OutboxMessage(
        idempotency_key=key,
        customer_id=cid,
        channel=channel,
        recipient=recipient or "dora@example.com",
        category="service",
        subject="About your order",
        body=body,
        status="queued",
        playbook_key="delay_recovery",
        next_attempt_at=NOW,
        created_at=NOW,
    )
    db.add(msg)
    db.commit()
    return msg
