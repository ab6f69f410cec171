"""Manager reports behind the dashboard: the messages behind any figure (a breakdown row, a
chart bar, an emotion) with the dashboard's filters, and CSV files of the dashboard's series,
survey trends, breakdowns and of a message list (cells a spreadsheet will not evaluate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from heartline.api.deps import Db
from heartline.assist import service as assist_service
from heartline.assist.service import Filters
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.emotion.taxonomy import CS_EMOTIONS, SENTIMENTS
from heartline.metrics import service as metrics_service
from heartline.web.deps import ManagerUser
from heartline.web.render import render
from heartline.web.report_filters import (
    bad,
    bucket_label,
    file_name,
    params,
    parse_date,
    parse_filters,
    parse_id,
    query,
)

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
# A message CSV stops here: a bigger export belongs to the API's paged list.
CSV_LIMIT = 50_000
NO_TEAM = "(no team)"


@dataclass(frozen=True)
class Drill:
    """A message list: the dashboard's filters plus what the clicked figure adds."""

    f: Filters
    where: dict[str, Any]
    params: dict[str, str]


def _drill(
    start: str, end: str, channel: str, queue: str, team: str, agent: str, category: str,
    language: str, emotion: str, sentiment: str,
) -> Drill:  # fmt: skip
    team_id = parse_id("team", team, allow_none=True)
    agent_id = parse_id("agent", agent, allow_none=True)
    if emotion and emotion not in CS_EMOTIONS:
        raise bad("emotion", f"{emotion!r} is not an emotion")
    if sentiment and sentiment not in SENTIMENTS:
        raise bad("sentiment", f"{sentiment!r} is not one of {', '.join(SENTIMENTS)}")
    f = parse_filters(
        parse_date("from", start), parse_date("to", end), channel, queue,
        team_id if isinstance(team_id, int) else None, category, language, "day",
    )  # fmt: skip
    where = {**f.where(), "team": team_id, "agent": agent_id, "emotion": emotion or None,
             "sentiment": sentiment or None}  # fmt: skip
    extra = {"team": team, "agent": agent, "emotion": emotion, "sentiment": sentiment}
    p = params(f, bucket=None, **{k: v.strip() for k, v in extra.items()})
    return Drill(f=f, where=where, params=p)


def _names(db: Db) -> tuple[dict[int, str], dict[int, str]]:
    teams = auth_service.team_names(db)
    agents = {u.id: u.name or u.email for u in auth_service.list_users(db)}
    return teams, agents


def _who(value: Any, names: dict[int, str], empty: str) -> str:
    if value == metrics_service.NO_VALUE or value is None:
        return empty
    return names.get(int(value), f"#{value}")


def _chips(d: Drill, teams: dict[int, str], agents: dict[int, str]) -> list[tuple[str, str]]:
    """The filters in words ("Team", "Support"), for the heading."""
    words = {"channel": "Channel", "queue": "Queue", "category": "Product category",
             "language": "Language", "emotion": "Emotion", "sentiment": "Feeling"}  # fmt: skip
    out = []
    for k, v in d.where.items():
        if v is None:
            continue
        if k == "team":
            out.append(("Team", _who(v, teams, NO_TEAM)))
        elif k == "agent":
            out.append(("Agent", _who(v, agents, "nobody assigned")))
        else:
            out.append((words[k], str(v)))
    return out


def drill_params(
    start: str = Query("", alias="from", max_length=40),
    end: str = Query("", alias="to", max_length=40),
    channel: str = Query("", max_length=60),
    queue: str = Query("", max_length=60),
    team: str = Query("", max_length=20),
    agent: str = Query("", max_length=20),
    category: str = Query("", max_length=120),
    language: str = Query("", max_length=10),
    emotion: str = Query("", max_length=20),
    sentiment: str = Query("", max_length=20),
) -> Drill:
    """A message list's filters from the query string (a 422 names a bad field)."""
    return _drill(start, end, channel, queue, team, agent, category, language, emotion, sentiment)


