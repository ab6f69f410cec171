"""Search: one box over customers, order numbers and messages, with the conversation filters
(status, queue, assignee, channel, mood, dates); results link to the conversation or customer."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from heartline.api.deps import Db
from heartline.assist import service as assist_service
from heartline.auth import service as auth_service
from heartline.enums import Channel, ConversationStatus
from heartline.errors import AppError
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.web.deps import AgentUser
from heartline.web.render import render

router = APIRouter(include_in_schema=False)
MOOD_WORDS = {"negative": "Unhappy", "neutral": "Neutral", "positive": "Happy"}


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    db: Db,
    user: AgentUser,
    q: str = Query("", max_length=200),
    status: str = Query("", max_length=20),
    queue: str = Query("", max_length=60),
    assignee: str = Query("", max_length=12),
    channel: str = Query("", max_length=20),
    mood: str = Query("", max_length=20),
    since: str = Query("", alias="from", max_length=10),
    until: str = Query("", alias="to", max_length=10),
) -> Response:
    """The search form, and what it found; a bad filter keeps the form and says what is wrong."""
    form = {"q": q, "status": status, "queue": queue, "assignee": assignee, "channel": channel,
            "mood": mood, "from": since, "to": until}  # fmt: skip
    ctx: dict[str, object] = {
        "form": form,
        "found": None,
        "errors": {},
        "readings": {},
        "statuses": [s.value for s in ConversationStatus],
        "queues": assist_service.queue_names(db),
        "channels": [c.value for c in Channel],
        "moods": MOOD_WORDS,
        "staff": auth_service.staff(db),
        "people": {u.id: u.name or u.email for u in auth_service.staff(db)},
    }
    if not any(form.values()):
        return render(request, "search.html", ctx)
    try:
        req = interaction_service.parse_search(
            interaction_service.SearchParams(
                q=q, status=status, queue=queue, assignee=assignee, channel=channel, mood=mood,
                since=since, until=until,
            ),
            user_id=user.id,
        )  # fmt: skip
    except AppError as err:
        ctx["errors"] = {d["field"]: d["message"] for d in err.details or []}
        return render(request, "search.html", ctx, status_code=err.http_status)
    keep = None
    if req.mood is not None:
        wanted = req.mood
        keep = lambda ids: {  # noqa: E731 - the feeling read in each message
            i for i, r in mood_service.readings_for(db, interaction_ids=ids).items()
            if r.sentiment == wanted
        }  # fmt: skip
    found = interaction_service.search(db, query=req.query, filters=req.filters, keep=keep)
    ids = [h.interaction_id for h in found.conversations if h.interaction_id is not None]
    ctx["found"] = found
    ctx["readings"] = mood_service.readings_for(db, interaction_ids=ids)
    return render(request, "search.html", ctx)
