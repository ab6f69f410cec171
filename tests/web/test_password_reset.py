"""Password reset by email (#12), checked on the mail a real SMTP server on loopback received:
"Forgot your password?" answers the same whether or not the account exists, the link works
once and not after 30 minutes, using it signs the person out everywhere, requests are
throttled per email and per address; an admin sends a link or a temporary password that must
be changed at the next sign-in; everything is audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.auth import reset
from heartline.auth import service as auth_service
from heartline.auth.models import PasswordResetToken
from heartline.config import get_settings
from heartline.db import utcnow
from heartline.privacy.models import AuditEvent
from tests.channels.conftest import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.web.conftest import PASSWORD, csrf_of, login

PUBLIC = "https://desk.example.org"
NEW = "amber-lichen-ferry-58"
HTML = {"accept": "text/html"}


@pytest.fixture
def mail(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:  # noqa: F811
    """The app's SMTP settings point at the loopback server; links use PUBLIC."""
    monkeypatch.setenv("HEARTLINE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("HEARTLINE_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("HEARTLINE_PUBLIC_URL", PUBLIC)
    get_settings.cache_clear()
    yield smtp_server
    monkeypatch.undo()
    get_settings.cache_clear()


def _body(message: Message) -> str:
    part = message.get_body(("plain",)) if hasattr(message, "get_body") else None
    payload = (part or message).get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(payload)


def _link(message: Message) -> str:
    """The path and query of the reset link in a delivered mail (on the public URL)."""
    m = re.search(r"(https?://\S+/password/reset\?token=\S+)", _body(message))
    assert m, _body(message)
    assert m.group(1).startswith(PUBLIC + "/password/reset?token=")
    parts = urlsplit(m.group(1))
    return f"{parts.path}?{parts.query}"


def _forgot(client: TestClient, email: str):
    page = client.get("/password/forgot")
    assert page.status_code == 200
    return client.post("/password/forgot", data={"email": email, "csrf": csrf_of(page.text)})


def _open(client: TestClient, link: str):
    """Open the link as the browser does: the token moves to the session, then the page."""
    first = client.get(link, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/password/reset"
    return client.get("/password/reset")


def _set(client: TestClient, page_html: str, new: str = NEW, confirm: str | None = None):
    return client.post(
        "/password/reset",
        data={"csrf": csrf_of(page_html), "new": new, "confirm": confirm or new},
        follow_redirects=False,
    )


def _signed_in(client: TestClient) -> bool:
    return client.get("/inbox", headers=HTML, follow_redirects=False).status_code == 200


def _sign_in(client: TestClient, email: str, password: str) -> int:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    return r.status_code


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "user")))


def test_the_mailed_link_works_once_and_signs_out_everywhere(
    db: Session, client: TestClient, mail: SmtpServer
) -> None:
    auth_service.create_user(db, email="eve@example.com", password=PASSWORD, role="agent")
    db.commit()
    elsewhere = login(TestClient(client.app), "eve@example.com")
    assert "Forgot your password?" in client.get("/login").text
    r = _forgot(client, "Eve@Example.com ")
    assert r.status_code == 200 and "a link to choose a new password is on its way" in r.text
    assert mail.count == 1 and mail.box.envelopes[0].rcpt_tos == ["eve@example.com"]
    link = _link(mail.box.messages[0])
    token = link.split("token=")[1]
    stored = db.scalars(select(PasswordResetToken.token_hash)).all()
    assert token not in stored and reset.digest(token) in stored  # only the hash is kept

    page = _open(client, link)
    assert page.status_code == 200 and 'name="new"' in page.text and token not in page.text
    done = _set(client, page.text)
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=done"
    assert "Your password was changed" in client.get("/login?reset=done").text
    assert not _signed_in(elsewhere)  # every session of the person ended
    assert _sign_in(TestClient(client.app), "eve@example.com", PASSWORD) == 401
    assert _sign_in(TestClient(client.app), "eve@example.com", NEW) == 303
    # the person is told, by mail, that their password changed
    assert mail.count == 2 and "was changed" in str(mail.box.messages[1]["Subject"])

    again = _open(TestClient(client.app), link)  # not twice
    assert again.status_code == 410 and "already used" in again.text
    assert 'href="/password/forgot"' in again.text
    assert {"password.reset_requested", "password.reset_used"} <= set(_actions(db))


