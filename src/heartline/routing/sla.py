"""SLA clocks: first reply, next reply and resolution, in the team's business hours.

Zendesk's SLA policies and Freshdesk's SLA policies agree on the model followed here:
- the reply clock starts when the customer writes and nobody owes them an answer yet (the
  first reply, then each next reply), and stops on an agent's reply (automated playbook
  messages do not count) or on the resolve;
- the resolution clock runs from the first customer message to the resolve, and resumes if the
  customer reopens the conversation (the resolved time does not count);
- while the conversation waits on the customer (status pending) every clock stands still; the
  customer writing again resumes them (and opens the conversation);
- time counts in the business hours of the conversation's team (or its queue's team), 24x7
  when there is none.
Due times are recomputed on each event, and conversations.sla_due_at carries the earliest due
time of a running clock (NULL while paused or stopped), so the inbox sorts and filters in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.db import id_filter, utcnow
from heartline.enums import Channel, ConversationStatus, Direction
from heartline.interactions import service as interaction_service
from heartline.notifications import service as notification_service
from heartline.routing.business_hours import BusinessHours, add_business, business_seconds
from heartline.routing.models import QueueSetting, SlaClock, TeamHours
from heartline.routing.schemas import PRIORITY_VALUE, RoutingRules

FIRST_REPLY, NEXT_REPLY, RESOLUTION = "first_reply", "next_reply", "resolution"
PRIORITY_NAME = {value: name for name, value in PRIORITY_VALUE.items()}
DONE = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)


@dataclass(frozen=True)
class ClockView:
    """How a conversation's SLA stands now, for a badge: which clock, its state and timing.

    state: running | at_risk | overdue | paused | met | missed | stopped."""

    state: str
    clock: str
    due_at: datetime | None
    seconds: float  # left (running, at risk), past due (overdue) or late by (missed)


def calendar_for(session: Session, *, team_id: int | None) -> BusinessHours | None:
    """A team's business hours (None: 24x7)."""
    row = session.get(TeamHours, team_id) if team_id is not None else None
    return BusinessHours.model_validate(row.calendar) if row is not None else None


class _Batch:
    """What a batch of messages reads once: clocks, queue teams and calendars by key (a key
    known to have no row is remembered too, so it is not asked again)."""

    def __init__(self, session: Session, conversations: list[Any]) -> None:
        ids = [c.id for c in conversations]
        found: Any = (
            session.scalars(select(SlaClock).where(id_filter(SlaClock.conversation_id, ids)))
            if ids
            else []
        )
        self.clocks: dict[int, SlaClock] = {c.conversation_id: c for c in found}
        queues = {c.queue for c in conversations if c.queue}
        self.teams: dict[str, int | None] = {q: None for q in queues}
        if queues:
            for q in session.scalars(select(QueueSetting).where(QueueSetting.queue.in_(queues))):
                self.teams[q.queue] = q.team_id
        self.hours: dict[int | None, BusinessHours | None] = {None: None}


def _calendar(session: Session, conv: Any, batch: _Batch | None = None) -> BusinessHours | None:
    team_id = conv.team_id
    if team_id is None:
        if batch is not None and conv.queue in batch.teams:
            team_id = batch.teams[conv.queue]
        else:
            queue = session.get(QueueSetting, conv.queue)
            team_id = queue.team_id if queue is not None else None
    if batch is None:
        return calendar_for(session, team_id=team_id)
    if team_id not in batch.hours:
        batch.hours[team_id] = calendar_for(session, team_id=team_id)
    return batch.hours[team_id]


def _target(rules: RoutingRules, conv: Any, which: str) -> int:
    table = {
        FIRST_REPLY: rules.sla_hours,
        NEXT_REPLY: rules.next_reply_hours,
        RESOLUTION: rules.resolution_hours,
    }[which]
    return round(table[PRIORITY_NAME.get(conv.priority, "normal")] * 3600)  # type: ignore[index]


def _reply_running(clock: SlaClock) -> bool:
    return clock.reply_started_at is not None and clock.reply_stopped_at is None


