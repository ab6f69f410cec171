"""The lexicon engine keeps the Reading shape and says what it does not model."""

from __future__ import annotations

from heartline.emotion import Reading, get_engine
from heartline.emotion.lexicon import LexiconEngine


def test_lexicon_shape(lexicon: LexiconEngine) -> None:
    texts = ["I love this product", "This is the worst service ever", "The parcel came today."]
    out = lexicon.analyze_many(texts)
    assert [r.sentiment for r in out] == ["positive", "negative", "neutral"]
    for r, text in zip(out, texts, strict=True):
        assert r.model == "lexicon-vader@3.3.2"
        assert r.emotions == {} and r.cs_emotions == {} and r.top_emotion is None
        assert set(r.sentiment_scores) == {"negative", "neutral", "positive"}
        assert 0 <= r.confidence <= 0.7
        for ev in r.evidence:
            assert text[ev["start"] : ev["end"]] == ev["text"]
        assert Reading.from_dict(r.to_dict()) == r
    assert out[1].evidence[0]["text"] == "worst"


def test_engine_selection(monkeypatch) -> None:
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "lexicon")
    assert get_engine().model_id.startswith("lexicon-vader@")
    assert get_engine("lexicon") is get_engine("LEXICON")
