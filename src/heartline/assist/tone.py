"""Tone check of an agent's draft: flag cold, scripted, defensive or blaming wording.

Rules first (deterministic, explainable, each flag points at the words), then the emotion engine
on the draft as a second opinion: a reply that itself reads negative is flagged too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from heartline.emotion import service as emotion_service


@dataclass(frozen=True)
class Rule:
    """A pattern of wording that lands badly with an upset customer, and a warmer alternative."""

    kind: str  # scripted | defensive | blaming | cold
    pattern: str
    message: str
    suggestion: str
    replacement: str | None = None  # used by the warmer rewrite; None drops the phrase


# Phrases customers read as a script or a wall. Each carries the warmer phrasing an agent can use.
RULES: tuple[Rule, ...] = (
    Rule(
        "scripted",
        r"\b(?:per|as per|according to) (?:our|the|company) polic(?:y|ies)\b,?",
        "Quoting policy sounds like a wall, not help.",
        'Explain what you can do: "Here\'s how we can sort this out:"',
        "Here's how we can sort this out:",
    ),
    Rule(
        "scripted",
        r"\bplease be advised\b,?( that)?",
        '"Please be advised" reads like a form letter.',
        "Just say it plainly, as you would in person.",
        "",
    ),
    Rule(
        "scripted",
        r"\bwe regret to inform you\b( that)?",
        "A stock phrase that distances you.",
        '"I\'m sorry to say"',
        "I'm sorry to say",
    ),
    Rule(
        "scripted",
        r"\b(?:we|i) apologi[sz]e for any inconvenience( (?:this|that) (?:may have|has) caused)?\b",
        "A generic apology that names nothing.",
        'Name what went wrong: "I\'m sorry your order arrived late."',
        "I'm sorry for the trouble this has caused you.",
    ),
    Rule(
        "scripted",
        r"\byour (?:call|business|request) is (?:very )?important to us\b",
        "A call-centre script line.",
        "Show it instead: say what you are doing next.",
        "",
    ),
    Rule(
        "scripted",
        r"\bthank you for your patience\b",
        "Can sound dismissive when someone has waited too long.",
        '"Thank you for bearing with us — I know this took too long."',
        "Thank you for bearing with us — I know this took too long",
    ),
    Rule(
        "scripted",
        r"\bkindly\b",
        '"Kindly" reads stiff and formal.',
        'Use "could you" or "please".',
        "please",
    ),
    Rule(
        "scripted",
        r"\bplease note that\b",
        "Sounds like small print.",
        "Drop it and say the point directly.",
        "",
    ),
    Rule(
        "scripted",
        r"\bas (?:previously |already )?(?:stated|mentioned|explained)\b,?",
        "Implies the customer did not listen.",
        "Restate the point kindly without the reminder.",
        "",
    ),
    Rule(
        "defensive",
        r"\b(?:this|it) (?:is|was) not our fault\b|\bnot our (?:fault|responsibility)\b",
        "Defending the company before helping the customer.",
        'Focus on the fix: "Let me make this right."',
        "let me make this right",
    ),
    Rule(
        "defensive",
        r"\bwe (?:are|were) not responsible\b",
        "Pushes the problem back to the customer.",
        "Say what you can do about it.",
        "here is what I can do",
    ),
    Rule(
        "defensive",
        r"\b(?:there is|there's) nothing (?:we|i) can do\b|\bnothing (?:we|i) can do\b",
        "Closes the door.",
        "Offer the closest thing you can do, or escalate.",
        "here is what I can do",
    ),
    Rule(
        "defensive",
        r"\b(?:that|this) is (?:not|im)possible\b|\bwe (?:cannot|can't|can not) do that\b",
        "A flat refusal.",
        "Say what is possible instead.",
        "here is what we can do instead",
    ),
    Rule(
        "defensive",
        r"\bunfortunately,? (?:we|i) (?:cannot|can't|are unable to|am unable to)\b",
        "Leads with what you won't do.",
        "Lead with what you will do.",
        "I can't do that, but I can",
    ),
    Rule(
        "blaming",
        r"\byou (?:should|must) have\b|\byou failed to\b|\byou didn't\b|\byou did not\b",
        "Sounds like blaming the customer.",
        "Describe the situation, not their mistake.",
        None,
    ),
    Rule(
        "blaming",
        r"\bas i (?:already )?(?:said|told you)\b",
        "Sounds impatient.",
        "Repeat the information kindly.",
        "",
    ),
    Rule(
        "cold",
        r"\b(?:you (?:must|need to|should|have to) )?calm down\b",
        "Tells the customer how to feel; it escalates.",
        'Acknowledge instead: "I can hear how frustrating this is."',
        "I can hear how frustrating this is",
    ),
    Rule(
        "cold",
        r"\byou (?:must|need to|have to)\b",
        "An order, not a request.",
        '"Could you …?"',
        "could you",
    ),
    Rule(
        "cold",
        r"\bwith (?:the |a |your )?(?:original )?receipt\b",
        "A condition with no help attached feels like a hurdle.",
        'Offer help: "If you don\'t have the receipt, I can look up your order."',
        "with your receipt (or I can look up your order if it's missing)",
    ),
)
_COMPILED = tuple((rule, re.compile(rule.pattern, re.IGNORECASE)) for rule in RULES)

EMPATHY = re.compile(
    r"\b(?:sorry|apologi[sz]e|understand|hear you|frustrat\w*|thank(?:s| you)|appreciate|i know|"
    r"must have been|that's not ok|not the experience|happy to help|glad to help|let me)\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b", re.IGNORECASE
)
NEXT_STEP = re.compile(
    r"\b(?:i(?:'ll| will| have| can|'ve)|we(?:'ll| will| have|'ve)|let me|i'm going to)\b",
    re.IGNORECASE,
)
# Short replies with no warmth read curt; longer ones usually carry some context.
CURT_WORDS = 25


@dataclass
class Flag:
    """One problem found in a draft, with where it is and what to say instead."""

    kind: str
    message: str
    suggestion: str
    text: str = ""
    start: int = -1
    end: int = -1


@dataclass
class ToneResult:
    """The verdict on a draft: a 0-100 warmth score, flags and a warmer rewrite."""

    verdict: str  # warm | ok | cold | unchecked (not English: the rules are English)
    score: int
    flags: list[Flag] = field(default_factory=list)
    rewrite: str = ""
    draft_sentiment: str | None = None
    language: str = "en"  # the draft's language; the rules are English, so others are unchecked
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return asdict(self)


def _rewrite(
    draft: str, matches: list[tuple[Rule, re.Match[str]]], customer_upset: bool, has_empathy: bool
) -> str:
    text = draft
    # Replace from the end so earlier offsets stay valid.
    for rule, m in sorted(matches, key=lambda x: x[1].start(), reverse=True):
        if rule.replacement is None:
            continue
        text = text[: m.start()] + rule.replacement + text[m.end() :]
    text = re.sub(r"\s{2,}", " ", text).strip()
    text = re.sub(r"^[,.;:\s]+", "", text)
    text = re.sub(r"([.!?:])\s*([a-z])", lambda m: f"{m.group(1)} {m.group(2).upper()}", text)
    if text:
        text = text[0].upper() + text[1:]
    if not has_empathy:
        opener = (
            "I'm sorry about this, and thank you for telling us."
            if customer_upset
            else "Thanks for getting in touch."
        )
        text = f"{opener} {text}".strip()
    if not NEXT_STEP.search(text):
        text = f"{text} I'll keep an eye on this and make sure it's sorted.".strip()
    return text


def check_tone(draft: str, *, customer_upset: bool = True, use_engine: bool = True) -> ToneResult:
    """Score a draft reply's warmth and flag wording that reads cold, scripted or defensive."""
    draft = draft or ""
    lang = emotion_service.detect_language(draft) if draft.strip() else "en"
    if lang != "en":
        return ToneResult(
            verdict="unchecked", score=0, language=lang,
            note=f"The tone check reads English only; this draft looks "
            f"{emotion_service.name_of(lang)}, so it was not checked. Read it once more for "
            "warmth before sending.",
        )  # fmt: skip
    matches = _wording(draft)
    flags = [
        Flag(rule.kind, rule.message, rule.suggestion, m.group(0), m.start(), m.end())
        for rule, m in matches
    ]
    has_empathy = bool(EMPATHY.search(draft))
    flags += _missing(draft, customer_upset=customer_upset, has_empathy=has_empathy)
    sentiment = None
    if use_engine and draft.strip():
        reading = emotion_service.analyze(draft)
        sentiment = reading.sentiment
        # Apologies contain sad words; only a negative draft with no empathy at all is flagged.
        if sentiment == "negative" and reading.confidence >= 0.5 and not has_empathy:
            flags.append(
                Flag(
                    "negative",
                    "The draft itself reads negative.",
                    "Reword the sharpest sentence; keep facts, drop the edge.",
                )
            )
    penalty = {"scripted": 15, "defensive": 25, "blaming": 25, "cold": 15, "negative": 20}
    score = 100 - sum(penalty.get(f.kind, 10) for f in flags)
    if has_empathy:
        score += 10
    score = max(0, min(100, score))
    verdict = "warm" if score >= 80 and not flags else ("ok" if score >= 55 else "cold")
    if not draft.strip():
        verdict, score = "ok", 0
    rewrite = (
        _rewrite(draft, matches, customer_upset, has_empathy) if flags and draft.strip() else ""
    )
    return ToneResult(
        verdict=verdict, score=score, flags=flags, rewrite=rewrite, draft_sentiment=sentiment
    )


