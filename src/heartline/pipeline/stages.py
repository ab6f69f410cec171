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


# event -> ordered stages. Events: "interaction" (ids of interactions), "survey" (survey ids),
# "order" (order ids), "conversation" (conversation ids, on status change).
PIPELINES: dict[str, list[Stage]] = {
    "interaction": [Stage("score", _score)],
    "survey": [],
    "order": [],
    "conversation": [],
}


def stages_for(event: str) -> list[Stage]:
    """The ordered stages of an event (unknown events have none)."""
    return PIPELINES.get(event, [])
