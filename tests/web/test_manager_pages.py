"""Dashboard, review queue, playbooks and settings pages against a real database."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from heartline.assist import dashboard as data
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.models import Order, OrderItem
from heartline.customers.schemas import CustomerIn
from heartline.db import utcnow
from heartline.emotion.service import Reading
from heartline.interactions import service as interaction_service
from heartline.interactions.models import Conversation, Interaction
from heartline.interactions.schemas import SurveyIn
from heartline.metrics import rollup
from heartline.metrics import service as metrics_service
from heartline.mood import service as mood_service
from heartline.mood.models import EmotionReading
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
    html = {"accept": "text/html"}
    # the form sends every field, empty ones included: "All teams" is team=
    applied = c.get("/dashboard?from=2020-01-01&to=2020-01-31&channel=&team=&queue=&category=")
    assert applied.status_code == 200 and 'role="alert"' not in applied.text
    # bad input keeps the page and the form as typed, and says what is wrong
    bad = c.get("/dashboard?from=2024-02-01&to=2024-01-01", headers=html)
    assert bad.status_code == 422 and "How customers feel" in bad.text
    assert 'value="2024-02-01"' in bad.text and "must be on or before" in bad.text
    long = c.get("/dashboard?from=2020-01-01&to=2024-01-01&channel=chat", headers=html)
    assert long.status_code == 422 and 'value="2020-01-01"' in long.text and "at most" in long.text
    nodate = c.get("/dashboard?from=notadate", headers=html)
    assert nodate.status_code == 422 and "is not a date" in nodate.text
    assert c.get("/dashboard?team=abc", headers=html).status_code == 422


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
    row = mood_service.store_reading(db, interaction=interaction, reading=Reading.from_dict(data))
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
            "password": "marble-kettle-orbit-7",
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
            "password": "marble-kettle-orbit-7",
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
        data={
            "csrf": token,
            "email": "x@example.com",
            "password": "marble-kettle-orbit-7",
            "role": "admin",
        },
        headers=html,
    )
    assert r.status_code == 403


# --- reading statistics on the metrics rollup, checked against the raw readings ------------


def _seed_readings(db, customer_id: int) -> tuple[data.Filters, list[dict]]:
    """60 readings over 20 days in known slices; odd days carry no top emotion (lexicon)."""
    teams = [auth_service.get_or_create_team(db, name=n).id for n in ("Alpha", "Beta")]
    now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    orders = []
    for cat in ("audio", "garden"):
        order = Order(customer_id=customer_id, status="delivered", placed_at=now)
        db.add(order)
        db.flush()
        db.add(OrderItem(order_id=order.id, product="Thing", category=cat))
        orders.append((order.id, cat))
    convs = []
    for queue, team in [("billing", teams[0]), ("general", teams[1]), ("returns", None)]:
        conv = Conversation(customer_id=customer_id, channel="email", queue=queue, team_id=team)
        db.add(conv)
        db.flush()
        convs.append(
            (conv.id, queue, "(no team)" if team is None else ("Alpha", "Beta")[team != teams[0]])
        )
    emotions = [("anger", "negative", -0.8), ("neutral", "neutral", 0.0), ("joy", "positive", 0.7)]
    rows = []
    for i in range(60):
        age = i % 20  # days ago: 0-9 this period, 10-19 the one before
        conv_id, queue, team = convs[i % 3]
        emo, sent, val = emotions[(i // 3) % 3]
        if queue == "billing" and age < 10:  # billing turns sour this period
            emo, sent, val = emotions[0]
        order_id, cat = orders[i % 2] if i % 4 else (None, None)
        at = now - timedelta(days=age)
        inter = Interaction(
            customer_id=customer_id,
            conversation_id=conv_id,
            channel=("email", "chat")[i % 2 == 0 and i % 5 == 0],
            text="x",
            occurred_at=at,
            order_id=order_id,
        )
        db.add(inter)
        db.flush()
        top = None if at.date().toordinal() % 2 else emo
        db.add(
            EmotionReading(
                interaction_id=inter.id,
                customer_id=customer_id,
                occurred_at=at,
                channel=inter.channel,
                model="test",
                sentiment=sent,
                valence=val,
                top_emotion=top,
            )
        )
        rows.append(
            {
                "age": age,
                "channel": inter.channel,
                "queue": queue,
                "team": team,
                "category": cat,
                "sentiment": sent,
                "valence": val,
                "emotion": emo,
                "day": at.date().isoformat(),
            }
        )
    rollup.rebuild_rollup(db)
    db.commit()
    today = now.date()
    return data.Filters(start=today - timedelta(days=9), end=today), rows


def _expected(rows: list[dict], dim: str, key: str) -> tuple[int, float]:
    sel = [r for r in rows if r[dim] == key]
    return len(sel), sum(r["sentiment"] == "negative" for r in sel) / len(sel)


def test_reading_stats_match_the_raw_readings(db, customer):
    f, rows = _seed_readings(db, customer["id"])
    stats = data.reading_stats(db, f)
    now = [r for r in rows if r["age"] < 10]
    before = [r for r in rows if r["age"] >= 10]
    assert stats.share["now"]["total"] == len(now) and stats.share["before"]["total"] == len(before)
    neg_now = sum(r["sentiment"] == "negative" for r in now) / len(now)
    assert abs(stats.share["now"]["negative_share"] - neg_now) < 1e-9
    # Chart: every reading stacked once, lexicon readings by sentiment (anger -> frustration).
    assert sum(map(sum, stats.series.values())) == len(now)
    for r in now:
        i = stats.labels.index(r["day"])
        assert (
            stats.series.get(r["emotion"], [0] * 10)[i]
            or stats.series["frustration"][i]
            or (stats.series.get("satisfaction", [0] * 10)[i])
        )
    for dim in ("channel", "queue", "team", "category"):
        got = {b["key"]: (b["n"], b["negative_share"]) for b in stats.breakdowns[dim]}
        keys = {r[dim] for r in now if r[dim] is not None}
        assert set(got) == keys, dim
        for key in keys:
            n, share = _expected(now, dim, key)
            assert got[key][0] == n and abs(got[key][1] - share) < 1e-9, (dim, key)
    assert stats.spots and stats.spots[0]["key"] in ("billing", "Alpha")
    assert {s["key"] for s in stats.spots} >= {"billing", "Alpha"}
    billing = next(s for s in stats.spots if s["key"] == "billing")
    assert (
        billing["negative_share"] == 1.0
        and billing["was"] == _expected(before, "queue", "billing")[1]
    )


def test_reading_stats_filters_slice_the_rollup(db, customer):
    f, rows = _seed_readings(db, customer["id"])
    now = [r for r in rows if r["age"] < 10]
    for flt, dim, key in [
        ({"channel": "chat"}, "channel", "chat"),
        ({"queue": "general"}, "queue", "general"),
        ({"category": "garden"}, "category", "garden"),
    ]:
        stats = data.reading_stats(db, data.Filters(start=f.start, end=f.end, **flt))
        assert stats.share["now"]["total"] == _expected(now, dim, key)[0], flt
        assert sum(map(sum, stats.series.values())) == _expected(now, dim, key)[0], flt
    both = data.reading_stats(
        db, data.Filters(start=f.start, end=f.end, queue="billing", category="audio")
    )
    assert both.share["now"]["total"] == sum(
        r["queue"] == "billing" and r["category"] == "audio" for r in now
    )


def test_dashboard_page_on_the_rollup(db, web_as, customer):
    f, _ = _seed_readings(db, customer["id"])
    html = web_as("manager").get(f"/dashboard?from={f.start}&to={f.end}").text
    assert "billing" in html and "garden" in html and "Alpha" in html
    assert re.search(r"<option\s*>garden</option>", html)  # category filter from the rollup
    chart = _chart_data(html)["emotions"]
    assert {d["key"] for d in chart["datasets"]} >= {"anger", "frustration", "joy", "satisfaction"}


def test_day_mix_apportions_readings_without_a_top_emotion():
    row = {
        "n": 10,
        "emotions": {"anger": 2, "joy": 3},
        "sentiment": {"negative": 4, "positive": 4, "neutral": 2},
    }
    mix = data.day_mix(row)
    assert sum(mix.values()) == 10
    assert mix == {"anger": 2, "joy": 3, "frustration": 2, "satisfaction": 1, "neutral": 2}


def test_retention_rate_agrees_with_the_cohorts(db, customer):
    now = utcnow()
    other = customer_service.upsert_customer(db, data=CustomerIn(external_id="b", name="B")).obj
    third = customer_service.upsert_customer(db, data=CustomerIn(external_id="c", name="C")).obj
    for cid, days, status in [
        (customer["id"], 400, "delivered"),
        (customer["id"], 30, "delivered"),
        (other.id, 200, "delivered"),
        (other.id, 91, "delivered"),  # just outside 90 whole days
        (third.id, 10, "cancelled"),  # cancelled orders do not count
        (third.id, 5, "delivered"),
    ]:
        db.add(Order(customer_id=cid, status=status, placed_at=now - timedelta(days=days)))
    db.flush()
    for as_of in (now, now - timedelta(days=60), now - timedelta(days=300)):
        cohorts = metrics_service.retention(db, as_of=as_of)
        got = metrics_service.retention_rate(db, as_of=as_of)
        assert got["customers"] == sum(c["customers"] for c in cohorts)
        assert got["active"] == sum(c["active"] for c in cohorts)
    assert metrics_service.retention_rate(db, as_of=now)["active"] == 2


def test_admin_changes_roles_and_deactivates_users(db, web_as):
    from heartline.privacy.models import AuditEvent

    agent_client = web_as("agent")
    assert agent_client.get("/inbox").status_code == 200
    agent_cookies = dict(agent_client.cookies)
    a = web_as("admin")
    page = a.get("/settings").text
    token = csrf_of(page)
    agent = next(u for u in auth_service.list_users(db) if u.role == "agent")
    admin = next(u for u in auth_service.list_users(db) if u.role == "admin")
    r = a.post(
        f"/settings/users/{agent.id}",
        data={"csrf": token, "role": "manager"},  # the active box unticked: deactivate
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert (agent.role, agent.is_active) == ("manager", False)
    event = (
        db.query(AuditEvent)
        .filter_by(entity="user", entity_id=agent.id, action="user.updated")
        .one()
    )
    assert event.details == {"role": ["agent", "manager"], "is_active": [True, False]}
    assert event.actor_id == admin.id
    # the deactivated user's own session stops working at once
    admin_cookies = dict(a.cookies)
    a.cookies.clear()
    a.cookies.update(agent_cookies)
    assert a.get("/inbox", headers={"accept": "text/html"}, follow_redirects=False).status_code in (
        303,
        401,
    )
    a.cookies.clear()
    a.cookies.update(admin_cookies)
    # the last admin can neither demote nor deactivate themselves
    for form in ({"role": "agent", "active": "on"}, {"role": "admin"}):
        bad = a.post(f"/settings/users/{admin.id}", data={"csrf": token, **form})
        assert bad.status_code in (409, 422) and 'role="alert"' in bad.text
    db.expire_all()
    assert (admin.role, admin.is_active) == ("admin", True)
    assert (
        a.post("/settings/users/999999", data={"csrf": token, "role": "agent"}).status_code == 404
    )


def test_no_one_deactivates_themselves(db):
    import pytest

    from heartline.errors import AppError

    first = auth_service.create_user(
        db, email="a1@example.com", password="x-Quiet-Harbour-9", role="admin"
    )
    second = auth_service.create_user(
        db, email="a2@example.com", password="x-Quiet-Harbour-9", role="admin"
    )
    with pytest.raises(AppError) as exc:
        auth_service.update_user(db, user_id=first.id, is_active=False, acting_user_id=first.id)
    assert exc.value.details[0]["field"] == "is_active"
    # another admin may, and demoting one of two admins is fine
    changes = auth_service.update_user(
        db, user_id=first.id, is_active=False, acting_user_id=second.id
    )
    assert changes == {"is_active": [True, False]}
    with pytest.raises(AppError, match="last active admin"):
        auth_service.update_user(db, user_id=second.id, role="manager")


def test_dashboard_slices_by_language(db, web_as, frustrated):
    """A German message shows up under 'By language' and the Language filter narrows to it."""
    from heartline import pipeline
    from heartline.interactions.schemas import InteractionIn

    de = interaction_service.ingest_interaction(
        db,
        data=InteractionIn(
            customer_id=frustrated["customer_id"], channel="chat",
            text="Mein Paket ist seit einer Woche überfällig und niemand antwortet mir.",
        ),
    ).obj  # fmt: skip
    db.commit()
    pipeline.submit(db, "interaction", [de.id])
    c = web_as("manager")
    page = c.get("/dashboard")
    assert '<option value="de" >German</option>' in page.text
    assert "By language" in page.text and "<td>German</td>" in page.text
    only = c.get("/dashboard?language=de")
    assert only.status_code == 200
    assert '<option value="de" selected>German</option>' in only.text
    data = _chart_data(only.text)
    assert sum(sum(d["data"]) for d in data["emotions"]["datasets"]) == 1  # the German one only
