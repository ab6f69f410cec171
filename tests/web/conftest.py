"""Web fixtures: sign in as a role through the real login form; seed a frustrated customer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from heartline import pipeline
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn

PASSWORD = "correct horse battery"
FRUSTRATED = "My order is a week late and nobody answers my emails. I am furious!"


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    """Sign in through the form; the client keeps the session cookie."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text), "next": "/inbox"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def web_as(db: Session, client: TestClient) -> Callable[[str], TestClient]:
    """A signed-in client for a role: web_as('agent')."""
    made: dict[str, Any] = {}

    def _as(role: str) -> TestClient:
        email = f"{role}@example.com"
        if role not in made:
            made[role] = auth_service.create_user(
                db, email=email, password=PASSWORD, role=role, name=f"Sam {role.title()}"
            )
            db.commit()
        client.cookies.clear()
        return login(client, email)

    return _as


@pytest.fixture
def frustrated(db: Session) -> dict[str, int]:
    """A customer with an open conversation whose latest message is angry (scored inline)."""
    cust = customer_service.upsert_customer(
        db, data=CustomerIn(external_id="ada", name="Ada Lovelace", email="ada@example.com")
    ).obj
    first = interaction_service.ingest_interaction(
        db,
        data=InteractionIn(
            customer_id=cust.id, channel="email", subject="Where is my order?", text=FRUSTRATED
        ),
    ).obj
    db.commit()
    pipeline.submit(db, "interaction", [first.id])
    db.expire_all()
    return {
        "customer_id": cust.id,
        "conversation_id": int(first.conversation_id or 0),
        "interaction_id": first.id,
    }
