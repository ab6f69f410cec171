"""Dashboard read models on top of the metrics daily rollup: emotion series by day with slice
filters (channel, queue, team, product category, language), breakdowns, worst-moving slices,
queue load.

Reading figures come from metrics.service (one grain of `metric_daily_readings` per query), so
a year's dashboard sums a few thousand rollup rows instead of scanning every reading twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.emotion.taxonomy import NEGATIVE_CS, POSITIVE_CS
from heartline.interactions import service as interaction_service
from heartline.metrics import service as metrics

# Stacking order of the sentiment chart, red to green, as the design names them.
EMOTION_ORDER = (
    "anger",
    "frustration",
    "disappointment",
    "sadness",
    "anxiety",
    "confusion",
    "surprise",
    "neutral",
    "joy",
    "gratitude",
    "satisfaction",
)
NEGATIVE_EMOTIONS = tuple(e for e in EMOTION_ORDER if e in NEGATIVE_CS)
POSITIVE_EMOTIONS = tuple(e for e in EMOTION_ORDER if e in POSITIVE_CS)
# Readings without a top emotion (the lexicon engine) are stacked by their sentiment.
FALLBACK = {"negative": "frustration", "positive": "satisfaction", "neutral": "neutral"}
DIMENSIONS = ("channel", "queue", "team", "category", "language")
# Slices with fewer readings than this are too noisy to call a trouble spot.
MIN_SLICE = 5
NO_TEAM = "(no team)"


@dataclass(frozen=True)
class Filters:
    """A dashboard view: a date range (inclusive days, UTC) and optional slice filters."""

    start: date
    end: date
    channel: str | None = None
    queue: str | None = None
    team_id: int | None = None
    category: str | None = None
    language: str | None = None
    bucket: str = "day"  # chart bars: "day", "week" (ISO, Monday first) or "month"

    @property
    def t0(self) -> datetime:
        """Start of the first day."""
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def t1(self) -> datetime:
        """Start of the day after the last."""
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC) + timedelta(days=1)

    def previous(self) -> Filters:
        """The same-length period just before this one (for trends)."""
        days = (self.end - self.start).days + 1
        return replace(
            self, start=self.start - timedelta(days=days), end=self.start - timedelta(days=1)
        )

    def days(self) -> list[date]:
        """Every day of the range."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def buckets(self) -> list[tuple[date, date, date]]:
        """(name, first day, last day) of each chart bar, clipped to the range."""
        return metrics.bucket_spans(self.start, self.end, self.bucket)

    def where(self) -> dict[str, Any]:
        """The slice filters as metrics.service takes them."""
        return {
            "channel": self.channel,
            "queue": self.queue,
            "team": self.team_id,
            "category": self.category,
            "language": self.language,
        }


@dataclass
class ReadingStats:
    """Everything the dashboard shows about readings, for this period and the one before."""

    labels: list[str]
    series: dict[str, list[int]]
    share: dict[str, dict[str, Any]]  # "now" / "before" -> counts, total, negative_share, valence
    breakdowns: dict[str, list[dict[str, Any]]]  # this period, most negative first
    spots: list[dict[str, Any]] = field(default_factory=list)


