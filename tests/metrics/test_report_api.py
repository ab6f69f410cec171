"""Report endpoints of the metrics API (#12): month buckets, survey trends, the readings behind
a figure (counts agree with the trend), and CSV output that a spreadsheet will not evaluate."""

from __future__ import annotations

import csv
import io

from tests.metrics.test_metrics import _seed


def test_readings_behind_agree_with_the_trend_and_export_csv(api, api_as, customer):
    _seed(api, customer["id"])
    m = api_as("manager")
    days = m.get("/metrics/sentiment-trend", params={"bucket": "day"}).json()
    assert days
    for d in days:
        day = str(d["bucket"])[:10]
        got = m.get("/metrics/readings", params={"from": f"{day}T00:00:00Z",
                                                 "to": f"{day}T23:59:59Z"}).json()  # fmt: skip
        assert got["total"] == d["n"] == len(got["items"])
    months = m.get("/metrics/sentiment-trend", params={"bucket": "month"}).json()
    assert sum(x["n"] for x in months) == sum(d["n"] for d in days) == 3
    assert all(str(x["bucket"]).endswith("-01") for x in months)
    neg = m.get("/metrics/readings", params={"sentiment": "negative"}).json()
    assert neg["total"] == 1 and "angry" in neg["items"][0]["text"]
    r = m.get("/metrics/readings", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3 and {"text", "emotion", "customer_id"} <= set(rows[0])
    bad = m.get("/metrics/readings", params={"emotion": "glee"})
    assert bad.status_code == 422 and "emotion" in bad.text
    assert api_as("agent").get("/metrics/readings").status_code == 403


def test_survey_trend_counts_answers_per_bucket(api, api_as, customer):
    _seed(api, customer["id"])
    m = api_as("manager")
    weeks = m.get("/metrics/survey-trend", params={"bucket": "week"}).json()
    assert sum(w["csat_n"] for w in weeks) == 4 and sum(w["nps_n"] for w in weeks) == 4
    hit = next(w for w in weeks if w["csat_n"])
    assert hit["csat"] == 50.0 and hit["nps"] == 25.0 and hit["ces"] == 4.0
    r = m.get("/metrics/survey-trend", params={"bucket": "month", "format": "csv"})
    table = list(csv.reader(io.StringIO(r.text)))
    assert table[0] == ["bucket", "csat", "csat_n", "nps", "nps_n", "ces", "ces_n"]
    csv_trend = m.get("/metrics/sentiment-trend", params={"format": "csv", "bucket": "week"})
    assert csv_trend.text.startswith("bucket,key,n,avg_valence,negative_share")
