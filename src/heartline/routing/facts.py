"""What routing rules see about one inbound message: typed facts, and the registry rules use.

`ROUTING_FACTS` (generated from `RoutingFacts`) is what a rule's `when` may name: it checks
rules when they are loaded or PUT, lists the fields for `GET /routing/fields` and docs/rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from heartline.emotion.taxonomy import CS_EMOTIONS, INTENTS, SEVERITIES
from heartline.rules import FactField, FactRegistry, FactType, fact

CHURN_LEVELS = ("low", "medium", "high")
# Each customer-service emotion's probability is a fact of its own (`reading.anger`); neutral
# is the absence of one.
EMOTION_FACTS = tuple(e for e in CS_EMOTIONS if e != "neutral")


@dataclass
class RoutingFacts:
    """One inbound message, its reading, and its customer, as routing rules see them.

    Reading facts are None for a message without a reading (or from a model without the
    intent / complaint heads), so a rule on them simply does not match."""

    channel: str = field(metadata=fact("channel the message came in on"))
    customer_vip: bool = field(default=False, metadata=fact("VIP flag", name="customer.vip"))
    customer_tags: list[str] = field(
        default_factory=list, metadata=fact("the customer's tags", name="customer.tags")
    )
    customer_previous_negative: bool = field(
        default=False,
        metadata=fact(
            "an earlier negative message from this customer", name="customer.previous_negative"
        ),
    )
    customer_days_since_previous_negative: float | None = field(
        default=None,
        metadata=fact(
            "days since that earlier negative message",
            name="customer.days_since_previous_negative",
        ),
    )
    churn_risk: float | None = field(
        default=None, metadata=fact("churn risk score, 0..1", name="churn.risk")
    )
    churn_level: str | None = field(
        default=None,
        metadata=fact(
            "calibrated churn level: rules stay right when the calibration moves",
            name="churn.level",
            choices=CHURN_LEVELS,
        ),
    )
    mood_label: str | None = field(
        default=None, metadata=fact("current mood label", name="mood.label")
    )
    mood_open_issues: int = field(default=0, metadata=fact("open issues", name="mood.open_issues"))
    complaint_reason: str | None = field(
        default=None, metadata=fact("complaint reason of this message", name="complaint.reason")
    )
    complaint_confidence: float | None = field(
        default=None, metadata=fact("confidence of that reason", name="complaint.confidence")
    )
    reading_sentiment: str | None = field(
        default=None,
        metadata=fact("negative, neutral or positive", name="reading.sentiment"),
    )
    reading_valence: float | None = field(
        default=None, metadata=fact("valence, -1..1", name="reading.valence")
    )
    reading_intensity: float | None = field(
        default=None, metadata=fact("intensity, 0..1", name="reading.intensity")
    )
    reading_top_emotion: str | None = field(
        default=None, metadata=fact("strongest emotion", name="reading.top_emotion")
    )
    reading_sarcasm: float | None = field(
        default=None, metadata=fact("sarcasm probability, 0..1", name="reading.sarcasm")
    )
    reading_confidence: float | None = field(
        default=None, metadata=fact("confidence of the sentiment", name="reading.confidence")
    )
    reading_needs_review: bool | None = field(
        default=None, metadata=fact("the reading waits for review", name="reading.needs_review")
    )
    reading_intent: str | None = field(
        default=None,
        metadata=fact("what the customer wants", name="reading.intent", choices=INTENTS),
    )
    reading_intent_confidence: float | None = field(
        default=None,
        metadata=fact("confidence of the intent, 0..1", name="reading.intent_confidence"),
    )
    reading_complaint: float | None = field(
        default=None, metadata=fact("complaint probability, 0..1", name="reading.complaint")
    )
    reading_complaint_severity: str | None = field(
        default=None,
        metadata=fact("complaint severity", name="reading.complaint_severity", choices=SEVERITIES),
    )
    # emotion -> probability (`reading.anger` and the other EMOTION_FACTS read from it).
    emotions: dict[str, float] = field(default_factory=dict)


ROUTING_FACTS = FactRegistry.of(
    "routing",
    RoutingFacts,
    extra=[
        FactField(f"reading.{e}", FactType.NUMBER, f"{e} probability, 0..1", attr="emotions", key=e)
        for e in EMOTION_FACTS
    ],
)
