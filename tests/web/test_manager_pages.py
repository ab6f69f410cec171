"""Dashboard, review queue, playbooks and settings pages against a real database."""

from __future__ import annotations

import json
import re

from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import SurveyIn
from heartline.mood import service as mood_service
from tests.web.conftest import csrf_of


def _chart_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    assert m, "no chart data embedded"
    return json.loads(m.group(1))


def test_dashboard_shows_emotions_tiles_and_breakdowns(db, web_as, frustrated):
    interaction_service.ingest_survey(
        db, data=SurveyIn(customer_id=frustrated["customer_id"], kind="csat", score=2)
    )
    db.commit()
    c = web_as("manager")
    r = c.get("/dashboard")
    assert r.status_code == 200
    data = _chart_data(r.text)
    keys = [d["key"] for d in data["emotions"]["datasets"]]
    assert keys and sum(sum(d["data"]) for d in data["emotions"]["datasets"]) >= 1
    negative = [d for d in data["emotions"]["datasets"] if d["key"] in ("anger", "frustration")]
    assert negative and negative[0]["backgroundColor"] in ("#c62828", "#e08a00")
    assert 'id="tile-csat"' in r.text and "0%" in r.text  # one CSAT answer of 2 -> 0% satisfied
    assert "By channel" in r.text and "email" in r.text
    assert "/static/vendor/chart-4.6.1.umd.min.js" in r.text


def test_dashboard_filters_are_in_the_url_and_validated(web_as, frustrated):
    c = web_as("manager")
    r = c.get("/dashboard?from=2020-01-01&to=2020-01-31&channel=chat")
    assert r.status_code == 200
    data = _chart_data(r.text)
    assert data["emotions"]["labels"][0] == "2020-01-01" and len(data["emotions"]["labels"]) == 31
    assert data["emotions"]["datasets"] == []  # nothing happened in January 2020
    bad = c.get("/dashboard?from=2024-02-01&to=2024-01-01", headers={"accept": "text/html"})
    assert bad.status_code == 422
    assert c.get("/dashboard?from=notadate", headers={"accept": "text/html"}).status_code == 422


def test_segment_drilldown(web_as):
    c = web_as("manager")
    html = c.get("/dashboard").text
    keys = re.findall(r'href="/dashboard/segments/([a-z_]+)"', html)
    assert keys, "segments listed"
    assert c.get(f"/dashboard/segments/{keys[0]}").status_code == 200
    assert c.get("/dashboard/segments/nope", headers={"accept": "text/html"}).status_code == 404


def _flag_for_review(db, interaction_id: int) -> int:
    interaction = interaction_service.get_interaction(db, interaction_id=interaction_id)
    reading = mood_service.readings_for(db, interaction_ids=[interaction_id])[interaction_id]
    data = {**reading.data, "needs_review": True, "review_reasons": ["possible_sarcasm"]}
    row = mood_service.store_reading(db, interaction=interaction, reading=data)
    db.commit()
    return row.id


def test_review_queue_correct_a_reading(db, web_as, frustrated):
    reading_id = _flag_for_review(db, frustrated["interaction_id"])
    c = web_as("agent")
    page = c.get("/review")
    assert (
        page.status_code == 200
        and f'id="rv-{reading_id}"' in page.text
        and "possible sarcasm" in page.text
    )
    r = c.post(
        f"/review/{reading_id}",
        data={
            "csrf": csrf_of(page.text),
            "action": "correct",
            "sentiment": "positive",
            "emotion": "joy",
        },
    )
    assert r.status_code == 200 and "Corrected" in r.text
    db.expire_all()
    reading = mood_service.readings_for(db, interaction_ids=[frustrated["interaction_id"]])[
        frustrated["interaction_id"]
    ]
    assert reading.sentiment == "positive" and reading.needs_review is False
    assert f'id="rv-{reading_id}"' not in c.get("/review").text


def test_review_confirm_and_bad_input(db, web_as, frustrated):
    reading_id = _flag_for_review(db, frustrated["interaction_id"])
    c = web_as("agent")
    token = csrf_of(c.get("/review").text)
    bad = c.post(
        f"/review/{reading_id}",
        data={"csrf": token, "action": "correct", "sentiment": "furious"},
        headers={"accept": "text/html"},
    )
    assert bad.status_code == 422
    ok = c.post(f"/review/{reading_id}", data={"csrf": token, "action": "confirm"})
    assert ok.status_code == 200 and "Confirmed" in ok.text


def test_playbooks_list_toggle_and_preview(web_as):
    c = web_as("manager")
    page = c.get("/playbooks")
    assert page.status_code == 200
    keys = re.findall(r'id="pb-([a-z0-9_\-]+)"', page.text)
    assert keys, "built-in playbooks listed"
    key = keys[0]
    token = csrf_of(page.text)
    was_on = 'aria-label="Turn off' in page.text.split(f'id="pb-{key}"')[1].split("</tr>")[0]
    r = c.post(
        f"/playbooks/{key}/toggle",
        data={"csrf": token, "enabled": "off" if was_on else "on"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    row = c.get("/playbooks").text.split(f'id="pb-{key}"')[1].split("</tr>")[0]
    assert ("Turn on" in row) == was_on
    p = c.post(f"/playbooks/{key}/preview", data={"csrf": token})
    assert p.status_code == 200 and "Dry run" in p.text and "Nothing was sent" in p.text


def test_settings_routing_validation_and_users(web_as):
    a = web_as("admin")
    page = a.get("/settings")
    assert page.status_code == 200 and "SLA targets" in page.text and "Users and roles" in page.text
    token = csrf_of(page.text)
    bad = a.post("/settings/routing", data={"csrf": token, "rules": "sla_hours: {urgent: -1}"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    r = a.post(
        "/settings/users",
        data={
            "csrf": token,
            "email": "new.agent@example.com",
            "password": "longenough1",
            "role": "agent",
            "name": "New Agent",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "new.agent@example.com" in a.get("/settings").text
    dup = a.post(
        "/settings/users",
        data={
            "csrf": token,
            "email": "new.agent@example.com",
            "password": "longenough1",
            "role": "agent",
        },
    )
    assert dup.status_code == 409


def test_posts_check_the_role_too(web_as):
    agent = web_as("agent")
    token = csrf_of(agent.get("/inbox").text)
    html = {"accept": "text/html"}
    assert (
        agent.post(
            "/playbooks/welcome/toggle", data={"csrf": token, "enabled": "off"}, headers=html
        ).status_code
        == 403
    )
    manager = web_as("manager")
    token = csrf_of(manager.get("/inbox").text)
    r = manager.post(
        "/settings/users",
        data={"csrf": token, "email": "x@example.com", "password": "longenough1", "role": "admin"},
        headers=html,
    )
    assert r.status_code == 403
