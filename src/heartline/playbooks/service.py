"""Playbooks: configuration, dry-run previews, event and scheduled runs, approvals, tasks.

Hook for the demo (and any batch job): after building data, call

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
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.api.validation import error_details, validation_error
from heartline.config import Settings, get_settings
from heartline.db import utcnow
from heartline.errors import AppError, ErrorCode, not_found
from heartline.playbooks import context as ctxmod
from heartline.playbooks import engine, events, outbox
from heartline.playbooks.models import AgentTask, OutboxMessage, Playbook, PlaybookRun
from heartline.playbooks.schemas import PlaybookPatch, PlaybookSpec, PreviewOut

BUILTIN_PATH = Path(__file__).with_name("builtin.yaml")
PREVIEW_SAMPLE_STATUSES = ("fired", "deferred", "awaiting_approval", "held", "failed")


def builtin_specs() -> list[dict[str, Any]]:
    """The shipped playbooks as data."""
    return list(yaml.safe_load(BUILTIN_PATH.read_text()))


def parse_spec(data: Any, prefix: str = "body") -> PlaybookSpec:
    """Validate a spec; a 422 naming each field at fault."""
    try:
        return PlaybookSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(error_details(exc.errors(include_url=False), (prefix,))) from None


def ensure_builtin(session: Session) -> int:
    """Store any built-in playbook not yet in the database (edits are never overwritten)."""
    have = set(session.scalars(select(Playbook.key)))
    added = 0
    for data in builtin_specs():
        if data["key"] in have:
            continue
        spec = parse_spec(data)
        session.add(
            Playbook(
                key=spec.key,
                name=spec.name,
                description=spec.description,
                enabled=spec.enabled,
                approval_required=spec.approval_required,
                builtin=True,
                spec=spec.model_dump(mode="json"),
            )
        )
        added += 1
    if added:
        session.flush()
    return added


def list_playbooks(session: Session) -> list[Playbook]:
    """Every playbook, built-ins included."""
    ensure_builtin(session)
    return list(session.scalars(select(Playbook).order_by(Playbook.id)))


def get_playbook(session: Session, *, key: str) -> Playbook:
    """One playbook by key, or a 404."""
    ensure_builtin(session)
    row = session.scalar(select(Playbook).where(Playbook.key == key))
    if row is None:
        raise not_found("playbook", key)
    return row


def put_playbook(session: Session, *, key: str, data: dict[str, Any]) -> tuple[Playbook, bool]:
    """Create or replace a playbook from a spec (validated, templates included); (row, created)."""
    data = {**data, "key": data.get("key", key)}
    if data["key"] != key:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "body.key: must match the key in the path",
            details=[
                {"field": "body.key", "message": "must match the path", "type": "value_error"}
            ],
        )
    spec = parse_spec(data)
    ensure_builtin(session)
    row = session.scalar(select(Playbook).where(Playbook.key == key))
    created = row is None
    if row is None:
        row = Playbook(key=key, builtin=False, version=0)
        session.add(row)
    row.name, row.description, row.enabled = spec.name, spec.description, spec.enabled
    row.approval_required = spec.approval_required
    row.spec = spec.model_dump(mode="json")
    row.version = (row.version or 0) + 1
    session.flush()
    return row, created


def patch_playbook(session: Session, *, key: str, patch: PlaybookPatch) -> Playbook:
    """Switch on/off, set approval mode, or replace the spec."""
    row = get_playbook(session, key=key)
    if patch.spec is not None:
        row, _ = put_playbook(session, key=key, data=patch.spec)
    spec = dict(row.spec)
    if patch.enabled is not None:
        row.enabled = spec["enabled"] = patch.enabled
    if patch.approval_required is not None:
        row.approval_required = spec["approval_required"] = patch.approval_required
    row.spec = spec
    session.flush()
    return row


def _enabled(session: Session, *, event: str) -> list[engine.Loaded]:
    ensure_builtin(session)
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
) -> PreviewOut:
    """Dry run: who would this playbook reach now, and with what text? Writes nothing."""
    now = now or utcnow()
    row = get_playbook(session, key=key)
    lp = engine.load(row)
    ids = list(customer_ids) if customer_ids is not None else ctxmod.all_customer_ids(session)
    contexts = ctxmod.build_contexts(session, customer_ids=ids, now=now)
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


def _as_latest_event(session: Session, event: str, contexts: Any) -> Any:
    """For event playbooks, preview each customer as if their latest such event just came in
    (looked up in bulk, a chunk of customers at a time)."""
    it = iter(contexts)
    while chunk := list(itertools.islice(it, ctxmod.CHUNK)):
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
                yield ctxmod.with_event(ctx, event, *subjects[ctx.customer_id])
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
        for c in ctxmod.build_contexts(
            session, customer_ids=sorted({cid for cid, _, _ in subjects}), now=now
        )
    }
    contexts = [
        ctxmod.with_event(copy.deepcopy(base[cid]), event, ref, payload)
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
    ids = list(customer_ids) if customer_ids is not None else ctxmod.all_customer_ids(session)
    scheduled = _enabled(session, event="schedule")
    counts, _ = engine.run_playbooks(
        session,
        playbooks=scheduled,
        now=now,
        settings=settings,
        trigger="schedule",
        contexts=ctxmod.build_contexts(session, customer_ids=ids, now=now),
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
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "queued")
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


# --- runs, approvals, tasks ---


def list_runs(
    session: Session,
    *,
    playbook_key: str | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PlaybookRun], int]:
    """Recorded runs, newest first: why each fired or what held it back."""
    stmt = select(PlaybookRun)
    if playbook_key:
        stmt = stmt.where(PlaybookRun.playbook_key == playbook_key)
    if customer_id is not None:
        stmt = stmt.where(PlaybookRun.customer_id == customer_id)
    if status:
        stmt = stmt.where(PlaybookRun.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(PlaybookRun.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def list_tasks(
    session: Session,
    *,
    status: str | None = "open",
    assignee_id: int | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AgentTask], int]:
    """Agent tasks, soonest due first."""
    stmt = select(AgentTask)
    if status:
        stmt = stmt.where(AgentTask.status == status)
    if assignee_id is not None:
        stmt = stmt.where(AgentTask.assignee_id == assignee_id)
    if customer_id is not None:
        stmt = stmt.where(AgentTask.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(AgentTask.due_at, AgentTask.id).limit(limit).offset(offset)
    rows = session.scalars(stmt)
    return list(rows), total


def complete_task(
    session: Session,
    *,
    task_id: int,
    by: str,
    outcome: str | None = None,
    now: datetime | None = None,
) -> AgentTask:
    """Mark a task done (idempotent: completing twice keeps the first completion)."""
    task = session.get(AgentTask, task_id)
    if task is None:
        raise not_found("task", task_id)
    if task.status != "done":
        task.status, task.completed_at, task.completed_by = "done", now or utcnow(), by
        task.outcome = outcome
        session.flush()
    return task


def record_channel_outcomes(session: Session, *, interaction_ids: Sequence[int]) -> list[int]:
    """Link new inbound messages to the outbound message they reply to (channel outcomes)."""
    from heartline.interactions.models import Interaction
    from heartline.mood import service as mood_service

    rows = list(
        session.execute(
            select(Interaction.id, Interaction.customer_id, Interaction.occurred_at).where(
                Interaction.id.in_(list(interaction_ids)), Interaction.direction == "inbound"
            )
        )
    )
    if not rows:
        return []
    readings = mood_service.readings_for(session, interaction_ids=[r[0] for r in rows])

    def valence_of(interaction_id: int) -> float | None:
        reading = readings.get(interaction_id)
        return None if reading is None else float(reading.valence)

    return outbox.record_replies(
        session, interactions=[(r[0], r[1], r[2]) for r in rows], valence_of=valence_of
    )


def enqueue_reply(session: Session, **kwargs: Any) -> Any:
    """Queue an agent's reply for delivery (see outbox.enqueue_reply)."""
    from heartline.playbooks import outbox

    return outbox.enqueue_reply(session, **kwargs)