def _resolve_running(clock: SlaClock) -> bool:
    return clock.resolve_due_at is not None and clock.resolve_stopped_at is None


def _sync(conv: Any, clock: SlaClock) -> None:
    """conversations.sla_due_at: the earliest due time of a running clock, NULL when paused."""
    dues = [] if clock.paused_since is not None else [
        d for d, on in ((clock.reply_due_at, _reply_running(clock)),
                        (clock.resolve_due_at, _resolve_running(clock))) if on and d
    ]  # fmt: skip
    conv.sla_due_at = min(dues) if dues else None


def _clock(session: Session, conversation_id: int, batch: _Batch | None = None) -> SlaClock:
    clock = batch.clocks.get(conversation_id) if batch else session.get(SlaClock, conversation_id)
    if clock is None:
        clock = SlaClock(conversation_id=conversation_id, reply_target_s=0, resolve_target_s=0)
        clock.paused_seconds = 0
        session.add(clock)
        if batch is not None:
            batch.clocks[conversation_id] = clock
    return clock


def _resume(clock: SlaClock, at: datetime, hours: BusinessHours | None) -> None:
    """Restart paused clocks at `at`: their due times move by the business time paused."""
    if clock.paused_since is None or at < clock.paused_since:
        return
    paused = business_seconds(clock.paused_since, at, hours)
    clock.paused_seconds = (clock.paused_seconds or 0) + round(paused)
    if _reply_running(clock) and clock.reply_due_at is not None:
        clock.reply_due_at = add_business(clock.reply_due_at, paused, hours)
    if _resolve_running(clock) and clock.resolve_due_at is not None:
        clock.resolve_due_at = add_business(clock.resolve_due_at, paused, hours)
    clock.paused_since = None


def customer_wrote(
    session: Session,
    *,
    conv: Any,
    at: datetime,
    rules: RoutingRules,
    agent_replied: bool,
    batch: _Batch | None = None,
) -> SlaClock:
    """A customer message at `at`: resume, (re)start the reply and resolution clocks, and
    bring the running reply due time closer if the priority went up. Idempotent."""
    hours = _calendar(session, conv, batch)
    clock = _clock(session, conv.id, batch)
    if (
        conv.status == ConversationStatus.PENDING
        and clock.paused_since is not None
        and at >= clock.paused_since
    ):
        # Waiting on the customer ends when they write (Zendesk: pending -> open); a message
        # from before the pause (imported history) leaves it pending.
        interaction_service.set_conversation_status(
            session, conversation_id=conv.id, status=ConversationStatus.OPEN
        )
    _resume(clock, at, hours)
    if clock.resolve_due_at is None:
        clock.resolve_target_s = _target(rules, conv, RESOLUTION)
        clock.resolve_due_at = add_business(conv.opened_at, clock.resolve_target_s, hours)
    elif clock.resolve_stopped_at is not None and at > clock.resolve_stopped_at:
        # reopened: the time it stood resolved does not count
        shift = business_seconds(clock.resolve_stopped_at, at, hours)
        clock.resolve_due_at = add_business(clock.resolve_due_at, shift, hours)
        clock.resolve_stopped_at, clock.resolve_met, clock.resolve_warned_at = None, None, None
    if _reply_running(clock):
        assert clock.reply_started_at is not None and clock.reply_due_at is not None
        target = _target(rules, conv, clock.reply_kind or FIRST_REPLY)
        if target < clock.reply_target_s:  # escalated: the deadline only comes closer
            sooner = add_business(clock.reply_started_at, target, hours)
            clock.reply_target_s = target
            clock.reply_due_at = min(clock.reply_due_at, sooner)
    elif clock.reply_stopped_at is None or at > clock.reply_stopped_at:
        kind = NEXT_REPLY if agent_replied or clock.reply_stopped_at else FIRST_REPLY
        clock.reply_kind, clock.reply_started_at = kind, at
        clock.reply_target_s = _target(rules, conv, kind)
        clock.reply_due_at = add_business(at, clock.reply_target_s, hours)
        clock.reply_stopped_at, clock.reply_met, clock.reply_warned_at = None, None, None
    _sync(conv, clock)
    return clock


