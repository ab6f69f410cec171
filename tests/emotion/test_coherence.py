"""One coherent reading: chip, sentiment, labels, cs view and top emotion never contradict.

Properties, not examples: the composition rule is checked over generated head outputs, and the
shipped engine over thousands of generated messages (support phrases, praise, greetings,
sign-offs and noise words drawn at random and joined into one-line and multi-line messages).
"""

from __future__ import annotations

import random

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from heartline.emotion import compose
from heartline.emotion.reading import Reading
from heartline.emotion.taxonomy import (
    CS_EMOTIONS,
    EMOTIONS,
    INTENTS,
    LABEL_POLARITY,
    NEGATIVE_CS,
    POSITIVE_CS,
    SENTIMENTS,
    SEVERITIES,
)
from heartline.web.render import mood_chip

OPPOSITE = {"negative": "positive", "positive": "negative"}
GREEN, WARM = {"mood-green"}, {"mood-red", "mood-amber"}


def assert_coherent(
    sentiment: str | None, cs: dict, top: str | None, labels: list[str], lean: str | None = None
) -> None:
    """The invariants every reading (and every sentence of one) holds."""
    if sentiment is None:
        return
    if sentiment == "neutral" and lean == "negative":
        assert top not in POSITIVE_CS, (lean, top)
    if sentiment == "neutral" and lean == "positive":
        assert top not in NEGATIVE_CS, (lean, top)
    if cs:
        assert top is not None
        assert cs[top] >= max(cs.values()) - 1e-9, (top, cs)
    if sentiment == "negative":
        assert top not in POSITIVE_CS and top != "neutral", (sentiment, top)
        assert mood_chip(top, sentiment)["css"] not in GREEN
    if sentiment == "positive":
        assert top not in NEGATIVE_CS and top != "neutral", (sentiment, top)
        assert mood_chip(top, sentiment)["css"] not in WARM
    if "neutral" in labels:
        assert top == "neutral", (top, labels)
    opposite = OPPOSITE.get(sentiment)
    assert not [lab for lab in labels if LABEL_POLARITY.get(lab) == opposite], (sentiment, labels)


def assert_reading(r: Reading, complaint_at: float = 0.5) -> None:
    """A whole reading: its own fields, each sentence, and the customer-service acts."""
    if r.sentiment is None:
        return
    scores = r.sentiment_scores
    assert r.sentiment == max(scores, key=lambda k: scores[k])
    lean = (
        "negative"
        if scores["negative"] > scores["positive"]
        else "positive"
        if scores["positive"] > scores["negative"]
        else None
    )
    assert_coherent(r.sentiment, r.cs_emotions, r.top_emotion, r.labels, lean)
    for d in r.sentences:
        assert_coherent(d["sentiment"], {}, d["top_emotion"], [])
        if d["sentiment"] == "negative":
            assert d["top_emotion"] not in POSITIVE_CS
        if d["sentiment"] == "positive":
            assert d["top_emotion"] not in NEGATIVE_CS
    if r.intent is not None:
        assert r.intent in INTENTS
        assert r.complaint_severity in SEVERITIES
        assert (r.complaint_severity == "none") == (r.complaint < complaint_at)
        assert abs(r.intent_confidence - max(r.intent_scores.values())) < 1e-3


probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=3000, deadline=None)
@given(
    sentiment=st.sampled_from(SENTIMENTS),
    values=st.lists(probability, min_size=len(CS_EMOTIONS), max_size=len(CS_EMOTIONS)),
    labels=st.lists(st.sampled_from(EMOTIONS), unique=True, max_size=6),
    lean=st.sampled_from([None, "negative", "positive"]),
)
# found by this test: a ceiling rounded up lifted a capped key above a tiny top score
@example(
    sentiment="positive",
    values=[1e-4 if k == "anger" else 6.1e-05 if k == "satisfaction" else 0.0 for k in CS_EMOTIONS],
    labels=[],
    lean=None,
)
def test_composition_never_contradicts(
    sentiment: str, values: list, labels: list, lean: str | None
) -> None:
    cs = dict(zip(CS_EMOTIONS, values, strict=True))
    out, top, kept = compose.coherent(sentiment, cs, labels, LABEL_POLARITY, lean=lean)
    assert_coherent(sentiment, out, top, kept, lean)
    # only contradicting keys are lowered, never raised; nothing else moves
    for k in CS_EMOTIONS:
        assert out[k] <= cs[k] + 1e-9
        if sentiment == "neutral" and lean is None:
            assert out[k] == cs[k]
    assert set(kept) <= set(labels)


