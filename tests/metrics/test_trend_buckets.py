"""The widest trend levels are bucketed: a long range defaults to weeks, and `top` keeps the
slices with most readings and sums the rest in SQL into one "(others)" row, with the same
totals as every slice listed."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from heartline.db import utcnow
from heartline.metrics import service

# channel -> messages: email most, then chat, then the rest
MIX = {"email": 4, "chat": 3, "sms": 2, "whatsapp": 1, "social": 1}


def _seed(api, cid):
    now = utcnow()
    n = 0
    for channel, count in MIX.items():
        for i in range(count):
            n += 1
            r = api.post(
                "/interactions",
                json={
                    "customer_id": cid,
                    "channel": channel,
                    "text": "The parcel is late again, I am angry." if i % 2 else "Thanks, lovely!",
                    "occurred_at": (now - timedelta(days=1 + 9 * (n % 3))).isoformat(),
                },
            )
            assert r.status_code == 201, r.text
    return now


def _per_bucket(rows):
    out: Counter[str] = Counter()
    for r in rows:
        out[r["bucket"]] += r["n"]
    return out


def test_top_slices_and_others_add_up_to_every_slice(db, api, customer):
    now = _seed(api, customer["id"])
    span = {"start": now - timedelta(days=40), "end": now + timedelta(days=1)}
    every = service.sentiment_trend(db, bucket="week", by="channel", **span)
    top = service.sentiment_trend(db, bucket="week", by="channel", top=2, **span)
    assert {r["key"] for r in top} <= {"email", "chat", service.OTHERS}
    assert service.OTHERS in {r["key"] for r in top}
    assert _per_bucket(top) == _per_bucket(every)  # the same messages, per week
    totals = Counter()
    for r in every:
        totals[r["key"] if r["key"] in ("email", "chat") else service.OTHERS] += r["n"]
    got = Counter()
    for r in top:
        got[r["key"]] += r["n"]
    assert got == totals == Counter(email=4, chat=3, **{service.OTHERS: 4})
    negative = sum(r["sentiment"].get("negative", 0) for r in every)
    assert sum(r["sentiment"].get("negative", 0) for r in top) == negative
    # a top as wide as the slices changes nothing
    assert service.sentiment_trend(db, bucket="week", by="channel", top=10, **span) == every


def test_the_api_buckets_a_year_by_week_and_keeps_top_slices(api, api_as, customer):
    _seed(api, customer["id"])
    m = api_as("manager")
    today = utcnow().date()
    year = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
    rows = m.get("/metrics/sentiment-trend", params=year).json()
    assert rows and all(date.fromisoformat(r["bucket"]).weekday() == 0 for r in rows)
    assert sum(r["n"] for r in rows) == sum(MIX.values())
    days = m.get("/metrics/sentiment-trend", params={**year, "bucket": "day"}).json()
    assert sum(r["n"] for r in days) == sum(MIX.values())
    month = m.get("/metrics/sentiment-trend").json()  # the default 30 days: still days
    assert len({r["bucket"] for r in month}) == len({r["bucket"] for r in days})
    top = m.get("/metrics/sentiment-trend", params={**year, "by": "channel", "top": 1}).json()
    assert {r["key"] for r in top} == {"email", service.OTHERS}
    assert sum(r["n"] for r in top) == sum(MIX.values())
    csv = m.get("/metrics/sentiment-trend", params={**year, "by": "channel", "top": 1,
                                                    "format": "csv"})  # fmt: skip
    assert csv.status_code == 200 and service.OTHERS in csv.text
    assert m.get("/metrics/sentiment-trend", params={"top": -1}).status_code == 422
    everyone = m.get("/metrics/sentiment-trend", params={**year, "by": "channel", "top": 0})
    assert {r["key"] for r in everyone.json()} == set(MIX)
