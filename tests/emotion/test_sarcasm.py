"""Sarcasm is contrast: praise about a bad situation, not any upbeat text."""

from __future__ import annotations

from heartline.emotion.neural import NeuralEngine

SINCERE = ["I love this product", "Thank you so much for your help!", "ok thanks",
           "Great service, very fast delivery."]  # fmt: skip


def test_sincere_praise_is_not_sarcasm(neural: NeuralEngine) -> None:
    for r in neural.analyze_many(SINCERE):
        assert r.sentiment == "positive"
        assert r.sarcasm < neural.sarcasm_threshold
        assert "possible_sarcasm" not in r.review_reasons


def test_sarcastic_praise_points_at_praise_word(neural: NeuralEngine) -> None:
    text = "Great, another delay."
    r = neural.analyze_many([text])[0]
    assert r.top_emotion not in ("joy", "satisfaction", "gratitude")
    assert [text[e["start"] : e["end"]] for e in r.evidence] == ["Great"]


def test_contrast_marker_is_mixed_not_sarcasm(neural: NeuralEngine) -> None:
    r = neural.analyze_many(["Love it, but shipping was slow."])[0]
    assert "possible_sarcasm" not in r.review_reasons
