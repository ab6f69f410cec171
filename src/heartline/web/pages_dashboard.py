"""Manager dashboard: colour-coded sentiment over time, survey tiles with trends, breakdowns,
trouble spots, recovery stories, segments with drill-down and queue load. Every filter lives in
the URL so a view can be shared."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from heartline.api.deps import Db
from heartline.assist import service as assist_service
from heartline.assist.service import Filters, ReadingStats
from heartline.customers import service as customer_service
from heartline.errors import AppError, ErrorCode
from heartline.metrics import service as metrics_service
from heartline.mood import service as mood_service
from heartline.web.deps import ManagerUser
from heartline.web.pages_reports import (
    NO_TEAM,
    agent_breakdown,
    emotion_counts,
    survey_bucket,
)
from heartline.web.render import render
from heartline.web.report_filters import (
    bucket_label,
    parse_date,
    parse_filters,
    parse_id,
    query,
)
from heartline.web.trend_svg import METRICS, trend_card

router = APIRouter(include_in_schema=False)
# Chart colours: red anger, amber frustration, yellow neutral, green satisfaction (design brief).
EMOTION_COLOURS = {
    "anger": "#c62828", "frustration": "#e08a00", "disappointment": "#b45309", "sadness": "#7c5295",
    "anxiety": "#a16207", "confusion": "#8d99ae", "surprise": "#4f83cc", "neutral": "#f2d024",
    "joy": "#2e9d4f", "gratitude": "#1f7a3d", "satisfaction": "#4caf50",
}  # fmt: skip


def _trend(
    now: float | None, before: float | None, higher_is_better: bool = True
) -> dict[str, Any]:
    """How a figure moved since the previous period, good versus bad said in a sign and words
    as well as colour (colour-blind managers exist): ▲/▼ for the direction, ✓/✗ and
    "better"/"worse" for whether that is good for this figure."""
    if now is None or before is None:
        return {"word": "no earlier data", "icon": "·", "mark": "", "css": "trend-flat"}
    delta = now - before
    if abs(delta) < 0.05:
        return {"word": "no change", "icon": "=", "mark": "", "css": "trend-flat", "delta": delta}
    good = (delta > 0) == higher_is_better
    verdict = "better" if good else "worse"
    return {
        "word": f"{'up' if delta > 0 else 'down'} {abs(delta):.1f}, {verdict}",
        "icon": "▲" if delta > 0 else "▼",
        "mark": "✓" if good else "✗",
        "verdict": verdict,
        "css": "trend-good" if good else "trend-bad",
        "delta": delta,
    }


def _surveys(db: Db, f: Filters, *, previous: bool = False) -> dict[str, float | None]:
    p = f.previous() if previous else f
    where = f.where()
    rows = metrics_service.surveys(db, start=p.t0, end=p.t1, where=where)
    row = rows[0] if rows else {}
    csat = row.get("csat")
    return {
        "csat": None if csat is None else 100 * csat,
        "nps": row.get("nps"),
        "ces": row.get("ces"),
    }


def _retention(db: Db, as_of: datetime) -> float | None:
    """Share of customers who ever ordered that still buy (an order in the last 90 days)."""
    r = metrics_service.retention_rate(db, as_of=as_of)
    return 100 * r["active"] / r["customers"] if r["customers"] else None


def tiles(db: Db, f: Filters, stats: ReadingStats) -> list[dict[str, Any]]:
    """CSAT, NPS, CES, retention and negative share, each against the previous period."""
    now, before = _surveys(db, f), _surveys(db, f, previous=True)
    ret_now, ret_before = _retention(db, f.t1), _retention(db, f.previous().t1)
    neg_now, neg_before = stats.share["now"], stats.share["before"]

    def pct(v: float | None) -> float | None:
        return None if v is None else 100 * v

    return [
        {"key": "csat", "name": "CSAT", "value": now["csat"], "fmt": "{:.0f}%",
         "hint": "share of 4–5 answers", "trend": _trend(now["csat"], before["csat"])},
        {"key": "nps", "name": "NPS", "value": now["nps"], "fmt": "{:+.0f}",
         "hint": "promoters − detractors", "trend": _trend(now["nps"], before["nps"])},
        {"key": "ces", "name": "CES", "value": now["ces"], "fmt": "{:.1f}",
         "hint": "effort, 1–7, lower is easier",
         "trend": _trend(now["ces"], before["ces"], higher_is_better=False)},
        {"key": "retention", "name": "Retention", "value": ret_now, "fmt": "{:.0f}%",
         "hint": "customers with an order in the last 90 days",
         "trend": _trend(ret_now, ret_before)},
        {"key": "negative", "name": "Negative messages", "value": pct(neg_now["negative_share"]),
         "fmt": "{:.0f}%", "hint": f"of {neg_now['total']} scored messages",
         "trend": _trend(pct(neg_now["negative_share"]), pct(neg_before["negative_share"]),
                         higher_is_better=False)},
    ]  # fmt: skip


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    db: Db,
    user: ManagerUser,
    start: str = Query("", alias="from", max_length=40),
    end: str = Query("", alias="to", max_length=40),
    channel: str = Query("", max_length=60),
    queue: str = Query("", max_length=60),
    team: str = Query("", max_length=20),
    category: str = Query("", max_length=100),
    language: str = Query("", max_length=10),
    bucket: str = Query("", max_length=10),
) -> Response:
    """The manager dashboard for a date range and slice. Bad filter input keeps the page and
    the form as typed, and says what is wrong (422), showing the default range meanwhile."""
    raw = {"from": start, "to": end, "channel": channel, "queue": queue, "team": team,
           "category": category, "language": language, "bucket": bucket}  # fmt: skip
    error: str | None = None
    try:
        team_id = parse_id("team", team)
        f = parse_filters(
            parse_date("from", start), parse_date("to", end), channel, queue,
            team_id if isinstance(team_id, int) else None, category, language, bucket,
        )  # fmt: skip
    except AppError as exc:
        error = exc.message
        f = parse_filters(None, None, channel, queue, None, category, language)
    stats = assist_service.reading_stats(db, f)
    options = assist_service.filter_options(db)
    load = assist_service.queue_load(db)
    stories, names = _stories(db, f)
    return render(
        request,
        "dashboard.html",
        {
            "f": f, "chart": _chart(stats, f), "tiles": tiles(db, f, stats), "options": options,
            "breakdowns": _breakdowns(db, stats, f, options),
            "surveys": _survey_cards(db, f), "spots": _spot_links(stats.spots, f, options),
            "stories": stories, "names": names, "segments": _segments(db), "load": load,
            "load_chart": _load_chart(load), "query": query(f), "error": error, "raw": raw,
        },
        status_code=422 if error else 200,
    )  # fmt: skip


def _chart(stats: ReadingStats, f: Filters) -> dict[str, Any]:
    """Chart.js data: one stacked series per emotion over the range's bars (days, weeks or
    months), and for each bar the link to the messages behind it."""
    spans = f.buckets()
    return {
        "labels": stats.labels,
        "display": [bucket_label(name, f.bucket) for name, _, _ in spans],
        "links": [
            "/reports/messages?" + query(f, bucket=None, **{"from": first, "to": last})
            for _, first, last in spans
        ],
        "totals": [sum(v[i] for v in stats.series.values()) for i in range(len(spans))],
        "datasets": [
            {
                "label": e.capitalize(),
                "key": e,
                "data": v,
                "backgroundColor": EMOTION_COLOURS.get(e, "#999"),
            }
            for e, v in stats.series.items()
        ],
    }


def _breakdowns(
    db: Db, stats: ReadingStats, f: Filters, options: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Each breakdown row with the link to its messages (same filters, plus its slice); and
    messages by emotion, each linking to its messages."""
    team_ids = {name: str(tid) for tid, name in options["teams"]}
    out: dict[str, list[dict[str, Any]]] = {}
    for dim, rows in stats.breakdowns.items():
        out[dim] = []
        for r in rows:
            value = _team_value(r["key"], team_ids) if dim == "team" else r["key"]
            href = "/reports/messages?" + query(f, bucket=None, **{dim: value})
            out[dim].append({**r, "href": href,
                             "neg_href": href + "&sentiment=negative"})  # fmt: skip
    out["agent"] = agent_breakdown(db, f)
    out["emotion"] = [
        {"key": e, "n": n, "href": "/reports/messages?" + query(f, bucket=None, emotion=e)}
        for e, n in emotion_counts(db, f)
    ]
    return out


