"""HTTP for interactions, bulk ingest, surveys, conversations and the customer timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field

from heartline import pipeline
from heartline.api.deps import Db, Ingester, Reader, Worker
from heartline.api.validation import parse_item
from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.enums import AnalysisStatus, ConversationStatus, PipelineEvent
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service
from heartline.interactions.batch import ingest_interactions
from heartline.interactions.schemas import (
    ConversationOut,
    InteractionIn,
    InteractionOut,
    SurveyIn,
    SurveyOut,
    TimelineItem,
)
from heartline.interactions.search_router import router as search_router
from heartline.mood import service as mood_service
from heartline.schemas import BoundedModel, BulkItemResult, BulkResult, Page

router = APIRouter(tags=["interactions"])
router.include_router(search_router)  # GET /search (search_router.py)


@router.post(
    "/interactions",
    response_model=InteractionOut,
    status_code=201,
    responses={200: {"description": "Existing interaction updated or unchanged"}},
)
def create_interaction(
    body: InteractionIn, db: Db, _: Ingester, response: Response
) -> InteractionOut:
    """Store one message; it is scored by the emotion engine before this returns (inline runner)."""
    result = service.ingest_interaction(db, data=body)
    db.commit()
    if result.status != "created":
        response.status_code = 200
    if service.needs_pipeline(result):
        pipeline.submit(db, PipelineEvent.INTERACTION, [result.obj.id])
    return mood_service.interaction_out(db, interaction_id=result.obj.id)


class BulkInteractions(BaseModel):
    """Up to `HEARTLINE_BULK_MAX_ITEMS` (default 1,000) interactions, each validated alone."""

    items: list[dict[str, Any]] = Field(
        ..., description="InteractionIn objects; a bad item is reported, the good ones are stored"
    )


@router.post("/interactions:bulk", response_model=BulkResult)
def bulk_interactions(body: BulkInteractions, db: Db, _: Ingester) -> Response:
    """Store many messages; each bad item is reported with its index and fields, the rest stored."""
    limit = get_settings().bulk_max_items
    if len(body.items) > limit:
        raise AppError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"items: at most {limit} per call, got {len(body.items)}",
            details=[
                {"field": "body.items", "message": f"at most {limit} items", "type": "too_long"}
            ],
        )
    out = BulkResult()
    errors: dict[int, AppError] = {}
    items: list[InteractionIn] = []
    indexes: list[int] = []
    for index, raw in enumerate(body.items):
        try:
            items.append(parse_item(InteractionIn, raw, ("body", "items", index)))
            indexes.append(index)
        except AppError as exc:
            errors[index] = exc
    outcomes = ingest_interactions(
        db, items=items, field_prefixes=[f"body.items.{i}." for i in indexes]
    )  # set-wise; a bad item fails alone (batch.py)
    by_index = dict(zip(indexes, outcomes, strict=True))
    to_score: list[int] = []
    for index, raw in enumerate(body.items):
        outcome = by_index.get(index)
        error = errors.get(index) or (outcome.error if outcome else None)
        if error is not None or outcome is None or outcome.status is None:
            out.failed += 1
            out.results.append(
                BulkItemResult(
                    index=index, status="error", external_id=_ext(raw),
                    error=error.to_dict()["error"] if error else None,
                )
            )  # fmt: skip
            continue
        setattr(out, outcome.status, getattr(out, outcome.status) + 1)
        out.results.append(
            BulkItemResult(
                index=index, status=outcome.status, id=outcome.id, external_id=outcome.external_id
            )
        )
        if outcome.submit and outcome.id is not None:
            to_score.append(outcome.id)
    db.commit()
    pipeline.submit(db, PipelineEvent.INTERACTION, to_score)
    # Serialised here: returned as the model, FastAPI would validate 1,000 results once more.
    return Response(out.model_dump_json(), media_type="application/json")


def _ext(raw: Any) -> str | None:
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


@router.get("/interactions/{interaction_id}", response_model=InteractionOut)
def get_interaction(interaction_id: int, db: Db, _: Reader) -> InteractionOut:
    """One interaction with its reading."""
    return mood_service.interaction_out(db, interaction_id=interaction_id)


@router.get("/interactions", response_model=Page[InteractionOut])
def list_interactions(
    db: Db,
    _: Reader,
    customer_id: int | None = Query(None, ge=1),
    channel: str | None = Query(None, max_length=20),
    needs_review: bool | None = None,
    language: str | None = Query(
        None, min_length=2, max_length=10, description="ISO 639-1 code of the reading, e.g. de"
    ),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> Page[InteractionOut]:
    """Recent interactions, newest first, with their readings."""
    items, total = mood_service.list_interactions(
        db,
        customer_id=customer_id,
        channel=channel,
        needs_review=needs_review,
        language=language,
        limit=limit,
        offset=offset,
    )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/surveys",
    response_model=SurveyOut,
    status_code=201,
    responses={200: {"description": "Existing answer updated or unchanged"}},
)
def create_survey(body: SurveyIn, db: Db, _: Ingester, response: Response) -> SurveyOut:
    """Store a CSAT/NPS/CES answer; its comment is stored and scored as an interaction."""
    result, comment = service.ingest_survey(db, data=body)
    db.commit()
    if result.status != "created":
        response.status_code = 200
    if comment is not None and comment.analysis_status == AnalysisStatus.PENDING:
        pipeline.submit(db, PipelineEvent.INTERACTION, [comment.id])
    if result.status != "unchanged":
        pipeline.submit(db, PipelineEvent.SURVEY, [result.obj.id])
    return SurveyOut.model_validate(result.obj)


@router.get("/customers/{customer_id}/timeline", response_model=Page[TimelineItem])
def timeline(
    customer_id: int,
    db: Db,
    who: Reader,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> Page[TimelineItem]:
    """Interactions (with readings), orders and surveys of one customer, newest first (the
    read is recorded in the audit trail)."""
    customer_service.get_customer(db, customer_id=customer_id)
    items, total = mood_service.timeline(db, customer_id=customer_id, limit=limit, offset=offset)
    from heartline.privacy import service as privacy_service

    privacy_service.record(
        db, actor=who, action="read", entity="customer", entity_id=customer_id,
        details={"what": "timeline"},
    )  # fmt: skip
    db.commit()
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/conversations", response_model=Page[ConversationOut])
def list_conversations(
    db: Db,
    principal: Reader,
    queue: str | None = Query(None, max_length=60),
    status: ConversationStatus | None = None,
    customer_id: int | None = Query(None, ge=1),
    assignee: str | None = Query(
        None,
        pattern=r"^(me|none|[1-9][0-9]{0,9})$",
        description="`me` (the caller's), `none` (unassigned) or a user id",
    ),
    tag: str | None = Query(None, max_length=80, description="Only those carrying this tag"),
    snoozed: bool | None = Query(
        None, description="`true` only snoozed ones, `false` only awake ones"
    ),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> Page[ConversationOut]:
    """Conversations, most urgent first (priority, then SLA due time)."""
    assignee_id = None
    if assignee == "me":
        assignee_id = principal.user_id if principal.user_id is not None else 0
    elif assignee not in (None, "none"):
        assignee_id = int(assignee)
    rows, total = service.list_conversations(
        db,
        queue=queue,
        status=status,
        customer_id=customer_id,
        assignee_id=assignee_id,
        unassigned=assignee == "none",
        tag=service.normalise_tag(tag, field="query.tag") if tag is not None else None,
        snoozed=snoozed,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[ConversationOut.model_validate(c) for c in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
def get_conversation(conversation_id: int, db: Db, _: Reader) -> ConversationOut:
    """One conversation."""
    return ConversationOut.model_validate(
        service.get_conversation(db, conversation_id=conversation_id)
    )


class StatusChange(BoundedModel):
    """A new status for a conversation."""

    status: ConversationStatus


@router.post("/conversations/{conversation_id}/status", response_model=ConversationOut)
def change_status(
    conversation_id: int, db: Db, _: Worker, body: StatusChange = Body(...)
) -> ConversationOut:
    """Resolve, close, park or reopen a conversation."""
    conv = service.set_conversation_status(db, conversation_id=conversation_id, status=body.status)
    db.commit()
    pipeline.submit(db, PipelineEvent.CONVERSATION, [conv.id])
    return ConversationOut.model_validate(conv)
