"""Carry out a playbook's decision: record the run, then issue offers, queue messages and
webhooks in the outbox, create tasks and add to segments (all in the caller's transaction)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heartline.config import Settings
from heartline.playbooks import mood_adapter, templates
from heartline.playbooks.context import CustomerContext
from heartline.playbooks.decide import Plan, safe_render, variables
from heartline.playbooks.models import AgentTask, OfferCode, OutboxMessage, PlaybookRun
from heartline.playbooks.schemas import (
    MessageAction,
    OfferAction,
    OutboxStatus,
    PlaybookSpec,
    RunStatus,
    SegmentAction,
    TaskAction,
    WebhookAction,
)


def _idem(fired_key: str, index: int) -> str:
    digest = hashlib.sha256(f"{fired_key}#{index}".encode()).hexdigest()[:32]
    return f"hl-{digest}"


def record(
    session: Session,
    *,
    spec: PlaybookSpec,
    ctx: CustomerContext,
    p: Plan,
    now: datetime,
    trigger: str,
    settings: Settings,
) -> PlaybookRun | None:
    """Store the run, and for a firing run carry out its actions; None if it raced a twin."""
    d = p.decision
    run = PlaybookRun(
        playbook_key=spec.key,
        customer_id=ctx.customer_id,
        trigger=trigger,
        event_ref=ctx.event_ref,
        occasion=d.occasion[:200],
        status=d.status,
        guardrail=d.guardrail,
        reasons=d.reasons,
        fired_key=p.fired_key if p.acts else None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None  # the same occasion fired in a concurrent run: act once
    if p.acts:
        _act(session, _Run(spec=spec, ctx=ctx, p=p, run=run, now=now, settings=settings))
    return run


@dataclass
class _Run:
    """One firing run being carried out."""

    spec: PlaybookSpec
    ctx: CustomerContext
    p: Plan
    run: PlaybookRun
    now: datetime
    settings: Settings

    @property
    def fired_key(self) -> str:
        assert self.p.fired_key
        return self.p.fired_key

    def outbox(self, index: int, **values: Any) -> OutboxMessage:
        """An outbox row for one of the run's actions (idempotent per run and action)."""
        return OutboxMessage(
            idempotency_key=_idem(self.fired_key, index),
            run_id=self.run.id,
            playbook_key=self.spec.key,
            customer_id=self.ctx.customer_id,
            created_at=self.now,
            updated_at=self.now,
            **values,
        )


def _issue_offers(session: Session, r: _Run) -> dict[str, Any] | None:
    """A single-customer code per offer action; the last one is what templates see."""
    offer = None
    for action in r.spec.actions:
        if isinstance(action, OfferAction):
            code = OfferCode(
                code=f"{action.prefix}-{secrets.token_hex(4).upper()}",
                customer_id=r.ctx.customer_id,
                run_id=r.run.id,
                playbook_key=r.spec.key,
                percent_off=action.percent_off,
                category=action.category or r.ctx.top_category,
                expires_at=r.now + timedelta(days=action.valid_days),
                created_at=r.now,
            )
            session.add(code)
            offer = {
                "code": code.code,
                "percent_off": code.percent_off,
                "expires_at": code.expires_at,
                "category": code.category,
            }
    return offer


def _queue_message(
    r: _Run, i: int, action: MessageAction, env: dict[str, Any], offer: dict[str, Any] | None
) -> OutboxMessage:
    choice = r.p.channels[i]
    subject, body, variant = action.text_for(r.ctx.locale, r.ctx.language)
    approval = r.p.decision.status == RunStatus.AWAITING_APPROVAL
    return r.outbox(
        i,
        channel=choice.channel,
        recipient=choice.recipient,
        category=r.spec.category,
        subject=templates.render(subject, env),
        body=templates.render(body, env),
        status=OutboxStatus.DRAFT if approval else OutboxStatus.QUEUED,
        next_attempt_at=r.p.hold.until if r.p.hold and r.p.hold.until else r.now,
        meta={
            **_meta(r),
            "channel_why": choice.why,
            "language": variant,
            "offer_code": (offer or {}).get("code"),
            **_whatsapp_template(action, env),
        },
    )


def _whatsapp_template(action: MessageAction, env: dict[str, Any]) -> dict[str, Any]:
    """The approved template to send instead when WhatsApp's 24-hour window is closed."""
    t = action.whatsapp_template
    if t is None:
        return {}
    params = [templates.render(p, env) for p in t.parameters]
    return {"whatsapp_template": {"name": t.name, "language": t.language, "parameters": params}}


def _meta(r: _Run) -> dict[str, Any]:
    return {"playbook": r.spec.key, "run_id": r.run.id, "occasion": r.p.decision.occasion}


def _task(r: _Run, action: TaskAction, env: dict[str, Any]) -> AgentTask:
    owner = r.ctx.account_owner_id if action.assign == "account_owner" else None
    return AgentTask(
        customer_id=r.ctx.customer_id,
        run_id=r.run.id,
        playbook_key=r.spec.key,
        kind=action.kind,
        title=safe_render(action.title, env)[:500],
        body=safe_render(action.body, env),
        assignee_id=owner,
        due_at=r.now + timedelta(hours=action.due_in_hours),
        created_at=r.now,
    )


def _queue_webhook(r: _Run, i: int, action: WebhookAction) -> OutboxMessage | None:
    url = action.url or r.settings.webhook_url
    if not url:
        r.run.reasons = [*r.run.reasons, "webhook skipped: no webhook_url configured"]
        return None
    payload = {
        "event": action.event,
        "playbook": r.spec.key,
        "run_id": r.run.id,
        "customer_id": r.ctx.customer_id,
        "occasion": r.p.decision.occasion,
        "at": r.now.isoformat(),
        "reasons": r.p.decision.reasons,
    }
    return r.outbox(
        i,
        channel="webhook",
        recipient=url,
        category="service",
        subject=action.event,
        body=json.dumps(payload),
        status=OutboxStatus.QUEUED,
        next_attempt_at=r.now,
        meta=_meta(r),
    )


def _act(session: Session, r: _Run) -> None:
    offer = _issue_offers(session, r)
    env = variables(r.ctx, r.spec, r.now, offer)
    for i, action in enumerate(r.spec.actions):
        if isinstance(action, MessageAction):
            session.add(_queue_message(r, i, action, env, offer))
        elif isinstance(action, TaskAction):
            session.add(_task(r, action, env))
        elif isinstance(action, SegmentAction):
            mood_adapter.add_to_segment(
                session, customer_id=r.ctx.customer_id, segment=action.segment
            )
        elif isinstance(action, WebhookAction):
            hook = _queue_webhook(r, i, action)
            if hook is not None:
                session.add(hook)
    session.flush()
