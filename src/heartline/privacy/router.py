"""HTTP for the privacy controls: export, erase, audit trail, privacy requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from heartline.api.deps import Admin, Db, Manager
from heartline.db import checkpoint
from heartline.privacy import service
from heartline.schemas import InModel, OutModel, Page

router = APIRouter(tags=["privacy"])


@router.get("/customers/{customer_id}/export")
def export_customer(customer_id: int, db: Db, who: Manager) -> dict[str, Any]:
    """Everything held about one customer (for a data-access request)."""
    data = service.export_customer(db, customer_id=customer_id)
    service.record(db, actor=who, action="export", entity="customer", entity_id=customer_id)
    db.commit()
    return data


class ErasureOut(BaseModel):
    """What an erasure deleted, per table."""

    customer_id: int
    deleted: dict[str, int]


@router.delete("/customers/{customer_id}", response_model=ErasureOut)
def erase_customer(customer_id: int, db: Db, who: Admin) -> ErasureOut:
    """Erase a customer and everything about them (irreversible)."""
    counts = service.erase_customer(db, customer_id=customer_id, actor=who)
    db.commit()
    checkpoint()  # no copy left in SQLite's write-ahead log
    return ErasureOut(customer_id=customer_id, deleted=counts)


class MergeIn(InModel):
    """The customer that survives: the duplicate's records move to it."""

    into: int = Field(..., ge=1)


@router.post("/customers/{customer_id}/merge")
def merge_customer(customer_id: int, body: MergeIn, db: Db, who: Manager) -> dict[str, Any]:
    """Merge a duplicate customer into another (manager): conversations, messages, orders,
    readings, surveys, tasks and the rest move; the survivor's profile fills its blanks and
    keeps the stricter consent; the duplicate is deleted. Audited as customer.merged."""
    out = service.merge_customers(db, source_id=customer_id, into_id=body.into, actor=who)
    db.commit()
    return out


class AuditOut(OutModel):
    """An audit event."""

    id: int
    at: Any
    actor_kind: str
    actor_id: int | None
    actor_name: str
    action: str
    entity: str
    entity_id: int | None
    details: dict[str, Any]


@router.get("/audit", response_model=Page[AuditOut])
def audit(
    db: Db,
    _: Admin,
    entity: str = Query(..., max_length=40, description="customer, user, token, playbook, routing"),
    entity_id: int | None = Query(None, ge=1, description="one entity; omit for all of them"),
    action: str | None = Query(None, max_length=40, description="e.g. login.failed"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[AuditOut]:
    """Who viewed, exported or changed an entity (or every entity of a kind), newest first."""
    rows, total = service.audit_trail(
        db, entity=entity, entity_id=entity_id, action=action, limit=limit, offset=offset
    )
    return Page(
        items=[AuditOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


class PrivacyRequestOut(OutModel):
    """A privacy request, read in a message or made on the customer's choices page: a task
    for an admin."""

    id: int
    customer_id: int
    interaction_id: int | None
    conversation_id: int | None
    requested_at: datetime
    intent_confidence: float
    kind: str | None  # "copy" | "erasure" when the customer said it on the choices page
    source: str  # "message" | "self_service"
    status: str
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: str | None
    created_at: datetime


class PrivacyRequestDone(InModel):
    """How the request was handled; `resume_marketing` lifts the pause it put in place."""

    outcome: Annotated[str, StringConstraints(max_length=2000)] = ""
    resume_marketing: bool = False


@router.get("/privacy/requests", response_model=Page[PrivacyRequestOut])
def list_privacy_requests(
    db: Db,
    _: Admin,
    status: Literal["open", "done", "all"] = Query("open"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[PrivacyRequestOut]:
    """Privacy requests customers made in their messages or on their own choices page, oldest
    first (open ones by default)."""
    rows, total = service.list_requests(
        db, status=None if status == "all" else status, limit=limit, offset=offset
    )
    return Page(
        items=[PrivacyRequestOut.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("/privacy/requests/{request_id}/resolve", response_model=PrivacyRequestOut)
def resolve_privacy_request(
    request_id: int, db: Db, who: Admin, body: PrivacyRequestDone | None = None
) -> PrivacyRequestOut:
    """Mark a privacy request handled (audited), optionally lifting the marketing pause."""
    body = body or PrivacyRequestDone()
    row = service.resolve_request(
        db,
        request_id=request_id,
        actor=who,
        outcome=body.outcome,
        resume_marketing=body.resume_marketing,
    )
    db.commit()
    return PrivacyRequestOut.model_validate(row)
