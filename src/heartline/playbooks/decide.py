"""Decide, without writing anything, what a playbook does for one customer (dry runs use it
as it is; `actions` carries a decision out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from heartline.channels import service as channels
from heartline.config import Settings
from heartline.playbooks import conditions, guardrails, templates
from heartline.playbooks.context import CustomerContext
from heartline.playbooks.history import Prefetched
from heartline.playbooks.schemas import (
    Decision,
    MessageAction,
    OfferAction,
    PlaybookSpec,
    RunStatus,
    TaskAction,
)

# Decisions that write something when carried out.
ACTING = (RunStatus.FIRED, RunStatus.DEFERRED, RunStatus.AWAITING_APPROVAL)


@dataclass
class Plan:
    """The decision for one customer plus what is needed to carry it out."""

    decision: Decision
    fired_key: str | None = None
    hold: guardrails.Hold | None = None
    channels: dict[int, channels.ChannelChoice] = field(default_factory=dict)

    @property
    def acts(self) -> bool:
        """Whether carrying this plan out writes anything."""
        return self.decision.status in ACTING

    @property
    def records(self) -> bool:
        """Whether the decision is worth a run record (fired or held, not a plain miss)."""
        return self.acts or self.decision.status in (RunStatus.HELD, RunStatus.FAILED)


# Most customers miss most playbooks: one shared, never-mutated plan stands for all misses.
NOT_MATCHED = Plan(Decision(playbook_key="", customer_id=0, status=RunStatus.NOT_MATCHED))


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


def variables(
    ctx: CustomerContext, spec: PlaybookSpec, now: datetime, offer: dict[str, Any] | None
) -> dict[str, Any]:
    """What the playbook's templates see (a preview offer until a real one is issued)."""
    out = ctx.template_vars(now)
    out["offer"] = offer or _preview_offer(spec, now)
    out["playbook"] = {"key": spec.key, "name": spec.name}
    return out


def safe_render(source: str, variables: dict[str, Any]) -> str:
    """A template rendered, or the error in its place (task texts never block a run)."""
    try:
        return templates.render(source, variables)
    except templates.TemplateRenderError as exc:
        return f"(template error: {exc})"


def _fail(decision: Decision, why: list[str], note: str) -> None:
    decision.status, decision.guardrail = RunStatus.FAILED, "template"
    decision.reasons = [*why, note]


def _occasion(
    spec: PlaybookSpec,
    ctx: CustomerContext,
    decision: Decision,
    variables: dict[str, Any],
    now: datetime,
    pre: Prefetched,
) -> Plan | None:
    """Name the occasion; a finished plan when it failed, already fired or is cooling down."""
    why = decision.reasons
    try:
        decision.occasion = templates.render(spec.occasion, variables)
    except templates.TemplateRenderError as exc:
        _fail(decision, why, f"occasion template: {exc}")
        return Plan(decision)
    if f"{spec.key}:{ctx.customer_id}:{decision.occasion}" in pre.fired_keys:
        decision.status = RunStatus.ALREADY_FIRED
        return Plan(decision)
    last = pre.last_fired.get((spec.key, ctx.customer_id))
    if spec.cooldown_days and last is not None and now - last < timedelta(days=spec.cooldown_days):
        decision.status = RunStatus.COOLDOWN
        decision.reasons = [
            *why,
            f"fired {(now - last).days} days ago (cooldown {spec.cooldown_days} days)",
        ]
        return Plan(decision)
    return None


def _choose_channels(
    ctx: CustomerContext,
    result: Plan,
    messages: list[tuple[int, MessageAction]],
    hold: guardrails.Hold | None,
    settings: Settings,
) -> guardrails.Hold | None:
    """A channel per message action; a hold when one has no usable channel."""
    for i, action in messages:
        choice, skipped = channels.choose_channel(ctx, forced=action.channel, settings=settings)
        if choice is None:
            if hold and hold.until is None:
                return hold
            return guardrails.Hold(
                guardrails.NO_CHANNEL, "no usable channel: " + "; ".join(skipped)
            )
        result.channels[i] = choice
    return hold


def _plan_messages(
    spec: PlaybookSpec,
    ctx: CustomerContext,
    result: Plan,
    variables: dict[str, Any],
    *,
    now: datetime,
    pre: Prefetched,
    settings: Settings,
    render_text: bool,
) -> bool:
    """Guardrails, channels and text for the message actions; True when the plan is final."""
    decision, why = result.decision, list(result.decision.reasons)
    messages = [(i, a) for i, a in enumerate(spec.actions) if isinstance(a, MessageAction)]
    if not messages:
        return False
    hold = guardrails.check_message(
        ctx,
        category=spec.category,
        recent=pre.recent.get(ctx.customer_id, guardrails.RecentSends()),
        now=now,
        settings=settings,
        has_offer=any(isinstance(a, OfferAction) for a in spec.actions),
    )
    result.hold = hold = _choose_channels(ctx, result, messages, hold, settings)
    if hold is not None and hold.until is None:
        decision.status, decision.guardrail = RunStatus.HELD, hold.guardrail
        decision.reasons = [*why, f"held by {hold.guardrail}: {hold.reason}"]
        return True
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
            _fail(decision, why, f"message template: {exc}")
            return True
    return False


def _settle(decision: Decision, result: Plan, approval_required: bool) -> None:
    """The final status: deferred by a timed hold, waiting for approval, or fired."""
    if result.hold is not None:
        decision.status, decision.guardrail = RunStatus.DEFERRED, result.hold.guardrail
        decision.reasons.append(f"{result.hold.reason} until {result.hold.until:%Y-%m-%d %H:%M}Z")
    elif approval_required:
        decision.status, decision.guardrail = RunStatus.AWAITING_APPROVAL, guardrails.APPROVAL
        decision.reasons.append("approval required: drafts wait in the approval queue")
    else:
        decision.status = RunStatus.FIRED


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
        status=RunStatus.MATCHED,
        reasons=why,
    )
    env = variables(ctx, spec, now, None)
    finished = _occasion(spec, ctx, decision, env, now, pre)
    if finished is not None:
        return finished
    result = Plan(decision, fired_key=f"{spec.key}:{ctx.customer_id}:{decision.occasion}")
    if _plan_messages(
        spec, ctx, result, env, now=now, pre=pre, settings=settings, render_text=render_text
    ):
        return result
    if render_text:
        for task in spec.actions:
            if isinstance(task, TaskAction):
                decision.tasks.append(safe_render(task.title, env))
    _settle(decision, result, approval_required)
    return result
