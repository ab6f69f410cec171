"""Shared pieces of building a Reading: review rules, evidence spans, per-sentence detail."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from heartline.emotion import textproc
from heartline.emotion.taxonomy import CS_EMOTIONS as CS_KEYS
from heartline.emotion.taxonomy import NEGATIVE_CS, POSITIVE_CS

LOW_CONFIDENCE = 0.55  # below this the top sentiment is about as likely wrong as right
MIXED_MIN = 0.25  # both p(neg) and p(pos) at least this -> "mixed"
MAX_OCCLUSION_SPANS = 10  # bounds the extra inferences evidence costs per message
MAX_EVIDENCE = 3
MIN_EVIDENCE_WEIGHT = 0.05  # a span whose removal moves the score less than this is not evidence


def review(
    *,
    confidence: float,
    sarcasm: float,
    sarcasm_threshold: float,
    mixed: bool,
    sentiment: str | None,
    top_emotion: str | None,
) -> list[str]:
    """Review reasons for a scored reading (empty list: no review needed)."""
    reasons = []
    if confidence < LOW_CONFIDENCE:
        reasons.append("low_confidence")
    if sarcasm >= sarcasm_threshold:
        reasons.append("possible_sarcasm")
    clash = (sentiment == "positive" and top_emotion in NEGATIVE_CS) or (
        sentiment == "negative" and top_emotion in POSITIVE_CS
    )
    if mixed or clash:
        reasons.append("conflicting_signals")
    return reasons


# Function words are not shown as evidence, so they are not occluded (saves inferences);
# negations and intensifiers stay candidates because they change what a sentence means.
_SKIP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "this",
        "that",
        "these",
        "those",
        "it's",
        "i'm",
        "i've",
    ]
)


def occlusion_spans(text: str, limit: int = MAX_OCCLUSION_SPANS) -> list[tuple[int, int]]:
    """Word spans to occlude; long texts are cut into at most ``limit`` runs of words."""
    ws = [(s, e) for s, e in textproc.words(text) if text[s:e].lower() not in _SKIP]
    if len(ws) <= limit:
        return ws
    size = -(-len(ws) // limit)
    return [(ws[i][0], ws[min(i + size, len(ws)) - 1][1]) for i in range(0, len(ws), size)]


def occlude(text: str, span: tuple[int, int]) -> str:
    """The text with one span removed."""
    return (text[: span[0]] + " " + text[span[1] :]).strip()


def evidence_from_scores(
    text: str,
    offset: int,
    spans: Sequence[tuple[int, int]],
    base: float,
    occluded: Sequence[float],
) -> list[dict[str, Any]]:
    """Turn occlusion score drops into evidence dicts with offsets into the original text."""
    drops = [(base - s, sp) for s, sp in zip(occluded, spans, strict=True)]
    drops = [d for d in drops if d[0] >= MIN_EVIDENCE_WEIGHT]
    drops.sort(key=lambda d: -d[0])
    return [
        {"text": text[s:e], "start": offset + s, "end": offset + e, "weight": round(w, 4)}
        for w, (s, e) in drops[:MAX_EVIDENCE]
    ]


def batched_occlusion(
    items: Sequence[tuple[str, int]],
    score: Callable[[list[str]], list[float]],
    base: Sequence[float] | None = None,
) -> list[list[dict[str, Any]]]:
    """Evidence for many (text, offset) items with one batched call to ``score``.

    ``base`` holds the items' own scores when the caller already has them (the texts are then
    not scored again); otherwise they are scored in the same call as their variants.
    """
    jobs: list[tuple[int, list[tuple[int, int]]]] = []
    variants: list[str] = []
    for text, _ in items:
        spans = occlusion_spans(text)
        if base is None:
            variants.append(text)
        jobs.append((len(variants), spans))
        variants.extend(occlude(text, sp) for sp in spans)
    scores = score(variants) if variants else []
    out = []
    for k, ((text, offset), (at, spans)) in enumerate(zip(items, jobs, strict=True)):
        own = scores[at - 1] if base is None else base[k]
        occluded = scores[at : at + len(spans)]
        out.append(evidence_from_scores(text, offset, spans, own, occluded))
    return out


# -- one coherent reading ----------------------------------------------------------------------
# The chip shown to agents is the top cs emotion (or the sentiment when there is none). These
# are the keys each sentiment may be shown as: a negative reading is never chipped Satisfied or
# Grateful, a positive one never Angry or Frustrated, and a polar reading is never "Neutral".
ALLOWED_TOP = {
    "negative": (NEGATIVE_CS | {"confusion", "surprise"}),
    "positive": (POSITIVE_CS | {"surprise"}),
}
# Share of the shown emotion's score that a contradicting emotion may keep, so that the shown
# emotion stays the strongest in the cs view too (top_emotion == argmax of cs_emotions).
CONTRADICTION_CAP = 0.9
FALLBACK_TOP = {"negative": "frustration", "positive": "satisfaction"}


def coherent(
    sentiment: str,
    cs: dict[str, float],
    labels: list[str],
    label_polarity: dict[str, str],
    lean: str | None = None,
) -> tuple[dict[str, float], str | None, list[str]]:
    """Make the cs view, its top emotion and the labels agree with the sentiment.

    ``label_polarity`` maps a fine label to "positive"/"negative" (absent: neither). Returns
    (cs, top, labels): the top emotion is the strongest cs key the sentiment allows; keys the
    sentiment does not allow are capped below it; labels of the opposite polarity are dropped,
    and "neutral" is kept only on a reading shown as neutral. A neutral reading that leans
    (``lean``: "negative" when p(neg) > p(pos), "positive" when p(pos) > p(neg)) is never shown
    as an emotion of the other side ("4 days late now" read neutral is not chipped Happy).
    """
    out = dict(cs)
    if not out:
        return out, None, labels
    allowed = ALLOWED_TOP.get(sentiment)
    if allowed is None and lean in ("negative", "positive"):
        allowed = frozenset(CS_KEYS) - (POSITIVE_CS if lean == "negative" else NEGATIVE_CS)
    if allowed is None:
        top = max(out, key=lambda k: out[k])
    else:
        candidates = [k for k in out if k in allowed]
        fallback = FALLBACK_TOP.get(sentiment, "neutral")
        top = max(candidates, key=lambda k: out[k]) if candidates else fallback
        if out.get(top, 0.0) <= 0.0:
            top = fallback
        # rounded down: a ceiling rounded up could lift a capped key above a tiny top score
        ceiling = math.floor(CONTRADICTION_CAP * out.get(top, 0.0) * 1e4) / 1e4
        for k in out:
            if k not in allowed and k != top:
                out[k] = min(out[k], ceiling)
    opposite = {"negative": "positive", "positive": "negative"}.get(sentiment)
    kept = [
        lab
        for lab in labels
        if label_polarity.get(lab) != opposite and (lab != "neutral" or top == "neutral")
    ]
    return out, top, kept