def _wording(draft: str) -> list[tuple[Rule, re.Match[str]]]:
    """The rules' matches in the draft, in order; the longest match wins where rules overlap
    ("you must calm down" is one problem, not two)."""
    matches: list[tuple[Rule, re.Match[str]]] = []
    found = [(rule, m) for rule, rx in _COMPILED for m in rx.finditer(draft)]
    for rule, m in sorted(found, key=lambda x: (x[1].start(), -(x[1].end() - x[1].start()))):
        if any(m.start() < kept.end() and kept.start() < m.end() for _, kept in matches):
            continue
        matches.append((rule, m))
    return matches


def _missing(draft: str, *, customer_upset: bool, has_empathy: bool) -> list[Flag]:
    """What a warm reply has and the draft lacks: acknowledgement, a greeting, a next step."""
    if not draft.strip():
        return []
    flags: list[Flag] = []
    if not has_empathy and customer_upset:
        flags.append(
            Flag(
                "cold",
                "No acknowledgement of how the customer feels.",
                'Open by naming the feeling: "I\'m sorry — I can see why this is frustrating."',
            )
        )
    if len(draft.split()) < CURT_WORDS and not has_empathy and not GREETING.search(draft):
        flags.append(
            Flag(
                "cold",
                "Short and without a greeting, it reads curt.",
                "Greet the customer by name and add a line of context.",
            )
        )
    if not NEXT_STEP.search(draft):
        flags.append(
            Flag(
                "cold",
                "No next step from our side.",
                'Say what you will do and when: "I\'ll check with the warehouse today."',
            )
        )
    return flags
