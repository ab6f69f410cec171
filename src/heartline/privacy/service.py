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
    # Rows keyed through one of those tables (order items, reviewers' notes on readings)
    # come with their parent.
    for table, column, parent in child_tables():
        ids = [r["id"] for r in out.get(parent, [])]
        if ids:
            rows = session.execute(select(table).where(column.in_(ids))).mappings()
            out.setdefault(table.name, []).extend(
                {k: _jsonable(v) for k, v in row.items()} for row in rows
            )
    events, _total = audit_trail(session, entity="customer", entity_id=customer_id, limit=10_000)
    out["audit_events"] = [
        {c.key: _jsonable(getattr(e, c.key)) for c in AuditEvent.__mapper__.column_attrs}
        for e in events
    ]
    return out


def child_tables() -> list[tuple[Table, Any, str]]:
    """(table, column, parent table) for tables without a customer_id whose rows belong to
    a row of a customer table through a foreign key (order_items, reading_reviews)."""
    parents = {t.name for t in customer_tables()}
    out = []
    for table in Base.metadata.sorted_tables:
        if "customer_id" in table.c or table.name == "customers":
            continue
        for column in table.c:
            for fk in column.foreign_keys:
                if fk.column.table.name in parents and fk.column.name == "id":
                    out.append((table, column, fk.column.table.name))
                    break
            else:
                continue
            break
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
    outbox = Base.metadata.tables["outbox_messages"]
    keys = session.scalars(
        select(outbox.c.idempotency_key).where(outbox.c.customer_id == customer_id)
    ).all()
    if keys:  # the no-SMTP file sinks keep a copy of each message sent
        from heartline.channels.registry import erase_local_copies

        files = erase_local_copies(list(keys))
        if files:
            counts["outbox_files"] = files
    for table, column, parent in child_tables():  # children keyed through a customer table
        ptable = Base.metadata.tables[parent]
        owned = select(ptable.c.id).where(ptable.c.customer_id == customer_id)
        result = cast(CursorResult[Any], session.execute(delete(table).where(column.in_(owned))))
        if result.rowcount:
            counts[table.name] = result.rowcount
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


def upsert_customer(session: Session, *, data: Any, actor: Principal | None) -> Any:
    """customers.service.upsert_customer, plus what consent changes mean: the change is
    audited, and withdrawing consent to emotion analysis forgets what was read (below)."""
    before = (
        customer_service.find_customer(session, external_id=data.external_id)
        if data.external_id
        else None
    )
    was_analysed = before is not None and before.consent_emotion_analysis
    result = customer_service.upsert_customer(session, data=data)
    if data.consent is not None and result.status != "unchanged":
        record(
            session, actor=actor, action="consent", entity="customer", entity_id=result.obj.id,
            details=data.consent.model_dump(mode="json", exclude_none=True),
        )  # fmt: skip
    if was_analysed and not result.obj.consent_emotion_analysis:
        withdraw_analysis(session, customer_id=result.obj.id, actor=actor)
    return result


def withdraw_analysis(
    session: Session, *, customer_id: int, actor: Principal | None
) -> dict[str, int]:
    """The customer said no to emotion analysis: every reading, complaint and recovery story
    drawn from their words is deleted, their messages are marked as not analysed (with the
    reason), and mood, churn risk and segments are recomputed without them. Audited."""
    counts = mood_service.forget_customer_feelings(session, customer_id=customer_id)
    n = interaction_service.mark_opted_out(session, customer_id=customer_id)
    if n:
        counts["interactions_marked"] = n
    record(
        session, actor=actor, action="consent.withdrawn", entity="customer",
        entity_id=customer_id, details={"emotion_analysis": False, "deleted": counts},
    )  # fmt: skip
    return counts


def expire_raw_text(session: Session, *, older_than_days: int, now: datetime | None = None) -> int:
    """Blank the text of messages older than the retention period; readings are kept."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    due = (Interaction.occurred_at < cutoff, Interaction.text_expired_at.is_(None))
    expiring = list(session.scalars(select(Interaction.id).where(*due)))
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Interaction)
            .where(*due)
            .values(text=EXPIRED_TEXT, subject="", text_expired_at=now or utcnow())
            .execution_options(synchronize_session=False)
        ),
    )
    # No copy of the words may outlive them: evidence phrases in readings and complaints,
    # and the subjects of conversations that have had no message since the cutoff.
    for i in range(0, len(expiring), 500):
        mood_service.forget_text(session, interaction_ids=expiring[i : i + 500])
    interaction_service.blank_old_subjects(session, before=cutoff)
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
    open_request_effects(session, request=request, at=interaction.occurred_at, actor=None)
    return request


def customer_actor(customer_id: int) -> Principal:
    """The customer themselves, acting on their own choices page (for the audit trail)."""
    return Principal("customer", customer_id, role=None, name=f"customer #{customer_id}")  # type: ignore[arg-type]


def open_request_effects(
    session: Session, *, request: PrivacyRequest, at: datetime, actor: Principal | None
) -> None:
    """What opening a privacy request does, however it came: audited, marketing paused."""
    details: dict[str, Any] = {"request_id": request.id}
    if request.interaction_id is not None:
        details["interaction_id"] = request.interaction_id
    if request.kind:
        details["kind"] = request.kind
    record(
        session, actor=actor, action="privacy_request", entity="customer",
        entity_id=request.customer_id, details=details,
    )  # fmt: skip
    reason = f"privacy request on {at.day} {at:%b %Y} (#{request.id}): waiting for an admin"
    if customer_service.pause_marketing(session, customer_id=request.customer_id, reason=reason):
        record(
            session, actor=actor, action="marketing_pause", entity="customer",
            entity_id=request.customer_id,
            details={"paused": True, "reason": reason, "request_id": request.id},
        )  # fmt: skip


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
