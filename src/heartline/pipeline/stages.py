"""The pipeline, as one table: the named stages each event's ids flow through, in order.

A stage is `fn(session, ids) -> ids`: it re-reads its rows, is idempotent, and returns the ids
the next stage should see. Each stage runs in its own transaction and commits on its own, so a
later failure never undoes an earlier stage's work. Queued work names its stage (Celery
messages carry `event` and the stage *name*), so reordering this table never changes the
meaning of work already queued. A new stage is a new row here, nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from heartline.db import session_scope
from heartline.enums import PipelineEvent

StageFn = Callable[[Session, Sequence[int]], Sequence[int]]


@dataclass(frozen=True)
class Stage:
    """A named step of an event's pipeline."""

    name: str
    fn: StageFn


# Each stage function imports its domain's tasks module when it runs: a process only loads
# the domains its work touches, and the pipeline wiring imports no domain at start-up.
def _score(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.emotion.tasks import score_interactions

    # Pass every id on: later stages (mood, routing) also care about unscored messages.
    score_interactions(session, ids)
    return ids


def _remember(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_interactions

    return remember_interactions(session, ids)


def _remember_surveys(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_surveys

    return remember_surveys(session, ids)


def _remember_orders(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_orders

    return remember_orders(session, ids)


def _remember_conversations(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_conversations

    return remember_conversations(session, ids)


def _privacy_requests(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.privacy.tasks import open_privacy_requests

    return open_privacy_requests(session, ids)


def _route(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.routing.tasks import route_interactions

    return route_interactions(session, ids)


def _sla_status(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.routing.tasks import sla_on_status

    return sla_on_status(session, ids)


def _alerts(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.alerts.tasks import alert_on_interactions

    return alert_on_interactions(session, ids)


def _rollup_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.metrics.tasks import rollup_interactions

    return rollup_interactions(session, ids)


def _rollup_conversations(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.metrics.tasks import rollup_conversations

    return rollup_conversations(session, ids)


def _rollup_surveys(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.metrics.tasks import rollup_surveys

    return rollup_surveys(session, ids)


def _channel_outcomes(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.playbooks.tasks import record_outcomes

    return record_outcomes(session, ids)


def _playbooks(event: PipelineEvent) -> StageFn:
    def act(session: Session, ids: Sequence[int]) -> Sequence[int]:
        from heartline.playbooks.tasks import act_on_event

        return act_on_event(session, event, ids)  # -> outbox ids for the deliver stage

    return act


def _deliver(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.playbooks.tasks import deliver_outbox

    return deliver_outbox(session, ids)


E = PipelineEvent
PIPELINES: Final[Mapping[PipelineEvent, tuple[Stage, ...]]] = {
    E.INTERACTION: (
        Stage("score", _score),  # emotion: a reading with evidence
        Stage("remember", _remember),  # mood: state, churn risk, segments, complaints
        # a privacy request opens an admin task and pauses marketing before routing and
        # playbooks run, so nothing promotional goes out in the meantime
        Stage("privacy", _privacy_requests),
        Stage("route", _route),  # queue, priority, SLA
        Stage("alerts", _alerts),  # team alerts: churn threat, angry VIP, privacy request
        Stage("rollup", _rollup_interactions),  # after routing, so slices see the queue/agent
        Stage("channel_outcomes", _channel_outcomes),  # replies/opt-outs close outbox loops
        Stage("playbooks", _playbooks(E.INTERACTION)),  # -> outbox ids
        Stage("deliver", _deliver),
    ),
    E.SURVEY: (
        Stage("remember", _remember_surveys),
        Stage("rollup", _rollup_surveys),
        Stage("playbooks", _playbooks(E.SURVEY)),
        Stage("deliver", _deliver),
    ),
    E.ORDER: (
        Stage("remember", _remember_orders),
        Stage("playbooks", _playbooks(E.ORDER)),
        Stage("deliver", _deliver),
    ),
    E.CONVERSATION: (  # on a status change
        Stage("sla", _sla_status),  # pending pauses the SLA clocks, resolve stops them
        Stage("remember", _remember_conversations),
        Stage("rollup", _rollup_conversations),
        Stage("playbooks", _playbooks(E.CONVERSATION)),
        Stage("deliver", _deliver),
    ),
}


def _rescore(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.emotion.service import score_interactions

    score_interactions(session, ids, force=True)  # a new model reads them all again
    return ids


def _resolve_history(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.interactions import service as interaction_service
    from heartline.mood.tasks import remember_conversations

    # a ticket solved in the export closes its complaints, which the remember stage just made
    conversations = interaction_service.conversation_ids_of(session, interaction_ids=ids)
    remember_conversations(session, sorted({c for c in conversations.values() if c}))
    return ids


# History work: the past, read in parallel across workers. Silent (never routed, alerted,
# answered by a playbook or sent), and not an event playbooks react to. Callers split a batch
# by customer (runner.submit_partitioned), so one task holds all of a customer's messages of
# the batch, in order; the remember stage locks its customers and recomputes each one from
# every stored reading, so batches of one customer landing on two workers still agree.
HISTORY: Final[Mapping[str, tuple[Stage, ...]]] = {
    "history": (  # help-desk imports: new messages, scored once
        Stage("score", _score),
        Stage("remember", _remember),
        Stage("resolve", _resolve_history),
        Stage("rollup", _rollup_interactions),
    ),
    "rescore": (  # `heartline model rescore`: read again with the active model
        Stage("score", _rescore),
        Stage("remember", _remember),
        Stage("rollup", _rollup_interactions),
    ),
}


def stages_for(event: str) -> tuple[Stage, ...]:
    """The ordered stages of an event (unknown events have none)."""
    if event in HISTORY:
        return HISTORY[event]
    try:
        return PIPELINES[PipelineEvent(event)]
    except ValueError:
        return ()


def next_stage(event: str, name: str) -> str | None:
    """The name of the stage after `name` in `event`'s pipeline, or None after the last."""
    names = [stage.name for stage in stages_for(event)]
    position = names.index(name)
    return names[position + 1] if position + 1 < len(names) else None


def stage_named(event: str, name: str) -> Stage:
    """The stage called `name` in `event`'s pipeline; KeyError names both if there is none."""
    for stage in stages_for(event):
        if stage.name == name:
            return stage
    raise KeyError(f"pipeline {event!r} has no stage {name!r}")


def run_stage(event: str, name: str, ids: Sequence[int]) -> list[int]:
    """Run one stage in its own transaction and return the ids for the next one."""
    stage = stage_named(event, name)
    with session_scope() as session:
        return list(stage.fn(session, list(ids)))
