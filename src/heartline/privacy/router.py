"""HTTP for the privacy controls: export, erase, audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from heartline.api.deps import Admin, Db, Manager
from heartline.privacy import service
from heartline.schemas import OutModel, Page

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
    return ErasureOut(customer_id=customer_id, deleted=counts)


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
    entity: str = Query(..., max_length=40),
    entity_id: int = Query(..., ge=1),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[AuditOut]:
    """Who viewed, exported or changed an entity, newest first."""
    rows, total = service.audit_trail(
        db, entity=entity, entity_id=entity_id, limit=limit, offset=offset
    )
    return Page(
        items=[AuditOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
