"""Team alerts (#13) to a Slack-compatible incoming webhook, checked on a local HTTP server that
answers like Slack's (`ok`, or `invalid_payload` for a body without text): a churn threat, an
angry VIP, an SLA about to be missed and a privacy request each post one alert with a link back to
the conversation; repeats and re-runs post nothing more; the hourly limit holds the rest back; a
failing or forbidden webhook is recorded, never raised."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session

from heartline.alerts import service as alert_service
from heartline.alerts.schemas import AlertSettingsIn
from heartline.db import utcnow
from tests.web.conftest import csrf_of

CHURN = "I'm cancelling my subscription and moving to your competitor. Close my account."


@dataclass
class SlackHook:
    """A local stand-in for a Slack incoming webhook (its documented request and answers)."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackHook]:
    from heartline.config import get_settings

    hook = SlackHook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                payload = json.loads(body)
                ok = self.headers.get("Content-Type", "").startswith("application/json") and bool(
                    payload.get("text")
                )
            except ValueError:
                ok = False
            if ok and hook.status == 200:
                hook.posts.append(payload)
            status, answer = (hook.status, b"ok") if ok else (400, b"invalid_payload")
            if hook.status != 200:
                answer = b"internal_error"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    monkeypatch.setenv("HEARTLINE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("HEARTLINE_PUBLIC_URL", "https://heartline.example.com")
    get_settings.cache_clear()
    yield hook
    server.shutdown()
    monkeypatch.undo()
    get_settings.cache_clear()


def _switch_on(db: Session, hook: SlackHook, kinds: list[str], per_hour: int = 30) -> None:
    alert_service.save_settings(
        db,
        data=AlertSettingsIn(webhook_url=hook.url, kinds=kinds, per_hour=per_hour),  # type: ignore[arg-type]
        actor=None,
    )
    db.commit()


def _message(api, text: str, customer: str = "cust-1") -> dict[str, Any]:
    r = api.post(
        "/interactions", json={"customer_external_id": customer, "channel": "email", "text": text}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_churn_threat_posts_one_alert_with_a_link_back(
    db: Session, api, customer, slack, data_dir
):
    _switch_on(db, slack, ["churn_threat"])
    msg = _message(api, CHURN)
    assert len(slack.posts) == 1, slack.posts
    post = slack.posts[0]
    assert post["text"].startswith("Churn threat from Ada Lovelace")
    link = f"https://heartline.example.com/conversations/{msg['conversation_id']}"
    assert link in post["blocks"][0]["text"]["text"]
    from heartline.alerts.tasks import alert_on_interactions

    alert_on_interactions(db, [msg["id"]])  # the stage again (a retry): nothing new
    _message(api, CHURN + " I mean it.")  # the same conversation within the hour
    assert len(slack.posts) == 1
    [logged] = alert_service.recent_alerts(db)
    assert (logged.kind, logged.status, logged.conversation_id) == (
        "churn_threat",
        "sent",
        msg["conversation_id"],
    )


def test_only_switched_on_events_alert_and_an_angry_vip_does(db: Session, api, slack, data_dir):
    _switch_on(db, slack, ["angry_vip"])
    for ext, vip in (("vip-1", True), ("plain-1", False)):
        r = api.post("/customers", json={"external_id": ext, "name": f"Customer {ext}", "vip": vip})
        assert r.status_code == 201
    angry = "This is outrageous. Third time the order is wrong and nobody cares. I am furious!"
    _message(api, CHURN, customer="plain-1")  # churn alerts are off
    _message(api, angry, customer="plain-1")  # not a VIP
    _message(api, angry, customer="vip-1")
    assert len(slack.posts) == 1, slack.posts
    assert re.match(
        r"Customer vip-1 \(VIP\) is (angry|frustrated): “This is outrageous", slack.posts[0]["text"]
    )


def test_the_hourly_limit_holds_alerts_back_and_says_so(db: Session, api, slack, data_dir):
    _switch_on(db, slack, ["churn_threat"], per_hour=1)
    for ext in ("a", "b"):
        api.post("/customers", json={"external_id": ext, "name": ext.upper()})
        _message(api, CHURN, customer=ext)
    assert len(slack.posts) == 1
    statuses = sorted((a.status, a.detail or "") for a in alert_service.recent_alerts(db))
    assert statuses == [("held", "over the limit of 1 alerts an hour"), ("sent", "")]


def test_an_sla_about_to_be_missed_alerts_once(db: Session, api, customer, slack, data_dir):
    from heartline.routing.service import SlaWarning

    msg = _message(api, "Where is my parcel?")
    _switch_on(db, slack, ["sla_warning"])
    due = utcnow() + timedelta(minutes=20)
    warning = SlaWarning(msg["conversation_id"], "first_reply", due)
    assert alert_service.alerts_for_sla(db, [warning]) == 1
    assert alert_service.alerts_for_sla(db, [warning]) == 0
    assert slack.posts[0]["text"].startswith("SLA about to be missed: the first reply for")


def test_a_failing_or_forbidden_webhook_is_recorded_not_raised(
    db: Session, api, customer, slack, data_dir, monkeypatch
):
    _switch_on(db, slack, ["churn_threat"])
    slack.status = 500
    _message(api, CHURN)
    [failed] = alert_service.recent_alerts(db)
    assert failed.status == "failed" and "answered 500" in (failed.detail or "")
    alert_service.save_settings(
        db,
        data=AlertSettingsIn(webhook_url="http://10.1.2.3/hook", kinds=["churn_threat"]),
        actor=None,
    )
    why = alert_service.send_test(db)
    assert why is not None and "not allowed" in why


def test_the_settings_api_never_shows_the_url(api_as, slack, data_dir):
    admin = api_as("admin")
    r = admin.put(
        "/alerts/settings",
        json={"webhook_url": slack.url, "kinds": ["churn_threat", "sla_warning"], "per_hour": 10},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "webhook_set": True,
        "webhook_host": "127.0.0.1",
        "kinds": ["churn_threat", "sla_warning"],
        "per_hour": 10,
    }
    assert "XXXX" not in admin.get("/alerts/settings").text
    bad = admin.put("/alerts/settings", json={"kinds": ["everything"]})
    assert bad.status_code == 422 and "kinds" in bad.text
    assert admin.post("/alerts/test").json() == {"status": "sent"}
    assert slack.posts[-1]["text"].startswith("Heartline test alert")
    assert api_as("agent").get("/alerts/settings").status_code == 403
    assert api_as("manager").get("/alerts").status_code == 200


def test_an_admin_sets_up_alerts_in_settings(web_as, slack, data_dir):
    admin = web_as("admin")
    assert 'href="/settings/alerts"' in admin.get("/settings").text
    page = admin.get("/settings/alerts")
    assert page.status_code == 200 and "No alerts yet" in page.text
    form = {"webhook_url": "not a url", "kinds": ["churn_threat"], "per_hour": "5",
            "csrf": csrf_of(page.text)}  # fmt: skip
    bad = admin.post("/settings/alerts", data=form)
    assert bad.status_code == 422 and "full https:// address" in bad.text
    saved = admin.post("/settings/alerts", data={**form, "webhook_url": slack.url})
    assert saved.status_code == 200 and "Alerts saved." in saved.text
    assert "An address is set, at 127.0.0.1" in saved.text and "XXXX" not in saved.text
    assert 'value="churn_threat" checked' in saved.text
    tested = admin.post("/settings/alerts/test", data={"csrf": csrf_of(saved.text)})
    assert "Test alert sent" in tested.text and len(slack.posts) == 1
    assert web_as("agent").get("/settings/alerts").status_code == 403
