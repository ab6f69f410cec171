"""Churn risk: a 0-1 score as a weighted sum of explainable signals (each 0-1).

The weights are hand-set from what CX teams report as leading churn signs (a broken buying
rhythm first, then fresh negative feeling, unresolved issues, detractor answers, a downward
trend); they sum to 1 so the score reads as "share of the warning signs present", and the
reasons' contributions add up to it. The score orders customers; `probability()` maps it to a
churn probability through a logistic calibration fitted on one demo build, and the at-risk cut
(HIGH) is where that probability passes 0.5: "more likely than not to churn". MEDIUM is where
it passes 0.25. The demo benchmark (bench/bench_memory.py) reports AUC, precision@10%, the
calibration's reliability and the at_risk segment's precision/recall on a held-out build.

An explicit churn threat ("I'm cancelling", "switching to X": a reading whose intent is
churn_threat) is not a warning sign but the customer saying it, so it sits outside the shared
weights and adds THREAT_WEIGHT on top: alone it is past HIGH, so a threat that is the
customer's latest word always puts them at risk. A person resolving that conversation, or a
positive message from the customer afterwards, each halve it (both: a quarter), which leaves
it below HIGH unless other signs add up. The calibration was fitted without threats (the demo
data has none), so it is unchanged for every customer who never made one.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

WEIGHTS = {
    "cadence_broken": 0.35,
    "recent_negative": 0.25,
    "unresolved_issues": 0.15,
    "detractor": 0.15,
    "worsening": 0.10,
}
LABELS = {
    "cadence_broken": "purchase cadence broken",
    "recent_negative": "recent negative emotion",
    "unresolved_issues": "unresolved issues",
    "detractor": "detractor survey answer",
    "worsening": "worsening trend",
}
# Outside the weights above (see the module docstring); 0.45 alone reads as p(churn) ~0.95,
# halved (resolved, or a positive word since) ~0.45: medium, not at risk, on its own.
THREAT_WEIGHT = 0.45
THREAT_LABEL = "said they are leaving"
# A threat older than this no longer counts: they have left, or stayed and moved on.
THREAT_WINDOW = timedelta(days=90)
# Platt scaling of the score: P(churn) ~ 1 / (1 + exp(-(a * score + b))), fitted by maximum
# likelihood on demo build seed 1 (300 customers, 20% churners) with `bench_memory.py --seed 1
# --fit`; seed 7 is the held-out build the bench reports. Refit when the weights change.
CALIBRATION = (14.16, -3.39)


def probability(score: float) -> float:
    """The score read as a churn probability (calibrated on a demo build, see CALIBRATION)."""
    a, b = CALIBRATION
    return 1 / (1 + math.exp(-(a * score + b)))


def score_at(p: float) -> float:
    """The score at which the calibrated probability reaches p."""
    a, b = CALIBRATION
    return (math.log(p / (1 - p)) - b) / a


# At risk ("high") = more likely than not to churn; "medium" = at least one in four.
HIGH = round(score_at(0.5), 3)
MEDIUM = round(score_at(0.25), 3)
# A negative feeling older than this no longer counts as "recent".
NEGATIVE_WINDOW = timedelta(days=45)
SURVEY_WINDOW = timedelta(days=180)


@dataclass(frozen=True)
class Threat:
    """A message whose intent is churn_threat, and what has answered it since."""

    at: datetime
    resolved: bool  # a person resolved its conversation
    answered: bool  # a positive message from the customer came later


@dataclass
class ChurnInputs:
    """What the score reads; built by the mood state from the customer's records."""

    order_times: list[datetime]
    negatives: list[tuple[datetime, float]]  # (when, intensity 0-1) of negative readings
    open_issues: int
    surveys: list[tuple[str, int, datetime]]  # (kind, score, when)
    trajectory: str
    valence: float | None
    baseline: float | None
    threats: list[Threat] = field(default_factory=list)


def level(score: float) -> str:
    """high / medium / low."""
    return "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"


def _cadence(times: list[datetime], now: datetime) -> tuple[float, str]:
    times = sorted(t for t in times if t <= now)
    if len(times) < 2:
        return 0.0, "too few orders to know a rhythm"
    gaps = [(b - a).total_seconds() / 86400 for a, b in itertools.pairwise(times)]
    typical = max(statistics.median(gaps), 3.0)  # same-week repeat buys are not a rhythm
    since = (now - times[-1]).total_seconds() / 86400
    ratio = since / typical
    # Up to 1.2x the usual gap is normal variation; 2.5x and beyond is fully broken.
    signal = min(1.0, max(0.0, (ratio - 1.2) / 1.3))
    if len(gaps) < 2:
        signal *= 0.7  # one interval is a weak estimate of a rhythm
    return signal, f"{since:.0f} days since last order; usually every {typical:.0f} days"


