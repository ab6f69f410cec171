"""Evidence comes from occlusion and points at real words of the original text."""

from __future__ import annotations

from heartline.emotion.neural import NeuralEngine


def check_offsets(text: str, evidence: list[dict]) -> None:
    for ev in evidence:
        assert 0 <= ev["start"] < ev["end"] <= len(text)
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert ev["weight"] > 0


def test_worst_is_evidence(neural: NeuralEngine) -> None:
    text = "This is the worst service ever"
    r = neural.analyze_many([text])[0]
    check_offsets(text, r.evidence)
    assert "worst" in [e["text"].lower() for e in r.evidence]


def test_waiting_evidence(neural: NeuralEngine) -> None:
    text = "I've been waiting 3 days and still no reply."
    r = neural.analyze_many([text])[0]
    check_offsets(text, r.evidence)
    words = " ".join(e["text"].lower() for e in r.evidence)
    assert any(w in words for w in ("waiting", "still", "no", "reply", "days"))


def test_evidence_offsets_in_multiline_and_long_texts(neural: NeuralEngine) -> None:
    texts = [
        "Hello,\nthe app keeps crashing and I am furious.\nFix it!",
        "  I love   the new dashboard, thank you!  ",
        "I waited on hold for an hour. " * 12 + "This is disgusting service.",
    ]
    for text, r in zip(texts, neural.analyze_many(texts), strict=True):
        assert r.evidence, text
        check_offsets(text, r.evidence)


def test_no_evidence_when_asked(neural: NeuralEngine) -> None:
    r = neural.analyze_many(["This is the worst service ever"], with_evidence=False)[0]
    assert r.evidence == [] and r.sentiment == "negative"
