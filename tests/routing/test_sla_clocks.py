"""SLA clocks (#12): business hours across weekends, holidays and time zones; the first reply
stops the reply clock; waiting on the customer pauses every clock and their message resumes
it; the resolve stops them; a warning is recorded once per clock before the breach; bad hours
are a 422 naming the field. Every time is given (messages' occurred_at, `now`): no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.enums import ConversationStatus
from heartline.errors import AppError
from heartline.interactions import service as interaction_service
from heartline.notifications import service as notification_service
from heartline.privacy import service as privacy_service
from heartline.routing import service as routing_service
from heartline.routing.business_hours import BusinessHours, add_business, business_seconds

H = timedelta(hours=1)
NINE_TO_FIVE = {d: {"start": "09:00", "end": "17:00"} for d in ("mon", "tue", "wed", "thu", "fri")}
# A Friday well in the past, so nothing here depends on today's date.
FRIDAY_1500_UTC = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 16:00 in Paris (UTC+1)


def paris(**extra: Any) -> BusinessHours:
    return BusinessHours.model_validate({"timezone": "Europe/Paris", "days": NINE_TO_FIVE, **extra})


def test_business_time_skips_the_weekend_holidays_and_follows_the_time_zone() -> None:
    # 4 business hours from Friday 16:00 Paris: 1 h on Friday, 3 h on Monday -> Monday 12:00
    due = add_business(FRIDAY_1500_UTC, 4 * 3600, paris())
    assert due == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert business_seconds(FRIDAY_1500_UTC, due, paris()) == 4 * 3600
    # Monday a holiday: Tuesday 12:00
    holiday = paris(holidays=["2026-11-23"])
    assert add_business(FRIDAY_1500_UTC, 4 * 3600, holiday) == datetime(
        2026, 11, 24, 11, 0, tzinfo=UTC
    )
    # the same instant is 10:00 in New York (UTC-5): 4 hours end at 14:00 there, on Friday
    ny = BusinessHours.model_validate({"timezone": "America/New_York", "days": NINE_TO_FIVE})
    assert add_business(FRIDAY_1500_UTC, 4 * 3600, ny) == datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
    # a message on Saturday starts counting on Monday at 09:00
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert add_business(saturday, 3600, paris()) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    # no calendar: 24x7
    assert add_business(FRIDAY_1500_UTC, 4 * 3600, None) == FRIDAY_1500_UTC + 4 * H
    assert business_seconds(saturday, saturday + 2 * H, paris()) == 0


def _team_with_hours(db: Session, hours: dict[str, Any]) -> int:
    team_id = auth_service.get_or_create_team(db, name="Paris desk").id
    routing_service.set_team_hours(db, team_id=team_id, raw=hours, actor=None)
    db.commit()
    return team_id


def _write(api: Any, at: datetime, *, conv: int | None = None, outbound: bool = False) -> int:
    body: dict[str, Any] = {
        "customer_external_id": "sla-c1",
        "channel": "email",
        "text": "Thanks, here is what I found." if outbound else "Where is my parcel?",
        "occurred_at": at.isoformat(),
        "direction": "outbound" if outbound else "inbound",
    }
    if conv is not None:
        body["conversation_id"] = conv
    r = api.post("/interactions", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["conversation_id"])


def _state(db: Session, conv_id: int, now: datetime) -> Any:
    db.expire_all()
    conv = interaction_service.get_conversation(db, conversation_id=conv_id)
    return conv, routing_service.sla_views(db, conversations=[conv], now=now)[conv_id]


def _status(db: Session, conv_id: int, status: ConversationStatus, at: datetime) -> None:
    interaction_service.set_conversation_status(db, conversation_id=conv_id, status=status, at=at)
    routing_service.sla_on_status(db, conversation_ids=[conv_id], now=at)
    db.commit()


@pytest.fixture
def sla_customer(api: Any) -> None:
    assert api.post("/customers", json={"external_id": "sla-c1"}).status_code in (200, 201)


def test_the_first_reply_stops_the_reply_clock_and_the_next_message_starts_the_next(
    api: Any, db: Session, sla_customer: None
) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - 30 * H
    conv_id = _write(api, t0)
    conv, view = _state(db, conv_id, t0 + H)
    assert conv.sla_due_at == t0 + 24 * H  # normal priority: first reply in 24 h (24x7)
    assert (view.state, view.clock) == ("running", "first_reply")
    # 20 min left: at risk (the warning window is 30 min)
    assert _state(db, conv_id, t0 + 23 * H + timedelta(minutes=40))[1].state == "at_risk"

    _write(api, t0 + 2 * H, conv=conv_id, outbound=True)
    conv, view = _state(db, conv_id, t0 + 3 * H)
    assert (view.state, view.clock) == ("met", "first_reply")
    assert conv.sla_due_at == t0 + 72 * H  # only the resolution clock runs now

    # the customer writes again: a next-reply clock, overdue 2 h later than its 24 h
    _write(api, t0 + 4 * H, conv=conv_id)
    conv, view = _state(db, conv_id, t0 + 30 * H)
    assert conv.sla_due_at == t0 + 28 * H
    assert (view.state, view.clock, view.seconds) == ("overdue", "next_reply", 2 * 3600)


def test_waiting_on_the_customer_pauses_and_their_message_resumes(
    api: Any, db: Session, sla_customer: None
) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - 50 * H
    conv_id = _write(api, t0)
    _status(db, conv_id, ConversationStatus.PENDING, t0 + H)
    conv, view = _state(db, conv_id, t0 + 30 * H)
    assert view.state == "paused" and conv.sla_due_at is None  # sorts after running clocks

    _write(api, t0 + 4 * H, conv=conv_id)  # 3 h waiting on the customer do not count
    conv, view = _state(db, conv_id, t0 + 5 * H)
    assert conv.status == ConversationStatus.OPEN
    assert conv.sla_due_at == t0 + 27 * H and view.state == "running"


def test_the_resolve_stops_every_clock_and_a_reopen_resumes_the_resolution(
    api: Any, db: Session, sla_customer: None
) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - 100 * H
    conv_id = _write(api, t0)
    _status(db, conv_id, ConversationStatus.RESOLVED, t0 + 30 * H)  # nobody replied in 24 h
    conv, view = _state(db, conv_id, t0 + 99 * H)
    assert conv.sla_due_at is None
    assert (view.state, view.clock) == ("met", "resolution")  # resolved within 72 h
    _write(api, t0 + 40 * H, conv=conv_id)  # reopened: the 10 h resolved do not count
    conv, view = _state(db, conv_id, t0 + 41 * H)
    assert conv.status == ConversationStatus.OPEN
    assert conv.sla_due_at == t0 + 64 * H  # the new reply clock is due first
    _write(api, t0 + 41 * H, conv=conv_id, outbound=True)
    assert _state(db, conv_id, t0 + 42 * H)[0].sla_due_at == t0 + 82 * H


def test_business_hours_of_the_team_set_the_due_time(
    api: Any, db: Session, sla_customer: None
) -> None:
    team_id = _team_with_hours(db, {"timezone": "Europe/Paris", "days": NINE_TO_FIVE})
    # the queue's team works these conversations (a conversation's own team wins when set)
    routing_service.set_queue(db, queue="general", team_id=team_id, auto_assign=False, actor=None)
    db.commit()
    conv_id = _write(api, FRIDAY_1500_UTC)  # Friday 16:00 Paris
    first = _state(db, conv_id, FRIDAY_1500_UTC)[0].sla_due_at
    assert first == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 1 + 8 + 8 + 7 h: Wed 16:00
    _write(api, FRIDAY_1500_UTC + H, conv=conv_id, outbound=True)
    _write(api, FRIDAY_1500_UTC + 2 * H, conv=conv_id)  # Friday 18:00 Paris: after hours
    conv, _ = _state(db, conv_id, FRIDAY_1500_UTC)
    # the next reply's 24 business hours start Monday 09:00: three 8-hour days -> Wed 17:00
    assert conv.sla_due_at == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_a_warning_is_recorded_once_before_the_breach_and_notifies_the_assignee(
    api: Any, db: Session, sla_customer: None
) -> None:
    agent = auth_service.create_user(db, email="ann@example.com", name="Ann", role="agent",
                                     password="a long passphrase for tests 42")  # fmt: skip
    t0 = datetime.now(UTC).replace(microsecond=0) - 30 * H
    conv_id = _write(api, t0)
    routing_service.assign(db, conversation_id=conv_id, assignee_id=agent.id, actor=None)
    db.commit()
    assert routing_service.sla_warnings(db, now=t0 + 20 * H) == []  # 4 h left: not yet
    found = routing_service.sla_warnings(db, now=t0 + 23 * H + timedelta(minutes=35))  # 25 left
    assert [(w.conversation_id, w.clock) for w in found] == [(conv_id, "first_reply")]
    assert routing_service.sla_warnings(db, now=t0 + 23 * H + timedelta(minutes=50)) == []  # once
    db.commit()
    notes, _ = notification_service.list_notifications(db, user_id=agent.id)
    assert [n.kind for n in notes] == ["sla_warning"] and notes[0].conversation_id == conv_id


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"timezone": "Mars/Olympus", "days": NINE_TO_FIVE}, "timezone"),
        ({"timezone": "UTC", "days": {"mon": {"start": "17:00", "end": "09:00"}}}, "days.mon.end"),
        ({"timezone": "UTC", "days": {"funday": {"start": "09:00", "end": "17:00"}}}, "days"),
        ({"timezone": "UTC", "days": {}}, "days"),
        ({"timezone": "UTC", "days": NINE_TO_FIVE, "holidays": ["2026-02-30"]}, "holidays.0"),
    ],
)
def test_bad_hours_are_a_422_naming_the_field_and_good_ones_are_audited(
    db: Session, raw: dict[str, Any], field: str
) -> None:
    team_id = auth_service.get_or_create_team(db, name="Paris desk").id
    with pytest.raises(AppError) as err:
        routing_service.set_team_hours(db, team_id=team_id, raw=raw, actor=None)
    assert err.value.http_status == 422
    assert err.value.details[0]["field"].startswith(field)
    assert routing_service.team_hours(db) == {}
    good = {"timezone": "UTC", "days": NINE_TO_FIVE}
    routing_service.set_team_hours(db, team_id=team_id, raw=good, actor=None)
    events, _ = privacy_service.audit_trail(db, entity="team", entity_id=team_id,
                                            action="team.hours_updated")  # fmt: skip
    assert len(events) == 1


def test_imported_history_gets_clocks_stopped_at_its_resolve(db: Session) -> None:
    from heartline.customers import service as customer_service
    from heartline.customers.schemas import CustomerIn
    from heartline.interactions.schemas import InteractionIn
    from heartline.routing.models import SlaClock

    cust = customer_service.upsert_customer(db, data=CustomerIn(external_id="hist")).obj
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def ingest(at: datetime, direction: str, conv: int | None = None) -> Any:
        data = InteractionIn(customer_id=cust.id, channel="email", text="Hello there",
                             occurred_at=at, direction=direction, conversation_id=conv)  # fmt: skip
        return interaction_service.ingest_interaction(db, data=data).obj

    asked = ingest(t0, "inbound")
    late = ingest(t0 + 30 * H, "outbound", asked.conversation_id)  # 6 h past the 24 h
    conv_id = asked.conversation_id
    interaction_service.set_conversation_status(
        db, conversation_id=conv_id, status=ConversationStatus.RESOLVED, at=t0 + 31 * H
    )
    db.commit()
    routing_service.sla_on_messages(db, interaction_ids=[asked.id, late.id])
    routing_service.sla_on_status(db, conversation_ids=[conv_id])  # the status event: no-op
    db.commit()
    clock = db.get(SlaClock, conv_id)
    assert clock is not None and clock.reply_met is False and clock.resolve_met is True
    assert clock.reply_stopped_at == t0 + 30 * H and clock.resolve_stopped_at == t0 + 31 * H
    conv, view = _state(db, conv_id, t0 + 100 * H)
    assert conv.sla_due_at is None and (view.state, view.clock) == ("met", "resolution")


def test_the_api_sets_business_hours_and_reads_a_conversation_sla(
    api: Any, api_as: Any, db: Session, sla_customer: None
) -> None:
    team_id = auth_service.get_or_create_team(db, name="Paris desk").id
    db.commit()
    admin, agent = api_as("admin"), api_as("agent")
    url = f"/teams/{team_id}/business-hours"
    assert agent.get(url).json() == {"team_id": team_id, "hours": None, "always_open": True}
    hours = {"timezone": "Europe/Paris", "days": NINE_TO_FIVE}
    assert agent.put(url, json=hours).status_code == 403
    bad = admin.put(url, json={**hours, "timezone": "Nowhere/Land"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "timezone"
    late = {"timezone": "UTC", "days": {"tue": {"start": "18:00", "end": "09:00"}}}
    bad = admin.put(url, json=late)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "days.tue.end"
    assert admin.put("/teams/999999/business-hours", json=hours).status_code == 422
    ok = admin.put(url, json=hours).json()
    assert ok["hours"]["days"]["mon"] == {"start": "09:00:00", "end": "17:00:00"}
    assert admin.delete(url).json()["always_open"] is True

    t0 = datetime.now(UTC).replace(microsecond=0) - 2 * H
    conv_id = _write(api, t0)
    sla = agent.get(f"/conversations/{conv_id}/sla").json()
    assert sla["state"] == "running" and sla["clock"] == "first_reply"
    assert sla["due_at"].startswith((t0 + 24 * H).strftime("%Y-%m-%dT%H:%M"))

    # a survey comment answers our question: feedback, no reply clock
    survey = {"customer_external_id": "sla-c1", "kind": "csat", "score": 2,
              "comment": "The courier was rude."}  # fmt: skip
    r = api.post("/surveys", json=survey)
    assert r.status_code == 201, r.text
    comment = api.get(f"/interactions/{r.json()['interaction_id']}").json()
    state = agent.get(f"/conversations/{comment['conversation_id']}/sla").json()["state"]
    assert state == "none"
