"""Suggested replies follow the intent and the feeling, and never claim an action nobody took.

The HTTP test makes the reading deterministic by monkeypatching the engine's analyze_many
(tests/cs_intents: the real reading with the intent fields replaced via dataclasses.replace)."""

from __future__ import annotations

import itertools
import re

import pytest

from heartline.assist import suggest
from heartline.assist.suggest import ReplyContext, suggest_reply
from heartline.assist.tone import check_tone
from heartline.emotion.taxonomy import INTENTS
from tests.cs_intents import cs, read_as

# Wording that says something was already done: a suggestion is shown before the agent has
# done anything, so it may only say what they will do or are checking.
CLAIMED = re.compile(
    r"\b(?:I|we)(?:'ve| have)\b"
    r"|\b(?:I|we) (?:cancell?ed|refunded|reset|issued|sent|processed|arranged|raised|"
    r"escalated|fixed|resolved|shipped|credited|deleted|erased|removed|unsubscribed)\b"
    r"|\b(?:has|have|was|were|is|are) been (?:\w+ )?(?:cancell?ed|refunded|reset|issued|sent|"
    r"processed|arranged|shipped|fixed|resolved|credited|deleted|erased|removed)\b"
    r"|\b(?:refund|replacement|cancellation|reset)s? (?:is|was|has been) (?:issued|processed|"
    r"done|complete|on its way)\b"
    r"|\b(?:is|are) on (?:its|their) way\b|\bI'm sending\b",
    re.IGNORECASE,
)
PROMOTIONAL = re.compile(r"%|\b(?:discount|coupon|offer|promo|voucher|code|deal)\b", re.IGNORECASE)
EMOTIONS = sorted(suggest.ACKNOWLEDGE)
SENTIMENTS = ("negative", "neutral", "positive", None)


def _templates() -> list[str]:
    """Every sentence a suggestion can be built from."""
    texts = [step for _, _, _, step in suggest.ISSUES]
    texts += [step for _, step in suggest.REASON_PHRASES.values()]
    texts += [f"{say} {step}" for say, step in suggest.INTENT_REPLIES.values()]
    texts += list(suggest.ACKNOWLEDGE.values())
    return texts


def test_the_claim_detector_catches_claims():
    for claim in (
        "I've reset the access on our side.",
        "Your refund has been issued.",
        "I cancelled your subscription.",
        "Your replacement is on its way.",
        "We have processed the refund.",
    ):
        assert CLAIMED.search(claim), claim
    assert not CLAIMED.search("I'll check your account access and I'm checking the refund now.")


def test_no_template_claims_an_action_nobody_took():
    bad = [t for t in _templates() if CLAIMED.search(t)]
    assert bad == []


@pytest.mark.parametrize("intent", [None, *INTENTS])
def test_no_built_reply_claims_an_action_or_mocks_a_negative_reading(intent):
    messages = ("", "My parcel is late and I was charged twice. I can't log in.")
    for emotion, sentiment, message, repeat in itertools.product(
        EMOTIONS, SENTIMENTS, messages, (False, True)
    ):
        s = suggest_reply(
            ReplyContext(
                customer_name="Ada",
                top_emotion=emotion,
                sentiment=sentiment,
                intent=intent,
                message=message,
                repeat_issue=repeat,
            )
        )
        assert not CLAIMED.search(s.text), (intent, emotion, sentiment, s.text)
        if sentiment == "negative" or intent == "churn_threat":
            assert "glad to hear" not in s.text and "wonderful to hear" not in s.text, s.text
            assert "kind words" not in s.text, s.text


def test_a_churn_threat_gets_an_acknowledging_retention_reply_without_a_sales_pitch():
    s = suggest_reply(
        ReplyContext(
            customer_name="Ada",
            top_emotion="neutral",
            sentiment="neutral",
            intent="churn_threat",
            message="Please close my account.",
        )
    )
    assert "thinking of leaving" in s.parts["apologise"]
    assert "put it right" in s.parts["next_step"] and "help you with that" in s.parts["next_step"]
    assert not PROMOTIONAL.search(s.text), s.text
    assert check_tone(s.text).verdict == "warm"


def test_a_refund_request_is_checked_not_promised():
    s = suggest_reply(
        ReplyContext(sentiment="negative", top_emotion="frustration", intent="refund_return")
    )
    assert "checking on your refund" in s.parts["next_step"]
    assert s.issue_key == "refund_return"


def test_a_privacy_request_is_acknowledged_and_handed_to_the_team():
    s = suggest_reply(
        ReplyContext(top_emotion="gratitude", sentiment="positive", intent="privacy_request")
    )
    assert s.parts["acknowledge"] == "Thank you for letting us know."
    assert "Our team will handle your privacy request" in s.parts["next_step"]
    assert not PROMOTIONAL.search(s.text)


def test_sarcastic_praise_on_a_negative_reading_is_not_welcomed():
    s = suggest_reply(
        ReplyContext(top_emotion="satisfaction", sentiment="negative", message="Great, late again")
    )
    assert not s.parts["acknowledge"].startswith("I'm really glad")
    assert s.emotion == "frustration" and "apologise" in s.parts


def test_suggest_reply_api_follows_the_churn_threat(api, api_as, customer, monkeypatch):
    text = "Third late parcel. I'm cancelling and going elsewhere."
    read_as(monkeypatch, {text: cs("churn_threat", confidence=0.9)})
    r = api.post(
        "/interactions", json={"customer_id": customer["id"], "channel": "email", "text": text}
    )
    conv = r.json()["conversation_id"]
    body = api_as("agent").post("/assist/suggest-reply", json={"conversation_id": conv}).json()
    assert body["text"].startswith("Hi Ada,")
    assert "thinking of leaving" in body["text"] and "put it right" in body["text"]
    assert not CLAIMED.search(body["text"]) and not PROMOTIONAL.search(body["text"])
