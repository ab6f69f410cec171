"""The lexicon engine: VADER sentiment behind the same interface, a fast fallback.

It has no emotion, sarcasm or language-specific model: ``emotions`` and ``cs_emotions`` are
empty, ``top_emotion`` is None and ``sarcasm`` is 0.0 (not assessed). Sentiment follows VADER's
published rule (compound >= 0.05 positive, <= -0.05 negative); ``sentiment_scores`` map the
compound to three scores whose largest is that label (``_three_way``). Evidence is found by
occlusion of VADER's own compound score.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

from heartline.emotion import compose, textproc
from heartline.emotion.language import detect_language
from heartline.emotion.reading import Reading, unscored

_VADER_VERSION = importlib.metadata.version("vaderSentiment")
LEXICON_MODEL_ID = f"lexicon-vader@{_VADER_VERSION}"
# A lexicon cannot read context, negation scope or sarcasm well: it never claims more.
_MAX_CONFIDENCE = 0.7


class LexiconEngine:
    """VADER-based engine; emotions are not modelled (empty), sentiment is."""

    model_id = LEXICON_MODEL_ID
    model_ids: frozenset[str] = frozenset([LEXICON_MODEL_ID])
    # Its occlusion re-scores every sentence once per content word: bulk scoring defers it to
    # when a person opens the message, like the neural engine (emotion/evidence_lazy.py).
    lazy_evidence = True
    supported_languages: frozenset[str] = frozenset(["en"])

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def _scores(self, text: str) -> dict[str, float]:
        scores: dict[str, float] = self._vader.polarity_scores(text)
        return scores

    def _compound(self, texts: list[str]) -> list[float]:
        return [self._scores(t)["compound"] for t in texts]

    def analyze_many(
        self, texts: Sequence[str], *, batch_size: int = 32, with_evidence: bool = True
    ) -> list[Reading]:
        """Score texts in order (batch_size is accepted for interface parity)."""
        return [self._one(t, with_evidence) for t in texts]

    def _one(self, text: str, with_evidence: bool) -> Reading:
        sents = textproc.split_sentences(text or "")
        if not sents:
            return unscored(self.model_id, "en", "empty_text")
        body = " ".join(text[s:e] for s, e in sents)
        lang = detect_language(body)
        if lang != "en":
            return unscored(self.model_id, lang, "unsupported_language")
        detail = [self._sentence(text, s, e) for s, e in sents] if len(sents) > 1 else []
        sc = self._scores(body)
        sentiment = _label(sc["compound"])
        conf = _confidence(sc["compound"])
        mixed = sc["neg"] >= compose.MIXED_MIN / 2 and sc["pos"] >= compose.MIXED_MIN / 2
        if detail:
            mixed = mixed or {d["sentiment"] for d in detail} >= {"negative", "positive"}
        evidence: list[dict[str, Any]] = []
        if with_evidence and sentiment != "neutral":
            sign = 1.0 if sentiment == "positive" else -1.0
            items = [(text[s:e], s) for s, e in sents]
            per = compose.batched_occlusion(
                items, lambda vs: [sign * c for c in self._compound(vs)]
            )
            evidence = sorted((ev for lst in per for ev in lst), key=lambda d: -d["weight"])
            evidence = evidence[: compose.MAX_EVIDENCE]
        reasons = compose.review(
            confidence=conf, sarcasm=0.0, sarcasm_threshold=1.1, mixed=mixed,
            sentiment=sentiment, top_emotion=None,
        )  # fmt: skip
        return Reading(
            sentiment=sentiment,
            sentiment_scores=_three_way(sc["compound"]),
            mixed=mixed, emotions={}, labels=[], cs_emotions={}, top_emotion=None,
            sarcasm=0.0, intensity=round(abs(sc["compound"]), 4), confidence=conf,
            valence=round(sc["compound"], 4), evidence=evidence, needs_review=bool(reasons),
            review_reasons=reasons, language=lang, model=self.model_id, sentences=detail,
        )  # fmt: skip

    def _sentence(self, text: str, start: int, end: int) -> dict[str, Any]:
        sc = self._scores(text[start:end])
        return {
            "text": text[start:end], "start": start, "end": end,
            "sentiment": _label(sc["compound"]), "valence": round(sc["compound"], 4),
            "top_emotion": None,
        }  # fmt: skip


def _three_way(compound: float) -> dict[str, float]:
    """VADER's compound as three scores whose largest is the reading's label (VADER's own
    neg/neu/pos are word proportions, mostly "neutral", and would contradict the label)."""
    c = max(-1.0, min(1.0, compound))
    label = _label(c)
    sign = "positive" if c >= 0 else "negative"
    other = "negative" if sign == "positive" else "positive"
    if label == "neutral":
        neu = 1.0 - 5.0 * abs(c)  # at least 0.75 inside the neutral band (|c| < 0.05)
        rest = {sign: 0.75 * (1.0 - neu), other: 0.25 * (1.0 - neu)}
        return {k: round(v, 4) for k, v in {"neutral": neu, **rest}.items()}
    top = 0.5 + 0.5 * abs(c)
    out = {sign: top, "neutral": 0.75 * (1.0 - top), other: 0.25 * (1.0 - top)}
    return {k: round(out[k], 4) for k in ("negative", "neutral", "positive")}


def _label(compound: float) -> str:
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return "neutral"


def _confidence(compound: float) -> float:
    """Heuristic: distance from VADER's decision boundaries, capped (a lexicon is no oracle)."""
    c = abs(compound)
    raw = 1.0 - c / 0.05 * 0.5 if c < 0.05 else 0.5 + 0.5 * c
    return round(min(_MAX_CONFIDENCE, raw), 4)
