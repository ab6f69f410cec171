"""Keeping the daily rollup: refresh the days a batch touched, or rebuild it all.

Readings and survey answers land in separate rows of the same grains (a survey row has n = 0,
a reading row zero survey counts), so any sum over a grain adds both up.

Readings carry their conversation's queue, team and assignee as they are when the day is
refreshed (the pipeline's rollup stage runs after routing; `refresh_recent` picks up later
reassignments when a scheduler calls it). A reading tied to an order (directly or through its
complaint) counts once in each product category of that order.

One writer per day. A refresh deletes a day's rows and counts them again from the readings;
two workers doing that at once under READ COMMITTED each delete only the rows their statement
could see, then both insert, and the day counts twice (the over-count #15 measured). So on
PostgreSQL a refresh first takes a transaction-scoped advisory lock per day it recounts, in
ascending day order (two refreshes never wait on each other in a cycle), plus a shared lock
on the whole rollup that `rebuild_rollup` takes exclusively. The second writer waits for the
first to commit; its DELETE and INSERT ... SELECT, each a new statement with a new snapshot,
then see the first writer's rows and every reading committed by then. SQLite has one writer
per database already (a transaction whose snapshot is stale cannot write: it fails and the
stage is retried).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from heartline.customers.models import OrderItem
from heartline.db import utcnow
from heartline.emotion.taxonomy import CS_EMOTIONS, SENTIMENTS
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.metrics.models import GRAINS
from heartline.metrics.models import DailyReadingRollup as R
from heartline.mood.models import Complaint, EmotionReading

DIM_COLUMNS = {
    "channel": "channel",
    "queue": "queue",
    "team": "team_id",
    "agent": "agent_id",
    "category": "category",
    "language": "language",
}
READING_MEASURES = (
    "n",
    "valence_sum",
    "intensity_sum",
    *(f"s_{s}" for s in (*SENTIMENTS, "none")),
    *(f"e_{e}" for e in CS_EMOTIONS),
)
SURVEY_MEASURES = (
    "csat_n",
    "csat_good",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
    "ces_n",
    "ces_sum",
)
MEASURES = (*READING_MEASURES, *SURVEY_MEASURES)
ZERO: ColumnElement[Any] = literal_column("0")


def day_of(session: Session, col: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(col)
    return cast(func.timezone(literal_column("'UTC'"), col), Date)


def _source(session: Session, start: datetime | None, end: datetime | None, category: bool) -> Any:
    """One row per reading (per reading and category) with its day and slicing dimensions."""
    er = EmotionReading
    stmt = (
        select(
            day_of(session, er.occurred_at).label("day"),
            er.id.label("rid"),
            er.occurred_at.label("at"),
            er.channel.label("channel"),
            er.language.label("language"),
            Conversation.queue.label("queue"),
            Conversation.team_id.label("team_id"),
            Conversation.assignee_id.label("agent_id"),
            er.sentiment.label("sentiment"),
            er.top_emotion.label("top_emotion"),
            er.valence.label("valence"),
            er.intensity.label("intensity"),
        )
        .select_from(er)
        .join(Interaction, Interaction.id == er.interaction_id)
        .outerjoin(Conversation, Conversation.id == Interaction.conversation_id)
    )
    if start is not None and end is not None:
        stmt = stmt.where(er.occurred_at >= start, er.occurred_at < end)
    if category:
        order_id = func.coalesce(Interaction.order_id, Complaint.order_id)
        stmt = (
            stmt.outerjoin(Complaint, Complaint.interaction_id == er.interaction_id)
            .join(OrderItem, OrderItem.order_id == order_id)
            .add_columns(OrderItem.category.label("category"))
            .where(OrderItem.category.is_not(None))
            .distinct()  # two lines of one category count the reading once
        )
    return stmt.subquery()


def _survey_source(
    session: Session, start: datetime | None, end: datetime | None, category: bool
) -> Any:
    """One row per survey answer (per answer and category of its order) with its dimensions."""
    sr = SurveyResponse
    stmt = (
        select(
            day_of(session, sr.responded_at).label("day"),
            sr.id.label("sid"),
            func.coalesce(Interaction.channel, literal_column("'survey'")).label("channel"),
            cast(null(), String(10)).label("language"),  # answers are scores, not words
            Conversation.queue.label("queue"),
            Conversation.team_id.label("team_id"),
            Conversation.assignee_id.label("agent_id"),
            sr.kind.label("kind"),
            sr.score.label("score"),
        )
        .select_from(sr)
        .outerjoin(Interaction, Interaction.id == sr.interaction_id)
        .outerjoin(Conversation, Conversation.id == sr.conversation_id)
    )
    if start is not None and end is not None:
        stmt = stmt.where(sr.responded_at >= start, sr.responded_at < end)
    if category:
        stmt = (
            stmt.join(OrderItem, OrderItem.order_id == sr.order_id)
            .add_columns(OrderItem.category.label("category"))
            .where(OrderItem.category.is_not(None))
            .distinct()
        )
    return stmt.subquery()


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((cond, 1), else_=0))


def _insert_from_source(session: Session, grain: str, src: Any) -> None:
    dims = [src.c[DIM_COLUMNS[d]] for d in GRAINS[grain]]
    measures = [
        func.count(),
        func.coalesce(func.sum(src.c.valence), 0.0),
        func.coalesce(func.sum(src.c.intensity), 0.0),
        *(_count_if(src.c.sentiment == s) for s in SENTIMENTS),
        _count_if(src.c.sentiment.is_(None)),
        *(_count_if(src.c.top_emotion == e) for e in CS_EMOTIONS),
        *(ZERO for _ in SURVEY_MEASURES),
    ]
    sel = select(literal_column(f"'{grain}'"), src.c.day, *dims, *measures).group_by(
        src.c.day, *dims
    )
    cols = ["grain", "day", *(DIM_COLUMNS[d] for d in GRAINS[grain]), *MEASURES]
    session.execute(insert(R).from_select(cols, sel))


def _insert_surveys(session: Session, grain: str, src: Any) -> None:
    dims = [src.c[DIM_COLUMNS[d]] for d in GRAINS[grain]]
    kind, score = src.c.kind, src.c.score
    measures = [
        *(ZERO for _ in READING_MEASURES),
        _count_if(kind == "csat"),
        _count_if(and_(kind == "csat", score >= 4)),
        _count_if(kind == "nps"),
        _count_if(and_(kind == "nps", score >= 9)),
        _count_if(and_(kind == "nps", score <= 6)),
        _count_if(kind == "ces"),
        func.sum(case((kind == "ces", score), else_=0)),
    ]
    sel = select(literal_column(f"'{grain}'"), src.c.day, *dims, *measures).group_by(
        src.c.day, *dims
    )
    cols = ["grain", "day", *(DIM_COLUMNS[d] for d in GRAINS[grain]), *MEASURES]
    session.execute(insert(R).from_select(cols, sel))


def _insert_from_grain(
    session: Session, grain: str, parent: str, d0: date | None, d1: date | None
) -> None:
    """A narrow grain is the sum of its wide parent's rows (sums add up)."""
    dims = [getattr(R, DIM_COLUMNS[d]) for d in GRAINS[grain]]
    sel = select(
        literal_column(f"'{grain}'"), R.day, *dims, *(func.sum(getattr(R, m)) for m in MEASURES)
    ).where(R.grain == parent)
    if d0 is not None and d1 is not None:
        sel = sel.where(R.day >= d0, R.day < d1)
    sel = sel.group_by(R.day, *dims)
    cols = ["grain", "day", *(DIM_COLUMNS[d] for d in GRAINS[grain]), *MEASURES]
    session.execute(insert(R).from_select(cols, sel))


