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
    text = "Great, another delay. Thanks a lot."
    r = neural.analyze_many([text])[0]
    assert r.sarcasm >= neural.flip_at
    assert r.top_emotion not in ("joy", "satisfaction", "gratitude")
    assert [text[e["start"] : e["end"]] for e in r.evidence] == ["Great"]


def test_contrast_marker_is_never_flipped(neural: NeuralEngine) -> None:
    """A stated contrast is sincerely mixed: without the praise probe its score is at most
    irony x p(pos) x p(neg) <= 0.25, under any flip threshold, so the polarity stays. (1.3.0
    scores this one 0.10, at the review threshold: a person may be asked to look.)"""
    r = neural.analyze_many(["Love it, but shipping was slow."])[0]
    assert r.sentiment == "positive" and r.sarcasm < neural.flip_at
    assert neural.flip_at > 0.25


def test_review_flag_and_flip_have_their_own_thresholds(neural: NeuralEngine, monkeypatch) -> None:
    text = "Great, another delay."
    assert neural.flip_at >= neural.sarcasm_threshold  # a flip needs the surer score
    first = neural.analyze_many([text])[0]
    assert "possible_sarcasm" in first.review_reasons
    # at or above the flip threshold the polarity turns and the flag stays
    monkeypatch.setattr(neural, "flip_at", first.sarcasm - 0.01)
    flipped = neural.analyze_many([text])[0]
    assert flipped.sentiment == "negative" and "possible_sarcasm" in flipped.review_reasons
    # a score between the two thresholds: a person decides, the reading keeps its face value
    monkeypatch.setattr(neural, "flip_at", first.sarcasm + 0.01)
    kept = neural.analyze_many([text])[0]
    assert kept.sarcasm == flipped.sarcasm
    assert "possible_sarcasm" in kept.review_reasons
    assert kept.sentiment == "positive"
