"""Review queue: confirm or correct flagged readings quickly (HTMX, keyboard shortcuts)."""

from __future__ import annotations

from typing import Annotated

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


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    db: Db,
    user: ReviewerUser,
    reason: str | None = None,
    page: int = Query(1, ge=1),
) -> Response:
    """Readings flagged for a human, oldest first."""
    rows, total = mood_service.review_queue(
        db, limit=PAGE, offset=(page - 1) * PAGE, reason=reason or None
    )
    customers = {
        c.id: c
        for c in customer_service.list_customers_by_ids(db, ids={r.customer_id for r, _ in rows})
    }
    return render(
        request,
        "review.html",
        {
            "rows": rows,
            "total": total,
            "customers": customers,
            "reason": reason or "",
            "page": page,
            "pages": max(1, -(-total // PAGE)),
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
