"""Pages that show what acts on intents: open privacy requests on the admin settings page (and
handling one there), the paused-marketing note on the customer page, and an old last word
shown with its age instead of "no emotional history".

Readings are made deterministic by monkeypatching the engine's analyze_many (tests/cs_intents:
the real reading with the intent fields replaced via dataclasses.replace)."""

from __future__ import annotations

from datetime import timedelta

from heartline.db import utcnow
from tests.cs_intents import cs, read_as
from tests.web.conftest import csrf_of

ERASE = "Unsubscribe me and erase everything you hold on me."
ANGRY = "This is outrageous, I am furious, worst service ever!"


def _customer(api, ext: str, name: str) -> int:
    r = api.post("/customers", json={"external_id": ext, "name": name, "email": f"{ext}@x.io"})
    return int(r.json()["id"])


def test_settings_lists_open_privacy_requests_and_handles_them(api, web_as, monkeypatch):
    cid = _customer(api, "web-priv", "Wen Private")
    read_as(monkeypatch, {ERASE: cs("privacy_request", confidence=0.9)})
    api.post("/interactions", json={"customer_id": cid, "channel": "email", "text": ERASE})
    admin = web_as("admin")
    page = admin.get("/settings")
    assert page.status_code == 200
    assert "Privacy requests" in page.text and "Wen Private" in page.text
    assert f'href="/customers/{cid}"' in page.text
    customer_page = admin.get(f"/customers/{cid}").text
    assert "paused</strong>" in customer_page and "privacy request on" in customer_page
    form = page.text[page.text.index('id="privacy"') :]
    request_id = form.split('action="/settings/privacy/')[1].split('"')[0]
    r = admin.post(
        f"/settings/privacy/{request_id}",
        data={"csrf": csrf_of(page.text), "outcome": "data erased", "resume_marketing": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = admin.get("/settings").text
    assert "No open privacy requests." in after
    # Handled, but marketing stays paused unless the admin said to resume it.
    assert api.get(f"/customers/{cid}").json()["marketing_paused_at"] is not None
    assert web_as("agent").get("/settings").status_code in (303, 403)


def test_an_old_last_word_is_shown_with_its_age(api, web_as):
    cid = _customer(api, "web-old", "Olga Old")
    at = utcnow() - timedelta(days=400)
    api.post(
        "/interactions",
        json={"customer_id": cid, "channel": "email", "text": ANGRY, "occurred_at": at.isoformat()},
    )
    mood = api.get(f"/customers/{cid}/mood").json()
    assert mood["readings_count"] == 0  # older than the year the mood state reads
    last = mood["last_reading"]
    assert last["age"] == "1 year ago" and last["sentiment"] == "negative"
    assert mood["summary"] == f"Last message on {at.day} {at:%b %Y}: {last['label']}; nothing since"
    page = web_as("agent").get(f"/customers/{cid}").text
    assert "No emotional history" not in page and "No reading yet" not in page
    assert "last message, 1 year ago" in page


def test_a_months_old_last_word_says_how_old_it_is(api, web_as):
    cid = _customer(api, "web-5m", "Mia Months")
    api.post(
        "/interactions",
        json={
            "customer_id": cid,
            "channel": "email",
            "text": ANGRY,
            "occurred_at": (utcnow() - timedelta(days=155)).isoformat(),
        },
    )
    last = api.get(f"/customers/{cid}/mood").json()["last_reading"]
    assert last["age"] == "5 months ago" and last["age_days"] == 155
    page = web_as("agent").get(f"/customers/{cid}").text
    assert f"<strong>Last message</strong>, 5 months ago: {last['label']}" in page
