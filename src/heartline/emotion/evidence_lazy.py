"""Evidence on demand: bulk scoring stores readings without evidence (occlusion costs several
inferences per message), and a reading is explained when a person opens its message.

Explaining re-reads the message with the same engine and occlusion, so the words are exactly
what the scoring pass would have found; they are kept only when the re-read gives the stored
label (same model, same sentiment and top emotion), so evidence never argues for a label the
reading does not state. A reading made by another model (the engine changed since) is not
explained: it has no evidence until it is re-scored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

# A reading's data carries this key (True) while its evidence is not computed yet.
PENDING = "evidence_pending"
# Live traffic (a batch this small) is explained in the scoring pass: someone is about to
# read it. Bulk batches (imports, backfills, a busy queue) defer it.
EAGER_MAX_BATCH = 8


class Explainer(Protocol):
    """What explaining needs of an engine (its default analyze_many explains)."""

    @property
    def model_ids(self) -> frozenset[str]: ...

    def analyze_many(self, texts: Sequence[str], *, batch_size: int = 32) -> list[Any]: ...


def deferred(engine: object, batch: int) -> bool:
    """Whether the scoring pass leaves evidence for later (an engine whose evidence is
    costly, on a bulk batch)."""
    return bool(getattr(engine, "lazy_evidence", False)) and batch > EAGER_MAX_BATCH


def explain_many(
    engine: Explainer, items: Sequence[tuple[str, dict[str, Any]]]
) -> list[list[dict[str, Any]] | None]:
    """Evidence for stored readings (text, reading data) in one batched pass; None for a
    reading this engine cannot explain faithfully (another model, or a re-read that no longer
    gives the stored label): it then shows no evidence rather than another reading's."""
    out: list[list[dict[str, Any]] | None] = [None] * len(items)
    todo = [
        k
        for k, (_, data) in enumerate(items)
        if data.get("model") in engine.model_ids and data.get("sentiment") is not None
    ]
    for k, (_, data) in enumerate(items):
        if data.get("sentiment") is None:
            out[k] = []  # an unscored reading claims nothing and has nothing to explain
    if not todo:
        return out
    fresh = engine.analyze_many([items[k][0] for k in todo])
    for k, reading in zip(todo, fresh, strict=True):
        data = items[k][1]
        if reading.sentiment == data.get("sentiment") and reading.top_emotion == data.get(
            "top_emotion"
        ):
            out[k] = list(reading.evidence)
    return out


def explain(engine: Explainer, text: str, data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Evidence for one stored reading (see explain_many)."""
    return explain_many(engine, [(text, data)])[0]
