"""The issue's seed sentences, read by the neural engine."""

from __future__ import annotations

from heartline.emotion.neural import NeuralEngine


def one(engine: NeuralEngine, text: str):
    return engine.analyze_many([text])[0]


def test_sarcastic_delay_is_negative_and_reviewed(neural: NeuralEngine) -> None:
    r = one(neural, "Great, another delay.")
    assert r.sentiment == "negative"
    assert r.sarcasm >= neural.sarcasm_threshold
    assert "possible_sarcasm" in r.review_reasons
    assert r.needs_review


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
