"""How a customer's feelings move: the decayed emotion profile, the baseline ("usually"), and
the trajectory (improving, worsening, stable). Pure functions over points and survey answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from heartline.mood.points import Point

TREND_DELTA = 0.25
# A survey answer as the memory reads it: (kind, score, responded_at).
Survey = tuple[str, int, datetime]


def decay(age_days: float, half_life: float) -> float:
    """The weight of something this many days old (half-life decay)."""
    return float(0.5 ** (max(age_days, 0.0) / half_life))


def age_days(now: datetime, at: datetime) -> float:
    """Days between `at` and `now`, fractional."""
    return (now - at).total_seconds() / 86400


def survey_valence(kind: str, score: int) -> float:
    """A survey score on the valence scale (-1 to 1)."""
    if kind == "csat":
        return (score - 3) / 2
    if kind == "nps":
        return max(-1.0, min(1.0, (score - 7) / 3))
    return max(-1.0, min(1.0, (4 - score) / 3))  # CES: low effort is good


def trajectory(points: Sequence[Point]) -> str:
    """Improving, worsening or stable: the latest readings against the ones before them."""
    if len(points) < 2:
        return "stable"
    recent = points[-2:] if len(points) >= 4 else points[-1:]
    before = points[-len(recent) - 5 : -len(recent)]
    delta = sum(p.valence for p in recent) / len(recent) - sum(p.valence for p in before) / len(
        before
    )
    return (
        "improving" if delta >= TREND_DELTA else "worsening" if delta <= -TREND_DELTA else "stable"
    )


def usually(baseline: float | None) -> str | None:
    """The baseline in words: positive, negative or neutral (None without one)."""
    if baseline is None:
        return None
    return "positive" if baseline >= 0.15 else "negative" if baseline <= -0.15 else "neutral"


def profile(points: Sequence[Point], now: datetime, half_life: float) -> dict[str, float]:
    """Every reading's emotions, weighted by age (half-life decay), as shares summing to 1."""
    weights: dict[str, float] = {}
    for p in points:
        w = decay(age_days(now, p.at), half_life)
        for emo, v in p.emotions.items():
            weights[emo] = weights.get(emo, 0.0) + w * v
    total = sum(weights.values())
    if not total:
        return {}
    return {k: round(v / total, 3) for k, v in sorted(weights.items(), key=lambda kv: -kv[1])}


def baseline(
    points: Sequence[Point], surveys: Sequence[Survey], now: datetime, half_life: float
) -> float | None:
    """Decayed mean valence of earlier readings and survey answers (None without any)."""
    prior = [(p.at, p.valence) for p in points[:-1]] + [
        (at, survey_valence(k, s)) for k, s, at in surveys
    ]
    weights = [(decay(age_days(now, at), half_life * 4), v) for at, v in prior]  # slower memory
    wsum = sum(w for w, _ in weights)
    return sum(w * v for w, v in weights) / wsum if wsum > 1e-9 else None