def agent_replied(
    session: Session, *, conv: Any, at: datetime, batch: _Batch | None = None
) -> None:
    """An agent's reply at `at` stops the running reply clock (met when on time)."""
    clock = batch.clocks.get(conv.id) if batch else session.get(SlaClock, conv.id)
    if clock is None or not _reply_running(clock):
        return
    assert clock.reply_started_at is not None
    if at < clock.reply_started_at:
        return  # an older reply, imported late: it answered an earlier message
    clock.reply_stopped_at = at
    clock.reply_met = clock.reply_due_at is None or at <= clock.reply_due_at
    _sync(conv, clock)


def status_changed(
    session: Session, *, conv: Any, at: datetime, batch: _Batch | None = None
) -> None:
    """Pending pauses every clock; resolved/closed stops them; open resumes. Idempotent."""
    clock = batch.clocks.get(conv.id) if batch else session.get(SlaClock, conv.id)
    if clock is None:
        return
    hours = _calendar(session, conv, batch)
    if conv.status == ConversationStatus.PENDING:
        if clock.paused_since is None:
            clock.paused_since = at
    elif conv.status in DONE:
        done = conv.resolved_at or at
        _resume(clock, done, hours)
        if _reply_running(clock):
            clock.reply_stopped_at = done
            clock.reply_met = clock.reply_due_at is None or done <= clock.reply_due_at
        if _resolve_running(clock):
            clock.resolve_stopped_at = done
            clock.resolve_met = clock.resolve_due_at is None or done <= clock.resolve_due_at
    else:
        _resume(clock, at, hours)
    _sync(conv, clock)


def on_messages(session: Session, *, interaction_ids: list[int], rules: RoutingRules) -> None:
    """Run the clocks for new messages (the route stage): customers start, agents stop. A
    conversation already resolved (imported history) gets its clocks too, stopped at its
    resolve once all of the batch's messages have run, so history says met or missed."""
    messages = interaction_service.interactions_by_ids(session, ids=interaction_ids).values()
    # read once per batch: the conversations, their clocks, queues and calendars
    convs = {
        c.id: c
        for c in interaction_service.conversations_by_ids(
            session, ids=sorted({m.conversation_id for m in messages if m.conversation_id})
        )
    }
    batch = _Batch(session, list(convs.values()))
    finished: dict[int, Any] = {}
    for m in sorted(messages, key=lambda m: (m.occurred_at, m.id)):
        if m.conversation_id is None or m.conversation_id not in convs:
            continue
        conv = convs[m.conversation_id]
        if m.direction == Direction.INBOUND:
            if m.channel == Channel.SURVEY:
                continue  # a survey comment answers our question: feedback, not a request
            if conv.status in DONE:
                if conv.resolved_at is not None and m.occurred_at > conv.resolved_at:
                    continue  # written after the resolve, yet not reopening it: no clock
                finished[conv.id] = conv
            replied = conv.first_response_at is not None and conv.first_response_at < (
                m.occurred_at
            )
            customer_wrote(session, conv=conv, at=m.occurred_at, rules=rules,
                           agent_replied=replied, batch=batch)  # fmt: skip
        elif not (m.meta or {}).get("playbook"):  # automated messages are nobody's reply
            agent_replied(session, conv=conv, at=m.occurred_at, batch=batch)
    for conv in finished.values():
        status_changed(session, conv=conv, at=conv.resolved_at or utcnow(), batch=batch)
    session.flush()


def on_status(session: Session, *, conversation_ids: list[int], now: datetime | None) -> None:
    """Run the clocks for status changes (the conversation pipeline)."""
    at = now or utcnow()
    for cid in conversation_ids:
        conv = interaction_service.get_conversation(session, conversation_id=cid)
        status_changed(session, conv=conv, at=at)
    session.flush()


