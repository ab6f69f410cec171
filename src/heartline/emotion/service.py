"""The emotion domain's public surface: reading texts (the configured engine), identifying and
naming languages, the active model version, and scoring stored messages on demand."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from heartline.emotion.engine import (
    EmotionEngine,
    analyze,
    analyze_many,
    get_engine,
    reset_engine,
)
from heartline.emotion.language import detect_language, name_of
from heartline.emotion.reading import Reading
from heartline.emotion.versions import describe_active

__all__ = [
    "EmotionEngine",
    "Reading",
    "analyze",
    "analyze_many",
    "describe_active",
    "detect_language",
    "get_engine",
    "name_of",
    "reset_engine",
    "score_interactions",
]


def score_interactions(session: Session, ids: Sequence[int], *, force: bool = False) -> list[int]:
    """Score stored interactions now, outside the pipeline (a re-score): the score stage's own
    function (pending ones only, every one with ``force``); returns the scored ids."""
    from heartline.emotion.tasks import score_interactions as score

    return score(session, ids, force=force)
