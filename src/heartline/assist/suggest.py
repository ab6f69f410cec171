"""Suggested empathetic reply: acknowledge the feeling, apologise where due, name the issue, give
the next step. Pure function of a small context, so it is deterministic and easy to test."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# Complaint reasons we can name from the customer's own words, when the mood service has not
# named one. Order matters: the first hit wins. (reason key, pattern, how we say it, next step)
ISSUES: tuple[tuple[str, str, str, str], ...] = (
    (
        "delivery_delay",
        r"\b(?:late|delay\w*|still (?:not|hasn't|haven't) (?:arrived|come)|"
        r"where is my (?:order|parcel|package)|\d+ (?:days|weeks) and still nothing|still nothing|"
        r"not (?:arrived|delivered)|never (?:arrived|came)|tracking)\b",
        "the delay with your order",
        "I've asked our shipping team to trace it today, and I'll message you with a firm "
        "delivery date by tomorrow.",
    ),
    (
        "damaged_or_wrong_item",
        r"\b(?:broken|damaged|cracked|smashed|defective|faulty|doesn't work|does not work|"
        r"stopped working)\b",
        "the damaged item you received",
        "I'm sending a replacement straight away, and you don't need to send anything back.",
    ),
    (
        "damaged_or_wrong_item",
        r"\bwrong (?:item|size|colou?r|product|order)\b|\bnot what i ordered\b",
        "receiving the wrong item",
        "I've arranged the correct item to ship today, with a free return label for the wrong one.",
    ),
    (
        "billing_refund",
        r"\b(?:charged twice|double charged|overcharged|charged|refund\w*|invoice|billing|"
        r"payment)\b",
        "the problem with your payment",
        "I've raised this with our billing team and I'll confirm the refund to you as soon as "
        "it's processed.",
    ),
    (
        "account_login",
        r"\b(?:log ?in|sign ?in|password|locked out|account)\b",
        "the trouble getting into your account",
        "I've reset the access on our side; I'll stay on this until you're back in.",
    ),
    (
        "support_wait",
        r"\b(?:no (?:one|body) (?:answers|replied|responds|got back)|nobody answers|no reply|"
        r"no response|"
        r"ignored|waiting for (?:days|weeks|a week))\b",
        "the wait to hear back from us",
        "I'm looking after this personally from now on, and you'll hear from me directly.",
    ),
    (
        "product_quality",
        r"\b(?:poor quality|cheap|disappoint\w*|not as described)\b",
        "the product not living up to what you expected",
        "I'd like to offer a replacement or a full refund — whichever you prefer.",
    ),
    (
        "cancellation",
        r"\bcancel\w*\b|\bclose my account\b",
        "your wish to cancel",
        "I can process the cancellation for you today — or, if you'd rather, fix what went "
        "wrong first.",
    ),
)
# Reasons the mood service names (mood.complaints.REASONS), phrased for a customer; first wins.
REASON_PHRASES: dict[str, tuple[str, str]] = {}
for _key, _, _say, _step in ISSUES:
    REASON_PHRASES.setdefault(_key, (_say, _step))
# The mood service does not say which of the two it was.
REASON_PHRASES["damaged_or_wrong_item"] = (
    "the problem with the item you received",
    "I'm sending a replacement straight away, at no cost to you.",
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


@dataclass
class ReplyContext:
    """What the suggestion is built from."""

    customer_name: str = ""
    message: str = ""
    top_emotion: str | None = None
    sentiment: str | None = None
    complaint_reason: str | None = None  # from the mood service, when it knows one
    repeat_issue: bool = False  # the same problem happened before
    agent_name: str = ""


@dataclass
class Suggestion:
    """A suggested reply and the parts it is built from (shown so the agent sees why)."""

    text: str
    emotion: str
    issue: str | None
    issue_key: str | None
    parts: dict[str, str] = field(default_factory=dict)

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
        return str(ctx.top_emotion)
    return {"negative": "frustration", "positive": "satisfaction"}.get(
        ctx.sentiment or "", "neutral"
    )


def suggest_reply(ctx: ReplyContext) -> Suggestion:
    """An empathetic reply for the customer's latest message."""
    emotion = _emotion(ctx)
    name = first_name(ctx.customer_name)
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
    parts: dict[str, str] = {"acknowledge": ACKNOWLEDGE[emotion].format(name=name)}
    upset = emotion in NEGATIVE or ctx.sentiment == "negative"
    if upset:
        about = issue[1] if issue else "what happened"
        again = " — and I know this isn't the first time" if ctx.repeat_issue else ""
        # Do not say sorry twice when the acknowledgement already did.
        lead = "I apologise for" if "sorry" in parts["acknowledge"].lower() else "I'm sorry about"
        parts["apologise"] = f"{lead} {about}{again}; that's not the experience we want for you."
        parts["next_step"] = (
            issue[2] if issue else "I'm looking into this now and I'll update you today."
        )
    elif emotion in {"joy", "gratitude", "satisfaction"}:
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
    )
