"""Evaluate playbooks over customer contexts (pure, for dry runs) and carry out decisions."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heartline.channels.registry import ChannelChoice, choose_channel
from heartline.config import Settings
from heartline.playbooks import conditions, guardrails, mood_adapter, templates
from heartline.playbooks.context import CustomerContext, id_filter
from heartline.playbooks.models import AgentTask, OfferCode, OutboxMessage, Playbook, PlaybookRun
from heartline.playbooks.schemas import (
    Decision,
    MessageAction,
    OfferAction,
    PlaybookSpec,
    SegmentAction,
    TaskAction,
    WebhookAction,
)

COUNTED_STATUSES = ("draft", "queued", "sending", "sent")


@dataclass
class Loaded:
    """A stored playbook with its parsed spec."""

    row: Playbook
    spec: PlaybookSpec


_spec_cache: dict[tuple[str, int, str], PlaybookSpec] = {}


def load(row: Playbook) -> Loaded:
    """Parse a stored playbook (cached per version: specs are validated on save)."""
    marker = json.dumps(row.spec, sort_keys=True, default=str)
    cache_key = (row.key, row.version, hashlib.sha1(marker.encode()).hexdigest())
    spec = _spec_cache.get(cache_key)
    if spec is None:
        spec = PlaybookSpec.model_validate(row.spec)
        _spec_cache[cache_key] = spec
    return Loaded(row, spec)


@dataclass
class Prefetched:
    """History needed to decide for a chunk of customers, read in a few bulk queries."""

    fired_keys: set[str] = field(default_factory=set)
    last_fired: dict[tuple[str, int], datetime] = field(default_factory=dict)
    recent: dict[int, guardrails.RecentSends] = field(default_factory=dict)
    held: set[tuple[str, int, str, str]] = field(default_factory=set)


def prefetch(
    session: Session,
    *,
    keys: Sequence[str],
    customer_ids: Sequence[int],
    now: datetime,
    settings: Settings,
) -> Prefetched:
    """Fired occasions, cooldowns, recent sends and recorded holds for these customers."""
    pre = Prefetched()
    ids = list(customer_ids)
    if not ids or not keys:
        return pre
    runs = select(
        PlaybookRun.playbook_key,
        PlaybookRun.customer_id,
        PlaybookRun.fired_key,
        PlaybookRun.created_at,
        PlaybookRun.status,
        PlaybookRun.occasion,
        PlaybookRun.guardrail,
    ).where(id_filter(PlaybookRun.customer_id, ids), PlaybookRun.playbook_key.in_(list(keys)))
    for key, cid, fired_key, at, status, occasion, guard in session.execute(runs):
        if fired_key:
            pre.fired_keys.add(fired_key)
            prev = pre.last_fired.get((key, cid))
            if prev is None or at > prev:
                pre.last_fired[(key, cid)] = at
        elif status == "held":
            # A hold is recorded once per occasion and guardrail, not on every scheduler tick.
            pre.held.add((key, cid, occasion, guard or ""))
    since = now - timedelta(days=settings.frequency_cap_days)
    sends = (
        select(OutboxMessage.customer_id, OutboxMessage.category, func.count())
        .where(
            id_filter(OutboxMessage.customer_id, ids),
            OutboxMessage.created_at >= since,
            OutboxMessage.status.in_(COUNTED_STATUSES),
            OutboxMessage.channel != "webhook",
        )
        .group_by(OutboxMessage.customer_id, OutboxMessage.category)
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for customer_id, category, n in session.execute(sends):
        if customer_id is None:
            continue
        counts[customer_id][0] += n
        if category == "promotional":
            counts[customer_id][1] += n
    pre.recent = {cid: guardrails.RecentSends(t, p) for cid, (t, p) in counts.items()}
    return pre


@dataclass
class Plan:
    """The decision for one customer plus what is needed to carry it out."""

    decision: Decision
    fired_key: str | None = None
    hold: guardrails.Hold | None = None
    channels: dict[int, ChannelChoice] = field(default_factory=dict)

    @property
    def acts(self) -> bool:
        """Whether carrying this plan out writes anything."""
        return self.decision.status in ("fired", "deferred", "awaiting_approval")

    @property
    def records(self) -> bool:
        """Whether the decision is worth a run record (fired or held, not a plain miss)."""
        return self.acts or self.decision.status in ("held", "failed")


# Most customers miss most playbooks: one shared, never-mutated plan stands for all misses.
NOT_MATCHED = Plan(Decision(playbook_key="", customer_id=0, status="not_matched"))


def _preview_offer(spec: PlaybookSpec, now: datetime) -> dict[str, Any]:
    for action in spec.actions:
        if isinstance(action, OfferAction):
            return {
                "code": f"{action.prefix}-PREVIEW",
                "percent_off": action.percent_off,
                "expires_at": now + timedelta(days=action.valid_days),
                "category": action.category,
            }
    return {"code": "(no offer)", "percent_off": 0, "expires_at": now, "category": None}


def _variables(
    ctx: CustomerContext, spec: PlaybookSpec, now: datetime, offer: dict[str, Any] | None
) -> dict[str, Any]:
    variables = ctx.template_vars(now)
    variables["offer"] = offer or _preview_offer(spec, now)
    variables["playbook"] = {"key": spec.key, "name": spec.name}
    return variables


def plan(
    spec: PlaybookSpec,
    ctx: CustomerContext,
    *,
    now: datetime,
    pre: Prefetched,
    settings: Settings,
    approval_required: bool,
    render_text: bool = True,
) -> Plan:
    """Decide, without writing anything, what the playbook does for this customer."""
    if not conditions.matches(spec.conditions, ctx):
        return NOT_MATCHED
    _, why = conditions.evaluate(spec.conditions, ctx)
    decision = Decision(
        playbook_key=spec.key,
        customer_id=ctx.customer_id,
        customer_name=ctx.name,
        status="matched",
        reasons=why,
    )
    variables = _variables(ctx, spec, now, None)
    try:
        decision.occasion = templates.render(spec.occasion, variables)
    except templates.TemplateRenderError as exc:
        decision.status, decision.guardrail = "failed", "template"
        decision.reasons = [*why, f"occasion template: {exc}"]
        return Plan(decision)
    fired_key = f"{spec.key}:{ctx.customer_id}:{decision.occasion}"
    if fired_key in pre.fired_keys:
        decision.status = "already_fired"
        return Plan(decision)
    last = pre.last_fired.get((spec.key, ctx.customer_id))
    if spec.cooldown_days and last is not None and now - last < timedelta(days=spec.cooldown_days):
        decision.status = "cooldown"
        decision.reasons = [
            *why,
            f"fired {(now - last).days} days ago (cooldown {spec.cooldown_days} days)",
        ]
        return Plan(decision)
    result = Plan(decision, fired_key=fired_key)
    messages = [(i, a) for i, a in enumerate(spec.actions) if isinstance(a, MessageAction)]
    if messages:
        recent = pre.recent.get(ctx.customer_id, guardrails.RecentSends())
        hold = guardrails.check_message(
            ctx,
            category=spec.category,
            recent=recent,
            now=now,
            settings=settings,
            has_offer=any(isinstance(a, OfferAction) for a in spec.actions),
        )
        for i, action in messages:
            choice, skipped = choose_channel(ctx, forced=action.channel, settings=settings)
            if choice is None:
                hold = (
                    hold
                    if hold and hold.until is None
                    else guardrails.Hold(
                        guardrails.NO_CHANNEL, "no usable channel: " + "; ".join(skipped)
                    )
                )
                break
            result.channels[i] = choice
        if hold is not None and hold.until is None:
            decision.status, decision.guardrail = "held", hold.guardrail
            decision.reasons = [*why, f"held by {hold.guardrail}: {hold.reason}"]
            result.hold = hold
            return result
        result.hold = hold
        first = result.channels[messages[0][0]]
        decision.channel = first.channel
        decision.reasons.append(f"channel {first.channel} ({first.why})")
        if render_text:
            try:
                subject, body, variant = messages[0][1].text_for(ctx.locale, ctx.language)
                decision.subject = templates.render(subject, variables)
                decision.body = templates.render(body, variables)
                if variant is not None:
                    decision.reasons.append(f"message in {variant} (its variant)")
            except templates.TemplateRenderError as exc:
                decision.status, decision.guardrail = "failed", "template"
                decision.reasons = [*why, f"message template: {exc}"]
                return result
    if render_text:
        for task in spec.actions:
            if isinstance(task, TaskAction):
                decision.tasks.append(_safe_render(task.title, variables))
    if result.hold is not None:
        decision.status, decision.guardrail = "deferred", result.hold.guardrail
        decision.reasons.append(f"{result.hold.reason} until {result.hold.until:%Y-%m-%d %H:%M}Z")
    elif approval_required:
        decision.status, decision.guardrail = "awaiting_approval", guardrails.APPROVAL
        decision.reasons.append("approval required: drafts wait in the approval queue")
    else:
        decision.status = "fired"
    return result


def _safe_render(source: str, variables: dict[str, Any]) -> str:
    try:
        return templates.render(source, variables)
    except templates.TemplateRenderError as exc:
        return f"(template error: {exc})"


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
        _act(session, spec=spec, ctx=ctx, p=p, run=run, now=now, settings=settings)
    return run


def _act(
    session: Session,
    *,
    spec: PlaybookSpec,
    ctx: CustomerContext,
    p: Plan,
    run: PlaybookRun,
    now: datetime,
    settings: Settings,
) -> None:
    assert p.fired_key
    offer = None
    for action in spec.actions:
        if isinstance(action, OfferAction):
            code = OfferCode(
                code=f"{action.prefix}-{secrets.token_hex(4).upper()}",
                customer_id=ctx.customer_id,
                run_id=run.id,
                playbook_key=spec.key,
                percent_off=action.percent_off,
                category=action.category or ctx.top_category,
                expires_at=now + timedelta(days=action.valid_days),
                created_at=now,
            )
            session.add(code)
            offer = {
                "code": code.code,
                "percent_off": code.percent_off,
                "expires_at": code.expires_at,
                "category": code.category,
            }
    variables = _variables(ctx, spec, now, offer)
    status = "draft" if p.decision.status == "awaiting_approval" else "queued"
    due = p.hold.until if p.hold and p.hold.until else now
    meta = {"playbook": spec.key, "run_id": run.id, "occasion": p.decision.occasion}
    for i, action in enumerate(spec.actions):
        if isinstance(action, MessageAction):
            choice = p.channels[i]
            subject, body, variant = action.text_for(ctx.locale, ctx.language)
            session.add(
                OutboxMessage(
                    idempotency_key=_idem(p.fired_key, i),
                    run_id=run.id,
                    playbook_key=spec.key,
                    customer_id=ctx.customer_id,
                    channel=choice.channel,
                    recipient=choice.recipient,
                    category=spec.category,
                    subject=templates.render(subject, variables),
                    body=templates.render(body, variables),
                    status=status,
                    next_attempt_at=due,
                    created_at=now,
                    updated_at=now,
                    meta={
                        **meta,
                        "channel_why": choice.why,
                        "language": variant,
                        "offer_code": (offer or {}).get("code"),
                    },
                )
            )
        elif isinstance(action, TaskAction):
            owner = ctx.account_owner_id if action.assign == "account_owner" else None
            session.add(
                AgentTask(
                    customer_id=ctx.customer_id,
                    run_id=run.id,
                    playbook_key=spec.key,
                    kind=action.kind,
                    title=_safe_render(action.title, variables)[:500],
                    body=_safe_render(action.body, variables),
                    assignee_id=owner,
                    due_at=now + timedelta(hours=action.due_in_hours),
                    created_at=now,
                )
            )
        elif isinstance(action, SegmentAction):
            mood_adapter.add_to_segment(
                session, customer_id=ctx.customer_id, segment=action.segment
            )
        elif isinstance(action, WebhookAction):
            url = action.url or settings.webhook_url
            if not url:
                run.reasons = [*run.reasons, "webhook skipped: no webhook_url configured"]
                continue
            payload = {
                "event": action.event,
                "playbook": spec.key,
                "run_id": run.id,
                "customer_id": ctx.customer_id,
                "occasion": p.decision.occasion,
                "at": now.isoformat(),
                "reasons": p.decision.reasons,
            }
            session.add(
                OutboxMessage(
                    idempotency_key=_idem(p.fired_key, i),
                    run_id=run.id,
                    playbook_key=spec.key,
                    customer_id=ctx.customer_id,
                    channel="webhook",
                    recipient=url,
                    category="service",
                    subject=action.event,
                    body=json.dumps(payload),
                    status="queued",
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                    meta=meta,
                )
            )
    session.flush()


def run_playbooks(
    session: Session,
    *,
    playbooks: Sequence[Loaded],
    contexts: Iterable[CustomerContext],
    now: datetime,
    settings: Settings,
    trigger: str,
    dry_run: bool,
    chunk: int = 2000,
) -> tuple[dict[str, dict[str, int]], list[Decision]]:
    """Evaluate playbooks over contexts; counts per playbook and status, plus the decisions
    that matched (recorded and acted on unless dry_run)."""
    counts: dict[str, dict[str, int]] = {lp.spec.key: defaultdict(int) for lp in playbooks}
    matched: list[Decision] = []
    batch: list[CustomerContext] = []

    def flush_batch() -> None:
        pre = prefetch(
            session,
            keys=[lp.spec.key for lp in playbooks],
            customer_ids=[c.customer_id for c in batch],
            now=now,
            settings=settings,
        )
        for ctx in batch:
            for lp in playbooks:
                p = plan(
                    lp.spec,
                    ctx,
                    now=now,
                    pre=pre,
                    settings=settings,
                    approval_required=lp.row.approval_required,
                )
                status = p.decision.status
                counts[lp.spec.key][status] += 1
                if status == "not_matched":
                    continue
                matched.append(p.decision)
                if dry_run or not p.records:
                    continue
                if status == "held":
                    held = (
                        lp.spec.key,
                        ctx.customer_id,
                        p.decision.occasion,
                        p.decision.guardrail or "",
                    )
                    if held in pre.held:
                        continue
                    pre.held.add(held)
                run = record(
                    session, spec=lp.spec, ctx=ctx, p=p, now=now, trigger=trigger, settings=settings
                )
                if run is not None and p.fired_key and p.acts:
                    pre.fired_keys.add(p.fired_key)
                    pre.last_fired[(lp.spec.key, ctx.customer_id)] = now
                    if p.channels:  # later playbooks in this pass see this message in the caps
                        old = pre.recent.get(ctx.customer_id, guardrails.RecentSends())
                        promo = int(lp.spec.category == "promotional")
                        pre.recent[ctx.customer_id] = guardrails.RecentSends(
                            old.total + len(p.channels), old.promotional + promo
                        )
        batch.clear()

    for ctx in contexts:
        batch.append(ctx)
        if len(batch) >= chunk:
            flush_batch()
    if batch:
        flush_batch()
    return {k: dict(v) for k, v in counts.items()}, matched
