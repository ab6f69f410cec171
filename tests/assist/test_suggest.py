"""Suggested replies: acknowledge, apologise where due, name the issue, give the next step."""

from __future__ import annotations

from heartline.assist.suggest import ReplyContext, detect_issue, suggest_reply
from heartline.assist.tone import check_tone


def test_frustrated_late_order_reply_has_all_four_parts():
    s = suggest_reply(
        ReplyContext(
            customer_name="Ada Lovelace",
            sentiment="negative",
            top_emotion="frustration",
            message="My order is a week late and nobody answers!",
            agent_name="Sam Carter",
        )
    )
    assert s.text.startswith("Hi Ada,")
    assert set(s.parts) == {"acknowledge", "apologise", "next_step"}
    assert "frustrating" in s.parts["acknowledge"]
    assert "delay with your order" in s.parts["apologise"]
    assert s.issue_key == "delivery_delay"
    assert s.text.rstrip().endswith("Sam")
    # Our own suggestion passes our own tone check.
    assert check_tone(s.text).verdict == "warm"


def test_mood_reason_wins_over_text():
    s = suggest_reply(
        ReplyContext(
            customer_name="Bo",
            sentiment="negative",
            complaint_reason="billing_refund",
            message="My order is late",
        )
    )
    assert s.issue_key == "billing_refund" and "payment" in s.text


def test_unknown_mood_reason_other_falls_back_to_text():
    s = suggest_reply(
        ReplyContext(
            sentiment="negative", complaint_reason="other", message="The vase arrived broken"
        )
    )
    assert s.issue_key == "damaged_or_wrong_item"
    assert s.text.startswith("Hi there,")


def test_repeat_issue_is_acknowledged():
    s = suggest_reply(ReplyContext(sentiment="negative", message="late again", repeat_issue=True))
    assert "isn't the first time" in s.text


def test_happy_customer_gets_no_apology():
    s = suggest_reply(
        ReplyContext(customer_name="Cy", top_emotion="gratitude", message="Thanks so much!")
    )
    assert "apologise" not in s.parts and "sorry" not in s.text.lower()
    assert "Thank you" in s.text


def test_detect_issue():
    assert detect_issue("I was charged twice for one order")[0] == "billing_refund"
    assert detect_issue("I can't log in to my account")[0] == "account_login"
    assert detect_issue("lovely weather") is None


def test_sarcastic_wait_reads_as_a_delay():
    s = suggest_reply(
        ReplyContext(
            sentiment="negative", message="Wow, 8 days and still nothing. Amazing service."
        )
    )
    assert s.issue_key == "delivery_delay"


def test_suggestion_for_a_customer_writing_another_language_says_it_is_english():
    s = suggest_reply(
        ReplyContext(customer_name="Jonas Weber", sentiment="negative", language="de",
                     message="Mein Paket ist seit einer Woche überfällig.")
    )  # fmt: skip
    assert s.language == "en"
    assert "German" in s.note and "English" in s.note
    assert suggest_reply(ReplyContext(customer_name="Ada", sentiment="negative")).note == ""
