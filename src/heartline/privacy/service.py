"""Privacy: audit trail, export or erase one customer completely, raw-text retention, and
privacy requests read in messages (a task for an admin; marketing paused at once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heartline.auth.service import Principal
from heartline.customers import service as customer_service
from heartline.customers.models import Customer
from heartline.db import Base, utcnow
from heartline.errors import not_found
from heartline.interactions import service as interaction_service
from heartline.interactions.models import Interaction
from heartline.mood import service as mood_service
from heartline.privacy.models import AuditEvent, PrivacyRequest

SYSTEM = Principal("system", 0, role=None, name="system")  # type: ignore[arg-type]
EXPIRED_TEXT = ""  # what an expired message's text becomes; the reading and metadata stay


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
    session: Session, *, entity: str, entity_id: int, limit: int = 100, offset: int = 0
) -> tuple[list[AuditEvent], int]:
    """Events about one entity, newest first, and their total."""
    where = (AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    rows = session.scalars(
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def customer_tables() -> list[Table]:
    """Every table that holds rows about a customer (has a customer_id column), any domain."""
    return [
        t for t in Base.metadata.sorted_tables if "customer_id" in t.c and t.name != "customers"
    ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_customer(session: Session, *, customer_id: int) -> dict[str, Any]:
    """Everything Heartline holds about one customer, as JSON-ready data (right of access)."""
    customer = customer_service.get_customer(session, customer_id=customer_id)
    out: dict[str, Any] = {
        "customer": {
            c.key: _jsonable(getattr(customer, c.key)) for c in Customer.__mapper__.column_attrs
        }
    }
    for table in customer_tables():
        rows = session.execute(select(table).where(table.c.customer_id == customer_id)).mappings()
        out[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    # Child rows keyed through another table (order items) come with their parent.
    if "order_items" in Base.metadata.tables and out.get("orders"):
        items = Base.metadata.tables["order_items"]
        order_ids = [o["id"] for o in out["orders"]]
        out["order_items"] = [
            {k: _jsonable(v) for k, v in r.items()}
            for r in session.execute(
                select(items).where(items.c.order_id.in_(order_ids))
            ).mappings()
        ]
    return out


def erase_customer(
    session: Session, *, customer_id: int, actor: Principal | None
) -> dict[str, int]:
    """Delete a customer and every row about them in every domain (right to erasure).

    Rows are deleted explicitly, children first, rather than trusting every foreign key to
    cascade, so a table added later with a `customer_id` column is covered automatically.
    The audit event keeps only counts, never the erased content.
    """
    customer_service.get_customer(session, customer_id=customer_id)
    counts: dict[str, int] = {}
    for table in reversed(customer_tables()):
        result = cast(
            CursorResult[Any],
            session.execute(delete(table).where(table.c.customer_id == customer_id)),
        )
        if result.rowcount:
            counts[table.name] = result.rowcount
    session.execute(delete(Customer).where(Customer.id == customer_id))
    session.expunge_all()
    record(
        session,
        actor=actor,
        action="erase",
        entity="customer",
        entity_id=customer_id,
        details={"deleted": counts},
    )
    return counts


def expire_raw_text(session: Session, *, older_than_days: int, now: datetime | None = None) -> int:
    """Blank the text of messages older than the retention period; readings are kept."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Interaction)
            .where(Interaction.occurred_at < cutoff, Interaction.text_expired_at.is_(None))
            .values(text=EXPIRED_TEXT, subject="", text_expired_at=now or utcnow())
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount:
        record(
            session,
            actor=None,
            action="retention",
            entity="interactions",
            entity_id=None,
            details={"expired": result.rowcount, "older_than_days": older_than_days},
        )
    return int(result.rowcount or 0)


# --- privacy requests read in messages -------------------------------------------------------


def open_request(session: Session, *, interaction_id: int) -> PrivacyRequest | None:
    """Open an admin task for a message whose reading is a privacy request, and pause
    marketing to the customer at once (audited). Idempotent: a message already seen returns
    its request and changes nothing (a later re-score does not undo an admin's decision).

    Returns None when the message is not a (confident) privacy request."""
    reading = mood_service.readings_for(session, interaction_ids=[interaction_id]).get(
        interaction_id
    )
    if reading is None or mood_service.intent_of(reading.data) != "privacy_request":
        return None
    existing = session.scalar(
        select(PrivacyRequest).where(PrivacyRequest.interaction_id == interaction_id)
    )
    if existing is not None:
        return existing
    interaction = interaction_service.get_interaction(session, interaction_id=interaction_id)
    request = PrivacyRequest(
        customer_id=interaction.customer_id,
        interaction_id=interaction_id,
        conversation_id=interaction.conversation_id,
        requested_at=interaction.occurred_at,
        intent_confidence=float((reading.data or {}).get("intent_confidence") or 0.0),
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:  # a concurrent run of the stage opened it first
        return session.scalar(
            select(PrivacyRequest).where(PrivacyRequest.interaction_id == interaction_id)
        )
    at = interaction.occurred_at
    record(
        session,
        actor=None,
        action="privacy_request",
        entity="customer",
        entity_id=interaction.customer_id,
        details={"request_id": request.id, "interaction_id": interaction_id},
    )
    reason = f"privacy request on {at.day} {at:%b %Y} (#{request.id}): waiting for an admin"
    if customer_service.pause_marketing(
        session, customer_id=interaction.customer_id, reason=reason
    ):
        record(
            session,
            actor=None,
            action="marketing_pause",
            entity="customer",
            entity_id=interaction.customer_id,
            details={"paused": True, "reason": reason, "request_id": request.id},
        )
    return request


def list_requests(
    session: Session, *, status: str | None = "open", limit: int = 50, offset: int = 0
) -> tuple[list[PrivacyRequest], int]:
    """Privacy requests (open ones by default), oldest first: they are owed an answer."""
    stmt = select(PrivacyRequest)
    if status:
        stmt = stmt.where(PrivacyRequest.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(PrivacyRequest.requested_at, PrivacyRequest.id).limit(limit).offset(offset)
    )
    return list(rows), total


def resolve_request(
    session: Session,
    *,
    request_id: int,
    actor: Principal,
    outcome: str = "",
    resume_marketing: bool = False,
) -> PrivacyRequest:
    """Mark a request handled (idempotent), audited; lift the marketing pause if asked to
    (e.g. the message was not a privacy request after all). Erasure and consent changes are
    their own actions (DELETE /customers/{id}, consent on the customer)."""
    request = session.get(PrivacyRequest, request_id)
    if request is None:
        raise not_found("privacy request", request_id)
    if request.status != "done":
        request.status, request.resolved_at = "done", utcnow()
        request.resolved_by, request.outcome = actor.name, outcome or None
        session.flush()
        record(
            session,
            actor=actor,
            action="privacy_request_done",
            entity="customer",
            entity_id=request.customer_id,
            details={"request_id": request.id, "outcome": outcome},
        )
    if resume_marketing and customer_service.resume_marketing(
        session, customer_id=request.customer_id
    ):
        record(
            session,
            actor=actor,
            action="marketing_pause",
            entity="customer",
            entity_id=request.customer_id,
            details={"paused": False, "request_id": request.id},
        )
    return request
