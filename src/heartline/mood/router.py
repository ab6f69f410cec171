"""HTTP for mood, churn, segments, recovery stories and the review queue (thin)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from heartline import csvsafe, pipeline
from heartline.api.deps import Db, Manager, Reader, Worker, require
from heartline.auth.service import Principal
from heartline.enums import PipelineEvent
from heartline.mood import review as review_service
from heartline.mood import segments as segment_service
from heartline.mood import service
from heartline.mood.filters import SEGMENT_FACTS
from heartline.mood.readings import explain_pending
from heartline.mood.schemas import (
    MemberOut,
    MoodOut,
    ReviewIn,
    ReviewItem,
    ReviewOut,
    SegmentIn,
    SegmentOut,
)
from heartline.rules import operators_described
from heartline.schemas import Page

router = APIRouter(tags=["mood"])
Reviewer = Annotated[Principal, Depends(require("review"))]


@router.get("/customers/{customer_id}/mood", response_model=MoodOut)
def customer_mood(customer_id: int, db: Db, who: Reader) -> Any:
    """Current mood, trajectory, last negative episode, open issues, churn risk and segments
    (the read is recorded in the audit trail)."""
    from heartline.privacy import service as privacy_service

    view = service.mood_view(db, customer_id=customer_id)
    privacy_service.record(
        db, actor=who, action="read", entity="customer", entity_id=customer_id,
        details={"what": "mood"},
    )  # fmt: skip
    db.commit()  # the audit record (the read itself writes nothing)
    return view


@router.get("/recovery-stories")
def recovery_stories(
    db: Db,
    _: Worker,
    customer_id: int | None = Query(None, ge=1),
    limit: int = Query(50, ge=1, le=200),
) -> list[dict[str, Any]]:
    """Frustrated, then delighted after a resolution: newest first."""
    return [
        service.story_view(s)
        for s in service.recovery_stories(db, customer_id=customer_id, limit=limit)
    ]


@router.get("/segments/fields")
def segment_fields(_: Reader) -> dict[str, Any]:
    """What a segment definition may name (type, operators, meaning, closed vocabulary) and the
    operators of the rule language; generated from mood.filters.SegmentFacts."""
    return {"fields": SEGMENT_FACTS.describe(), "ops": operators_described()}


@router.get("/segments", response_model=list[SegmentOut])
def list_segments(db: Db, _: Worker) -> list[SegmentOut]:
    """Built-in and custom segments with their current sizes."""
    counts = segment_service.member_counts(db)
    rows = service.list_segments(db)
    db.commit()
    return [
        SegmentOut.model_validate(s).model_copy(update={"members": counts.get(s.key, 0)})
        for s in rows
    ]


@router.post("/segments", response_model=SegmentOut, status_code=201)
def create_segment(body: SegmentIn, db: Db, _: Manager) -> SegmentOut:
    """Create a custom segment (validated definition); members are computed now."""
    seg = segment_service.create_segment(
        db, key=body.key, name=body.name, description=body.description, definition=body.definition
    )
    db.commit()
    return SegmentOut.model_validate(seg).model_copy(
        update={"members": segment_service.member_counts(db).get(seg.key, 0)}
    )


@router.delete("/segments/{key}", status_code=204)
def delete_segment(key: str, db: Db, _: Manager) -> Response:
    """Delete a custom segment."""
    segment_service.delete_segment(db, key=key)
    db.commit()
    return Response(status_code=204)


def _member(customer: Any, mood: Any, since: Any) -> MemberOut:
    return MemberOut(
        customer_id=customer.id,
        external_id=customer.external_id,
        name=customer.name,
        email=customer.email,
        mood=mood.label if mood else None,
        valence=mood.valence if mood else None,
        churn_risk=mood.churn_risk if mood else None,
        summary=mood.summary if mood else None,
        since=since,
    )


@router.get("/segments/{key}/members", response_model=Page[MemberOut])
def segment_members(
    key: str, db: Db, _: Worker, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)
) -> Page[MemberOut]:
    """A page of the segment's members, highest churn risk first."""
    rows, total = service.segment_members(db, key=key, limit=limit, offset=offset)
    return Page(items=[_member(*r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/segments/{key}/members.csv", response_class=StreamingResponse)
def segment_members_csv(key: str, db: Db, _: Worker) -> StreamingResponse:
    """All members as CSV (for a mailing tool or a spreadsheet)."""
    service.segment_members(db, key=key, limit=1)  # 404 before streaming starts
    fields = list(MemberOut.model_fields)

    def rows() -> Any:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(fields)
        offset, page = 0, 1000
        while True:
            chunk, _total = service.segment_members(db, key=key, limit=page, offset=offset)
            for r in chunk:
                m = _member(*r).model_dump(mode="json")
                writer.writerow(csvsafe.row(m[f] if m[f] is not None else "" for f in fields))
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            if len(chunk) < page:
                return
            offset += page

    return StreamingResponse(
        rows(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="segment-{key}.csv"'},
    )


@router.get("/review-queue", response_model=Page[ReviewItem])
def review_queue(
    db: Db,
    _: Reviewer,
    reason: str | None = Query(None, max_length=40),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> Page[ReviewItem]:
    """Readings flagged for a human (likely sarcasm, low confidence, unsupported language)."""
    rows, total = review_service.queue(db, limit=limit, offset=offset, reason=reason)
    explain_pending(db, readings=[r for r, _ in rows])  # a reviewer reads them: evidence now
    items = [
        ReviewItem(
            reading_id=r.id,
            interaction_id=i.id,
            customer_id=r.customer_id,
            channel=r.channel,
            text=i.text,
            occurred_at=r.occurred_at,
            sentiment=r.sentiment,
            valence=r.valence,
            top_emotion=r.top_emotion,
            sarcasm=r.sarcasm,
            confidence=r.confidence,
            review_reasons=list((r.data or {}).get("review_reasons") or []),
            evidence=list((r.data or {}).get("evidence") or []),
            model=r.model,
        )
        for r, i in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/readings/{reading_id}/review", response_model=ReviewOut)
def review_reading(reading_id: int, body: ReviewIn, db: Db, principal: Reviewer) -> ReviewOut:
    """Confirm or correct a reading; the correction then drives mood, routing and metrics."""
    review = review_service.review_reading(
        db,
        reading_id=reading_id,
        action=body.action,
        sentiment=body.sentiment,
        emotions=body.emotions,
        sarcasm=body.sarcasm,
        intent=body.intent,
        note=body.note,
        reviewer=principal.name,
        reviewer_user_id=principal.user_id,
    )
    db.commit()
    out = ReviewOut.model_validate(review)
    # remember + route see the correction (committed above, so it goes now)
    pipeline.submit(db, PipelineEvent.INTERACTION, [review.interaction_id])
    return out