FRAGMENTS = (
    "Hello team,", "Hi Anna,", "Dear support,", "Regards, Finn", "Cheers, Arjun", "Thanks,",
    "Thank you so much!", "great service", "amazing", "thanks a lot", "I love it",
    "my order is late", "still waiting", "it arrived broken", "refund me", "I'm done",
    "close my account", "where is my parcel", "the app crashes", "not ordering again",
    "delete my data", "well done", "you fixed it", "never again", "another delay", "ok",
    "the invoice is wrong", "can't log in", "how do I", "3 weeks", "again", "!!", "?",
    "switching to another bank", "wonderful", "terrible", "fine", "so happy", "angry",
)  # fmt: skip


def generated_messages(n: int, seed: int) -> list[str]:
    """Random support-like messages: fragments joined by spaces, punctuation or new lines."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = rng.choices(FRAGMENTS, k=rng.randint(1, 6))
        seps = [rng.choice([" ", ". ", ", ", "\n", "! "]) for _ in parts]
        out.append("".join(p + s for p, s in zip(parts, seps, strict=True)).strip())
    return out


def test_shipped_engine_readings_are_coherent(neural) -> None:
    texts = generated_messages(2000, seed=7)
    readings = neural.analyze_many(texts, with_evidence=False)
    for text, r in zip(texts, readings, strict=True):
        try:
            assert_reading(r, neural.complaint_at)
        except AssertionError as exc:  # name the message that broke it
            raise AssertionError(f"{text!r}: {exc}") from exc


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_text_reads_coherently(neural, text: str) -> None:
    assert_reading(neural.analyze_many([text])[0], neural.complaint_at)


def test_lexicon_readings_are_coherent(lexicon) -> None:
    for r in lexicon.analyze_many(generated_messages(300, seed=3)):
        assert_reading(r)


def test_contradicting_scores_are_capped_below_the_top() -> None:
    cs = {k: 0.0 for k in CS_EMOTIONS} | {"gratitude": 0.9, "frustration": 0.4}
    out, top, labels = compose.coherent("negative", cs, ["gratitude", "neutral"], LABEL_POLARITY)
    assert top == "frustration" and out["gratitude"] < out["frustration"]
    assert labels == []
    assert np.isclose(out["frustration"], 0.4)


# Greeting and closing forms built from parts (not a list of training sentences): a salutation,
# an optional address, punctuation; a closing formula, an optional name.
SALUTE = st.sampled_from(["Hi", "Hello", "Hey", "Dear", "Good morning", "Good evening", "Hiya"])
ADDRESS = st.sampled_from(["", " team", " support team", " Heartline team", " Sam", " all"])
CLOSE = st.sampled_from(
    ["Regards", "Kind regards", "Best", "Best regards", "Cheers", "Thanks", "Thank you",
     "Many thanks", "Sincerely", "Warm regards", "Thanks again"]
)  # fmt: skip
NAME = st.sampled_from(["", " Finn", " Clara", " Arjun", " J. Smith", " Mrs Patel"])
BODIES = (
    "I'm done. Please close my account.", "I've found another shop. Don't bother replying.",
    "Not ordering from you again. Too many problems.", "My parcel is two weeks late.",
    "The blender arrived broken.", "Where is my refund?", "I love the new jacket.",
    "Can I change my delivery address?", "You charged me twice for one order.",
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    body=st.sampled_from(BODIES),
    salute=SALUTE,
    address=ADDRESS,
    close=CLOSE,
    name=NAME,
    newline=st.booleans(),
)
def test_greetings_and_sign_offs_never_drive_the_reading(
    neural, body: str, salute: str, address: str, close: str, name: str, newline: bool
) -> None:
    sep = "\n" if newline else " "
    wrapped = f"{salute}{address},{sep}{body}{sep}{close},{name}".rstrip(",")
    plain, polite = neural.analyze_many([body]), neural.analyze_many([wrapped])
    a, b = plain[0], polite[0]
    assert (b.sentiment, b.top_emotion, b.intent) == (a.sentiment, a.top_emotion, a.intent)
    assert b.sentiment_scores == a.sentiment_scores
    for ev in b.evidence:  # evidence points into the body, never at the formulas
        assert wrapped[ev["start"] : ev["end"]] in body