def _team_value(name: str, team_ids: dict[str, str]) -> str:
    """A team breakdown row's filter value: its id, or "none" for readings outside a team."""
    if name == NO_TEAM:
        return "none"
    return team_ids.get(name) or name.removeprefix("Team #")  # a team since renamed away


def _survey_cards(db: Db, f: Filters) -> list[dict[str, Any]]:
    """CSAT, NPS and CES trend lines over the range (weeks or months), with answers per point."""
    bucket = survey_bucket(f.bucket)
    rows = metrics_service.survey_trend(
        db, bucket=bucket, start=f.start, end=f.end, where=f.where()
    )
    return [trend_card(key, rows, bucket) for key in METRICS]


def _stories(db: Db, f: Filters) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Recent recovery stories, and their customers' names by id."""
    recent = mood_service.recovery_stories(db, since=f.t0, limit=8)
    stories = [mood_service.story_view(s) for s in recent]
    ids = {s["customer_id"] for s in stories}
    names = {c.id: c.name for c in customer_service.list_customers_by_ids(db, ids=ids)}
    return stories, names


def _segments(db: Db) -> list[dict[str, Any]]:
    counts = mood_service.segment_member_counts(db)
    return [
        {"key": s.key, "name": s.name, "n": counts.get(s.key, 0)}
        for s in mood_service.list_segments(db)
    ]