def _fill(session: Session, d0: date | None, d1: date | None) -> None:
    start = end = None
    if d0 is not None and d1 is not None:
        start = datetime(d0.year, d0.month, d0.day, tzinfo=UTC)
        end = datetime(d1.year, d1.month, d1.day, tzinfo=UTC)
    _insert_from_source(session, "full", _source(session, start, end, category=False))
    _insert_from_source(session, "category_full", _source(session, start, end, category=True))
    _insert_surveys(session, "full", _survey_source(session, start, end, category=False))
    _insert_surveys(session, "category_full", _survey_source(session, start, end, category=True))
    _insert_from_grain(session, "slices", "full", d0, d1)
    _insert_from_grain(session, "agent", "full", d0, d1)
    for grain in ("channel", "queue", "team", "language"):  # from the smaller "slices"
        _insert_from_grain(session, grain, "slices", d0, d1)
    _insert_from_grain(session, "category", "category_full", d0, d1)


# Touched days closer than this share one recount: recounting a few untouched days costs less
# than the dozen statements each separate run takes (a history import touches scattered days).
MERGE_GAP_DAYS = 7


def _runs(days: Iterable[date], gap: int = MERGE_GAP_DAYS) -> list[tuple[date, date]]:
    """[first, last + 1 day) runs covering the given days; days less than ``gap`` apart share
    a run."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][1]).days < gap:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


# Advisory lock keys (PostgreSQL): (LOCK_SPACE, day ordinal) per day, (LOCK_SPACE, 0) for the
# whole rollup. A refresh over more days than LOCK_MAX_DAYS takes the whole-rollup lock instead
# (each advisory lock is an entry in the server's shared lock table).
LOCK_SPACE = 0x48_4C_52_55  # "HLRU"
LOCK_WHOLE = 0
LOCK_MAX_DAYS = 400


def _lock_days(session: Session, runs: list[tuple[date, date]]) -> None:
    """Become the one writer of these day runs until the transaction ends (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql" or not runs:
        return
    days = [d0.toordinal() + i for d0, d1 in runs for i in range((d1 - d0).days)]
    if len(days) > LOCK_MAX_DAYS:
        _lock_whole(session)
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock_shared(:space, :whole)"),
        {"space": LOCK_SPACE, "whole": LOCK_WHOLE},
    )
    # unnest yields the sorted array in order, so the locks are taken in ascending days
    session.execute(
        text("SELECT count(pg_advisory_xact_lock(:space, d)) FROM unnest(CAST(:days AS int[])) d"),
        {"space": LOCK_SPACE, "days": sorted(set(days))},
    )


