"""Dashboard read models the metrics service does not offer: emotion series by day with slice
filters (channel, queue, team, product category), breakdowns, worst-moving slices and queue load.

Aggregates run in SQL: one grouped scan over the period and the one before feeds the series,
the sentiment shares, the breakdowns and the trouble spots; product categories take a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from heartline.auth.models import Team
from heartline.customers.models import OrderItem
from heartline.interactions.models import Conversation, Interaction
from heartline.mood.models import Complaint, EmotionReading

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
DIMENSIONS = ("channel", "queue", "team", "category")
# Slices with fewer readings than this are too noisy to call a trouble spot.
MIN_SLICE = 5


@dataclass(frozen=True)
class Filters:
    """A dashboard view: a date range (inclusive days, UTC) and optional slice filters."""

    start: date
    end: date
    channel: str | None = None
    queue: str | None = None
    team_id: int | None = None
    category: str | None = None

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


def _readings(f: Filters, *cols: Any, category_dim: bool = False) -> Select[Any]:
    """Readings from the start of the previous period to the end of this one, filtered.

    Conversations and teams are outer-joined so messages outside a ticket still count.
    """
    prev = f.previous()
    stmt = (
        select(*cols)
        .select_from(EmotionReading)
        .join(Interaction, Interaction.id == EmotionReading.interaction_id)
        .outerjoin(Conversation, Conversation.id == Interaction.conversation_id)
        .where(EmotionReading.occurred_at >= prev.t0, EmotionReading.occurred_at < f.t1)
    )
    if category_dim or f.category:
        # A message is about an order it names, or the one its complaint was linked to.
        stmt = stmt.outerjoin(Complaint, Complaint.interaction_id == EmotionReading.interaction_id)
    if category_dim:
        stmt = stmt.join(
            OrderItem, OrderItem.order_id == func.coalesce(Interaction.order_id, Complaint.order_id)
        )
    if f.channel:
        stmt = stmt.where(EmotionReading.channel == f.channel)
    if f.queue:
        stmt = stmt.where(Conversation.queue == f.queue)
    if f.team_id:
        stmt = stmt.where(Conversation.team_id == f.team_id)
    if f.category:
        in_cat = select(OrderItem.order_id).where(OrderItem.category == f.category)
        stmt = stmt.where(func.coalesce(Interaction.order_id, Complaint.order_id).in_(in_cat))
    return stmt


def _emotion_col() -> Any:
    # Readings without a top emotion (the lexicon engine) are stacked by their sentiment.
    return func.coalesce(
        EmotionReading.top_emotion,
        case(
            (EmotionReading.sentiment == "negative", "frustration"),
            (EmotionReading.sentiment == "positive", "satisfaction"),
            else_="neutral",
        ),
    )


@dataclass
class _Acc:
    n: int = 0
    neg: int = 0
    valence: float = 0.0

    def add(self, n: int, neg: int, valence: float) -> None:
        self.n += n
        self.neg += neg
        self.valence += valence

    def row(self, key: str) -> dict[str, Any]:
        return {
            "key": key,
            "n": self.n,
            "negative_share": self.neg / self.n if self.n else 0.0,
            "valence": self.valence / self.n if self.n else 0.0,
        }


@dataclass
class ReadingStats:
    """Everything the dashboard shows about readings, for this period and the one before."""

    labels: list[str]
    series: dict[str, list[int]]
    share: dict[str, dict[str, Any]]  # "now" / "before" -> counts, total, negative_share, valence
    breakdowns: dict[str, list[dict[str, Any]]]  # this period, most negative first
    spots: list[dict[str, Any]] = field(default_factory=list)


def reading_stats(session: Session, f: Filters, *, spots: int = 5) -> ReadingStats:
    """Series, sentiment shares, breakdowns and trouble spots from two grouped scans.

    One GROUP BY over (period, day, emotion, sentiment, channel, queue, team) feeds every figure
    but the product category, which needs the order items and gets a second grouped query.
    """
    is_now = case((EmotionReading.occurred_at >= f.t0, 1), else_=0)
    day = func.date(EmotionReading.occurred_at)
    emo = _emotion_col()
    team = func.coalesce(Team.name, "(no team)")
    cols = (
        is_now,
        day,
        emo,
        EmotionReading.sentiment,
        EmotionReading.channel,
        Conversation.queue,
        team,
    )
    neg = func.sum(case((EmotionReading.sentiment == "negative", 1), else_=0))
    stmt = (
        _readings(f, *cols, func.count(), neg, func.sum(EmotionReading.valence))
        .outerjoin(Team, Team.id == Conversation.team_id)
        .group_by(*cols)
    )
    labels = [d.isoformat() for d in f.days()]
    index = {d: i for i, d in enumerate(labels)}
    series: dict[str, list[int]] = {}
    share = {"now": {}, "before": {}}  # type: dict[str, dict[str, int]]
    totals = {"now": _Acc(), "before": _Acc()}
    acc: dict[tuple[str, str, str], _Acc] = {}
    for now, d, e, sentiment, channel, queue, team_name, n, ng, vsum in session.execute(stmt):
        period = "now" if now else "before"
        n, ng, vsum = int(n), int(ng or 0), float(vsum or 0.0)
        totals[period].add(n, ng, vsum)
        key = str(sentiment or "unknown")
        share[period][key] = share[period].get(key, 0) + n
        if now and str(d)[:10] in index:
            emotion = e if e in EMOTION_ORDER else "neutral"
            series.setdefault(emotion, [0] * len(labels))[index[str(d)[:10]]] += n
        for dim, value in (("channel", channel), ("queue", queue), ("team", team_name)):
            if value:
                acc.setdefault((period, dim, str(value)), _Acc()).add(n, ng, vsum)
    cat = OrderItem.category
    for now, value, n, ng, vsum in session.execute(
        _readings(
            f, is_now, cat, func.count(), neg, func.sum(EmotionReading.valence), category_dim=True
        ).group_by(is_now, cat)
    ):
        if value:
            acc.setdefault(("now" if now else "before", "category", str(value)), _Acc()).add(
                int(n), int(ng or 0), float(vsum or 0.0)
            )
    breakdowns: dict[str, list[dict[str, Any]]] = {dim: [] for dim in DIMENSIONS}
    for (period, dim, value), a in acc.items():
        if period == "now":
            breakdowns[dim].append(a.row(value))
    for rows in breakdowns.values():
        rows.sort(key=lambda r: (-r["negative_share"], -r["n"]))
    shares = {}
    for period in ("now", "before"):
        t = totals[period]
        shares[period] = {
            "counts": share[period],
            "total": t.n,
            "negative_share": t.neg / t.n if t.n else None,
            "valence": t.valence / t.n if t.n else None,
        }
    found = []
    for dim, rows in breakdowns.items():
        for row in rows:
            if row["n"] < MIN_SLICE:
                continue
            was_acc = acc.get(("before", dim, row["key"]))
            was = was_acc.neg / was_acc.n if was_acc and was_acc.n else 0.0
            found.append(
                {**row, "dimension": dim, "was": was, "change": row["negative_share"] - was}
            )
    found.sort(key=lambda r: r["change"], reverse=True)
    return ReadingStats(
        labels=labels,
        series={e: series[e] for e in EMOTION_ORDER if e in series},
        share=shares,
        breakdowns=breakdowns,
        spots=[r for r in found if r["change"] > 0][:spots],
    )


def queue_load(session: Session) -> list[dict[str, Any]]:
    """Open and pending conversations per team and queue, with how many are past their SLA."""
    now = datetime.now(UTC)
    team = func.coalesce(Team.name, "(no team)")
    stmt = (
        select(
            team,
            Conversation.queue,
            func.count(),
            func.sum(case((Conversation.sla_due_at < now, 1), else_=0)),
            func.sum(case((Conversation.priority >= 3, 1), else_=0)),
        )
        .select_from(Conversation)
        .outerjoin(Team, Team.id == Conversation.team_id)
        .where(Conversation.status.in_(["open", "pending"]))
        .group_by(team, Conversation.queue)
    )
    rows = [
        {"team": t, "queue": q, "open": int(n), "overdue": int(o or 0), "urgent": int(u or 0)}
        for t, q, n, o, u in session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: (-r["open"], r["team"], r["queue"]))


def filter_options(session: Session) -> dict[str, list[Any]]:
    """Values for the filter drop-downs."""
    return {
        "channels": sorted(
            c for c in session.scalars(select(EmotionReading.channel).distinct()) if c
        ),
        "queues": sorted(q for q in session.scalars(select(Conversation.queue).distinct()) if q),
        "teams": [(t.id, t.name) for t in session.scalars(select(Team).order_by(Team.name))],
        "categories": sorted(
            c for c in session.scalars(select(OrderItem.category).distinct()) if c
        ),
    }
