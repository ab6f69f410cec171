"""What playbooks did before, read in bulk for a chunk of customers: fired occasions,
cooldowns, recent sends (for the frequency caps) and holds already recorded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.config import Settings
from heartline.db import id_filter
from heartline.playbooks import guardrails
from heartline.playbooks.models import OutboxMessage, PlaybookRun
from heartline.playbooks.schemas import OutboxStatus, RunStatus

# Messages that count against the frequency caps: everything not rejected or given up on.
COUNTED_STATUSES = (
    OutboxStatus.DRAFT,
    OutboxStatus.QUEUED,
    OutboxStatus.SENDING,
    OutboxStatus.SENT,
)


@dataclass
class Prefetched:
    """History needed to decide for a chunk of customers, read in a few bulk queries."""

    fired_keys: set[str] = field(default_factory=set)
    last_fired: dict[tuple[str, int], datetime] = field(default_factory=dict)
    recent: dict[int, guardrails.RecentSends] = field(default_factory=dict)
    held: set[tuple[str, int, str, str]] = field(default_factory=set)


def _read_runs(session: Session, pre: Prefetched, keys: Sequence[str], ids: list[int]) -> None:
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
        elif status == RunStatus.HELD:
            # A hold is recorded once per occasion and guardrail, not on every scheduler tick.
            pre.held.add((key, cid, occasion, guard or ""))


def _read_sends(session: Session, pre: Prefetched, ids: list[int], since: datetime) -> None:
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
    _read_runs(session, pre, keys, ids)
    _read_sends(session, pre, ids, now - timedelta(days=settings.frequency_cap_days))
    return pre