def views(
    session: Session, *, conversations: list[Any], warn_s: float, now: datetime | None = None
) -> dict[int, ClockView]:
    """Badge states for a page of conversations (one query)."""
    now = now or utcnow()
    ids = [c.id for c in conversations]
    if not ids:
        return {}
    rows = {c.conversation_id: c for c in session.scalars(
        select(SlaClock).where(id_filter(SlaClock.conversation_id, ids)))}  # fmt: skip
    return {c.id: view(rows[c.id], warn_s=warn_s, now=now) for c in conversations if c.id in rows}


def view(clock: SlaClock, *, warn_s: float, now: datetime) -> ClockView:
    """One clock row as a badge state."""
    running = [(d, k) for d, k, on in (
        (clock.reply_due_at, clock.reply_kind or FIRST_REPLY, _reply_running(clock)),
        (clock.resolve_due_at, RESOLUTION, _resolve_running(clock))) if on and d]  # fmt: skip
    if running and clock.paused_since is not None:
        return ClockView("paused", running[0][1], None, 0.0)
    if running:
        due, kind = min(running)
        left = (due - now).total_seconds()
        reply_done = clock.reply_stopped_at is not None and clock.reply_met is not None
        if kind == RESOLUTION and reply_done and left > warn_s:
            return _stopped(clock, clock.reply_kind or FIRST_REPLY, clock.reply_due_at,
                            clock.reply_stopped_at, clock.reply_met)  # fmt: skip
        state = "overdue" if left < 0 else "at_risk" if left <= warn_s else "running"
        return ClockView(state, kind, due, abs(left))
    if clock.resolve_stopped_at is not None:
        return _stopped(clock, RESOLUTION, clock.resolve_due_at, clock.resolve_stopped_at,
                        clock.resolve_met)  # fmt: skip
    return ClockView("stopped", clock.reply_kind or FIRST_REPLY, None, 0.0)


def _stopped(
    clock: SlaClock, kind: str, due: datetime | None, stop: datetime | None, met: bool | None
) -> ClockView:
    late = (stop - due).total_seconds() if stop and due else 0.0
    return ClockView("met" if met else "missed", kind, due, max(late, 0.0))


@dataclass(frozen=True)
class SlaWarning:
    """A clock that came within the warning window of its due time (recorded once)."""

    conversation_id: int
    clock: str
    due_at: datetime


def record_warnings(session: Session, *, now: datetime, warn_s: float) -> list[SlaWarning]:
    """Mark every running clock now within `warn_s` of its due time (or past it) as warned,
    once per clock, and return them (the scheduler notifies the assignee)."""
    horizon = now + timedelta(seconds=warn_s)
    out: list[SlaWarning] = []
    for prefix in ("reply", "resolve"):
        due = getattr(SlaClock, f"{prefix}_due_at")
        warned = getattr(SlaClock, f"{prefix}_warned_at")
        rows = session.scalars(
            select(SlaClock).where(
                due <= horizon,
                warned.is_(None),
                getattr(SlaClock, f"{prefix}_stopped_at").is_(None),
                SlaClock.paused_since.is_(None),
            )
        )
        for clock in rows:
            setattr(clock, f"{prefix}_warned_at", now)
            kind = (clock.reply_kind or FIRST_REPLY) if prefix == "reply" else RESOLUTION
            out.append(SlaWarning(clock.conversation_id, kind, getattr(clock, f"{prefix}_due_at")))
    session.flush()
    return out


CLOCK_WORDS = {FIRST_REPLY: "first reply", NEXT_REPLY: "reply", RESOLUTION: "resolution"}


def notify(session: Session, warning: SlaWarning) -> None:
    """Tell the conversation's assignee its SLA is about to be breached (nobody assigned:
    the inbox's "SLA at risk" view shows it to everyone)."""
    conv = interaction_service.get_conversation(session, conversation_id=warning.conversation_id)
    if conv.assignee_id is None:
        return
    when = warning.due_at.strftime("%H:%M UTC")
    notification_service.notify(
        session,
        user_id=conv.assignee_id,
        kind="sla_warning",
        conversation_id=conv.id,
        text=f"SLA at risk: the {CLOCK_WORDS[warning.clock]} for “{conv.subject}” is due at {when}",
    )
