"""Security headers on every response, a request body limit, API docs served without a CDN,
and no inline script in any page (the CSP allows scripts from this site only)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_security_headers_everywhere(client: TestClient) -> None:
    for path in ("/login", "/api/v1/customers", "/healthz", "/static/app.css"):
        h = client.get(path).headers
        assert "script-src 'self';" in h["content-security-policy"], path
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in h  # plain HTTP on localhost


def test_hsts_when_served_securely(db) -> None:
    from heartline.app import create_app
    from heartline.config import Settings

    with TestClient(create_app(Settings(cookie_secure=True))) as c:
        assert c.get("/login").headers["strict-transport-security"] == "max-age=31536000"


def test_docs_are_served_locally(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        urls += re.findall(r"(?:url|specUrl|spec-url)\s*[:=]\s*['\"]([^'\"]+)", page.text)
        assert urls and all(u.startswith("/") for u in urls), urls
        for u in urls:
            assert client.get(u).status_code == 200, u
    assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg+xml")


def test_request_bodies_are_capped(client: TestClient, make_token) -> None:
    from heartline.config import get_settings

    limit = get_settings().max_body_bytes
    auth = {"authorization": f"Bearer {make_token('integration')}"}
    big = b'{"items": ["' + b"x" * (limit + 10) + b'"]}'
    r = client.post("/api/v1/interactions:bulk", content=big, headers=auth)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"items": ["'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"]}'

    r = client.post("/api/v1/interactions:bulk", content=chunks(), headers=auth)
    assert r.status_code == 413
