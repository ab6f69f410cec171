"""Authentication and roles on the API and the web login."""

import re

from heartline.auth import service as auth_service


def test_no_token_is_401(client):
    r = client.get("/api/v1/customers")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_wrong_token_and_bad_scheme(client):
    assert (
        client.get("/api/v1/customers", headers={"Authorization": "Bearer hl_nope"}).status_code
        == 401
    )
    assert (
        client.get("/api/v1/customers", headers={"Authorization": "Basic abc"}).status_code == 401
    )


def test_agent_may_read_but_not_ingest(api_as, customer):
    agent = api_as("agent")
    assert agent.get("/customers").status_code == 200
    r = agent.post(
        "/interactions", json={"customer_id": customer["id"], "channel": "chat", "text": "hi"}
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


def test_revoked_token_is_refused(client, db):
    token, plaintext = auth_service.create_token(db, name="old", role="integration")
    db.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    auth_service.revoke_token(db, token_id=token.id)
    db.commit()
    assert client.get("/api/v1/customers", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(db):
    token, plaintext = auth_service.create_token(db, name="x", role="integration")
    assert plaintext not in (token.token_hash, token.prefix + token.token_hash)
    assert len(token.token_hash) == 64 and plaintext.startswith("hl_")


def test_passwords_are_argon2(db):
    user = auth_service.create_user(
        db, email="Boss@Example.com", password="correct horse battery staple", role="manager"
    )
    assert user.password_hash.startswith("$argon2")
    assert (
        auth_service.authenticate(
            db, email="boss@example.com", password="correct horse battery staple"
        )
        is not None
    )
    assert auth_service.authenticate(db, email="boss@example.com", password="wrong") is None


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_web_login_flow(client, db):
    auth_service.create_user(
        db, email="agent@example.com", password="lantern-oyster-91-velvet", role="agent"
    )
    db.commit()
    assert (
        client.get("/inbox", headers={"accept": "text/html"}, follow_redirects=False).status_code
        == 303
    )
    page = client.get("/login")
    bad = client.post(
        "/login", data={"email": "agent@example.com", "password": "nope", "csrf": _csrf(page.text)}
    )
    assert bad.status_code == 401 and "Wrong email or password" in bad.text
    r = client.post(
        "/login",
        data={
            "email": "agent@example.com",
            "password": "lantern-oyster-91-velvet",
            "csrf": _csrf(page.text),
            "next": "/inbox",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/inbox"
    assert client.get("/inbox").status_code == 200
    # the session also authenticates API reads
    assert client.get("/api/v1/customers").status_code == 200


def test_login_rejects_missing_csrf(client, db):
    auth_service.create_user(
        db, email="a2@example.com", password="lantern-oyster-91-velvet", role="agent"
    )
    db.commit()
    client.get("/login")
    form = {"email": "a2@example.com", "password": "lantern-oyster-91-velvet"}
    r = client.post("/login", data=form)
    assert r.status_code == 403


def test_login_never_redirects_off_site(client, db):
    auth_service.create_user(
        db, email="a3@example.com", password="lantern-oyster-91-velvet", role="agent"
    )
    db.commit()
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "email": "a3@example.com",
            "password": "lantern-oyster-91-velvet",
            "csrf": _csrf(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/inbox"
