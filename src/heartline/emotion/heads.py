"""The neural model's head probabilities as a reading's values (numpy only): sentences combined
into one message, the sentiment's lean, the customer-service acts (complaint, severity, intent),
each sentence's detail, and the per-row scores evidence explains."""

from __future__ import annotations

from typing import Any

import numpy as np

from heartline.emotion import compose, language
from heartline.emotion.taxonomy import (
    CS_EMOTIONS,
    EMOTIONS,
    INTENTS,
    LABEL_POLARITY,
    SENTIMENTS,
    SEVERITIES,
    cs_array,
    cs_from_emotions,
    with_sentiment,
)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    e = np.exp(x - x.max(-1, keepdims=True))
    out: np.ndarray = e / e.sum(-1, keepdims=True)
    return out


def aggregate(
    emo: np.ndarray, sent: np.ndarray, sarc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Combine sentence readings: emotions by max (neutral by min), sentiment by a weighted mean
    where polar sentences weigh more, sarcasm by max; mixed when sentences disagree strongly."""
    e = emo.max(0)
    e[EMOTIONS.index("neutral")] = emo[:, EMOTIONS.index("neutral")].min()
    w = 0.25 + (1.0 - sent[:, 1])
    s = (sent * w[:, None]).sum(0) / w.sum()
    mixed = bool((sent[:, 0] >= 0.5).any() and (sent[:, 2] >= 0.5).any())
    return e, s, float(sarc.max()), mixed


def lean(s: np.ndarray) -> str:
    """Which side a sentiment row leans to, whatever its top class."""
    return "negative" if s[0] > s[2] else "positive" if s[2] > s[0] else "neutral"


def sentiment_scores(s: np.ndarray) -> dict[str, float]:
    """A sentiment row as rounded scores by label."""
    return rounded(dict(zip(SENTIMENTS, s.tolist(), strict=True)))


def rounded(d: dict[str, float]) -> dict[str, float]:
    """Scores rounded to 4 places (as readings store them)."""
    return {k: round(float(v), 4) for k, v in d.items()}


def sentence_detail(
    text: str,
    spans: list[tuple[int, int]],
    probs: tuple[np.ndarray, np.ndarray, np.ndarray],
    thr: dict[str, float],
    lang: str,
) -> list[dict[str, Any]]:
    """Each sentence's own reading in brief (a long message's ``sentences``); ``probs`` holds
    the sentences' (emotions, sentiment, sarcasm) rows."""
    detail: list[dict[str, Any]] = []
    for (a, b), ei, si, zi in zip(spans, *probs, strict=True):
        _, top_i, _ = compose.coherent(
            SENTIMENTS[int(si.argmax())],
            with_sentiment(
                cs_from_emotions(dict(zip(EMOTIONS, ei.tolist(), strict=True)), thr),
                *si.tolist(),
            ),
            [],
            LABEL_POLARITY,
            lean=lean(si),
        )
        detail.append({
            "text": text[a:b], "start": a, "end": b,
            "sentiment": SENTIMENTS[int(si.argmax())], "sentiment_scores": sentiment_scores(si),
            "valence": round(float(si[2] - si[0]), 4), "top_emotion": top_i,
            "sarcasm": round(float(zi), 4),
            "language": language.detect_language(text[a:b]) if lang != "en" else "en",
        })  # fmt: skip
    return detail


def acts(
    probs: dict[str, np.ndarray], idx: list[int], sentiment: str, complaint_at: float
) -> dict[str, Any]:
    """Complaint, severity and intent of a message (its sentences ``idx`` combined); empty for
    models without those heads."""
    if "complaint" not in probs:
        return {}
    pc, pi = probs["complaint"][idx], probs["intent"][idx]
    # the most complaining sentence speaks for the message
    k = int(np.argmin(pc[:, 0]))
    complaint = round(float(1.0 - pc[k, 0]), 4)  # decided on the value the reading shows
    severity = "none"
    if complaint >= complaint_at:
        severity = SEVERITIES[1 + int(pc[k, 1:].argmax())]
    # an intent stated in any sentence is the message's ("Thanks. Close my account.");
    # "other" only when no sentence states one
    other = INTENTS.index("other")
    scores = pi.max(0)
    scores[other] = pi[:, other].min()
    if sentiment == "negative":  # praise on a negative reading is sarcasm, not thanks
        scores[INTENTS.index("praise")] = 0.0
    scores = scores / scores.sum()
    j = int(scores.argmax())
    return {
        "complaint": complaint,
        "complaint_severity": severity,
        "intent": INTENTS[j],
        "intent_confidence": round(float(scores[j]), 4),
        "intent_scores": rounded(dict(zip(INTENTS, scores.tolist(), strict=True))),
    }


def target_scores(
    target: str, emo: np.ndarray, sent: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """Per-row score of an evidence target: a cs key (scored exactly as in the reading's cs
    view, ``taxonomy.cs_array``), or "sentiment:<label>"."""
    if target.startswith("sentiment:"):
        col: np.ndarray = np.asarray(sent)[:, SENTIMENTS.index(target.split(":", 1)[1])]
        return col
    return cs_array(emo, sent, thresholds)[:, CS_EMOTIONS.index(target)]
