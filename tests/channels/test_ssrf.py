"""Webhook targets cannot reach the inside: refused when saved, when resolved and when
connecting; a receiver's answer is never stored; the outbox API is for managers and admins."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from sqlalchemy.orm import Session

from heartline.channels import netguard
from heartline.channels.netguard import Allow, UnsafeTarget, check_url
from heartline.config import Settings, get_settings
from heartline.errors import AppError
from heartline.playbooks import outbox, service
from tests.channels.conftest import Provider
from tests.channels.helpers import queued
from tests.playbooks.helpers import NOW

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:5432/",
    "http://[::1]:6379/",
    "http://2130706433/",  # 127.0.0.1 as one integer
    "http://0x7f.1/",  # and in hex
    "http://10.0.0.1/",
    "http://192.168.1.20/",
    "http://100.64.0.1/",  # shared address space
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "http://224.0.0.1/",  # multicast
    "http://0.0.0.0:8000/",
    "http://localhost:8000/",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_url(url, Allow())


def test_form_and_credentials_are_checked() -> None:
    for url in (
        "ftp://example.com/",
        "file:///etc/passwd",
        "http:///x",
        "https://u:p@example.com/",
    ):
        with pytest.raises(UnsafeTarget):
            check_url(url, Allow(), resolve_host=False)


def test_public_addresses_and_the_allow_list_pass() -> None:
    check_url("https://93.184.215.14/hook", Allow())
    check_url("http://127.0.0.1:9000/hook", Allow(["127.0.0.1"]))
    check_url("http://10.1.2.3/hook", Allow(["10.0.0.0/8"]))
    check_url("http://localhost:9000/hook", Allow(["localhost"]))
    assert netguard.is_public(ipaddress.ip_address("2a00:1450:4001:82a::200e"))


def test_a_name_that_resolves_inside_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def fake(host, *a, **k):  # DNS that answers with the metadata address
        return (
            real("169.254.169.254", *a, **k) if host == "hooks.example.com" else real(host, *a, **k)
        )

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    check_url("https://hooks.example.com/x", Allow(), resolve_host=False)  # form is fine
    with pytest.raises(UnsafeTarget, match=r"169\.254\.169\.254"):
        check_url("https://hooks.example.com/x", Allow())


def test_the_guarded_client_checks_the_address_it_connects_to(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name passed a check, then resolves to loopback at connect time."""
    import httpx

    port = int(provider.url.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: real("127.0.0.1" if host == "rebind.test" else host, *a, **k),
    )
    with netguard.guarded_client(Allow()) as client, pytest.raises(httpx.ConnectError):
        client.post(f"http://rebind.test:{port}/hooks", content=b"{}")
    assert provider.requests == []
    with netguard.guarded_client(Allow(["127.0.0.1"])) as client:
        assert client.post(f"http://rebind.test:{port}/hooks", content=b"{}").status_code < 300
    assert len(provider.requests) == 1


def test_a_queued_internal_webhook_dies_without_a_request(db: Session, provider: Provider) -> None:
    settings = Settings(webhook_secret="s")  # no allow-list: the loopback provider is inside
    msg = queued(db, channel="webhook", recipient=f"{provider.url}/hooks", body="{}")
    outbox.deliver_due(db, now=NOW, settings=settings)
    db.refresh(msg)
    assert msg.status == "dead" and "refused" in msg.last_error
    assert provider.requests == []


def test_redirects_are_not_followed_and_answers_not_stored(db: Session, provider: Provider) -> None:
    settings = Settings(webhook_secret="s", webhook_allow_hosts="127.0.0.1")
    msg = queued(db, channel="webhook", recipient=f"{provider.url}/hooks", body="{}")
    provider.status = 302
    outbox.deliver_due(db, now=NOW, settings=settings)
    db.refresh(msg)
    assert msg.status == "dead" and msg.last_error == "webhook answered 302"
    assert len(provider.requests) == 1
    provider.status = 400
    m2 = queued(
        db,
        channel="webhook",
        recipient=f"{provider.url}/hooks",
        body="{}",
        key="k2",
        customer_id=msg.customer_id,
    )
    outbox.deliver_due(db, now=NOW, settings=settings)
    db.refresh(m2)
    assert m2.last_error == "webhook answered 400"  # no response body


def test_saving_a_playbook_with_an_internal_webhook_is_a_422(db: Session) -> None:
    get_settings.cache_clear()
    spec = {
        "name": "Exfiltrate",
        "trigger": {"event": "survey"},
        "actions": [{"type": "webhook", "url": "http://169.254.169.254/latest/meta-data/"}],
    }
    with pytest.raises(AppError) as info:
        service.put_playbook(db, key="exfil", data=spec)
    assert "actions" in str(info.value.details) and "refused" in info.value.message


def test_webhooks_are_never_signed_with_the_session_secret(tmp_path) -> None:
    from heartline.channels.webhook import WebhookAdapter

    settings = Settings(data_dir=tmp_path)
    secret = WebhookAdapter(settings).secret
    assert secret != settings.resolved_secret_key()
    assert WebhookAdapter(Settings(data_dir=tmp_path)).secret == secret  # kept
    assert (tmp_path / "webhook_secret").stat().st_mode & 0o777 == 0o600
