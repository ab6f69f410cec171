"""Suggested empathetic reply: acknowledge the feeling, apologise where due, name the issue, give
the next step. Pure function of a small context, so it is deterministic and easy to test.

The reply follows what the customer wants (the reading's intent: a churn threat, a refund, a
privacy request...) and how they feel. A suggestion never claims an action nobody took ("I've
reset", "refund issued", "I've cancelled"): the agent has not done anything yet when it is
shown, so every next step says what the agent will do or is checking. Nothing promotional
(offers, discounts) goes into a reply: an upset or leaving customer hears a fix, not a sale.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from heartline.emotion import service as emotion_service

# Complaint reasons we can name from the customer's own words, when the mood service has not
# named one. Order matters: the first hit wins. (reason key, pattern, how we say it, next step)
ISSUES: tuple[tuple[str, str, str, str], ...] = (
    (
        "delivery_delay",
        r"\b(?:late|delay\w*|still (?:not|hasn't|haven't) (?:arrived|come)|"
        r"where is my (?:order|parcel|package)|\d+ (?:days|weeks) and still nothing|still nothing|"
        r"not (?:arrived|delivered)|never (?:arrived|came)|tracking)\b",
        "the delay with your order",
        "I'll ask our shipping team to trace it today, and I'll message you with what they find "
        "by tomorrow.",
    ),
    (
        "damaged_or_wrong_item",
        r"\b(?:broken|damaged|cracked|smashed|defective|faulty|doesn't work|does not work|"
        r"stopped working)\b",
        "the damaged item you received",
        "I'll check what happened and sort out a replacement with you; a photo of the damage "
        "would help me move it along.",
    ),
    (
        "damaged_or_wrong_item",
        r"\bwrong (?:item|size|colou?r|product|order)\b|\bnot what i ordered\b",
        "receiving the wrong item",
        "I'll check what went wrong and arrange the right item for you, and how to return the "
        "wrong one.",
    ),
    (
        "billing_refund",
        r"\b(?:charged twice|double charged|overcharged|charged|refund\w*|invoice|billing|"
        r"payment)\b",
        "the problem with your payment",
        "I'm checking this with our billing team now, and I'll come back to you with what we "
        "find and any refund due.",
    ),
    (
        "account_login",
        r"\b(?:log ?in|sign ?in|password|locked out|account)\b",
        "the trouble getting into your account",
        "I'll check your account access on our side and stay on this until you're back in.",
    ),
    (
        "support_wait",
        r"\b(?:no (?:one|body) (?:answers|replied|responds|got back)|nobody answers|no reply|"
        r"no response|"
        r"ignored|waiting for (?:days|weeks|a week))\b",
        "the wait to hear back from us",
        "I'll look after this personally from now on, and you'll hear from me directly.",
    ),
    (
        "product_quality",
        r"\b(?:poor quality|cheap|disappoint\w*|not as described)\b",
        "the product not living up to what you expected",
        "I'll go through the options with you, a replacement or a refund, whichever suits you.",
    ),
    (
        "cancellation",
        r"\bcancel\w*\b|\bclose my account\b",
        "your wish to cancel",
        "I'll look at your request today, and if something went wrong I'd like to put it right "
        "first; if you still want to cancel, I'll help you with that.",
    ),
)
# Reasons the mood service names (mood.complaints.REASONS), phrased for a customer; first wins.
REASON_PHRASES: dict[str, tuple[str, str]] = {}
for _key, _, _say, _step in ISSUES:
    REASON_PHRASES.setdefault(_key, (_say, _step))
# The mood service does not say which of the two it was.
REASON_PHRASES["damaged_or_wrong_item"] = (
    "the problem with the item you received",
    "I'll check what happened and sort out a replacement or the right item with you.",
)
_ISSUES = tuple((key, re.compile(rx, re.IGNORECASE), say, step) for key, rx, say, step in ISSUES)

ACKNOWLEDGE = {
    "anger": "I can completely understand why you're angry.",
    "frustration": "I can hear how frustrating this has been.",
    "disappointment": "I'm really sorry to have let you down.",
    "sadness": "I'm so sorry you've been going through this.",
    "anxiety": "I understand this is worrying, and I want to put your mind at rest.",
    "confusion": "Thanks for flagging this — I can see how this was confusing.",
    "surprise": "Thanks for letting us know.",
    "neutral": "Thanks for getting in touch.",
    "joy": "That's wonderful to hear!",
    "gratitude": "Thank you so much for your kind words.",
    "satisfaction": "I'm really glad to hear that.",
}
NEGATIVE = {"anger", "frustration", "disappointment", "sadness", "anxiety"}
POSITIVE = {"joy", "gratitude", "satisfaction"}

# What the customer wants (taxonomy.INTENTS), when the reading says so confidently: how we name
# it and the next step. Intents without an entry (praise, other) keep the feeling-led reply.
INTENT_REPLIES: dict[str, tuple[str, str]] = {
    "churn_threat": (
        "how things have gone, to the point that you're thinking of leaving",
        "I'd like to understand what went wrong and put it right. If you'd still rather leave, "
        "tell me and I'll help you with that too: it's your call.",
    ),
    "refund_return": (
        "the trouble with your refund",
        "I'm checking on your refund now, and I'll let you know today where it stands.",
    ),
    "order_status": (
        "the wait for your order",
        "I'm checking where your order is now, and I'll update you today.",
    ),
    "delivery_problem": REASON_PHRASES["delivery_delay"],
    "damaged_wrong_item": REASON_PHRASES["damaged_or_wrong_item"],
    "billing": (
        "the problem with your bill",
        "I'm checking your billing with our team now, and I'll come back to you with what we find.",
    ),
    "account_access": REASON_PHRASES["account_login"],
    "product_question": (
        "the question about the product",
        "I'll check the details and come back to you today.",
    ),
    "privacy_request": (
        "your request about your data",
        "Our team will handle your privacy request and confirm to you when it's done; until "
        "then, we won't send you any marketing.",
    ),
}
# An intent that is itself a reason to apologise, whatever the emotion reads.
UPSET_INTENTS = {"churn_threat"}


@dataclass
class ReplyContext:
    """What the suggestion is built from."""

    customer_name: str = ""
    message: str = ""
    top_emotion: str | None = None
    sentiment: str | None = None
    complaint_reason: str | None = None  # from the mood service, when it knows one
    intent: str | None = None  # taxonomy.INTENTS, only when the reading is confident
    repeat_issue: bool = False  # the same problem happened before
    agent_name: str = ""
    language: str = "en"  # the customer's message, as its reading detected it


@dataclass
class Suggestion:
    """A suggested reply and the parts it is built from (shown so the agent sees why)."""

    text: str
    emotion: str
    issue: str | None
    issue_key: str | None
    parts: dict[str, str] = field(default_factory=dict)
    language: str = "en"  # the language the suggestion is written in (always English today)
    note: str = ""  # what the agent must know before using it (e.g. the customer's language)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return asdict(self)


def first_name(name: str) -> str:
    """The first word of a name, or 'there' when we have none."""
    parts = (name or "").split()
    return parts[0] if parts else "there"


def detect_issue(text: str) -> tuple[str, str, str] | None:
    """(key, phrase, next step) of the first complaint reason named in the text, if any."""
    for key, rx, say, step in _ISSUES:
        if rx.search(text or ""):
            return key, say, step
    return None


def _emotion(ctx: ReplyContext) -> str:
    if ctx.top_emotion in ACKNOWLEDGE:
        emotion = str(ctx.top_emotion)
        # A positive top emotion under a negative reading (sarcasm, "thanks for nothing"):
        # "I'm really glad to hear that" would mock the customer.
        if emotion in POSITIVE and (ctx.sentiment == "negative" or ctx.intent in UPSET_INTENTS):
            return "frustration"
        return emotion
    if ctx.intent in UPSET_INTENTS:
        return "disappointment"
    return {"negative": "frustration", "positive": "satisfaction"}.get(
        ctx.sentiment or "", "neutral"
    )


def suggest_reply(ctx: ReplyContext) -> Suggestion:
    """An empathetic reply for the customer's latest message."""
    emotion = _emotion(ctx)
    name = first_name(ctx.customer_name)
    issue = _issue(ctx, emotion)
    wanted = INTENT_REPLIES.get(ctx.intent or "")
    if wanted is not None:
        # What they ask for decides the next step; a complaint named in their words still
        # names the issue (and for a churn threat, that it has them thinking of leaving).
        say, step = wanted
        if issue is not None and ctx.intent == "churn_threat":
            say = f"{issue[1]}, and that it has you thinking of leaving"
        elif issue is not None and ctx.intent != "privacy_request":
            say = issue[1]
        issue = (issue[0] if issue else str(ctx.intent), say, step)
    ack = ACKNOWLEDGE[emotion]
    if ctx.intent == "privacy_request" and emotion not in NEGATIVE:
        ack = "Thank you for letting us know."  # not "thanks for your kind words"
    parts: dict[str, str] = {"acknowledge": ack.format(name=name)}
    upset = emotion in NEGATIVE or ctx.sentiment == "negative" or ctx.intent in UPSET_INTENTS
    if upset:
        about = issue[1] if issue else "what happened"
        if ctx.intent == "privacy_request":
            about = "the trouble this has caused you"  # not "sorry about your request"
        again = " — and I know this isn't the first time" if ctx.repeat_issue else ""
        # Do not say sorry twice when the acknowledgement already did.
        lead = "I apologise for" if "sorry" in parts["acknowledge"].lower() else "I'm sorry about"
        parts["apologise"] = f"{lead} {about}{again}; that's not the experience we want for you."
        parts["next_step"] = (
            issue[2] if issue else "I'm looking into this now and I'll update you today."
        )
    elif wanted is not None:
        parts["next_step"] = wanted[1]
    elif emotion in POSITIVE:
        parts["next_step"] = "If there's anything else we can do for you, just reply here."
    else:
        parts["next_step"] = "I'm looking into this now and I'll get back to you today."
    sign = f"\n\n{first_name(ctx.agent_name)}" if ctx.agent_name else ""
    text = " ".join(parts.values()) + sign
    return Suggestion(
        text=f"Hi {name},\n\n{text}",
        emotion=emotion,
        issue=issue[1] if issue else None,
        issue_key=issue[0] if issue else None,
        parts=parts,
        note=_language_note(ctx.language),
    )


def _issue(ctx: ReplyContext, emotion: str) -> tuple[str, str, str] | None:
    """(key, how we name it, our next step) of what went wrong: the complaint reason's, else
    one found in the words of an upset message; None when nothing did."""
    issue: tuple[str, str, str] | None = None
    if ctx.complaint_reason:
        reason = ctx.complaint_reason.strip()
        known = REASON_PHRASES.get(reason.lower().replace(" ", "_"))
        if known:
            issue = (reason, *known)
        elif reason != "other":
            issue = (
                reason,
                reason.replace("_", " "),
                "I'm looking into it now and I'll update you today.",
            )
        if issue is None and (emotion in NEGATIVE or ctx.sentiment == "negative"):
            issue = detect_issue(ctx.message)
    elif emotion in NEGATIVE or ctx.sentiment == "negative":
        issue = detect_issue(ctx.message)
    return issue


def _language_note(language: str) -> str:
    """Suggestions are written in English: say so when the customer wrote in another language."""
    if not language or language == "en":
        return ""
    name = emotion_service.name_of(language)
    return (
        f"The customer wrote in {name}; suggested replies are written in English "
        f"only. Reply in {name}: use this as the outline, not the words."
    )
