"""Stage wiring: which stages run, in order, for each event.

A stage is `fn(session, ids) -> ids`: it re-reads its rows, is idempotent, and returns the ids
the next stage should see. Each stage commits on its own, so a later failure never undoes an
earlier stage's work. Later capabilities append their stages here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

StageFn = Callable[[Session, Sequence[int]], Sequence[int]]


@dataclass(frozen=True)
class Stage:
    """A named step of an event's pipeline."""

    name: str
    fn: StageFn


def _score(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.emotion.tasks import score_interactions

    # Pass every id on: later stages (mood, routing) also care about unscored messages.
    score_interactions(session, ids)
    return ids


# --- emotional memory (mood/, routing/): remember then route -------------------------------
def _remember(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_interactions

    return remember_interactions(session, ids)


def _route(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.routing.tasks import route_interactions

    return route_interactions(session, ids)


def _remember_surveys(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_surveys

    return remember_surveys(session, ids)


def _remember_orders(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_orders

    return remember_orders(session, ids)


def _remember_conversations(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.mood.tasks import remember_conversations

    return remember_conversations(session, ids)


# --- end emotional memory ------------------------------------------------------------------


# event -> ordered stages. Events: "interaction" (ids of interactions), "survey" (survey ids),
# "order" (order ids), "conversation" (conversation ids, on status change).
PIPELINES: dict[str, list[Stage]] = {
    "interaction": [Stage("score", _score), Stage("remember", _remember), Stage("route", _route)],
    "survey": [Stage("remember", _remember_surveys)],
    "order": [Stage("remember", _remember_orders)],
    "conversation": [Stage("remember", _remember_conversations)],
}


# --- playbooks (playbooks/): record channel outcomes, act, deliver -------------------------
def _channel_outcomes(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.playbooks.tasks import record_outcomes

    return record_outcomes(session, ids)


def _playbooks_for(event: str) -> StageFn:
    def _act(session: Session, ids: Sequence[int]) -> Sequence[int]:
        from heartline.playbooks.tasks import act_on_event

        return act_on_event(session, event, ids)  # -> outbox ids for the deliver stage

    return _act


def _deliver(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.playbooks.tasks import deliver_outbox

    return deliver_outbox(session, ids)


PIPELINES["interaction"].append(Stage("channel_outcomes", _channel_outcomes))
for _event in ("interaction", "order", "survey", "conversation"):
    PIPELINES[_event] += [Stage("playbooks", _playbooks_for(_event)), Stage("deliver", _deliver)]
# --- end playbooks -------------------------------------------------------------------------


# --- metrics (metrics/): daily rollup after routing, so slices see the queue/agent ----------
def _rollup_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.metrics.tasks import rollup_interactions

    return rollup_interactions(session, ids)


def _rollup_conversations(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.metrics.tasks import rollup_conversations

    return rollup_conversations(session, ids)


def _rollup_surveys(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.metrics.tasks import rollup_surveys

    return rollup_surveys(session, ids)


def _insert_after(event: str, after: str, stage: Stage) -> None:
    names = [s.name for s in PIPELINES[event]]
    PIPELINES[event].insert(names.index(after) + 1, stage)


_insert_after("interaction", "route", Stage("rollup", _rollup_interactions))
_insert_after("conversation", "remember", Stage("rollup", _rollup_conversations))
_insert_after("survey", "remember", Stage("rollup", _rollup_surveys))
# --- end metrics ---------------------------------------------------------------------------


# --- privacy (privacy/): a privacy request opens an admin task and pauses marketing, before
# routing and playbooks run, so nothing promotional goes out in the meantime ----------------
def _privacy_requests(session: Session, ids: Sequence[int]) -> Sequence[int]:
    from heartline.privacy.tasks import open_privacy_requests

    return open_privacy_requests(session, ids)


_insert_after("interaction", "remember", Stage("privacy", _privacy_requests))
# --- end privacy ---------------------------------------------------------------------------


def stages_for(event: str) -> list[Stage]:
    """The ordered stages of an event (unknown events have none)."""
    return PIPELINES.get(event, [])