def _lock_whole(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :whole)"),
            {"space": LOCK_SPACE, "whole": LOCK_WHOLE},
        )


def refresh_rollup(session: Session, *, days: Iterable[date]) -> None:
    """Recompute every grain's rows of these UTC days from the readings (idempotent, and safe
    to run concurrently: one writer per day, see the module docstring)."""
    runs = _runs(days)
    _lock_days(session, runs)
    for d0, d1 in runs:
        session.execute(delete(R).where(R.day >= d0, R.day < d1))
        _fill(session, d0, d1)
    session.flush()


def refresh_recent(session: Session, *, days: int = 7, now: datetime | None = None) -> None:
    """Refresh the last `days` days (a daily job: picks up reassigned conversations)."""
    today = (now or utcnow()).date()
    refresh_rollup(session, days=[today - timedelta(days=i) for i in range(days)])


def rebuild_rollup(session: Session) -> int:
    """Rebuild the whole rollup in one pass (after a bulk load); returns rows written."""
    _lock_whole(session)
    session.execute(delete(R))
    _fill(session, None, None)
    session.flush()
    return session.scalar(select(func.count()).select_from(R)) or 0


# A filter value asking for readings without that dimension (no team, no queue, no agent).
NO_VALUE = "(none)"
# Report lists filter the readings on these extra columns besides the slice dimensions.
READING_FILTERS = ("emotion", "sentiment")
_DETAIL_KEYS = ("reading_id", "occurred_at", "channel", "language", "sentiment", "emotion",
                "valence", "interaction_id", "customer_id", "conversation_id", "subject", "text",
                "queue", "team_id", "agent_id")  # fmt: skip


def readings_behind(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    where: dict[str, Any],
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The readings a rollup figure counts (newest first, a page of them) and how many.

    The same projection as the rollup (`_source`), so a list agrees with the figure it came
    from: `where` takes the slice dimensions (DIM_COLUMNS keys; NO_VALUE for "without"), and
    `emotion` (top emotion) or `sentiment`.
    """
    where = {k: v for k, v in where.items() if v is not None}
    src = _source(session, start, end, category="category" in where)
    cols = {**{d: src.c[c] for d, c in DIM_COLUMNS.items() if c in src.c},
            "emotion": src.c.top_emotion, "sentiment": src.c.sentiment}  # fmt: skip
    conds = [cols[k].is_(None) if v == NO_VALUE else cols[k] == v for k, v in where.items()]
    total = session.scalar(select(func.count()).select_from(src).where(*conds)) or 0
    page = (
        select(src.c.rid, src.c.at)
        .where(*conds)
        .order_by(src.c.at.desc(), src.c.rid.desc())
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    er = EmotionReading
    stmt = (
        select(er.id, er.occurred_at, er.channel, er.language, er.sentiment, er.top_emotion,
               er.valence, Interaction.id, Interaction.customer_id, Interaction.conversation_id,
               Interaction.subject, Interaction.text, Conversation.queue, Conversation.team_id,
               Conversation.assignee_id)
        .join(page, page.c.rid == er.id)
        .join(Interaction, Interaction.id == er.interaction_id)
        .outerjoin(Conversation, Conversation.id == Interaction.conversation_id)
        .order_by(page.c.at.desc(), page.c.rid.desc())
    )  # fmt: skip
    rows = session.execute(stmt)
    return [dict(zip(_DETAIL_KEYS, r, strict=True)) for r in rows], total
