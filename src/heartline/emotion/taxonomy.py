"""Label sets and the documented customer-service (cs) mapping from GoEmotions labels."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# GoEmotions label order, as in datasets/goemotions/emotions.txt (model output order).
EMOTIONS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")

CS_EMOTIONS: tuple[str, ...] = (
    "anger", "frustration", "disappointment", "sadness", "anxiety", "confusion",
    "surprise", "joy", "gratitude", "satisfaction", "neutral",
)  # fmt: skip

# cs key -> {GoEmotions label: weight}. A cs score is the max of weight * p(label) over its
# sources, so it stays a probability-like number in [0, 1] and is never higher than the
# evidence for it. Weights below 1 mark a looser fit (curiosity is often a plain question,
# not confusion). Labels not listed (caring, desire, embarrassment) have no customer-service
# reading of their own and only reach the view through sentiment.
CS_MAPPING: dict[str, dict[str, float]] = {
    "anger": {"anger": 1.0, "disgust": 1.0},
    "frustration": {"annoyance": 1.0, "disapproval": 0.8},
    "disappointment": {"disappointment": 1.0},
    "sadness": {"sadness": 1.0, "grief": 1.0, "remorse": 0.8, "embarrassment": 0.6},
    "anxiety": {"fear": 1.0, "nervousness": 1.0},
    "confusion": {"confusion": 1.0, "curiosity": 0.5},
    "surprise": {"surprise": 1.0, "realization": 0.7},
    "joy": {
        "joy": 1.0,
        "amusement": 1.0,
        "excitement": 1.0,
        "love": 1.0,
        "optimism": 0.8,
        "pride": 0.8,
    },
    "gratitude": {"gratitude": 1.0},
    "satisfaction": {"approval": 1.0, "admiration": 1.0, "relief": 1.0},
    "neutral": {"neutral": 1.0},
}

# The GoEmotions authors' sentiment grouping of the fine labels (sentiment_dict.json); the
# others (confusion, curiosity, realization, surprise, neutral) are ambiguous.
GOEMO_POS = frozenset(
    [
        "amusement",
        "excitement",
        "joy",
        "love",
        "desire",
        "optimism",
        "caring",
        "pride",
        "admiration",
        "gratitude",
        "relief",
        "approval",
    ]
)
GOEMO_NEG = frozenset(
    [
        "fear",
        "nervousness",
        "remorse",
        "embarrassment",
        "disappointment",
        "sadness",
        "grief",
        "disgust",
        "anger",
        "annoyance",
        "disapproval",
    ]
)
LABEL_POLARITY: dict[str, str] = {
    **{e: "positive" for e in GOEMO_POS},
    **{e: "negative" for e in GOEMO_NEG},
}

NEGATIVE_CS = frozenset({"anger", "frustration", "disappointment", "sadness", "anxiety"})
POSITIVE_CS = frozenset({"joy", "gratitude", "satisfaction"})


def calibrate(p: float, threshold: float) -> float:
    """Rescale a probability so that the label's tuned decision threshold maps to 0.5."""
    if p < threshold:
        return 0.5 * p / threshold
    return 0.5 + 0.5 * (p - threshold) / (1.0 - threshold)


