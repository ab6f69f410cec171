"""Customers are told why their messages are read and choose for themselves: a notice at a
public URL (per language, editable by an admin), one line with the links at the end of every
message, and a choices page behind a signed, expiring link whose choices go through the same
code paths as an agent's (audited)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers.models import Customer
from heartline.mood.models import EmotionReading
from heartline.privacy import transparency as T
from heartline.privacy.models import PrivacyRequest
from tests.web.conftest import csrf_of


def test_the_notice_is_public_in_the_visitors_language(client: TestClient) -> None:
    r = client.get("/privacy")
    assert r.status_code == 200 and "How we read your messages" in r.text
    de = client.get("/privacy", headers={"accept-language": "de-DE,de;q=0.9"})
    assert 'lang="de"' in de.text and "Wie wir Ihre Nachrichten lesen" in de.text
    assert "Comment nous lisons" in client.get("/privacy?lang=fr").text
    assert "How we read" in client.get("/privacy?lang=xx").text  # unknown: English


def test_an_admin_edits_the_notice_per_language(web_as, client: TestClient) -> None:
    admin = web_as("admin")
    page = admin.get("/settings?notice_lang=es")
    assert "Cómo leemos sus mensajes" in page.text
    r = admin.post(
        "/settings/notice",
        data={"csrf": csrf_of(page.text), "language": "es", "text": "Título\n\nNuevo texto."},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Nuevo texto." in client.get("/privacy?lang=es").text
    assert "How we read" in client.get("/privacy?lang=en").text  # other languages untouched
    admin.post("/settings/notice", data={"csrf": csrf_of(page.text), "language": "es", "text": ""})
    assert "Cómo leemos" in client.get("/privacy?lang=es").text  # empty: shipped text again


def _customer_with_reading(api) -> int:
    c = api.post(
        "/customers",
        json={"external_id": "t-1", "name": "Tia", "email": "tia@example.com",
              "consent": {"marketing": True}},
    ).json()  # fmt: skip
    api.post(
        "/interactions",
        json={"customer_id": c["id"], "channel": "email", "text": "Late again, I'm furious."},
    )
    return int(c["id"])


def test_a_customer_chooses_for_themselves(api, api_as, client: TestClient, db: Session) -> None:
    cid = _customer_with_reading(api)
    url = f"/privacy/choices/{T.choices_token(cid)}"
    page = client.get(url)
    assert page.status_code == 200 and "Stop analysing how I feel" in page.text
    r = client.post(
        url,
        data={"csrf": csrf_of(page.text), "action": ["no_analysis", "no_marketing", "erasure"]},
    )
    assert r.status_code == 200 and "Done" in r.text
    db.expire_all()
    customer = db.get(Customer, cid)
    assert not customer.consent_emotion_analysis and not customer.consent_marketing
    assert customer.marketing_paused_at is not None  # at once, before an admin acts
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == 0
    [req] = db.scalars(select(PrivacyRequest)).all()
    assert (req.kind, req.source, req.status) == ("erasure", "self_service", "open")
    trail = api_as("admin").get("/audit", params={"entity": "customer", "entity_id": cid})
    events = [(e["action"], e["actor_kind"]) for e in trail.json()["items"]]
    assert ("consent.withdrawn", "customer") in events and ("privacy_request", "customer") in events
    # asking again changes nothing
    client.post(url, data={"csrf": csrf_of(page.text), "action": ["erasure"]})
    assert db.scalar(select(func.count()).select_from(PrivacyRequest)) == 1
    listed = api_as("admin").get("/privacy/requests").json()["items"]
    assert listed[0]["kind"] == "erasure" and listed[0]["source"] == "self_service"


def test_forged_or_expired_links_do_nothing(
    api, client: TestClient, db: Session, monkeypatch
) -> None:
    cid = _customer_with_reading(api)
    assert client.get(f"/privacy/choices/{T.choices_token(cid)}x").status_code == 404
    token = T.choices_token(cid)
    monkeypatch.setattr(T, "CHOICES_DAYS", -1)  # every link is past its age
    page = client.get(f"/privacy/choices/{token}")
    assert page.status_code == 404 and "expired" in page.text
    csrf = csrf_of(client.get("/login").text)
    r = client.post(f"/privacy/choices/{token}", data={"csrf": csrf, "action": ["erasure"]})
    assert r.status_code == 404 and not db.scalars(select(PrivacyRequest)).all()
