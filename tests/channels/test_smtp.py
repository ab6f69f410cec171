"""Email through a real SMTP server on loopback, including crash-and-retry without duplicates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from heartline.channels.base import DeliveryError, OutboundMessage
from heartline.config import Settings, get_settings
from heartline.interactions.models import Interaction
from heartline.playbooks import outbox, service
from heartline.playbooks.outbox import LEASE
from tests.channels.conftest import SmtpServer
from tests.channels.helpers import queued
from tests.playbooks.helpers import NOW


class Crash(BaseException):
    """The process dies here (not an Exception: nothing may catch it)."""


def _settings(smtp: SmtpServer, **kw) -> Settings:
    return Settings(
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="Heartline Shop <care@shop.example>",
        **kw,
    )


def test_sends_through_smtp_with_the_idempotency_key_as_message_id(
    db: Session, smtp_server: SmtpServer
) -> None:
    msg = queued(db)
    report = outbox.deliver_due(db, now=NOW, settings=_settings(smtp_server))
    assert report.sent == [msg.id]
    [mail] = smtp_server.box.messages
    assert mail["To"] == "dora@example.com"
    assert mail["Message-ID"] == "<hl-test-0001@shop.example>"
    assert "had a delay" in mail.get_payload()
    db.refresh(msg)
    assert (msg.status, msg.attempts, msg.provider_message_id) == (
        "sent",
        1,
        "<hl-test-0001@shop.example>",
    )
    timeline = db.get(Interaction, msg.interaction_id)
    assert timeline.direction == "outbound" and timeline.meta["outbox_id"] == msg.id
    # Delivering again finds nothing to do.
    assert outbox.deliver_due(db, now=NOW, settings=_settings(smtp_server)).sent == []
    assert smtp_server.count == 1


def test_crash_after_data_before_commit_is_never_sent_twice(
    db: Session, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(smtp_server)
    msg = queued(db)

    def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(outbox, "_mark_sent", crash)
    with pytest.raises(Crash):
        outbox.deliver_due(db, now=NOW, settings=settings)
    db.rollback()  # whatever was not committed died with the process
    monkeypatch.undo()
    assert smtp_server.count == 1
    db.refresh(msg)
    assert (msg.status, msg.phase) == ("sending", "handed_over")

    # A retry while the lease holds leaves it alone; after the lease it is dead-lettered with
    # the reason, never resent: SMTP cannot tell us whether the first DATA was accepted.
    outbox.deliver_due(db, now=NOW + timedelta(minutes=1), settings=settings)
    db.refresh(msg)
    assert msg.status == "sending"
    report = outbox.deliver_due(db, now=NOW + LEASE + timedelta(seconds=1), settings=settings)
    db.refresh(msg)
    assert report.dead == [msg.id] and msg.status == "dead"
    assert "delivery unconfirmed" in msg.last_error and "hl-test-0001" in msg.last_error
    outbox.deliver_due(db, now=NOW + timedelta(hours=1), settings=settings)
    assert smtp_server.count == 1


def test_crash_before_handing_over_is_resent_once(db: Session, smtp_server: SmtpServer) -> None:
    settings = _settings(smtp_server)
    msg = queued(db)

    class DiesBeforeSending:
        name, resend_safe = "email", False

        def send(self, message: OutboundMessage, *, handover) -> str:
            raise Crash  # claimed and committed, nothing handed to the server yet

    with pytest.raises(Crash):
        outbox.deliver_due(db, now=NOW, settings=settings, adapters={"email": DiesBeforeSending()})
    db.rollback()
    db.refresh(msg)
    assert (msg.status, msg.phase) == ("sending", "claimed")
    report = outbox.deliver_due(db, now=NOW + LEASE + timedelta(seconds=1), settings=settings)
    db.refresh(msg)
    assert report.recovered == [msg.id] and report.sent == [msg.id]
    assert msg.status == "sent" and msg.attempts == 2
    assert smtp_server.count == 1


def test_temporary_failure_retries_with_backoff_then_dead_letters(
    db: Session, smtp_server: SmtpServer
) -> None:
    settings = _settings(smtp_server, outbox_max_attempts=3)
    msg = queued(db)
    smtp_server.box.reply = "451 4.3.0 try again later"
    outbox.deliver_due(db, now=NOW, settings=settings)
    db.refresh(msg)
    assert (msg.status, msg.attempts) == ("queued", 1)
    assert msg.next_attempt_at == NOW + timedelta(minutes=1)
    assert "451" in msg.last_error
    # Not due yet: nothing happens.
    outbox.deliver_due(db, now=NOW + timedelta(seconds=30), settings=settings)
    db.refresh(msg)
    assert msg.attempts == 1
    outbox.deliver_due(db, now=NOW + timedelta(minutes=1), settings=settings)
    db.refresh(msg)
    assert (msg.attempts, msg.next_attempt_at) == (2, NOW + timedelta(minutes=3))
    outbox.deliver_due(db, now=NOW + timedelta(minutes=3), settings=settings)
    db.refresh(msg)
    assert msg.status == "dead" and msg.last_error.startswith("gave up after 3 attempts")
    assert smtp_server.count == 0
    # A person checks and requeues it; the server is healthy again.
    smtp_server.box.reply = None
    service.requeue(db, outbox_id=msg.id, by="user:1", now=NOW + timedelta(minutes=5))
    db.commit()
    outbox.deliver_due(db, now=NOW + timedelta(minutes=5), settings=settings)
    db.refresh(msg)
    assert msg.status == "sent" and smtp_server.count == 1


def test_permanent_failure_goes_straight_to_dead(db: Session, smtp_server: SmtpServer) -> None:
    msg = queued(db)
    smtp_server.box.reply = "550 5.1.1 no such mailbox"
    outbox.deliver_due(db, now=NOW, settings=_settings(smtp_server))
    db.refresh(msg)
    assert (msg.status, msg.attempts) == ("dead", 1) and "550" in msg.last_error


def test_unreachable_server_is_a_temporary_error() -> None:
    from heartline.channels.email import SmtpAdapter
    from tests.channels.conftest import free_port

    adapter = SmtpAdapter(Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_s=2))
    with pytest.raises(DeliveryError) as info:
        adapter.send(
            OutboundMessage("k", "email", "a@example.com", "s", "b"), handover=lambda: None
        )
    assert not info.value.permanent


def test_welcome_reaches_a_real_mailbox_through_the_api(
    api, api_as, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEARTLINE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("HEARTLINE_SMTP_PORT", str(smtp_server.port))
    get_settings.cache_clear()
    r = api.post(
        "/customers",
        json={"external_id": "w-1", "name": "Wendy Welcome", "email": "wendy@example.com"},
    )
    assert r.status_code == 201
    r = api.post(
        "/orders",
        json={
            "customer_external_id": "w-1",
            "external_id": "W-ORD-1",
            "placed_at": "2026-11-20T10:00:00Z",
            "items": [{"product": "Pour-over kettle", "category": "coffee"}],
        },
    )
    assert r.status_code == 201, r.text
    [mail] = smtp_server.box.messages
    assert mail["Subject"] == "Welcome, Wendy!" and "Pour-over kettle" in mail.get_payload()
    page = api_as("manager").get("/outbox", params={"customer_id": r.json()["customer_id"]}).json()
    assert [m["status"] for m in page["items"]] == ["sent"]
    timeline = api.get(f"/customers/{r.json()['customer_id']}/timeline").json()
    items = timeline["items"] if isinstance(timeline, dict) else timeline
    assert any((i.get("interaction") or {}).get("direction") == "outbound" for i in items)


def test_no_answer_after_data_is_unconfirmed_and_never_resent(
    db: Session, smtp_server: SmtpServer
) -> None:
    """The server takes the message but its answer to DATA never comes (a timeout): the
    customer may have it, so it is dead-lettered as unconfirmed and not sent a second time."""
    import asyncio
    from email import message_from_bytes

    box = smtp_server.box
    original = box.handle_DATA

    async def slow(server, session, envelope):  # stores it, then answers too late
        box.messages.append(message_from_bytes(envelope.content))
        await asyncio.sleep(3)
        return "250 OK"

    box.handle_DATA = slow  # type: ignore[method-assign]
    msg = queued(db)
    settings = _settings(smtp_server, smtp_timeout_s=1)
    outbox.deliver_due(db, now=NOW, settings=settings)
    db.refresh(msg)
    assert msg.status == "dead" and "unconfirmed" in msg.last_error
    box.handle_DATA = original  # type: ignore[method-assign]
    outbox.deliver_due(db, now=NOW + timedelta(hours=1), settings=settings)
    assert smtp_server.count == 1  # delivered once, never twice
