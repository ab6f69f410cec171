"""Tone check: cold, scripted and defensive drafts are flagged; warm ones pass."""

from __future__ import annotations

import pytest

from heartline.assist.tone import check_tone

COLD = "Per our policy, please return the item with receipt."
WARM = (
    "Hi Ada, I'm so sorry your order arrived late — that's not the experience we want for you. "
    "I've refunded the shipping and I'll check with the warehouse today and update you by 5pm."
)


def test_policy_draft_is_flagged_cold_with_the_phrase_located():
    result = check_tone(COLD)
    assert result.verdict == "cold"
    kinds = {f.kind for f in result.flags}
    assert "scripted" in kinds and "cold" in kinds
    policy = next(f for f in result.flags if f.kind == "scripted")
    assert COLD[policy.start : policy.end].lower().startswith("per our policy")
    # The warmer version drops the policy wording and acknowledges the customer.
    assert "policy" not in result.rewrite.lower()
    assert "sorry" in result.rewrite.lower()


def test_warm_draft_passes():
    result = check_tone(WARM)
    assert result.verdict == "warm", result.flags
    assert result.score >= 80
    assert result.rewrite == ""


@pytest.mark.parametrize(
    "draft, kind",
    [
        ("It is not our fault the courier was late, there is nothing we can do.", "defensive"),
        ("You should have read the instructions before ordering.", "blaming"),
        ("Please calm down. Kindly note that refunds take 10 days.", "cold"),
        (
            "We apologize for any inconvenience. Please be advised the item is out of stock.",
            "scripted",
        ),
    ],
)
def test_problem_wording_is_flagged(draft, kind):
    result = check_tone(draft)
    assert kind in {f.kind for f in result.flags}
    assert result.verdict in ("cold", "ok")
    assert result.score < check_tone(WARM).score


def test_overlapping_rules_give_one_flag():
    result = check_tone("You must calm down.")
    spans = [(f.start, f.end) for f in result.flags if f.start >= 0]
    assert spans == [(0, len("You must calm down"))]


def test_deterministic_and_empty():
    assert check_tone(COLD).to_dict() == check_tone(COLD).to_dict()
    empty = check_tone("   ")
    assert empty.flags == [] and empty.verdict == "ok"


def test_missing_acknowledgement_only_matters_when_customer_is_upset():
    draft = "Your replacement ships today and I'll send the tracking link tonight."
    upset = {f.message for f in check_tone(draft, customer_upset=True).flags}
    calm = {f.message for f in check_tone(draft, customer_upset=False).flags}
    assert any("acknowledgement" in m for m in upset)
    assert not any("acknowledgement" in m for m in calm)


def test_a_draft_in_another_language_is_not_judged_by_english_rules():
    result = check_tone("Hallo Jonas, es tut mir leid, das Paket kommt morgen bei Ihnen an.")
    assert result.verdict == "unchecked" and result.language == "de"
    assert result.flags == [] and result.rewrite == ""
    assert "English only" in result.note and "German" in result.note
    assert check_tone(WARM).note == ""