def test_unknown_and_deactivated_emails_get_the_same_answer_and_no_mail(
    db: Session, client: TestClient, mail: SmtpServer
) -> None:
    auth_service.create_user(db, email="fay@example.com", password=PASSWORD, role="agent")
    gone = auth_service.create_user(db, email="gus@example.com", password=PASSWORD, role="agent")
    auth_service.create_user(db, email="admin2@example.com", password=PASSWORD, role="admin")
    auth_service.update_user(db, user_id=gone.id, is_active=False)
    db.commit()
    pages = {}
    for email in ("fay@example.com", "nobody@example.com", "gus@example.com"):
        r = _forgot(client, email)
        assert r.status_code == 200
        pages[email] = re.sub(r'name="csrf" value="[^"]+"', "", r.text.replace(email, "EMAIL"))
    assert pages["fay@example.com"] == pages["nobody@example.com"] == pages["gus@example.com"]
    assert [e.rcpt_tos for e in mail.box.envelopes] == [["fay@example.com"]]
    outcomes = [
        d["outcome"]
        for d in db.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "password.reset_requested")
        )
    ]
    assert sorted(outcomes) == ["inactive", "sent", "unknown"]


def test_deactivation_ends_a_link_for_good(db: Session, client: TestClient) -> None:
    user = auth_service.create_user(db, email="gia@example.com", password=PASSWORD, role="agent")
    link = auth_service.issue_reset_link(db, user=user)
    auth_service.update_user(db, user_id=user.id, is_active=False)
    auth_service.update_user(db, user_id=user.id, is_active=True)  # reactivation revives none
    db.commit()
    parts = urlsplit(link.url)
    assert _open(client, f"{parts.path}?{parts.query}").status_code == 410


