"""The SLA badge stops at the first reply, or at the resolve when nobody replied, and then
says whether that was in time; only a running clock can be "overdue" (#12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from heartline.web.render import sla_state

NOW = datetime.now(UTC)


def conv(**kw):
    base = dict(sla_due_at=NOW - timedelta(days=467), status="open", first_response_at=None,
                resolved_at=None)  # fmt: skip
    return SimpleNamespace(**{**base, **kw})


def test_a_running_clock_is_overdue_or_due() -> None:
    assert sla_state(conv())["css"] == "sla-over" and "overdue 467d" in sla_state(conv())["word"]
    # due from now, not from NOW (taken at collection: a long suite reaches this test later)
    soon = sla_state(conv(sla_due_at=datetime.now(UTC) + timedelta(minutes=30)))
    assert soon["css"] == "sla-soon" and soon["word"].startswith("due in")
    assert sla_state(conv(sla_due_at=None))["word"] == "no SLA"


def test_the_first_reply_stops_the_clock() -> None:
    due = NOW - timedelta(days=10)
    on_time = sla_state(conv(sla_due_at=due, first_response_at=due - timedelta(hours=1)))
    assert on_time == {"css": "sla-met", "word": "✓ replied in time"}
    late = sla_state(conv(sla_due_at=due, first_response_at=due + timedelta(hours=3)))
    assert late == {"css": "sla-missed", "word": "✗ replied 3h late"}


def test_a_new_message_after_the_reply_shows_the_customer_waiting() -> None:
    due = NOW - timedelta(days=10)
    state = sla_state(
        conv(sla_due_at=due, first_response_at=due, last_inbound_at=NOW - timedelta(hours=5))
    )
    assert state == {"css": "sla-soon", "word": "customer waiting 5h"}


def test_a_resolve_stops_it_and_is_never_red() -> None:
    due = NOW - timedelta(days=467)
    resolved = sla_state(
        conv(sla_due_at=due, status="resolved", resolved_at=due - timedelta(minutes=5))
    )
    assert resolved["css"] == "sla-met"
    late = sla_state(conv(sla_due_at=due, status="resolved", resolved_at=due + timedelta(days=2)))
    assert late["css"] == "sla-missed" and "overdue" not in late["word"]


def test_the_inbox_shows_a_replied_conversation_as_replied(db, web_as, frustrated) -> None:
    from tests.web.conftest import csrf_of

    c = web_as("agent")
    conv_id = frustrated["conversation_id"]
    page = c.get(f"/conversations/{conv_id}")
    c.post(
        f"/conversations/{conv_id}/reply",
        data={"text": "Hi Ada, so sorry, I'm on it now.", "csrf": csrf_of(page.text)},
    )
    html = c.get(f"/conversations/{conv_id}").text
    assert "replied in time" in html and "sla-over" not in html


# SLA clocks (#12): the badge reads the conversation's clock: due / at risk (⚠, amber) /
# overdue / paused (⏸) / met (✓) / missed (✗); the inbox's "SLA at risk" view; business hours
# set in settings (422s naming the field, audited).


def clock(state: str, kind: str = "first_reply", seconds: float = 0.0):
    from heartline.routing.sla import ClockView

    return ClockView(state, kind, NOW, seconds)


def test_the_badge_speaks_the_clock_with_a_sign_besides_colour() -> None:
    c = conv()
    assert sla_state(c, clock("at_risk", seconds=25 * 60)) == {
        "css": "sla-soon", "word": "⚠ reply due in 25 min"}  # fmt: skip
    assert sla_state(c, clock("overdue", seconds=2 * 3600)) == {
        "css": "sla-over", "word": "✗ reply overdue 2 h"}  # fmt: skip
    assert sla_state(c, clock("running", "resolution", 2 * 86400 + 3 * 3600))["word"] == (
        "resolution due in 2 d 3 h"
    )
    assert sla_state(c, clock("paused"))["word"] == "⏸ paused · waiting on the customer"
    assert sla_state(c, clock("met", "next_reply"))["word"] == "✓ replied in time"
    assert sla_state(c, clock("missed", "resolution", 3 * 3600))["word"] == "✗ resolved 3 h late"
    assert sla_state(c, clock("stopped"))["word"] == "stopped"


def test_at_risk_view_pending_pauses_and_resolve_stops(db, web_as, frustrated) -> None:
    from heartline.routing import service as routing_service
    from tests.web.conftest import csrf_of

    rules = routing_service.get_rules(db)[0].model_dump(mode="json")
    routing_service.put_rules(db, raw={**rules, "sla_warn_minutes": 24 * 60}, user="t",
                              user_id=None)  # fmt: skip
    db.commit()
    c = web_as("agent")
    conv_id = frustrated["conversation_id"]
    risky = c.get("/inbox?view=at_risk")
    assert risky.status_code == 200 and f"/conversations/{conv_id}" in risky.text
    assert "⚠ reply due in" in risky.text and "SLA at risk <span" in risky.text

    page = c.get(f"/conversations/{conv_id}")
    assert "Pending: waiting on the customer (SLA paused)" in page.text
    c.post(
        f"/conversations/{conv_id}/status", data={"status": "pending", "csrf": csrf_of(page.text)}
    )
    assert "⏸ paused · waiting on the customer" in c.get(f"/conversations/{conv_id}").text
    customer_page = c.get(f"/customers/{frustrated['customer_id']}").text
    assert "⏸ paused · waiting on the customer" in customer_page
    risky = c.get("/inbox?view=at_risk&status=all")
    assert f"/conversations/{conv_id}" not in risky.text  # a paused clock is not at risk

    page = c.get(f"/conversations/{conv_id}")
    c.post(
        f"/conversations/{conv_id}/status", data={"status": "resolved", "csrf": csrf_of(page.text)}
    )
    html = c.get(f"/conversations/{conv_id}").text
    assert "✓ resolved in time" in html and "sla-over" not in html


def test_business_hours_in_settings_validated_and_audited(db, web_as) -> None:
    from heartline.auth import service as auth_service
    from heartline.privacy import service as privacy_service
    from tests.web.conftest import csrf_of

    team = auth_service.get_or_create_team(db, name="Paris desk")
    db.commit()
    c = web_as("admin")
    page = c.get("/settings")
    assert "Paris desk</strong>: 24x7" in page.text and "Business hours" in page.text
    assert "Next reply within" in page.text and "within 30 minutes of its due time" in page.text
    week = {f"{d}_{k}": v for d in ("mon", "tue", "wed", "thu", "fri")
            for k, v in (("start", "09:00"), ("end", "17:00"))}  # fmt: skip
    form = {"csrf": csrf_of(page.text), "timezone": "Mars/Olympus", **week}
    bad = c.post(f"/settings/teams/{team.id}/hours", data=form)
    assert bad.status_code == 422 and "Time zone: unknown time zone" in bad.text
    late = {**form, "timezone": "Europe/Paris", "mon_end": "08:00"}
    bad = c.post(f"/settings/teams/{team.id}/hours", data=late)
    assert bad.status_code == 422 and "Monday closing time: must be after" in bad.text
    good = {**form, "timezone": "Europe/Paris", "holidays": "2026-12-25\n2026-12-26"}
    ok = c.post(f"/settings/teams/{team.id}/hours", data=good, follow_redirects=False)
    assert ok.status_code == 303
    page = c.get("/settings").text
    assert "Mon-Fri 09:00-17:00 (Europe/Paris); 2 holiday(s)" in page
    events, _ = privacy_service.audit_trail(db, entity="team", entity_id=team.id,
                                            action="team.hours_updated")  # fmt: skip
    assert len(events) == 1 and events[0].details["to"]["timezone"] == "Europe/Paris"
    off = c.post(f"/settings/teams/{team.id}/hours",
                 data={"csrf": csrf_of(page), "clear": "1"}, follow_redirects=False)  # fmt: skip
    assert off.status_code == 303 and "Paris desk</strong>: 24x7" in c.get("/settings").text