def dashboard_params(
    start: str = Query("", alias="from", max_length=40),
    end: str = Query("", alias="to", max_length=40),
    channel: str = Query("", max_length=60),
    queue: str = Query("", max_length=60),
    team: str = Query("", max_length=20),
    category: str = Query("", max_length=120),
    language: str = Query("", max_length=10),
    bucket: str = Query("", max_length=10),
) -> Filters:
    """The dashboard's filters for its CSV files (a 422 names a bad field)."""
    team_id = parse_id("team", team)
    return parse_filters(
        parse_date("from", start), parse_date("to", end), channel, queue,
        team_id if isinstance(team_id, int) else None, category, language, bucket,
    )  # fmt: skip


DrillQ = Annotated[Drill, Depends(drill_params)]
DashQ = Annotated[Filters, Depends(dashboard_params)]


@router.get("/reports/messages", response_class=HTMLResponse)
def messages(
    request: Request, db: Db, user: ManagerUser, d: DrillQ, page: int = Query(1, ge=1, le=100_000)
) -> Response:
    """The messages behind a dashboard figure, newest first, 50 a page."""
    rows, total = metrics_service.readings_behind(
        db, start=d.f.t0, end=d.f.t1, where=d.where, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    teams, agents = _names(db)
    ids = {int(r["customer_id"]) for r in rows}
    names = {c.id: c.name for c in customer_service.list_customers_by_ids(db, ids=ids)}
    q = dict(d.params)
    return render(
        request,
        "report_messages.html",
        {
            "d": d, "rows": rows, "total": total, "page": page,
            "pages": max(1, -(-total // PER_PAGE)), "names": names, "teams": teams,
            "agents": agents, "chips": _chips(d, teams, agents), "no_team": NO_TEAM,
            "prev_q": _with_page(q, page - 1), "next_q": _with_page(q, page + 1),
            "csv_q": urlencode(q), "dash_q": query(d.f),
        },
    )  # fmt: skip


def _with_page(q: dict[str, str], page: int) -> str:
    return urlencode({**q, "page": str(page)} if page > 1 else q)


MESSAGE_COLUMNS = ("time_utc", "customer", "channel", "language", "queue", "team", "agent",
                   "emotion", "feeling", "valence", "subject", "text", "conversation")  # fmt: skip


@router.get("/reports/messages.csv")
def messages_csv(db: Db, user: ManagerUser, d: DrillQ) -> Response:
    """The whole message list as CSV (up to CSV_LIMIT rows, newest first)."""
    rows, _total = metrics_service.readings_behind(
        db, start=d.f.t0, end=d.f.t1, where=d.where, limit=CSV_LIMIT
    )
    teams, agents = _names(db)
    ids = {int(r["customer_id"]) for r in rows}
    names = {c.id: c.name for c in customer_service.list_customers_by_ids(db, ids=ids)}
    out = (
        (
            r["occurred_at"].strftime("%Y-%m-%d %H:%M:%S"),
            names.get(r["customer_id"]) or f"Customer #{r['customer_id']}",
            r["channel"],
            r["language"],
            r["queue"],
            _who(r["team_id"], teams, ""),
            _who(r["agent_id"], agents, ""),
            r["emotion"],
            r["sentiment"],
            round(float(r["valence"] or 0), 3),
            r["subject"],
            r["text"],
            f"/conversations/{r['conversation_id']}" if r["conversation_id"] else "",
        )
        for r in rows
    )
    return csv_response("messages", d.params, metrics_service.to_csv(MESSAGE_COLUMNS, out))


@router.get("/reports/sentiment.csv")
def sentiment_csv(db: Db, user: ManagerUser, f: DashQ) -> Response:
    """Messages per bar (day, week or month) and emotion, as the dashboard's chart shows them."""
    stats = assist_service.reading_stats(db, f)
    emotions = list(stats.series)
    rows = (
        (bucket_label(name, f.bucket), first.isoformat(), last.isoformat(),
         sum(stats.series[e][i] for e in emotions), *(stats.series[e][i] for e in emotions))
        for i, (name, first, last) in enumerate(f.buckets())
    )  # fmt: skip
    cols = ("period", "first_day", "last_day", "messages", *emotions)
    return csv_response("sentiment", params(f), metrics_service.to_csv(cols, rows))


@router.get("/reports/surveys.csv")
def surveys_csv(db: Db, user: ManagerUser, f: DashQ) -> Response:
    """CSAT, NPS and CES per week (or month) with the number of answers behind each."""
    bucket = survey_bucket(f.bucket)
    trend = metrics_service.survey_trend(
        db, bucket=bucket, start=f.start, end=f.end, where=f.where()
    )
    keys = ("csat", "csat_n", "nps", "nps_n", "ces", "ces_n")
    rows = (
        (bucket_label(date.fromisoformat(r["bucket"]), bucket), r["first"].isoformat(),
         r["last"].isoformat(), *(r[k] for k in keys))
        for r in trend
    )  # fmt: skip
    cols = ("period", "first_day", "last_day", "csat_percent", "csat_answers", "nps",
            "nps_answers", "ces", "ces_answers")  # fmt: skip
    return csv_response("surveys", params(f), metrics_service.to_csv(cols, rows))


@router.get("/reports/breakdowns.csv")
def breakdowns_csv(db: Db, user: ManagerUser, f: DashQ) -> Response:
    """Every breakdown of the dashboard (by channel, queue, team, ... and emotion) in one file."""
    stats = assist_service.reading_stats(db, f)
    rows: list[tuple[Any, ...]] = [
        (dim, r["key"], r["n"], round(100 * r["negative_share"], 1), round(r["valence"], 3))
        for dim, items in stats.breakdowns.items()
        for r in items
    ]
    rows += [
        ("agent", r["key"], r["n"], round(100 * r["negative_share"], 1), round(r["valence"], 3))
        for r in agent_breakdown(db, f)
    ]
    rows += [("emotion", e, n, "", "") for e, n in emotion_counts(db, f)]
    cols = ("breakdown", "value", "messages", "negative_percent", "average_valence")
    return csv_response("breakdowns", params(f), metrics_service.to_csv(cols, rows))


def agent_breakdown(db: Db, f: Filters) -> list[dict[str, Any]]:
    """Messages per assigned agent in the range (by name; "Nobody assigned" for the rest),
    most negative first, each with the links to its messages and its negative ones."""
    pair = metrics_service.compare_periods(
        db, split=f.t0, by="agent", start=f.t0, end=f.t1, where=f.where()
    )
    _, agents = _names(db)
    out = []
    for r in pair["now"]:
        href = "/reports/messages?" + query(f, bucket=None, agent=r["key"] or "none")
        out.append({"key": _who(r["key"], agents, "Nobody assigned"), "n": r["n"],
                    "negative_share": r["negative_share"], "valence": r["avg_valence"],
                    "href": href, "neg_href": href + "&sentiment=negative"})  # fmt: skip
    return sorted(out, key=lambda r: (-r["negative_share"], -r["n"]))


def survey_bucket(bucket: str) -> str:
    """Survey trends go per week at the finest: a day rarely has enough answers to plot."""
    return "week" if bucket == "day" else bucket


def emotion_counts(db: Db, f: Filters) -> list[tuple[str, int]]:
    """Messages per top emotion in the range (most first); readings without one are left out."""
    rows = metrics_service.sentiment_trend(db, bucket="", start=f.t0, end=f.t1, where=f.where())
    counts: dict[str, int] = rows[0]["emotions"] if rows else {}
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def csv_response(kind: str, p: dict[str, str], text: str) -> Response:
    """A CSV download named after what it holds and its filters."""
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{file_name(kind, p)}"'},
    )