def cs_from_emotions(
    emotions: Mapping[str, float], thresholds: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Map 28 GoEmotions probabilities to the 11-key customer-service view.

    With ``thresholds`` (the per-label decision points tuned on held-out data) each probability
    is first calibrated so that 0.5 means "at its label's threshold": labels differ a lot in
    base rate, and the raw argmax would favour frequent labels such as neutral.
    """

    def score(src: str) -> float:
        p = float(emotions.get(src, 0.0))
        return calibrate(p, thresholds[src]) if thresholds else p

    return {
        key: round(max(w * score(src) for src, w in sources.items()), 4)
        for key, sources in CS_MAPPING.items()
    }


# Negative sentiment that no specific negative emotion explains ("waited 3 days, no reply") is
# what support teams call frustration; it is counted at this weight.
RESIDUAL_FRUSTRATION = 0.8


def with_sentiment(
    cs: Mapping[str, float], p_neg: float, p_neu: float, p_pos: float
) -> dict[str, float]:
    """Complete the cs view with the sentiment head (two documented rules).

    1. frustration also takes residual negativity: 0.8 x p(neg) x (1 - the strongest of anger,
       sadness, anxiety). Disappointment is not subtracted: in service complaints an unmet
       expectation and a still-blocked goal come together ("waited 3 days, no reply").
    2. neutral needs both heads to agree: it is capped at 1 - max(p(neg), p(pos)).
    """
    out = dict(cs)
    specific = max(out[k] for k in ("anger", "sadness", "anxiety"))
    residual = RESIDUAL_FRUSTRATION * p_neg * (1.0 - specific)
    out["frustration"] = round(max(out["frustration"], residual), 4)
    out["neutral"] = round(min(out["neutral"], 1.0 - max(p_neg, p_pos)), 4)
    return out


def cs_array(emotions: np.ndarray, sentiment: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Vectorised ``with_sentiment(cs_from_emotions(...))`` (unrounded) for many rows.

    ``emotions`` is [n, 28] in EMOTIONS order, ``sentiment`` [n, 3], ``thresholds`` [28];
    returns [n, 11] in CS_EMOTIONS order. Used where many counterfactual readings are scored
    at once (evidence, picking the sentence of a long message).
    """
    p = np.asarray(emotions, dtype=np.float64)
    t = np.asarray(thresholds, dtype=np.float64)
    cal = np.where(p < t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1.0 - t))
    out = np.stack([(cal[:, _SRC_INDEX[k]] * _SRC_WEIGHT[k]).max(1) for k in CS_EMOTIONS], axis=1)
    s = np.asarray(sentiment, dtype=np.float64)
    col = {k: i for i, k in enumerate(CS_EMOTIONS)}
    specific = out[:, [col["anger"], col["sadness"], col["anxiety"]]].max(1)
    residual = RESIDUAL_FRUSTRATION * s[:, 0] * (1.0 - specific)
    out[:, col["frustration"]] = np.maximum(out[:, col["frustration"]], residual)
    out[:, col["neutral"]] = np.minimum(out[:, col["neutral"]], 1.0 - np.maximum(s[:, 0], s[:, 2]))
    return out


_SRC_INDEX = {k: np.array([EMOTIONS.index(s) for s in v]) for k, v in CS_MAPPING.items()}
_SRC_WEIGHT = {k: np.array(list(v.values())) for k, v in CS_MAPPING.items()}


# -- customer-service acts (complaint, severity, intent): the heads that teams act on ----------

# Jin & Aletras (2021) complaint severity levels, mildest first; "none" is not a complaint.
# The complaint head predicts these five classes; p(complaint) = 1 - p(none), so the complaint
# probability and the severity can never disagree.
SEVERITIES: tuple[str, ...] = (
    "none", "no_explicit_reproach", "disapproval", "accusation", "blame",
)  # fmt: skip

# What the customer wants (one label per message). docs/model-card.md documents how the Bitext
# and Banking77 intents map onto it (``training/cs_data.py`` holds the mapping).
INTENTS: tuple[str, ...] = (
    "churn_threat",  # leaving, cancelling, closing the account, switching to a competitor
    "refund_return",
    "order_status",
    "delivery_problem",
    "damaged_wrong_item",
    "billing",
    "account_access",
    "product_question",
    "privacy_request",  # erase my data, stop contacting me, unsubscribe
    "praise",  # praise or thanks
    "other",
)
# What people read for each intent and severity (chips, CSV exports, reasons).
INTENT_LABELS: dict[str, str] = {
    "churn_threat": "Churn threat",
    "refund_return": "Refund or return",
    "order_status": "Order status",
    "delivery_problem": "Delivery problem",
    "damaged_wrong_item": "Damaged or wrong item",
    "billing": "Billing",
    "account_access": "Account access",
    "product_question": "Product question",
    "privacy_request": "Privacy request",
    "praise": "Praise or thanks",
    "other": "Other",
}
SEVERITY_LABELS: dict[str, str] = {
    "none": "not a complaint",
    "no_explicit_reproach": "complaint",
    "disapproval": "complaint: disapproval",
    "accusation": "complaint: accusation",
    "blame": "complaint: blame",
}
# Intents that pause promotional messages until a person has resolved the conversation.
HOLD_MARKETING_INTENTS = frozenset({"churn_threat", "privacy_request"})

# The adjective people read for each customer-service emotion ("frustrated on 3 Oct"): the
# mood label of a reading, a customer's mood state and a recovery story.
CS_ADJECTIVES: dict[str, str] = {
    "anger": "angry", "frustration": "frustrated", "disappointment": "disappointed",
    "sadness": "sad", "anxiety": "anxious", "confusion": "confused", "surprise": "surprised",
    "joy": "delighted", "gratitude": "grateful", "satisfaction": "satisfied", "neutral": "neutral",
}  # fmt: skip
