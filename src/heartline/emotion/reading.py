"""The Reading: one message's emotion analysis, JSON-safe and versioned by model id."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Review reasons a reading can carry (stable strings; the UI and the review queue key on them).
REVIEW_REASONS = (
    "low_confidence",  # the model's own top sentiment probability is low
    "possible_sarcasm",  # sarcasm probability above the tuned threshold
    "conflicting_signals",  # mixed sentiment, or sentiment disagrees with the top emotion
    "unsupported_language",  # not English: no reading is made
    "empty_text",  # nothing left to read after removing quotes and signatures
)


@dataclass(frozen=True)
class Reading:
    """How a message reads emotionally.

    For an unsupported language or an empty text nothing is guessed: ``sentiment`` and
    ``top_emotion`` are None, ``sentiment_scores``/``emotions``/``cs_emotions`` are empty,
    the numeric fields are 0.0 and ``needs_review`` is True with the reason.
    The ``lexicon`` engine leaves ``emotions``/``cs_emotions`` empty (it has no emotion model)
    and reports ``sarcasm`` as 0.0 (not assessed).
    """

    sentiment: str | None
    sentiment_scores: dict[str, float]
    mixed: bool
    emotions: dict[str, float]
    labels: list[str]
    cs_emotions: dict[str, float]
    top_emotion: str | None
    sarcasm: float
    intensity: float
    confidence: float
    valence: float
    evidence: list[dict[str, Any]]
    needs_review: bool
    review_reasons: list[str]
    language: str
    model: str
    sentences: list[dict[str, Any]] = field(default_factory=list)
    # Customer-service acts (taxonomy.SEVERITIES / taxonomy.INTENTS). ``complaint`` is the
    # probability that the message is a complaint (a breach of expectations, not the same as
    # negative sentiment); ``complaint_severity`` is "none" below the tuned complaint threshold.
    # ``intent`` is None when the engine has no intent head (lexicon) or nothing was read.
    complaint: float = 0.0
    complaint_severity: str | None = None
    intent: str | None = None
    intent_confidence: float = 0.0
    intent_scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict of every field (what dataclasses.asdict gives, its dicts and
        lists copied by plain recursion: asdict's generic one was a quarter of storing a batch
        of readings)."""
        out = dict(self.__dict__)
        for key, value in out.items():
            if isinstance(value, dict):
                out[key] = {k: _copy(v) for k, v in value.items()}
            elif isinstance(value, list):
                out[key] = [_copy(v) for v in value]
        return out

    def fields_dict(self) -> dict[str, Any]:
        """Every field, the nested dicts and lists shared rather than copied: for writing the
        reading out at once (a stored row's JSON), where copying them is wasted work."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reading:
        """Rebuild a Reading from ``to_dict()`` output (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def unscored(model: str, language: str, reason: str) -> Reading:
    """A reading that makes no claim: used for unsupported languages and empty text."""
    return Reading(
        sentiment=None, sentiment_scores={}, mixed=False, emotions={}, labels=[],
        cs_emotions={}, top_emotion=None, sarcasm=0.0, intensity=0.0, confidence=0.0,
        valence=0.0, evidence=[], needs_review=True, review_reasons=[reason],
        language=language, model=model, sentences=[],
    )  # fmt: skip


# Evidence deferred by bulk scoring, explained when a person opens the message: the marker a
# stored reading's data carries meanwhile, and the batched explanation (emotion/evidence_lazy).
from heartline.emotion.evidence_lazy import PENDING as EVIDENCE_PENDING  # noqa: E402
from heartline.emotion.evidence_lazy import explain_many as explain_evidence  # noqa: E402

__all__ = ["EVIDENCE_PENDING", "REVIEW_REASONS", "Reading", "explain_evidence", "unscored"]