def test_an_expired_link_says_so_and_offers_a_new_one(
    db: Session, client: TestClient, mail: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth_service.create_user(db, email="hal@example.com", password=PASSWORD, role="agent")
    db.commit()
    _forgot(client, "hal@example.com")
    link = _link(mail.box.messages[0])
    page = _open(client, link)
    assert page.status_code == 200
    later = utcnow() + reset.RESET_TTL + timedelta(seconds=1)
    monkeypatch.setattr(reset, "utcnow", lambda: later)  # the clock moves on 30 minutes
    expired = client.get("/password/reset")
    assert expired.status_code == 410 and "This link has expired" in expired.text
    assert 'href="/password/forgot"' in expired.text
    assert _set(client, page.text).status_code == 410  # and it cannot set a password
    assert _sign_in(TestClient(client.app), "hal@example.com", PASSWORD) == 303
    assert client.get("/password/reset?token=made-up", follow_redirects=True).status_code == 404


def test_a_newer_link_replaces_the_older_and_a_refused_password_keeps_the_link(
    db: Session, client: TestClient, mail: SmtpServer
) -> None:
    auth_service.create_user(db, email="ivy@example.com", password=PASSWORD, role="agent")
    db.commit()
    _forgot(client, "ivy@example.com")
    _forgot(client, "ivy@example.com")
    first, second = (_link(m) for m in mail.box.messages)
    assert first != second
    assert _open(client, first).status_code == 410
    page = _open(client, second)
    weak = _set(client, page.text, new="password1234")
    assert weak.status_code == 422 and "password:" in weak.text and 'name="new"' in weak.text
    mismatch = _set(client, page.text, confirm=NEW + "x")
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    assert _set(client, page.text).status_code == 303
    assert _sign_in(TestClient(client.app), "ivy@example.com", NEW) == 303


def test_requests_are_throttled_per_email_and_per_address(
    db: Session, client: TestClient, mail: SmtpServer
) -> None:
    auth_service.create_user(db, email="jo@example.com", password=PASSWORD, role="agent")
    db.commit()
    answers = [_forgot(client, "jo@example.com") for _ in range(reset.EMAIL_LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * (reset.EMAIL_LIMIT + 1)
    assert answers[-1].text.count("on its way") == 1  # the same answer, but no more mail
    assert mail.count == reset.EMAIL_LIMIT
    for i in range(reset.ADDRESS_LIMIT - reset.EMAIL_LIMIT - 1):
        assert _forgot(client, f"sweep{i}@example.com").status_code == 200
    blocked = _forgot(client, "jo2@example.com")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Too many reset requests" in blocked.text
    assert "password.reset_throttled" in _actions(db)
    count = db.scalar(select(func.count()).select_from(PasswordResetToken))
    assert count == reset.EMAIL_LIMIT and mail.count == reset.EMAIL_LIMIT


def test_an_admin_sends_a_reset_link_from_users_and_roles(
    db: Session, client: TestClient, mail: SmtpServer, web_as
) -> None:
    kim = auth_service.create_user(db, email="kim@example.com", password=PASSWORD, role="agent")
    off = auth_service.create_user(db, email="lou@example.com", password=PASSWORD, role="agent")
    auth_service.update_user(db, user_id=off.id, is_active=False)
    db.commit()
    admin = web_as("admin")
    settings = admin.get("/settings").text
    assert f'action="/settings/users/{kim.id}/reset-link"' in settings
    assert f'action="/settings/users/{off.id}/reset-link"' not in settings
    r = admin.post(f"/settings/users/{kim.id}/reset-link", data={"csrf": csrf_of(settings)})
    assert r.status_code == 200 and "was emailed to kim@example.com" in r.text
    assert mail.box.envelopes[-1].rcpt_tos == ["kim@example.com"]
    assert "An admin of your Heartline workspace" in _body(mail.box.messages[-1])
    refused = admin.post(f"/settings/users/{off.id}/reset-link", data={"csrf": csrf_of(settings)})
    assert refused.status_code == 422 and "deactivated" in refused.text
    assert "password.reset_link_sent" in _actions(db)
    visitor = TestClient(client.app)
    page = _open(visitor, _link(mail.box.messages[-1]))
    assert _set(visitor, page.text).status_code == 303
    assert _sign_in(TestClient(client.app), "kim@example.com", NEW) == 303


def test_no_link_is_kept_when_the_mail_server_is_down(
    db: Session, web_as, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.channels.conftest import free_port

    kim = auth_service.create_user(db, email="mo@example.com", password=PASSWORD, role="agent")
    db.commit()
    monkeypatch.setenv("HEARTLINE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HEARTLINE_SMTP_PORT", str(free_port()))  # nobody listens
    get_settings.cache_clear()
    admin = web_as("admin")
    r = admin.post(
        f"/settings/users/{kim.id}/reset-link", data={"csrf": csrf_of(admin.get("/settings").text)}
    )
    get_settings.cache_clear()
    assert r.status_code == 502 and "could not be sent" in r.text
    assert db.scalar(select(func.count()).select_from(PasswordResetToken)) == 0


def test_a_temporary_password_must_be_changed_at_the_next_sign_in(
    db: Session, client: TestClient, web_as
) -> None:
    nat = auth_service.create_user(db, email="nat@example.com", password=PASSWORD, role="agent")
    db.commit()
    admin = web_as("admin")
    r = admin.post(
        f"/settings/users/{nat.id}/password", data={"csrf": csrf_of(admin.get("/settings").text)}
    )
    temporary = r.text.split('class="secret">')[1].split("<")[0]
    assert "must choose their own password" in r.text
    user = TestClient(client.app)
    page = user.get("/login")
    signed = user.post(
        "/login",
        data={"email": "nat@example.com", "password": temporary, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/account#password"
    held = user.get("/inbox", headers=HTML)
    assert held.status_code == 403 and "temporary password" in held.text
    account = user.get("/account")
    assert account.status_code == 200 and "temporary password from an admin" in account.text
    changed = user.post(
        "/account/password",
        data={"csrf": csrf_of(account.text), "current": temporary, "new": NEW, "confirm": NEW},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert _signed_in(user) and "temporary password from an admin" not in user.get("/account").text


def test_the_cli_mails_a_reset_link(tmp_path, smtp_server: SmtpServer) -> None:  # noqa: F811
    import os
    import subprocess
    import sys

    env = {
        **os.environ, "HEARTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HEARTLINE_DATA_DIR": str(tmp_path), "HEARTLINE_SMTP_HOST": smtp_server.host,
        "HEARTLINE_SMTP_PORT": str(smtp_server.port), "HEARTLINE_PUBLIC_URL": PUBLIC,
    }  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "heartline", *args], env=env, capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    assert run("db", "upgrade").returncode == 0
    made = run("users", "create", "--email", "pat@example.com", "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    sent = run("users", "send-reset-link", "pat@example.com")
    assert sent.returncode == 0 and "reset link sent" in sent.stdout, sent.stderr
    assert smtp_server.box.envelopes[0].rcpt_tos == ["pat@example.com"]
    assert "An admin of your Heartline workspace" in _body(smtp_server.box.messages[0])
    _link(smtp_server.box.messages[0])  # on the public URL
    unknown = run("users", "send-reset-link", "nobody@example.com")
    assert unknown.returncode == 2 and "no user" in unknown.stderr
