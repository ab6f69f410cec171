"""Run playbooks over customer contexts: decide for each customer (`decide`, pure, so dry runs
write nothing) and, unless it is a dry run, record and carry out the decisions (`actions`)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from heartline.config import Settings
from heartline.playbooks import guardrails
from heartline.playbooks.actions import record
from heartline.playbooks.context import CustomerContext
from heartline.playbooks.decide import Plan, plan
from heartline.playbooks.history import Prefetched, prefetch
from heartline.playbooks.models import Playbook
from heartline.playbooks.schemas import Decision, PlaybookSpec, RunStatus


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
class _Pass:
    """One evaluation of some playbooks over a stream of contexts: counts and decisions."""

    session: Session
    playbooks: Sequence[Loaded]
    now: datetime
    settings: Settings
    trigger: str
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    matched: list[Decision] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counts = {lp.spec.key: defaultdict(int) for lp in self.playbooks}

    def batch(self, contexts: list[CustomerContext]) -> None:
        """Decide (and act) for a batch of customers, with their history read in bulk."""
        pre = prefetch(
            self.session,
            keys=[lp.spec.key for lp in self.playbooks],
            customer_ids=[c.customer_id for c in contexts],
            now=self.now,
            settings=self.settings,
        )
        for ctx in contexts:
            for lp in self.playbooks:
                p = plan(
                    lp.spec,
                    ctx,
                    now=self.now,
                    pre=pre,
                    settings=self.settings,
                    approval_required=lp.row.approval_required,
                )
                status = p.decision.status
                self.counts[lp.spec.key][status.value] += 1
                if status == RunStatus.NOT_MATCHED:
                    continue
                self.matched.append(p.decision)
                if not self.dry_run and p.records:
                    self._record(lp.spec, ctx, p, pre)

    def _record(self, spec: PlaybookSpec, ctx: CustomerContext, p: Plan, pre: Prefetched) -> None:
        """Store the decision and act on it; later decisions in this pass see what it did."""
        if p.decision.status == RunStatus.HELD:
            held = (spec.key, ctx.customer_id, p.decision.occasion, p.decision.guardrail or "")
            if held in pre.held:
                return
            pre.held.add(held)
        run = record(
            self.session,
            spec=spec,
            ctx=ctx,
            p=p,
            now=self.now,
            trigger=self.trigger,
            settings=self.settings,
        )
        if run is None or not p.fired_key or not p.acts:
            return
        pre.fired_keys.add(p.fired_key)
        pre.last_fired[(spec.key, ctx.customer_id)] = self.now
        if p.channels:  # later playbooks in this pass see this message in the caps
            old = pre.recent.get(ctx.customer_id, guardrails.RecentSends())
            promo = int(spec.category == "promotional")
            pre.recent[ctx.customer_id] = guardrails.RecentSends(
                old.total + len(p.channels), old.promotional + promo
            )


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
    run = _Pass(session, playbooks, now, settings, trigger, dry_run)
    batch: list[CustomerContext] = []
    for ctx in contexts:
        batch.append(ctx)
        if len(batch) >= chunk:
            run.batch(batch)
            batch = []
    if batch:
        run.batch(batch)
    return {k: dict(v) for k, v in run.counts.items()}, run.matched
