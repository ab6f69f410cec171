"""The audit trail: who viewed or changed what about a customer, append-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.auth.service import Principal
from heartline.privacy.models import AuditEvent

SYSTEM = Principal("system", 0, role=None, name="system")  # type: ignore[arg-type]


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: int | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event (flushes; the caller's transaction commits it)."""
    actor = actor or SYSTEM
    event = AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id if actor.kind != "system" else None,
        actor_name=actor.name,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event


def audit_trail(
    session: Session,
    *,
    entity: str,
    entity_id: int | None,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Events about one entity (or all of a kind when entity_id is None), newest first, and
    their total."""
    where: list[Any] = [AuditEvent.entity == entity]
    if entity_id is not None:
        where.append(AuditEvent.entity_id == entity_id)
    if action is not None:
        where.append(AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    rows = session.scalars(
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def customer_actor(customer_id: int) -> Principal:
    """The customer themselves, acting on their own choices page (for the audit trail)."""
    return Principal("customer", customer_id, role=None, name=f"customer #{customer_id}")  # type: ignore[arg-type]