def _spot_links(
    spots: list[dict[str, Any]], f: Filters, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each trouble spot links to the dashboard filtered to that slice."""
    team_ids = {name: tid for tid, name in options["teams"]}
    out = []
    for s in spots:
        params = {"from": f.start.isoformat(), "to": f.end.isoformat()}
        if s["dimension"] == "team":
            if s["key"] in team_ids:
                params["team"] = str(team_ids[s["key"]])
        else:
            params[s["dimension"]] = s["key"]
        out.append({**s, "href": "/dashboard?" + urlencode(params)})
    return out


def _load_chart(load: list[dict[str, Any]]) -> dict[str, Any]:
    teams = sorted({r["team"] for r in load})
    queues = sorted({r["queue"] for r in load})
    palette = [
        "#1b4fb3",
        "#0f766e",
        "#9333ea",
        "#b45309",
        "#be123c",
        "#4d7c0f",
        "#0369a1",
        "#6b7280",
    ]
    by = {(r["team"], r["queue"]): r["open"] for r in load}
    return {
        "labels": teams,
        "datasets": [
            {
                "label": q,
                "data": [by.get((t, q), 0) for t in teams],
                "backgroundColor": palette[i % len(palette)],
            }
            for i, q in enumerate(queues)
        ],
    }


@router.get("/dashboard/segments/{key}", response_class=HTMLResponse)
def segment(
    request: Request, key: str, db: Db, user: ManagerUser, page: int = Query(1, ge=1)
) -> Response:
    """Drill-down: the customers in a segment with their mood."""
    seg = next((s for s in mood_service.list_segments(db) if s.key == key), None)
    if seg is None:
        raise AppError(ErrorCode.NOT_FOUND, f"segment {key} not found")
    rows, total = mood_service.segment_members(db, key=key, limit=50, offset=(page - 1) * 50)
    return render(
        request,
        "segment.html",
        {"seg": seg, "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // 50))},
    )
