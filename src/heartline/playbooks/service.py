"""Playbooks: configuration, dry-run previews, event and scheduled runs, approvals, tasks.

This module is the playbooks domain's public surface (other domains and the web pages use
only it and `schemas`). Hook for the demo (and any batch job): after building data, call

    from heartline.playbooks import service as playbooks
    summary = playbooks.run_scheduled(session, now=now, backfill_days=60)
    session.commit()
    playbooks.deliver(session, now=now)   # sends what is due (commits per message)

run_scheduled evaluates time-based playbooks over every customer and, with backfill_days,
replays order and survey events from that window through the event playbooks.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.config import Settings, get_settings
from heartline.db import utcnow
from heartline.playbooks import context_load, engine, events, outbox
from heartline.playbooks.approvals import (
    approve,
    edited_fields,
    get_message,
    list_messages,
    reject,
    requeue,
)
from heartline.playbooks.catalog import (
    builtin_rows,
    builtin_specs,
    ensure_builtin,
    get_playbook,
    list_playbooks,
    parse_spec,
    patch_playbook,
    put_playbook,
)
from heartline.playbooks.conditions import CONTEXT_FACTS
from heartline.playbooks.context import CustomerContext, with_event
from heartline.playbooks.delivery import record_delivery_status
from heartline.playbooks.models import OutboxMessage, Playbook
from heartline.playbooks.outbox import deliver_reply
from heartline.playbooks.records import UNCHANGED, complete_task, list_runs, list_tasks, update_task
from heartline.playbooks.replies import (
    channel_outcomes,
    enqueue_reply,
    record_channel_outcomes,
    reply_key,
)
from heartline.playbooks.run_log import recent_runs
from heartline.playbooks.schemas import OutboxStatus, PlaybookSpec, PreviewOut, RunStatus

__all__ = [
    "UNCHANGED",
    "approve",
    "builtin_rows",
    "builtin_specs",
    "channel_outcomes",
    "complete_task",
    "condition_fields",
    "deliver",
    "deliver_reply",
    "edited_fields",
    "enqueue_reply",
    "ensure_builtin",
    "get_message",
    "get_playbook",
    "list_messages",
    "list_playbooks",
    "list_runs",
    "list_tasks",
    "parse_spec",
    "patch_playbook",
    "preview",
    "put_playbook",
    "recent_runs",
    "record_channel_outcomes",
    "record_delivery_status",
    "reject",
    "reply_key",
    "requeue",
    "run_event",
    "run_scheduled",
    "update_task",
]

PREVIEW_SAMPLE_STATUSES = (
    RunStatus.FIRED,
    RunStatus.DEFERRED,
    RunStatus.AWAITING_APPROVAL,
    RunStatus.HELD,
    RunStatus.FAILED,
)


def condition_fields() -> list[dict[str, Any]]:
    """What a playbook condition may name: field, type, operators, meaning, closed vocabulary."""
    return CONTEXT_FACTS.describe()


def _enabled(session: Session, *, event: str) -> list[engine.Loaded]:
    ensure_builtin(session)  # a run writes anyway: built-ins shipped since the last migration
    rows = session.scalars(select(Playbook).where(Playbook.enabled.is_(True)).order_by(Playbook.id))
    loaded = [engine.load(r) for r in rows]
    return [lp for lp in loaded if lp.spec.trigger.event == event]


def preview(
    session: Session,
    *,
    key: str,
    now: datetime | None = None,
    customer_ids: Sequence[int] | None = None,
    limit: int = 50,
    settings: Settings | None = None,
    spec: PlaybookSpec | None = None,
) -> PreviewOut:
    """Dry run: who would this playbook reach now, and with what text? Writes nothing.

    With `spec`, previews that (unsaved) version instead of the stored one: an editor shows
    what a change would do before it is saved."""
    now = now or utcnow()
    lp = engine.load(get_playbook(session, key=key)) if spec is None else _unsaved(spec)
    ids = list(customer_ids) if customer_ids is not None else context_load.all_customer_ids(session)
    contexts = context_load.build_contexts(session, customer_ids=ids, now=now)
    if lp.spec.trigger.event != "schedule":
        contexts = _as_latest_event(session, lp.spec.trigger.event, contexts)
    counts, decisions = engine.run_playbooks(
        session,
        playbooks=[lp],
        contexts=contexts,
        now=now,
        settings=settings or get_settings(),
        trigger="preview",
        dry_run=True,
    )
    shown = [d for d in decisions if d.status in PREVIEW_SAMPLE_STATUSES]
    shown.sort(key=lambda d: PREVIEW_SAMPLE_STATUSES.index(d.status))
    return PreviewOut(
        playbook_key=key, evaluated=len(ids), counts=counts.get(key, {}), decisions=shown[:limit]
    )


def _unsaved(spec: PlaybookSpec) -> engine.Loaded:
    """A spec being edited, as the engine loads a stored one (never added to the session)."""
    row = Playbook(
        key=spec.key,
        name=spec.name,
        description=spec.description,
        enabled=spec.enabled,
        approval_required=spec.approval_required,
        builtin=False,
        spec=spec.model_dump(mode="json"),
        version=0,
    )
    return engine.Loaded(row, spec)


def _as_latest_event(
    session: Session, event: str, contexts: Iterable[CustomerContext]
) -> Iterator[CustomerContext]:
    """For event playbooks, preview each customer as if their latest such event just came in
    (looked up in bulk, a chunk of customers at a time)."""
    it = iter(contexts)
    while chunk := list(itertools.islice(it, context_load.CHUNK)):
        latest = events.latest_event_ids(
            session, event=event, customer_ids=[c.customer_id for c in chunk]
        )
        subjects = {
            cid: (ref, payload)
            for cid, ref, payload in events.event_subjects(
                session, event=event, ids=list(latest.values())
            )
        }
        for ctx in chunk:
            if ctx.customer_id in subjects:
                yield with_event(ctx, event, *subjects[ctx.customer_id])
            else:
                yield ctx


def _new_outbox_ids(session: Session, since_id: int) -> list[int]:
    return list(
        session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.id > since_id).order_by(OutboxMessage.id)
        )
    )


def _max_outbox_id(session: Session) -> int:
    return int(session.scalar(select(func.max(OutboxMessage.id))) or 0)


def run_event(
    session: Session,
    *,
    event: str,
    ids: Sequence[int],
    now: datetime | None = None,
    settings: Settings | None = None,
) -> list[int]:
    """Run the event playbooks for a pipeline event's ids; returns new outbox ids (flushes)."""
    now = now or utcnow()
    playbooks = _enabled(session, event=event)
    subjects = events.event_subjects(session, event=event, ids=ids)
    if not playbooks or not subjects:
        return []
    before = _max_outbox_id(session)
    base = {
        c.customer_id: c
        for c in context_load.build_contexts(
            session, customer_ids=sorted({cid for cid, _, _ in subjects}), now=now
        )
    }
    contexts = [
        with_event(copy.deepcopy(base[cid]), event, ref, payload)
        for cid, ref, payload in subjects
        if cid in base
    ]
    engine.run_playbooks(
        session,
        playbooks=playbooks,
        contexts=contexts,
        now=now,
        settings=settings or get_settings(),
        trigger=event,
        dry_run=False,
    )
    session.flush()
    return _new_outbox_ids(session, before)


