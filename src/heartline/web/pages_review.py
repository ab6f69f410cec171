"""Review queue: confirm or correct flagged readings quickly (HTMX, keyboard shortcuts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from heartline import pipeline
from heartline.api.deps import Db
from heartline.customers import service as customer_service
from heartline.emotion.taxonomy import CS_EMOTIONS, INTENT_LABELS, SENTIMENTS
from heartline.enums import PipelineEvent
from heartline.errors import AppError, ErrorCode
from heartline.mood import service as mood_service
from heartline.web.deps import ReviewerUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
PAGE = 25
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of(row: Any) -> str:
    """A reading's place in the queue as a link token: ``<epoch microseconds>-<reading id>``."""
    at = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
    return f"{(at - EPOCH) // timedelta(microseconds=1)}-{row.id}"


def parse_cursor(token: str) -> tuple[datetime, int] | None:
    """The place a `cursor_of` token names; None for anything else (a hand-edited link)."""
    micros, _, rid = token.partition("-")
    if not (micros.isdigit() and rid.isdigit()) or len(micros) > 17 or len(rid) > 18:
        return None
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(rid)
    except OverflowError:
        return None


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    db: Db,
    user: ReviewerUser,
    reason: str | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    after: str = Query("", max_length=40),
    before: str = Query("", max_length=40),
) -> Response:
    """Readings flagged for a human, oldest first, a page at a time. Next and Previous carry
    the cursor of the page's last or first reading (keyset paging: a page costs the same
    however long the queue, and reviewing a page's readings does not make Next skip any);
    a bare `page=N` still jumps there by offset."""
    after_at = parse_cursor(after) if after else None
    before_at = parse_cursor(before) if before else None
    rows, total = mood_service.review_queue(
        db,
        limit=PAGE,
        offset=0 if (after_at or before_at) else (page - 1) * PAGE,
        reason=reason or None,
        after=after_at,
        before=None if after_at else before_at,
    )
    # A reviewer judges by the words: evidence bulk scoring deferred is computed now.
    mood_service.explain_pending(db, readings=[r for r, _ in rows])
    customers = {
        c.id: c
        for c in customer_service.list_customers_by_ids(db, ids={r.customer_id for r, _ in rows})
    }
    pages = max(1, -(-total // PAGE))
    page = min(page, pages)
    base = {"reason": reason} if reason else {}
    prev_q = next_q = ""
    if rows and page > 1:
        first = {} if page == 2 else {"before": cursor_of(rows[0][0])}
        prev_q = urlencode({**base, **first, **({"page": page - 1} if page > 2 else {})})
    if rows and page < pages:
        last = cursor_of(rows[-1][0])
        next_q = urlencode({**base, "after": last, "page": page + 1})
    return render(
        request,
        "review.html",
        {
            "rows": rows,
            "total": total,
            "customers": customers,
            "reason": reason or "",
            "page": page,
            "pages": pages,
            "prev_q": prev_q,
            "next_q": next_q,
            "first_q": urlencode(base),
            "sentiments": SENTIMENTS,
            "emotions": CS_EMOTIONS,
            "intents": INTENT_LABELS,
        },
    )


@router.post("/review/{reading_id}", response_class=HTMLResponse)
def review_one(
    request: Request,
    reading_id: int,
    db: Db,
    user: ReviewerUser,
    action: Annotated[str, Form()] = "confirm",
    sentiment: Annotated[str, Form()] = "",
    emotion: Annotated[str, Form()] = "",
    sarcasm: Annotated[str, Form()] = "",
    intent: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Confirm or correct one reading; returns the item's new state (an HTMX fragment)."""
    check_csrf(request, csrf)
    if action not in ("confirm", "correct"):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "action: confirm or correct",
            details=[{"field": "action", "message": "unknown action", "type": "enum"}],
        )
    if sentiment and sentiment not in SENTIMENTS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "sentiment: negative, neutral or positive",
            details=[{"field": "sentiment", "message": "unknown sentiment", "type": "enum"}],
        )
    if emotion and emotion not in CS_EMOTIONS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "emotion: not a known emotion",
            details=[{"field": "emotion", "message": "unknown emotion", "type": "enum"}],
        )
    if intent and intent not in INTENT_LABELS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "intent: not a known intent",
            details=[{"field": "intent", "message": "unknown intent", "type": "enum"}],
        )
    review = mood_service.review_reading(
        db,
        reading_id=reading_id,
        action=action,
        sentiment=sentiment or None,
        emotions=[emotion] if emotion else [],
        sarcasm={"yes": True, "no": False}.get(sarcasm),
        intent=intent or None,
        note="",
        reviewer=user.name or user.email,
        reviewer_user_id=user.id,
    )
    pipeline.submit(db, PipelineEvent.INTERACTION, [review.interaction_id])
    db.commit()
    return render(request, "_reviewed.html", {"review": review, "reading_id": reading_id})
