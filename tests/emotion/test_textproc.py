"""Email clean-up and sentence splitting keep offsets into the original text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from heartline.emotion import textproc
from heartline.emotion.neural import NeuralEngine

EMAIL = """Hi team,

I ordered a blender on May 3 and it still has not arrived. This is really frustrating.
Your tracking page says "delivered" but nothing is at my door!
Can you tell me where it is, and when I will get my money back?

Best regards,
Ann Smith
Acme Corp | +1 555 0100

On Tue, May 7, 2024 at 10:00 AM Support <support@example.com> wrote:
> Thanks for reaching out. We are happy to help!
> Have a wonderful day.
"""


def spans_text(text: str) -> list[str]:
    return [text[s:e] for s, e in textproc.split_sentences(text)]


def test_email_quotes_and_signature_removed() -> None:
    sents = spans_text(EMAIL)
    joined = " ".join(sents)
    assert "blender" in joined and "money back" in joined
    for gone in ("wonderful", "happy to help", "Ann Smith", "Best regards", "555", "wrote:"):
        assert gone not in joined
    assert len(sents) >= 4


def test_dash_signature_and_original_message() -> None:
    text = "Refund please.\n-- \nBob\nCEO, Bob's Boats\n"
    assert spans_text(text) == ["Refund please."]
    text = "Still broken.\n\n-----Original Message-----\nFrom: a@b.c\nAll good here!"
    assert spans_text(text) == ["Still broken."]


def test_sign_off_word_inside_text_is_kept() -> None:
    text = "Thanks,\nthe fix works and I am very happy with it. Please close the ticket."
    assert "very happy" in " ".join(spans_text(text))


def test_sentence_split_keeps_abbreviations() -> None:
    assert spans_text("I spoke to Mr. Smith yesterday. He was rude!") == [
        "I spoke to Mr. Smith yesterday.",
        "He was rude!",
    ]


@given(st.text(max_size=300))
def test_spans_always_inside_text(text: str) -> None:
    for s, e in textproc.split_sentences(text):
        assert 0 <= s < e <= len(text)
        assert text[s:e].strip() == text[s:e]


def test_email_reading_aggregates_sentences(neural: NeuralEngine) -> None:
    r = neural.analyze_many([EMAIL])[0]
    assert r.sentiment == "negative"
    assert len(r.sentences) >= 4
    for d in r.sentences:
        assert EMAIL[d["start"] : d["end"]] == d["text"]
        assert "wonderful" not in d["text"]
    assert r.top_emotion not in (None, "joy", "gratitude", "satisfaction")
