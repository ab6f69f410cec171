"""Sarcasm as contrast: positive surface wording about a negative situation.

The irony head alone (trained on 2.4k TweetEval tweets) fires on almost any upbeat short text,
so on its own it cannot tell "I love this product" from "Great, another delay.". Following
the "positive sentiment, negative situation" account of sarcasm (Riloff et al., 2013), the
engine asks the model itself what the situation is: it removes, one at a time, the words of a
positive-reading unit, takes the variant whose positivity dropped most (the praise word
removed), and reads that variant's negativity. The sarcasm score is

    p(irony) x p(positive | text) x p(negative | text without its praise word)

so a sincere compliment ("I love this product" -> "I this product": not negative) scores low,
and a complaint wrapped in praise ("Great, another delay." -> "another delay.") scores high.
The situation is read by the model and by VADER's lexicon together (the larger negativity
counts): trained on tweets and Reddit, the model often reads bare service events ("another
delay", "lost again") as neutral, while the lexicon knows those words are bad news.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from heartline.emotion import compose, textproc

_vader: Any = None


MAX_PRAISE = 3  # praise-word candidates tried per unit


def _get_vader() -> Any:
    global _vader
    if _vader is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _vader = SentimentIntensityAnalyzer()
    return _vader


def _praise_like(word: str) -> bool:
    """A word VADER's lexicon rates positive (a candidate praise word)."""
    return float(_get_vader().lexicon.get(word.lower(), 0.0)) > 0.0


def situation_negativity(text: str, p_neg: float) -> float:
    """How negative a situation reads: the larger of the model's p(negative) and VADER's."""
    return max(float(p_neg), max(0.0, -float(_get_vader().polarity_scores(text)["compound"])))


class Probe(NamedTuple):
    """What the praise-removal probe found in one unit."""

    praise: tuple[int, int]  # span of the praise word in the unit
    drop: float  # p(positive) lost when it is removed
    situation_emotions: np.ndarray  # emotion probabilities of the unit without it


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with every span removed."""
    for sp in sorted(spans, reverse=True):
        text = compose.occlude(text, sp)
    return text


def _negativity(p_neg: np.ndarray, probs: dict[str, np.ndarray]) -> np.ndarray:
    """How bad the situation reads to the model: p(negative), or the complaint head's
    p(complaint) when it has one and it is higher (a breach of expectations stated in neutral
    words, "my parcel is three weeks late", is what praise words turn into sarcasm). The intent
    head's problem intents were tried here and rejected: they name a topic, not a problem
    ("Amazing, fast delivery!" has a delivery intent)."""
    if "complaint" not in probs:
        return p_neg
    worse: np.ndarray = np.maximum(p_neg, 1.0 - probs["complaint"][:, 0])
    return worse


PROBE_MIN = 0.5  # only units that read positive and look ironic are probed (bounds the cost)
# An explicit contrast marker announces sincere mixed feelings ("Love it, but shipping was
# slow"), which the praise-removal probe would otherwise mistake for sarcasm.
_CONTRAST = re.compile(r"\b(but|however|although|though|except|yet)\b", re.IGNORECASE)


def contrast_scores(
    units: Sequence[str],
    probs: dict[str, np.ndarray],
    infer: Callable[[list[str]], dict[str, np.ndarray]],
) -> tuple[np.ndarray, dict[int, Probe]]:
    """Sarcasm score per unit (see module doc), and for each probed unit what the probe found:
    the praise span, how much positivity it carried, and the situation's emotion probabilities
    (the unit without it). One batched inference for all probes."""
    sent, irony = probs["sentiment"], probs["sarcasm"]
    # without a probe, the unit's own negativity stands in for the situation's
    # (p(negative) only: a unit that is both praised and complained about without a probe is
    # usually sincerely mixed, "Love it, but shipping was slow.")
    score = irony * sent[:, 2] * sent[:, 0]
    probe = [
        i
        for i in range(len(units))
        if sent[i, 2] >= PROBE_MIN and irony[i] >= PROBE_MIN and not _CONTRAST.search(units[i])
    ]
    variants: list[str] = []
    owners: list[tuple[int, int, list[tuple[int, int]]]] = []  # (unit, first variant, spans)
    for i in probe:
        words = textproc.words(units[i])
        # only words the lexicon calls positive are tried as the praise word: it bounds the
        # extra inferences (the model still decides what the rest of the message says)
        spans = [sp for sp in words if _praise_like(units[i][sp[0] : sp[1]])][:MAX_PRAISE]
        if not spans or len(words) < 2:  # a lone praise word has no situation
            continue
        owners.append((i, len(variants), spans))
        variants.extend(compose.occlude(units[i], sp) for sp in spans)
        if len(spans) > 1:  # "Great, another delay. Thanks a lot.": all the praise at once
            variants.append(_without(units[i], spans))
    situation: dict[int, Probe] = {}
    if not variants:
        return score, situation
    res = infer(variants)
    vs = res["sentiment"]
    neg = _negativity(vs[:, 0], res)
    for i, at, spans in owners:
        n = len(spans) + (1 if len(spans) > 1 else 0)
        block = vs[at : at + n]
        k = int(np.argmax(sent[i, 2] - block[:, 2]))  # the variant that lost the most praise
        score[i] = irony[i] * sent[i, 2] * situation_negativity(variants[at + k], neg[at + k])
        # evidence names one praise word: the variant's own, or the first when all went
        span = spans[k] if k < len(spans) else spans[0]
        situation[i] = Probe(span, float(sent[i, 2] - block[k, 2]), res["emotions"][at + k])
    return score, situation
