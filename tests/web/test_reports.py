"""Manager reports (#12): every dashboard figure drills down to as many messages, CSV files of
the dashboard and of a message list (injection-safe), day/week/month bars from the rollup on
both databases, survey trend lines that refuse to draw from too few answers, and tiles that say
better or worse with a sign as well as colour."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import update

from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.db import utcnow
from heartline.interactions import service as interaction_service
from heartline.interactions.models import Conversation, Interaction
from heartline.interactions.schemas import SurveyIn
from heartline.metrics import rollup
from heartline.metrics import service as metrics_service
from heartline.mood.models import EmotionReading
from heartline.web.pages_dashboard import _trend
from tests.web.test_manager_pages import _chart_data, _seed_readings


def _links(html: str, css: str) -> list[tuple[str, int]]:
    """(href, the count shown) of every link of a class."""
    found = re.findall(rf'<a class="{css}" href="([^"]+)"[^>]*>(\d+)</a>', html)
    return [(unescape(h), int(n)) for h, n in found]


def _listed(client, href: str) -> int:
    r = client.get(href)
    assert r.status_code == 200, (href, r.text[:300])
    m = re.search(r"<h1>(\d+) messages?", r.text)
    assert m, href
    return int(m.group(1))


def test_every_breakdown_row_and_bar_drills_to_as_many_messages(db, web_as, customer):
    f, rows = _seed_readings(db, customer["id"])
    web_as("agent")  # Sam Agent works the billing queue
    agent = auth_service.find_user(db, email="agent@example.com")
    db.execute(update(Conversation).where(Conversation.queue == "billing").values(
        assignee_id=agent.id))  # fmt: skip
    rollup.rebuild_rollup(db)
    db.commit()
    c = web_as("manager")
    for extra in ("", "&channel=email", "&bucket=week", "&queue=billing&category=audio"):
        html = c.get(f"/dashboard?from={f.start}&to={f.end}{extra}").text
        drills, bars = _links(html, "drill"), _links(html, "bar-link")
        kinds = {k for h, _ in drills for k in re.findall(r"[?&]([a-z]+)=", h)} - {"from", "to"}
        assert len(drills) >= 5, extra
        if not extra:  # every breakdown links to its own slice
            assert kinds == {"queue", "team", "agent", "channel", "category", "emotion"}
            assert any("team=none" in h for h, _ in drills)  # the "(no team)" row
            assert any("agent=none" in h for h, _ in drills)  # nobody assigned
            assert f"agent={agent.id}" in html and "Sam Agent" in html
        assert bars and sum(n for _, n in bars) == sum(
            sum(d["data"]) for d in _chart_data(html)["emotions"]["datasets"]
        )
        for href, n in drills + [b for b in bars if b[1]]:
            assert _listed(c, href) == n, (extra, href)
    # The negative share links list the negative messages of that slice.
    html = c.get(f"/dashboard?from={f.start}&to={f.end}").text
    neg = re.search(r'href="([^"]*queue=billing[^"]*sentiment=negative)"', html)
    assert neg
    now = [r for r in rows if r["age"] < 10 and r["queue"] == "billing"]
    assert _listed(c, unescape(neg.group(1))) == sum(r["sentiment"] == "negative" for r in now)


def test_message_list_pages_and_keeps_its_filters(db, web_as, customer):
    f, _rows = _seed_readings(db, customer["id"])
    c = web_as("manager")
    start = f.start - timedelta(days=10)
    first = c.get(f"/reports/messages?from={start}&to={f.end}")
    assert "60 messages" in first.text and first.text.count("/conversations/") == 50
    assert "Page 1 of 2" in first.text and f"from={start}" in first.text
    second = c.get(f"/reports/messages?from={start}&to={f.end}&page=2")
    assert second.text.count("/conversations/") == 10
    html = {"accept": "text/html"}
    assert c.get("/reports/messages?team=abc", headers=html).status_code == 422
    bad = c.get("/reports/messages?emotion=glee", headers=html)
    assert bad.status_code == 422 and "emotion" in bad.text
    assert web_as("agent").get("/reports/messages", headers=html).status_code == 403


def _csv(r) -> list[list[str]]:
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(r.text)))


def test_dashboard_csv_files_hold_the_figures(db, web_as, customer):
    f, rows = _seed_readings(db, customer["id"])
    c = web_as("manager")
    q = f"from={f.start}&to={f.end}&channel=email"
    r = c.get(f"/reports/sentiment.csv?{q}")
    table = _csv(r)
    assert table[0][:4] == ["period", "first_day", "last_day", "messages"]
    email_now = [x for x in rows if x["age"] < 10 and x["channel"] == "email"]
    assert sum(int(x[3]) for x in table[1:]) == len(email_now)
    name = r.headers["content-disposition"]
    assert f"heartline-sentiment-{f.start}-to-{f.end}" in name and "channel-email" in name
    bd = _csv(c.get(f"/reports/breakdowns.csv?{q}"))
    queues = {x[1]: int(x[2]) for x in bd[1:] if x[0] == "queue"}
    assert queues == {
        k: sum(x["queue"] == k for x in email_now) for k in {x["queue"] for x in email_now}
    }
    assert any(x[0] == "emotion" for x in bd[1:])
    surveys = _csv(c.get(f"/reports/surveys.csv?{q}&bucket=week"))
    assert surveys[0][3:5] == ["csat_percent", "csat_answers"] and len(surveys) >= 2
    bad = c.get("/reports/sentiment.csv?from=x", headers={"accept": "text/html"})
    assert bad.status_code == 422


def test_message_csv_is_injection_safe(db, web_as):
    cust = customer_service.upsert_customer(
        db, data=CustomerIn(external_id="evil", name='=HYPERLINK("http://x","y")')
    ).obj
    now = utcnow()
    inter = Interaction(customer_id=cust.id, channel="chat", text="@SUM(A1:A9) refund!",
                        occurred_at=now)  # fmt: skip
    db.add(inter)
    db.flush()
    db.add(EmotionReading(interaction_id=inter.id, customer_id=cust.id, occurred_at=now,
                          channel="chat", model="test", sentiment="negative", valence=-0.5,
                          top_emotion="anger"))  # fmt: skip
    rollup.rebuild_rollup(db)
    db.commit()
    c = web_as("manager")
    r = c.get(f"/reports/messages.csv?from={now.date()}&to={now.date()}&emotion=anger")
    table = _csv(r)
    assert len(table) == 2 and "emotion-anger" in r.headers["content-disposition"]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["customer"] == '\'=HYPERLINK("http://x","y")'
    assert row["text"] == "'@SUM(A1:A9) refund!" and row["valence"] == "-0.5"


def test_buckets_week_and_month_from_the_rollup(db, customer):
    """ISO weeks (Monday first) and calendar months, UTC, grouped in SQL on both databases."""
    f, rows = _seed_readings(db, customer["id"])
    t0 = f.t0 - timedelta(days=10)
    for bucket in ("day", "week", "month"):
        got = metrics_service.sentiment_trend(db, bucket=bucket, start=t0, end=f.t1)
        want: dict[str, int] = {}
        for r in rows:
            d = date.fromisoformat(r["day"])
            key = metrics_service.bucket_start(d, bucket).isoformat()
            want[key] = want.get(key, 0) + 1
        assert {str(g["bucket"])[:10]: g["n"] for g in got} == want, bucket
    weeks = metrics_service.bucket_spans(date(2026, 10, 28), date(2026, 11, 10), "week")
    assert weeks == [
        (date(2026, 10, 26), date(2026, 10, 28), date(2026, 11, 1)),
        (date(2026, 11, 2), date(2026, 11, 2), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 9), date(2026, 11, 10)),
    ]
    assert metrics_service.default_bucket(30) == "day"
    assert metrics_service.default_bucket(90) == "week"
    assert metrics_service.default_bucket(400) == "month"


def test_long_ranges_default_to_weeks_and_months(db, web_as, customer):
    f, rows = _seed_readings(db, customer["id"])
    c = web_as("manager")
    weekly = _chart_data(c.get(f"/dashboard?from={f.end - timedelta(days=89)}&to={f.end}").text)
    assert all(date.fromisoformat(x).weekday() == 0 for x in weekly["emotions"]["labels"])
    assert weekly["emotions"]["display"][0].startswith("Week of")
    assert sum(weekly["emotions"]["totals"]) == len(rows)
    r = c.get(f"/dashboard?from={f.end - timedelta(days=399)}&to={f.end}")
    monthly = _chart_data(r.text)["emotions"]
    assert all(x.endswith("-01") for x in monthly["labels"]) and len(monthly["labels"]) >= 13
    assert sum(monthly["totals"]) == len(rows)
    daily = _chart_data(c.get(f"/dashboard?from={f.start}&to={f.end}&bucket=day").text)
    assert len(daily["emotions"]["labels"]) == 10
    assert c.get("/dashboard?bucket=year", headers={"accept": "text/html"}).status_code == 422


def _answers(db, customer_id: int, kind: str, scores: list[int], when) -> None:
    for s in scores:
        interaction_service.ingest_survey(
            db,
            data=SurveyIn(customer_id=customer_id, kind=kind, score=s, responded_at=when),
        )


def test_survey_trends_need_enough_answers(db, web_as, customer):
    today = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
    _answers(db, customer["id"], "csat", [5, 4], today)  # two answers: no trend
    _answers(db, customer["id"], "nps", [10, 9, 9, 3, 8], today)
    # seven days back is always the ISO week before (eight crossed two weeks on a Monday)
    _answers(db, customer["id"], "nps", [10, 10, 6, 6, 6], today - timedelta(days=7))
    rollup.rebuild_rollup(db)
    db.commit()
    d1, d0 = today.date(), today.date() - timedelta(days=13)
    html = web_as("manager").get(f"/dashboard?from={d0}&to={d1}&bucket=week").text
    csat = html.split('id="trend-csat"')[1].split("</figure>")[0]
    assert "Too few answers" in csat and "<svg" not in csat and "too few answers" in csat
    nps = html.split('id="trend-nps"')[1].split("</figure>")[0]
    assert "<svg" in nps and "<title" in nps and "<desc" in nps and "<polyline" in nps
    # promoters 3 of 5, detractors 1 -> +40; the week before: 2 and 3 -> -20
    assert "+40" in nps and "-20" in nps.replace("−", "-")
    # Day bars still plot surveys per week: a day rarely has enough answers.
    daily = web_as("manager").get(f"/dashboard?from={d0}&to={d1}&bucket=day").text
    assert "<polyline" in daily.split('id="trend-nps"')[1].split("</figure>")[0]
    rows = metrics_service.survey_trend(db, bucket="week", start=d0, end=d1)
    assert [r["nps_n"] for r in rows if r["nps_n"]] == [5, 5]


def test_tiles_say_better_or_worse_with_a_sign(db, web_as, customer):
    assert _trend(80.0, 70.0)["icon"] == "▲" and _trend(80.0, 70.0)["mark"] == "✓"
    ces = _trend(3.0, 4.0, higher_is_better=False)  # less effort is better
    assert ces["icon"] == "▼" and ces["mark"] == "✓" and ces["verdict"] == "better"
    worse = _trend(3.0, 4.0)
    assert worse["icon"] == "▼" and worse["mark"] == "✗" and "worse" in worse["word"]
    _seed_readings(db, customer["id"])  # billing turns sour: more negative messages now
    f_end = utcnow().date()
    html = web_as("manager").get(f"/dashboard?from={f_end - timedelta(days=9)}&to={f_end}").text
    tile = html.split('id="tile-negative"')[1].split('class="tile-hint')[0]
    assert "trend-bad" in tile and "✗" in tile and "worse" in tile
    assert "than the previous period" in tile