def _recent_negative(
    negatives: list[tuple[datetime, float]], now: datetime, half_life: float
) -> tuple[float, str]:
    best, when = 0.0, None
    for at, intensity in negatives:
        age = (now - at).total_seconds() / 86400
        if age < 0 or age > NEGATIVE_WINDOW.days:
            continue
        value = intensity * 0.5 ** (age / half_life)
        if value > best:
            best, when = value, at
    if when is None:
        return 0.0, "no negative feeling lately"
    return min(1.0, best * 1.4), f"negative on {when:%d %b}, intensity {best:.2f} after decay"


def _detractor(surveys: list[tuple[str, int, datetime]], now: datetime) -> tuple[float, str]:
    best, why = 0.0, "no detractor answers"
    for kind, score, at in sorted(surveys, key=lambda s: s[2]):
        if now - at > SURVEY_WINDOW or at > now:
            continue
        value = 0.0
        if kind == "nps":
            value = 1.0 if score <= 4 else 0.7 if score <= 6 else 0.0
        elif kind == "csat":
            value = 1.0 if score <= 2 else 0.4 if score == 3 else 0.0
        elif kind == "ces":
            value = 0.6 if score >= 6 else 0.0
        if value >= best and value > 0:
            best, why = value, f"{kind.upper()} {score} on {at:%d %b}"
    return best, why


def _threat(threats: list[Threat], now: datetime) -> tuple[float, str, str]:
    """(signal, label, detail) of the strongest recent churn threat."""
    best: tuple[float, str, str] = (0.0, THREAT_LABEL, "no churn threat")
    for t in sorted(threats, key=lambda t: t.at):
        if t.at > now or now - t.at > THREAT_WINDOW:
            continue
        signal = 1.0 * (0.5 if t.resolved else 1.0) * (0.5 if t.answered else 1.0)
        since = [
            w
            for w, yes in (
                ("a person resolved that conversation", t.resolved),
                ("a positive message since", t.answered),
            )
            if yes
        ]
        detail = "; ".join(since) if since else "still their latest word"
        if signal >= best[0]:
            best = (signal, f"{THREAT_LABEL} ({t.at.day} {t.at:%b})", detail)
    return best


def score(
    inputs: ChurnInputs, *, now: datetime, half_life_days: float
) -> tuple[float, list[dict[str, Any]]]:
    """The churn risk and its reasons (largest contribution first; zero signals left out)."""
    signals: dict[str, tuple[float, str]] = {
        "cadence_broken": _cadence(inputs.order_times, now),
        "recent_negative": _recent_negative(inputs.negatives, now, half_life_days),
        "unresolved_issues": (
            min(1.0, 0.6 * inputs.open_issues),
            f"{inputs.open_issues} open issue(s)",
        ),
        "detractor": _detractor(inputs.surveys, now),
    }
    worsening = 0.0
    if inputs.trajectory == "worsening":
        worsening = 1.0
    elif (
        inputs.valence is not None
        and inputs.baseline is not None
        and inputs.valence < inputs.baseline - 0.3
    ):
        worsening = 0.5
    signals["worsening"] = (worsening, f"trajectory {inputs.trajectory}")
    reasons: list[dict[str, Any]] = []
    total = 0.0
    for key, (signal, detail) in signals.items():
        contribution = WEIGHTS[key] * signal
        total += contribution
        if signal > 0:
            reasons.append(
                {
                    "key": key,
                    "label": LABELS[key],
                    "weight": WEIGHTS[key],
                    "signal": round(signal, 3),
                    "contribution": round(contribution, 3),
                    "detail": detail,
                }
            )
    signal, label, detail = _threat(inputs.threats, now)
    if signal > 0:
        contribution = THREAT_WEIGHT * signal
        total += contribution
        reasons.append(
            {
                "key": "churn_threat",
                "label": label,
                "weight": THREAT_WEIGHT,
                "signal": round(signal, 3),
                "contribution": round(contribution, 3),
                "detail": detail,
            }
        )
    reasons.sort(key=lambda r: r["contribution"], reverse=True)
    return round(min(1.0, total), 3), reasons
