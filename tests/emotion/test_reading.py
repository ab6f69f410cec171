"""Reading schema: all labels present, JSON-safe, round-trips, documented unscored shape."""

from __future__ import annotations

import json
from pathlib import Path

from heartline.emotion import Reading, analyze, analyze_many
from heartline.emotion.neural import NeuralEngine
from heartline.emotion.taxonomy import CS_EMOTIONS, EMOTIONS

EMOTIONS_TXT = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "goemotions"


def test_labels_match_goemotions_file() -> None:
    path = EMOTIONS_TXT / "emotions.txt"
    if path.is_file():
        assert tuple(path.read_text().split()) == EMOTIONS
    assert len(EMOTIONS) == 28 and len(CS_EMOTIONS) == 11


def test_full_schema_and_round_trip(neural: NeuralEngine) -> None:
    r = neural.analyze_many(["The courier lost my parcel and nobody answers the phone."])[0]
    assert set(r.emotions) == set(EMOTIONS)
    assert set(r.cs_emotions) == set(CS_EMOTIONS)
    assert set(r.sentiment_scores) == {"negative", "neutral", "positive"}
    assert abs(sum(r.sentiment_scores.values()) - 1) < 1e-3
    assert all(0 <= v <= 1 for v in r.emotions.values())
    assert set(r.labels) <= set(EMOTIONS)
    assert r.top_emotion in CS_EMOTIONS
    assert -1 <= r.valence <= 1 and 0 <= r.intensity <= 1 and 0 <= r.confidence <= 1
    assert r.model.startswith("heartline-minilm-int8@")
    d = json.loads(json.dumps(r.to_dict()))
    assert Reading.from_dict(d) == r


def test_module_functions_use_default_engine(neural: NeuralEngine, monkeypatch) -> None:
    monkeypatch.delenv("HEARTLINE_EMOTION_ENGINE", raising=False)
    a = analyze("Thanks so much, you fixed it!")
    b = analyze_many(["Thanks so much, you fixed it!", "where is my refund"], batch_size=2)
    assert a.model == neural.model_id == b[0].model
    assert a.sentiment == b[0].sentiment == "positive"
    assert len(b) == 2


def test_empty_text_is_unscored(neural: NeuralEngine) -> None:
    for text in ("", "   ", "\n> quoted only\n"):
        r = neural.analyze_many([text])[0]
        assert r.sentiment is None and r.emotions == {} and r.top_emotion is None
        assert r.needs_review and r.review_reasons == ["empty_text"]


def test_order_preserved_in_batches(neural: NeuralEngine) -> None:
    texts = ["I love it", "Terrible, broken on arrival", "ok", "Bonjour, je veux un remboursement"]
    texts = texts * 10
    out = neural.analyze_many(texts, batch_size=3)
    single = [neural.analyze_many([t])[0] for t in texts[:4]]
    for r, s in zip(out[:4], single, strict=True):
        assert r.sentiment == s.sentiment
        # dynamic int8 quantisation scales activations per batch: tiny batch-dependent drift
        assert abs(r.valence - s.valence) < 0.02


def test_engine_choice_in_dot_env_is_honoured(monkeypatch, tmp_path) -> None:
    """HEARTLINE_EMOTION_ENGINE set in .env (not the environment) picks the engine too."""
    from heartline.config import get_settings
    from heartline.emotion import get_engine

    monkeypatch.delenv("HEARTLINE_EMOTION_ENGINE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("HEARTLINE_EMOTION_ENGINE=lexicon\n")
    get_settings.cache_clear()
    try:
        assert get_engine().model_id.startswith("lexicon-vader@")
    finally:
        get_settings.cache_clear()
