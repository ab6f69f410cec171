"""Non-English text is flagged unsupported, never given a made-up reading."""

from __future__ import annotations

import pytest

from heartline.emotion.language import detect_language
from heartline.emotion.lexicon import LexiconEngine
from heartline.emotion.neural import NeuralEngine

FOREIGN = {
    "fr": "Bonjour, je voudrais annuler ma commande, elle n'est jamais arrivée.",
    "es": "Hola, mi pedido no ha llegado todavía y nadie me responde.",
    "de": "Hallo, meine Bestellung ist noch nicht angekommen und niemand antwortet.",
}
ENGLISH = [
    "ok thanks", "thx", "lol", "where is my order??", "Great, another delay.",
    "Fantastic quality, fast shipping", "Worst customer service experience, terrible support",
    "Product arrived broken, refund requested",
]  # fmt: skip


@pytest.mark.parametrize(("code", "text"), FOREIGN.items())
def test_foreign_detected(code: str, text: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ENGLISH)
def test_english_not_flagged(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", FOREIGN.values())
def test_foreign_reading_is_unsupported(neural: NeuralEngine, lexicon: LexiconEngine, text) -> None:
    for eng in (neural, lexicon):
        r = eng.analyze_many([text])[0]
        assert r.language != "en"
        assert r.sentiment is None and r.emotions == {} and r.cs_emotions == {}
        assert r.needs_review and "unsupported_language" in r.review_reasons


def test_short_english_is_scored(neural: NeuralEngine) -> None:
    r = neural.analyze_many(["ok thanks"])[0]
    assert r.language == "en" and r.sentiment is not None
