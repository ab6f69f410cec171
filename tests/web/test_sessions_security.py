"""Sessions live on the server (sign-out, role, password and deactivation end them; idle and
absolute lifetimes), sign-in is throttled and audited, passwords follow a policy and can be
changed and reset, cookie-authenticated API writes must come from this site."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.auth import sessions
from heartline.auth.models import UserSession
from heartline.config import Settings
from heartline.db import utcnow
from heartline.privacy.models import AuditEvent
from tests.web.conftest import PASSWORD, csrf_of, login

HTML = {"accept": "text/html"}


def _signed_in(client: TestClient) -> bool:
    r = client.get("/inbox", headers=HTML, follow_redirects=False)
    return r.status_code == 200


def _post_login(client: TestClient, email: str, password: str):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )


def test_sign_out_kills_a_copied_cookie(web_as) -> None:
    c = web_as("agent")
    stolen = dict(c.cookies)
    c.post("/logout", data={"csrf": csrf_of(c.get("/inbox").text)}, follow_redirects=False)
    assert not _signed_in(c)
    c.cookies.clear()
    c.cookies.update(stolen)
    assert not _signed_in(c)
    assert c.get("/api/v1/customers").status_code == 401


def test_idle_and_absolute_lifetimes(db: Session, web_as) -> None:
    c = web_as("agent")
    assert _signed_in(c)
    db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=5)))
    db.commit()
    assert not _signed_in(c)  # idle past session_max_age_s (4 h)
    c = web_as("agent")
    db.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert not _signed_in(c)  # however busy, the absolute lifetime ends it


def test_role_change_and_deactivation_end_sessions_and_reactivation_revives_none(
    db: Session, client: TestClient
) -> None:
    user = auth_service.create_user(db, email="ana@example.com", password=PASSWORD, role="agent")
    db.commit()
    login(client, "ana@example.com")
    cookie = dict(client.cookies)
    auth_service.update_user(db, user_id=user.id, role="manager")
    db.commit()
    assert not _signed_in(client)
    login(client, "ana@example.com")
    cookie = dict(client.cookies)
    auth_service.update_user(db, user_id=user.id, is_active=False)
    auth_service.update_user(db, user_id=user.id, is_active=True)
    db.commit()
    client.cookies.clear()
    client.cookies.update(cookie)
    assert not _signed_in(client)


def test_throttling_per_account_then_per_address(db: Session, client: TestClient) -> None:
    auth_service.create_user(db, email="bo@example.com", password=PASSWORD, role="agent")
    db.commit()
    for _ in range(sessions.ACCOUNT_LIMIT):
        assert _post_login(client, "bo@example.com", "wrong-guess").status_code == 401
    r = _post_login(client, "bo@example.com", PASSWORD)  # right password, still refused
    assert r.status_code == 429 and "Too many failed sign-ins for this account" in r.text
    assert int(r.headers["retry-after"]) > 0
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "user")))
    assert actions.count("login.failed") == sessions.ACCOUNT_LIMIT
    assert "login.throttled" in actions
    # the lock lifts when the failures age out of the window
    db.execute(update(sessions.LoginAttempt).values(at=utcnow() - sessions.WINDOW))
    db.commit()
    assert _post_login(client, "bo@example.com", PASSWORD).status_code == 303
    # one address trying many accounts is stopped too (unknown accounts count the same)
    client.cookies.clear()
    for i in range(sessions.ADDRESS_LIMIT):
        _post_login(client, f"nobody{i}@example.com", "wrong-guess")
    r = _post_login(client, "bo@example.com", PASSWORD)
    assert r.status_code == 429 and "network address" in r.text


def test_password_policy_names_the_field(db: Session) -> None:
    import pytest

    from heartline.errors import AppError

    for weak in ("short1", "password1234", "qwertyuiop123", "ana@example.com-1"):
        with pytest.raises(AppError) as info:
            auth_service.create_user(db, email="ana@example.com", password=weak, role="agent")
        assert info.value.details[0]["field"] == "password"


def test_change_password_ends_other_sessions_only(db: Session, client: TestClient) -> None:
    auth_service.create_user(db, email="cy@example.com", password=PASSWORD, role="agent")
    db.commit()
    other = TestClient(client.app)
    login(other, "cy@example.com")
    login(client, "cy@example.com")
    page = client.get("/account")
    assert page.status_code == 200 and "Signed in on 2 devices" in page.text
    token = csrf_of(page.text)
    new = "amber-lichen-ferry-58"
    bad = client.post(
        "/account/password", data={"csrf": token, "current": "nope", "new": new, "confirm": new}
    )
    assert bad.status_code == 422 and "current password is wrong" in bad.text
    weak = client.post(
        "/account/password",
        data={"csrf": token, "current": PASSWORD, "new": "password", "confirm": "password"},
    )
    assert weak.status_code == 422 and "password:" in weak.text
    ok = client.post(
        "/account/password",
        data={"csrf": token, "current": PASSWORD, "new": new, "confirm": new},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert _signed_in(client) and not _signed_in(other)
    client.cookies.clear()
    assert _post_login(client, "cy@example.com", PASSWORD).status_code == 401
    assert _post_login(client, "cy@example.com", new).status_code == 303


def test_admin_reset_shows_a_temporary_password_once(db: Session, web_as, client) -> None:
    target = auth_service.create_user(db, email="di@example.com", password=PASSWORD, role="agent")
    db.commit()
    victim = TestClient(client.app)
    login(victim, "di@example.com")
    admin = web_as("admin")
    r = admin.post(
        f"/settings/users/{target.id}/password", data={"csrf": csrf_of(admin.get("/settings").text)}
    )
    assert r.status_code == 200 and "Temporary password for di@example.com" in r.text
    temporary = r.text.split('class="secret">')[1].split("<")[0]
    assert not _signed_in(victim)
    assert _post_login(TestClient(client.app), "di@example.com", temporary).status_code == 303
    assert "Temporary password" not in admin.get("/settings").text


def test_cookie_api_writes_need_this_sites_origin(web_as, make_token) -> None:
    c = web_as("admin")
    body = {"external_id": "o-1", "name": "Olga"}
    assert c.post("/api/v1/customers", json=body).status_code == 403
    evil = c.post("/api/v1/customers", json=body, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    ok = c.post("/api/v1/customers", json=body, headers={"origin": "http://testserver"})
    assert ok.status_code == 201
    token = csrf_of(c.get("/inbox").text)
    assert (
        c.post(
            "/api/v1/customers",
            json={**body, "external_id": "o-2"},
            headers={"x-csrf-token": token},
        ).status_code
        == 201
    )
    assert c.get("/api/v1/customers").status_code == 200  # reads need neither
    bearer = {"authorization": f"Bearer {make_token('integration')}"}
    c.cookies.clear()
    assert (
        c.post("/api/v1/customers", json={**body, "external_id": "o-3"}, headers=bearer).status_code
        == 201
    )


def test_secure_cookie_is_the_default_off_localhost() -> None:
    assert not Settings(host="127.0.0.1").secure_cookies()
    assert Settings(host="0.0.0.0").secure_cookies()
    assert not Settings(host="0.0.0.0", cookie_secure=False).secure_cookies()


def test_ended_sessions_and_old_attempts_are_purged(db: Session, web_as) -> None:
    c = web_as("agent")
    c.post("/logout", data={"csrf": csrf_of(c.get("/inbox").text)}, follow_redirects=False)
    web_as("agent")  # a live one stays
    later = utcnow() + timedelta(hours=25)
    assert sessions.purge(db, now=later) >= 2  # the ended session and the sign-in attempts
    assert len(list(db.scalars(select(UserSession)))) == 1


def test_an_expired_session_sends_a_reply_back_to_its_page_not_a_405(web_as, frustrated) -> None:
    c = web_as("agent")
    conv = f"/conversations/{frustrated['conversation_id']}"
    token = csrf_of(c.get(conv).text)
    c.cookies.clear()  # the session ended while the agent was typing
    r = c.post(
        f"{conv}/reply",
        data={"text": "Hi Ada, on it.", "csrf": token},
        headers={"accept": "text/html", "referer": f"http://testserver{conv}"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/login?next={conv}"
    # an HTMX call (the tone check) gets a full-page trip to sign in and back
    h = c.post(
        f"{conv}/tone",
        data={"text": "x", "csrf": token},
        headers={"hx-request": "true", "referer": f"http://testserver{conv}"},
    )
    assert h.status_code == 401 and h.headers["hx-redirect"] == f"/login?next={conv}"
    # a referer from elsewhere is never followed
    evil = c.post(
        f"{conv}/reply",
        data={"text": "x", "csrf": token},
        headers={"accept": "text/html", "referer": "https://evil.example/phish"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/login?next=/inbox"
