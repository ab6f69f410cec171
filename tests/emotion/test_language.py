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


# languages no model of Heartline reads (measured or not at all): flagged, never guessed
UNREAD = {
    "nl": "Hallo, mijn bestelling is nog steeds niet aangekomen en niemand reageert op mijn mails.",
    "sv": "Hej, min beställning har fortfarande inte kommit och ingen svarar på mina mejl.",
    "ja": "注文した商品がまだ届きません。誰も返事をくれません。",
}


def _unread(r) -> None:
    assert r.language != "en"
    assert r.sentiment is None and r.emotions == {} and r.cs_emotions == {}
    assert r.needs_review and "unsupported_language" in r.review_reasons


@pytest.mark.parametrize(("code", "text"), UNREAD.items())
def test_unread_language_is_flagged_not_guessed(neural: NeuralEngine, code: str, text) -> None:
    assert code not in neural.supported_languages
    r = neural.analyze_many([text])[0]
    assert r.language == code
    _unread(r)


@pytest.mark.parametrize("text", FOREIGN.values())
def test_lexicon_reads_english_only(lexicon: LexiconEngine, text) -> None:
    _unread(lexicon.analyze_many([text])[0])


def test_short_english_is_scored(neural: NeuralEngine) -> None:
    r = neural.analyze_many(["ok thanks"])[0]
    assert r.language == "en" and r.sentiment is not None