def _apportion(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` over the keys in proportion to their weights (largest remainder)."""
    w = sum(weights.values())
    if total <= 0 or w <= 0:
        return {}
    exact = {k: total * v / w for k, v in weights.items()}
    out = {k: int(x) for k, x in exact.items()}
    left = total - sum(out.values())
    for k in sorted(exact, key=lambda k: out[k] - exact[k])[:left]:
        out[k] += 1
    return out


def day_mix(row: dict[str, Any]) -> dict[str, int]:
    """A day's readings per chart emotion.

    The rollup counts top emotions and sentiments separately, so readings without a top emotion
    are stacked by the sentiment their day's emotions do not already account for (exact when a
    day's readings all have, or all lack, a top emotion that agrees with their sentiment).
    """
    emotions = {e: v for e, v in row["emotions"].items() if e in EMOTION_ORDER}
    mix = dict(emotions)
    rest = row["n"] - sum(emotions.values())
    if rest > 0:
        s = row["sentiment"]
        neg = sum(emotions.get(e, 0) for e in NEGATIVE_EMOTIONS)
        pos = sum(emotions.get(e, 0) for e in POSITIVE_EMOTIONS)
        left = {
            "negative": max(0, s.get("negative", 0) - neg),
            "positive": max(0, s.get("positive", 0) - pos),
            "neutral": max(
                0, s.get("neutral", 0) + s.get("none", 0) - (sum(emotions.values()) - neg - pos)
            ),
        }
        if not any(left.values()):
            left = {"neutral": 1}
        for sentiment, k in _apportion(rest, left).items():
            mix[FALLBACK[sentiment]] = mix.get(FALLBACK[sentiment], 0) + k
    return {e: v for e, v in mix.items() if v}


def _share(row: dict[str, Any] | None) -> dict[str, Any]:
    if not row:
        return {"counts": {}, "total": 0, "negative_share": None, "valence": None}
    counts = {("unknown" if k == "none" else k): v for k, v in row["sentiment"].items()}
    return {
        "counts": counts,
        "total": row["n"],
        "negative_share": row["negative"] / row["n"],
        "valence": row["avg_valence"],
    }


def _slice_row(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "key": key,
        "n": row["n"],
        "negative_share": row["negative"] / row["n"],
        "valence": row["avg_valence"],
    }


def _slice_name(dim: str, key: Any, team_names: dict[int, str]) -> str | None:
    """How a slice is shown: teams by name (readings outside a team together), else its value."""
    if dim == "team":
        return NO_TEAM if key is None else team_names.get(key, f"Team #{key}")
    return None if key is None else str(key)


def reading_stats(session: Session, f: Filters, *, spots: int = 5) -> ReadingStats:
    """Series, sentiment shares, breakdowns and trouble spots from the daily rollup.

    One read by bucket (day, week or month) feeds the chart; one per period pair gives the
    shares and one per dimension the breakdowns of both periods, from which the trouble spots
    follow.
    """
    prev, where = f.previous(), f.where()
    labels = [name.isoformat() for name, _, _ in f.buckets()]
    index = {d: i for i, d in enumerate(labels)}
    series: dict[str, list[int]] = {}
    trend = metrics.sentiment_trend(session, bucket=f.bucket, start=f.t0, end=f.t1, where=where)
    for row in trend:
        i = index.get(str(row["bucket"])[:10])
        if i is None:
            continue
        for emotion, n in day_mix(row).items():
            series.setdefault(emotion, [0] * len(labels))[i] += n
    kw: dict[str, Any] = {"split": f.t0, "start": prev.t0, "end": f.t1, "where": where}
    totals = metrics.compare_periods(session, **kw)
    team_names = auth_service.team_names(session)
    breakdowns: dict[str, list[dict[str, Any]]] = {}
    before: dict[tuple[str, str], dict[str, Any]] = {}
    for dim in DIMENSIONS:
        pair = metrics.compare_periods(session, by=dim, **kw)
        for r in pair["before"]:
            if (key := _slice_name(dim, r["key"], team_names)) is not None:
                before[(dim, key)] = _slice_row(r, key)
        now = [
            _slice_row(r, key)
            for r in pair["now"]
            if (key := _slice_name(dim, r["key"], team_names)) is not None
        ]
        breakdowns[dim] = sorted(now, key=lambda r: (-r["negative_share"], -r["n"]))
    found = []
    for dim, rows in breakdowns.items():
        for row in rows:
            if row["n"] < MIN_SLICE:
                continue
            was_row = before.get((dim, row["key"]))
            was = was_row["negative_share"] if was_row else 0.0
            found.append(
                {**row, "dimension": dim, "was": was, "change": row["negative_share"] - was}
            )
    found.sort(key=lambda r: r["change"], reverse=True)
    return ReadingStats(
        labels=labels,
        series={e: series[e] for e in EMOTION_ORDER if e in series},
        share={
            "now": _share(next(iter(totals["now"]), None)),
            "before": _share(next(iter(totals["before"]), None)),
        },
        breakdowns=breakdowns,
        spots=[r for r in found if r["change"] > 0][:spots],
    )


def queue_load(session: Session) -> list[dict[str, Any]]:
    """Open and pending conversations per team and queue, with how many are past their SLA."""
    names = auth_service.team_names(session)
    load: dict[tuple[str, str], list[int]] = {}
    rows = interaction_service.queue_load(session, now=datetime.now(UTC))
    for team_id, queue, n, overdue, urgent in rows:
        team = names.get(team_id, NO_TEAM) if team_id is not None else NO_TEAM
        counts = load.setdefault((team, queue), [0, 0, 0])
        for i, v in enumerate((n, overdue, urgent)):
            counts[i] += v
    out = [
        {"team": t, "queue": q, "open": n, "overdue": o, "urgent": u}
        for (t, q), (n, o, u) in load.items()
    ]
    return sorted(out, key=lambda r: (-r["open"], r["team"], r["queue"]))


def filter_options(session: Session) -> dict[str, list[Any]]:
    """Values for the filter drop-downs (slice values that have rollup rows, and every team)."""
    return {
        "channels": metrics.slice_values(session, dim="channel"),
        "queues": metrics.slice_values(session, dim="queue"),
        "teams": list(auth_service.team_names(session).items()),
        "categories": metrics.slice_values(session, dim="category"),
        "languages": metrics.slice_values(session, dim="language"),
    }
