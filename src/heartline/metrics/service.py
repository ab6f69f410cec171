"""CX metrics: CSAT, NPS, CES, sentiment trend, emotion mix, recovery and retention.

Reading-based figures sliced only by time and channel come from the daily rollup (kept by the
pipeline's remember stage); slices by team, agent, queue or product category join the raw
readings through indexed keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    and_,
    case,
    cast,
    delete,
    distinct,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from heartline.customers.models import Order, OrderItem
from heartline.db import utcnow
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.metrics.models import DailyReadingRollup as R
from heartline.mood.models import Complaint, EmotionReading, RecoveryStory

SLICES = ("channel", "team", "agent", "queue", "category")
# Inlined (not a bound parameter) so PostgreSQL sees the SELECT and GROUP BY expressions as equal.
NONE = literal_column("'none'")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def day_of(session: Session, col: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column."""
    if _dialect(session) == "sqlite":
        return func.date(col)
    return cast(func.timezone(literal_column("'UTC'"), col), Date)


def week_of_day(session: Session, col: Any) -> ColumnElement[Any]:
    """The Monday starting the week of a date (or timestamp) column."""
    if _dialect(session) == "sqlite":
        return func.date(col, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return cast(func.date_trunc(literal_column("'week'"), col), Date)


def _bucket(session: Session, col: Any, bucket: str, *, is_day: bool) -> ColumnElement[Any]:
    day = col if is_day else day_of(session, col)
    return day if bucket == "day" else week_of_day(session, day)


def _day_range(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def refresh_rollup(session: Session, *, days: Iterable[date]) -> None:
    """Recompute the rollup rows of these days from the readings (idempotent)."""
    for day in sorted(set(days)):
        start, end = _day_range(day)
        session.execute(delete(R).where(R.day == day))
        src = (
            select(
                literal(day, Date),
                EmotionReading.channel,
                func.coalesce(EmotionReading.sentiment, NONE),
                func.coalesce(EmotionReading.top_emotion, NONE),
                func.count(),
                func.sum(EmotionReading.valence),
                func.sum(EmotionReading.intensity),
            )
            .where(EmotionReading.occurred_at >= start, EmotionReading.occurred_at < end)
            .group_by(
                EmotionReading.channel,
                func.coalesce(EmotionReading.sentiment, NONE),
                func.coalesce(EmotionReading.top_emotion, NONE),
            )
        )
        session.execute(
            insert(R).from_select(
                ["day", "channel", "sentiment", "top_emotion", "n", "valence_sum", "intensity_sum"],
                src,
            )
        )
    session.flush()


def rebuild_rollup(session: Session) -> int:
    """Rebuild the whole rollup in one pass (after a bulk load); returns rows written."""
    session.execute(delete(R))
    day = day_of(session, EmotionReading.occurred_at)
    sent = func.coalesce(EmotionReading.sentiment, NONE)
    emo = func.coalesce(EmotionReading.top_emotion, NONE)
    src = select(
        day,
        EmotionReading.channel,
        sent,
        emo,
        func.count(),
        func.sum(EmotionReading.valence),
        func.sum(EmotionReading.intensity),
    ).group_by(day, EmotionReading.channel, sent, emo)
    session.execute(
        insert(R).from_select(
            ["day", "channel", "sentiment", "top_emotion", "n", "valence_sum", "intensity_sum"], src
        )
    )
    session.flush()
    return session.scalar(select(func.count()).select_from(R)) or 0


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or utcnow()
    return start or end - timedelta(days=30), end


def _slice_col(by: str) -> ColumnElement[Any]:
    return {
        "channel": EmotionReading.channel,
        "team": Conversation.team_id,
        "agent": Conversation.assignee_id,
        "queue": Conversation.queue,
        "category": OrderItem.category,
    }[by]


def _live(stmt: Any, needs: set[str]) -> Any:
    """Join what the slices and filters need onto a readings query."""
    if needs & {"team", "agent", "queue", "category"}:
        stmt = stmt.join(Interaction, Interaction.id == EmotionReading.interaction_id)
    if needs & {"team", "agent", "queue"}:
        stmt = stmt.outerjoin(Conversation, Conversation.id == Interaction.conversation_id)
    if "category" in needs:
        stmt = stmt.outerjoin(Complaint, Complaint.interaction_id == EmotionReading.interaction_id)
        stmt = stmt.join(
            OrderItem, OrderItem.order_id == func.coalesce(Interaction.order_id, Complaint.order_id)
        )
    return stmt


def _filters(f: dict[str, Any]) -> list[ColumnElement[bool]]:
    out = []
    for key, value in f.items():
        if value is not None:
            out.append(_slice_col(key) == value)
    return out


def sentiment_trend(
    session: Session,
    *,
    bucket: str = "day",
    by: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    where: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Valence, sentiment shares and emotion mix per day or week (optionally per slice)."""
    start, end = _range(start, end)
    where = {k: v for k, v in (where or {}).items() if v is not None}
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    if set(where) <= {"channel"} and by in (None, "channel"):
        b = _bucket(session, R.day, bucket, is_day=True)
        key_col = R.channel if by else literal("all")
        stmt = (
            select(b, key_col, R.sentiment, R.top_emotion, func.sum(R.n), func.sum(R.valence_sum))
            .where(
                R.day >= start.date(),
                R.day <= end.date(),
                *([R.channel == where["channel"]] if "channel" in where else []),
            )
            .group_by(b, key_col, R.sentiment, R.top_emotion)
        )
    else:
        b = _bucket(session, EmotionReading.occurred_at, bucket, is_day=False)
        key_col = _slice_col(by) if by else literal("all")
        stmt = _live(
            select(
                b,
                key_col,
                func.coalesce(EmotionReading.sentiment, NONE),
                func.coalesce(EmotionReading.top_emotion, NONE),
                func.count(distinct(EmotionReading.id)),
                func.sum(EmotionReading.valence),
            ),
            {*where, *([by] if by else [])},
        )
        stmt = stmt.where(
            EmotionReading.occurred_at >= start, EmotionReading.occurred_at < end, *_filters(where)
        ).group_by(b, key_col, EmotionReading.sentiment, EmotionReading.top_emotion)
    for bk, key, sentiment, emotion, n, vsum in session.execute(stmt):
        item = rows.setdefault(
            (str(bk), key),
            {
                "bucket": str(bk),
                "key": key,
                "n": 0,
                "valence_sum": 0.0,
                "sentiment": {},
                "emotions": {},
            },
        )
        item["n"] += int(n)
        item["valence_sum"] += float(vsum or 0)
        item["sentiment"][sentiment] = item["sentiment"].get(sentiment, 0) + int(n)
        if emotion != "none":
            item["emotions"][emotion] = item["emotions"].get(emotion, 0) + int(n)
    out = []
    for item in sorted(rows.values(), key=lambda i: (i["bucket"], str(i["key"]))):
        n = item.pop("n")
        vsum = item.pop("valence_sum")
        item.update(
            {
                "n": n,
                "avg_valence": round(vsum / n, 4) if n else None,
                "negative_share": round(item["sentiment"].get("negative", 0) / n, 4) if n else None,
            }
        )
        out.append(item)
    return out


def _survey_stmt(cols: list[Any], by: str | None, where: dict[str, Any]) -> Any:
    stmt = select(*cols)
    needs = {*where, *([by] if by else [])}
    if needs & {"channel"}:
        stmt = stmt.outerjoin(Interaction, Interaction.id == SurveyResponse.interaction_id)
    if needs & {"team", "agent", "queue"}:
        stmt = stmt.outerjoin(Conversation, Conversation.id == SurveyResponse.conversation_id)
    if "category" in needs:
        stmt = stmt.join(OrderItem, OrderItem.order_id == SurveyResponse.order_id)
    return stmt


def _survey_slice(by: str) -> ColumnElement[Any]:
    if by == "channel":
        return func.coalesce(Interaction.channel, "survey")
    return _slice_col(by)


def surveys(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
    where: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """CSAT (share of 4-5), NPS (promoters minus detractors) and CES (mean effort) per slice."""
    start, end = _range(start, end)
    where = {k: v for k, v in (where or {}).items() if v is not None}
    key_col = _survey_slice(by) if by else literal("all")
    s = SurveyResponse.score
    cols = [
        key_col,
        SurveyResponse.kind,
        func.count(distinct(SurveyResponse.id)),
        func.sum(case((and_(SurveyResponse.kind == "csat", s >= 4), 1), else_=0)),
        func.sum(case((and_(SurveyResponse.kind == "nps", s >= 9), 1), else_=0)),
        func.sum(case((and_(SurveyResponse.kind == "nps", s <= 6), 1), else_=0)),
        func.avg(s),
    ]
    stmt = (
        _survey_stmt(cols, by, where)
        .where(
            SurveyResponse.responded_at >= start,
            SurveyResponse.responded_at < end,
            *[(_survey_slice(k) == v) for k, v in where.items()],
        )
        .group_by(key_col, SurveyResponse.kind)
    )
    out: dict[Any, dict[str, Any]] = {}
    for key, kind, n, csat_good, promoters, detractors, avg in session.execute(stmt):
        item = out.setdefault(
            key,
            {
                "key": key,
                "csat": None,
                "csat_n": 0,
                "nps": None,
                "nps_n": 0,
                "ces": None,
                "ces_n": 0,
            },
        )
        n = int(n)
        if kind == "csat":
            item.update(csat=round(int(csat_good) / n, 4), csat_n=n)
        elif kind == "nps":
            item.update(nps=round(100 * (int(promoters) - int(detractors)) / n, 1), nps_n=n)
        elif kind == "ces":
            item.update(ces=round(float(avg), 3), ces_n=n)
    return sorted(out.values(), key=lambda i: str(i["key"]))


def recovery(
    session: Session, *, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """Resolved negative episodes in the period and how many turned into recovery stories."""
    start, end = _range(start, end)
    episode = func.coalesce(Complaint.conversation_id, -Complaint.interaction_id)
    resolved = (
        session.scalar(
            select(func.count(distinct(episode))).where(
                Complaint.resolved_at >= start, Complaint.resolved_at < end
            )
        )
        or 0
    )
    recovered = (
        session.scalar(
            select(func.count())
            .select_from(RecoveryStory)
            .where(RecoveryStory.resolved_at >= start, RecoveryStory.resolved_at < end)
        )
        or 0
    )
    return {
        "resolved_episodes": resolved,
        "recovered": recovered,
        "recovery_rate": round(recovered / resolved, 4) if resolved else None,
    }


def summary(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The dashboard's headline figures for a period and slice."""
    start, end = _range(start, end)
    trend = sentiment_trend(session, bucket="week", start=start, end=end, where=where)
    n = sum(t["n"] for t in trend)
    sentiment: dict[str, int] = {}
    emotions: dict[str, int] = {}
    vsum = 0.0
    for t in trend:
        vsum += (t["avg_valence"] or 0) * t["n"]
        for k, v in t["sentiment"].items():
            sentiment[k] = sentiment.get(k, 0) + v
        for k, v in t["emotions"].items():
            emotions[k] = emotions.get(k, 0) + v
    survey = surveys(session, start=start, end=end, where=where)
    reasons = dict(
        session.execute(
            select(Complaint.reason, func.count())
            .where(Complaint.occurred_at >= start, Complaint.occurred_at < end)
            .group_by(Complaint.reason)
        ).all()
    )
    return {
        "from": start,
        "to": end,
        "filters": {k: v for k, v in (where or {}).items() if v is not None},
        "readings": n,
        "avg_valence": round(vsum / n, 4) if n else None,
        "sentiment": {k: round(v / n, 4) for k, v in sentiment.items()} if n else {},
        "emotion_mix": {
            k: round(v / n, 4) for k, v in sorted(emotions.items(), key=lambda kv: -kv[1])
        }
        if n
        else {},
        "surveys": survey[0] if survey else {"csat": None, "nps": None, "ces": None},
        "complaint_reasons": {k: int(v) for k, v in reasons.items()},
        **recovery(session, start=start, end=end),
    }


def retention(
    session: Session, *, as_of: datetime | None = None, active_days: int = 90
) -> list[dict[str, Any]]:
    """Per first-order month: cohort size, customers still buying (an order in the last
    `active_days`), retention and churn rate, and repeat-purchase rate."""
    as_of = as_of or utcnow()
    stmt = (
        select(
            Order.customer_id, func.min(Order.placed_at), func.max(Order.placed_at), func.count()
        )
        .where(Order.placed_at <= as_of, Order.status != "cancelled")
        .group_by(Order.customer_id)
    )
    cohorts: dict[str, dict[str, int]] = {}
    for _cid, first, last, n in session.execute(stmt):
        c = cohorts.setdefault(f"{first:%Y-%m}", {"customers": 0, "active": 0, "repeat": 0})
        c["customers"] += 1
        c["active"] += int((as_of - last).days <= active_days)
        c["repeat"] += int(n >= 2)
    return [
        {
            "cohort": k,
            "customers": v["customers"],
            "active": v["active"],
            "retention_rate": round(v["active"] / v["customers"], 4),
            "churn_rate": round(1 - v["active"] / v["customers"], 4),
            "repeat_rate": round(v["repeat"] / v["customers"], 4),
        }
        for k, v in sorted(cohorts.items())
    ]