def run_scheduled(
    session: Session,
    *,
    now: datetime | None = None,
    customer_ids: Sequence[int] | None = None,
    backfill_days: int = 0,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Run time-based playbooks over every customer (and replay recent events); flushes only."""
    now = now or utcnow()
    settings = settings or get_settings()
    summary: dict[str, Any] = {"now": now.isoformat()}
    ids = list(customer_ids) if customer_ids is not None else context_load.all_customer_ids(session)
    scheduled = _enabled(session, event="schedule")
    counts, _ = engine.run_playbooks(
        session,
        playbooks=scheduled,
        now=now,
        settings=settings,
        trigger="schedule",
        contexts=context_load.build_contexts(session, customer_ids=ids, now=now),
        dry_run=False,
    )
    summary["schedule"] = counts
    if backfill_days:
        since = now - timedelta(days=backfill_days)
        for event in ("order", "survey"):
            event_ids = events.recent_event_ids(session, event=event, since=since)
            summary[f"backfilled_{event}s"] = len(event_ids)
            for start in range(0, len(event_ids), 500):
                run_event(
                    session,
                    event=event,
                    ids=event_ids[start : start + 500],
                    now=now,
                    settings=settings,
                )
    session.flush()
    summary["queued"] = (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
        )
        or 0
    )
    return summary


def deliver(
    session: Session,
    *,
    now: datetime | None = None,
    limit: int = 1000,
    ids: Sequence[int] | None = None,
) -> outbox.DeliveryReport:
    """Send due outbox messages (commits per message: delivery is its own unit of work)."""
    return outbox.deliver_due(session, now=now, limit=limit, ids=ids)
