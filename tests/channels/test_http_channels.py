"""Signed webhooks and Twilio-style SMS/WhatsApp against a real HTTP server on loopback."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from heartline.channels import webhook
from heartline.channels.registry import choose_channel
from heartline.config import Settings
from heartline.playbooks import outbox, service
from heartline.playbooks.context import CustomerContext
from heartline.playbooks.outbox import LEASE
from tests.channels.conftest import Provider
from tests.channels.helpers import queued
from tests.playbooks.helpers import NOW, customer, outbox_for, survey


class Crash(BaseException):
    """The process dies here."""


def _sms(provider: Provider, **kw) -> Settings:
    return Settings(
        sms_provider_url=provider.url,
        sms_account_sid="AC123",
        sms_auth_token="tok",
        sms_from="+15550000000",
        whatsapp_from="+15559999999",
        webhook_secret="s3cret",
        webhook_allow_hosts="127.0.0.1",
        **kw,
    )


def test_webhook_is_signed_with_hmac_and_timestamp(db: Session, provider: Provider) -> None:
    msg = queued(
        db,
        channel="webhook",
        recipient=f"{provider.url}/hooks",
        body=json.dumps({"event": "playbook.fired", "customer_id": 1}),
    )
    outbox.deliver_due(db, now=NOW, settings=_sms(provider))
    [req] = provider.requests
    headers = req["headers"]
    assert headers["X-Heartline-Signature"].startswith("sha256=")
    assert headers["X-Heartline-Delivery"] == msg.idempotency_key
    assert webhook.verify(
        "s3cret", headers["X-Heartline-Timestamp"], req["body"], headers["X-Heartline-Signature"]
    )
    assert not webhook.verify(
        "wrong", headers["X-Heartline-Timestamp"], req["body"], headers["X-Heartline-Signature"]
    )
    assert not webhook.verify(
        "s3cret",
        headers["X-Heartline-Timestamp"],
        req["body"] + b" ",
        headers["X-Heartline-Signature"],
    )
    # A replayed request outside the tolerance is rejected.
    assert not webhook.verify(
        "s3cret",
        headers["X-Heartline-Timestamp"],
        req["body"],
        headers["X-Heartline-Signature"],
        now=time.time() + 3600,
    )
    db.refresh(msg)
    assert msg.status == "sent" and msg.interaction_id is None  # not a customer message


def test_webhook_crash_after_post_is_resent_with_the_same_delivery_id(
    db: Session, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _sms(provider)
    msg = queued(db, channel="webhook", recipient=f"{provider.url}/hooks", body="{}")
    monkeypatch.setattr(outbox, "_mark_sent", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        outbox.deliver_due(db, now=NOW, settings=settings)
    db.rollback()
    monkeypatch.undo()
    outbox.deliver_due(db, now=NOW + LEASE + timedelta(seconds=1), settings=settings)
    db.refresh(msg)
    assert msg.status == "sent"
    keys = [r["headers"]["X-Heartline-Delivery"] for r in provider.requests]
    assert keys == [msg.idempotency_key, msg.idempotency_key]
    assert len(provider.created) == 1  # the receiver processed it once


def test_webhook_server_error_is_retried_client_error_is_dead(
    db: Session, provider: Provider
) -> None:
    settings = _sms(provider)
    msg = queued(db, channel="webhook", recipient=f"{provider.url}/hooks", body="{}")
    provider.status = 503
    outbox.deliver_due(db, now=NOW, settings=settings)
    db.refresh(msg)
    assert msg.status == "queued" and "503" in msg.last_error
    provider.status = 410
    outbox.deliver_due(db, now=NOW + timedelta(minutes=1), settings=settings)
    db.refresh(msg)
    assert msg.status == "dead" and "410" in msg.last_error


def test_sms_goes_through_the_provider_api(db: Session, provider: Provider) -> None:
    msg = queued(db, channel="sms", recipient="+15550001111", body="Your order has shipped.")
    outbox.deliver_due(db, now=NOW, settings=_sms(provider))
    [req] = provider.requests
    assert req["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert {k: v for k, v in req["form"].items() if k != "Body"} == {
        "To": "+15550001111",
        "From": "+15550000000",
    }
    # the text, then one line that says why messages are read, with the customer's choices
    text, line = req["form"]["Body"].split("\n")
    assert text == "Your order has shipped." and "/privacy/choices/" in line
    assert req["auth"] == "AC123:tok"
    assert req["headers"]["Idempotency-Key"] == msg.idempotency_key
    db.refresh(msg)
    assert msg.status == "sent" and msg.provider_message_id.startswith("SM")


def test_whatsapp_uses_the_whatsapp_prefix(db: Session, provider: Provider) -> None:
    queued(db, channel="whatsapp", recipient="+5511999990000", body="Olá!")
    outbox.deliver_due(db, now=NOW, settings=_sms(provider))
    [req] = provider.requests
    assert req["form"]["To"] == "whatsapp:+5511999990000"
    assert req["form"]["From"] == "whatsapp:+15559999999"


def test_sms_crash_and_retry_is_deduplicated_by_the_provider(
    db: Session, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _sms(provider)
    msg = queued(db, channel="sms", recipient="+15550001111")
    monkeypatch.setattr(outbox, "_mark_sent", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        outbox.deliver_due(db, now=NOW, settings=settings)
    db.rollback()
    monkeypatch.undo()
    outbox.deliver_due(db, now=NOW + LEASE + timedelta(seconds=1), settings=settings)
    db.refresh(msg)
    assert msg.status == "sent"
    assert len(provider.requests) == 2 and len(provider.created) == 1
    assert msg.provider_message_id == next(iter(provider.created.values()))


def test_provider_rejection_is_dead_with_the_reason(db: Session, provider: Provider) -> None:
    provider.status = 400
    msg = queued(db, channel="sms", recipient="+1")
    outbox.deliver_due(db, now=NOW, settings=_sms(provider))
    db.refresh(msg)
    assert msg.status == "dead" and "400" in msg.last_error


def test_channel_choice_preference_consent_region_fallback() -> None:
    settings = Settings(channel_region_defaults={"BR": "whatsapp"})
    base = {"customer_id": 1, "name": "A", "email": "a@example.com", "phone": "+551199"}
    prefers_sms = CustomerContext(**base, preferred_channel="sms")
    assert choose_channel(prefers_sms, settings=settings)[0].channel == "sms"
    brazil = CustomerContext(**base, region="BR", channel_consent={"whatsapp": True})
    choice, _ = choose_channel(brazil, settings=settings)
    assert (choice.channel, choice.why) == ("whatsapp", "default for region BR")
    # WhatsApp needs an explicit opt-in: without it, fall back to email.
    no_optin = CustomerContext(**base, region="BR")
    choice, skipped = choose_channel(no_optin, settings=settings)
    assert choice.channel == "email" and "whatsapp: no consent" in skipped
    refused_email = CustomerContext(**base, channel_consent={"email": False})
    assert choose_channel(refused_email, settings=settings)[0].channel == "sms"
    nothing = CustomerContext(customer_id=2, name="B")
    assert choose_channel(nothing, settings=settings)[0] is None


def test_playbook_webhook_action_goes_through_the_outbox(
    db: Session, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from heartline.config import get_settings

    monkeypatch.setenv("HEARTLINE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")  # an admin allows it
    get_settings.cache_clear()
    spec = {
        "name": "Notify CRM of detractors",
        "trigger": {"event": "survey"},
        "conditions": [{"field": "event_detractor", "op": "truthy"}],
        "occasion": "{{ event_ref }}",
        "actions": [
            {"type": "webhook", "event": "customer.detractor", "url": f"{provider.url}/hooks"}
        ],
    }
    service.put_playbook(db, key="notify_detractor", data=spec)
    cid = customer(db, name="Wes Webhook")
    sid = survey(db, cid, kind="nps", score=2)
    created = service.run_event(db, event="survey", ids=[sid], now=NOW)
    db.commit()
    outbox.deliver_due(db, now=NOW, ids=created, settings=_sms(provider))
    [hook] = [m for m in outbox_for(db, cid) if m.channel == "webhook"]
    assert hook.status == "sent"
    payload = json.loads(provider.requests[0]["body"])
    assert payload["event"] == "customer.detractor" and payload["customer_id"] == cid
