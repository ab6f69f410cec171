"""Readings with customer-service acts (intent, complaint) for tests of what acts on them.

The shipped model does not fill `intent` yet, so tests make it deterministic: the real engine
reads the message (emotions, sentiment, evidence as usual) and `dataclasses.replace` then sets
the intent/complaint fields for the texts a test names. Everything downstream (stored reading,
mood, churn, routing, privacy, playbooks, suggested replies) runs for real through the API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest

from heartline.emotion.taxonomy import INTENTS, SEVERITIES


def cs(
    intent: str | None,
    *,
    confidence: float = 0.9,
    complaint: float = 0.0,
    severity: str = "none",
) -> dict[str, Any]:
    """The customer-service fields of a reading (validated against the taxonomy)."""
    assert intent is None or intent in INTENTS, intent
    assert severity in SEVERITIES, severity
    scores = {name: 0.0 for name in INTENTS}
    if intent is not None:
        scores[intent] = confidence
    return {
        "intent": intent,
        "intent_confidence": confidence if intent else 0.0,
        "intent_scores": scores,
        "complaint": complaint,
        "complaint_severity": severity,
    }


class _Engine:
    """The real engine, with the listed texts' readings carrying the given fields."""

    def __init__(self, inner: Any, fields: dict[str, dict[str, Any]]) -> None:
        self.inner = inner
        self.fields = fields

    def analyze_many(self, texts: Sequence[str], *, batch_size: int = 32) -> list[Any]:
        readings = self.inner.analyze_many(texts, batch_size=batch_size)
        return [
            dataclasses.replace(r, **self.fields[t]) if t in self.fields else r
            for t, r in zip(texts, readings, strict=True)
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def read_as(monkeypatch: pytest.MonkeyPatch, fields: dict[str, dict[str, Any]]) -> None:
    """Make the engine the SCORE stage uses give these texts these intent/complaint fields."""
    import heartline.emotion as emotion

    real = emotion.get_engine
    monkeypatch.setattr(emotion, "get_engine", lambda name=None: _Engine(real(name), fields))
