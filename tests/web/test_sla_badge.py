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
    soon = sla_state(conv(sla_due_at=NOW + timedelta(minutes=30)))
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
