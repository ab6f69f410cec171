"""The issue's seed sentences, read by the neural engine."""

from __future__ import annotations

from heartline.emotion.neural import NeuralEngine


def one(engine: NeuralEngine, text: str):
    return engine.analyze_many([text])[0]


def test_sarcastic_delay_is_reviewed_and_flipped_when_sure(neural: NeuralEngine) -> None:
    """Flagged for a person always; turned negative when the score reaches the flip threshold
    (tuned on labelled sarcasm, not on this sentence: 1.2.0 scores it just below, see the
    model card). The longer sarcastic delay must read negative."""
    r = one(neural, "Great, another delay.")
    assert r.sentiment == ("negative" if r.sarcasm >= neural.flip_at else "positive")
    assert r.sarcasm >= neural.sarcasm_threshold
    assert "possible_sarcasm" in r.review_reasons
    assert r.needs_review


def test_sarcasm_with_one_more_clause_still_reads_negative(neural: NeuralEngine) -> None:
    r = one(neural, "Great, another delay. Thanks a lot.")
    assert r.sentiment == "negative" and "possible_sarcasm" in r.review_reasons
    assert r.intent != "praise"


def test_waiting_is_negative_frustrated_and_intense(neural: NeuralEngine) -> None:
    r = one(neural, "I've been waiting 3 days and still no reply.")
    assert r.sentiment == "negative"
    negative_cs = {k: v for k, v in r.cs_emotions.items() if k != "neutral"}
    assert max(negative_cs, key=negative_cs.get) in {"frustration", "disappointment", "anger"}
    assert r.cs_emotions["frustration"] >= 0.3
    assert r.intensity >= 0.5


def test_love_is_positive_joy(neural: NeuralEngine) -> None:
    r = one(neural, "I love this product")
    assert r.sentiment == "positive"
    assert r.top_emotion == "joy"
    assert "love" in r.labels
    assert not r.needs_review


def test_worst_service_is_negative_anger(neural: NeuralEngine) -> None:
    r = one(neural, "This is the worst service ever")
    assert r.sentiment == "negative"
    assert r.top_emotion == "anger"
