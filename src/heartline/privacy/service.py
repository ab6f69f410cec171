"""Privacy: audit trail, export or erase one customer completely, raw-text retention, and
privacy requests read in messages (a task for an admin; marketing paused at once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select, update
from sqlalchemy.orm import Session

from heartline import files as file_store
from heartline.auth.service import Principal
from heartline.customers import service as customer_service
from heartline.db import Base, utcnow
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.privacy.audit import SYSTEM, audit_trail, customer_actor, record
from heartline.privacy.consent import upsert_customer, withdraw_analysis
from heartline.privacy.merge import merge_customers
from heartline.privacy.models import AuditEvent, PrivacyRequest
from heartline.privacy.requests import (
    list_requests,
    open_request,
    open_request_effects,
    resolve_request,
)
from heartline.privacy.transparency import (  # the notice and the customer's own choices
    ACTIONS,
    LANGUAGES,
    PAGE,
    apply_choice,
    choices_token,
    customer_of,
    language_of,
    notice,
    set_notice,
    with_footer,
)

__all__ = [
    "ACTIONS",
    "EXPIRED_TEXT",
    "LANGUAGES",
    "PAGE",
    "SYSTEM",
    "AuditEvent",
    "PrivacyRequest",
    "apply_choice",
    "audit_trail",
    "child_tables",
    "choices_token",
    "customer_actor",
    "customer_of",
    "customer_tables",
    "erase_customer",
    "expire_raw_text",
    "export_customer",
    "language_of",
    "list_requests",
    "merge_customers",
    "notice",
    "open_request",
    "open_request_effects",
    "record",
    "resolve_request",
    "set_notice",
    "upsert_customer",
    "with_footer",
    "withdraw_analysis",
]


EXPIRED_TEXT = ""  # what an expired message's text becomes; the reading and metadata stay


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
    record_ = customer_service.customer_record(session, customer_id=customer_id)
    out: dict[str, Any] = {"customer": {k: _jsonable(v) for k, v in record_.items()}}
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


def _remove_unheld_files(session: Session, digests: set[str]) -> int:
    """Delete the stored attachment files no remaining stored attachment row holds (one file
    serves every message that came with the same bytes); returns how many went."""
    if not digests:
        return 0
    attachments = Base.metadata.tables["mail_attachments"]
    held = session.scalars(
        select(attachments.c.sha256).where(
            attachments.c.sha256.in_(digests), attachments.c.stored.is_(True)
        )
    )
    return file_store.remove(file_store.ATTACHMENTS, digests - set(held))


def _attachment_files(session: Session, customer_id: int) -> set[str]:
    """The content hashes of the files that came with the customer's mail."""
    attachments = Base.metadata.tables["mail_attachments"]
    interactions = Base.metadata.tables["interactions"]
    return set(
        session.scalars(
            select(attachments.c.sha256)
            .join(interactions, interactions.c.id == attachments.c.interaction_id)
            .where(interactions.c.customer_id == customer_id, attachments.c.stored.is_(True))
        )
    )


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
        from heartline.channels import service as channel_service

        files = channel_service.erase_local_copies(list(keys))
        if files:
            counts["outbox_files"] = files
    kept_files = _attachment_files(session, customer_id)
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
    customer_service.delete_customer_row(session, customer_id=customer_id)
    gone = _remove_unheld_files(session, kept_files)  # unless another message holds the file
    if gone:
        counts["attachment_files"] = gone
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


def _expire_notes_and_files(
    session: Session, *, before: datetime, interaction_ids: list[int]
) -> None:
    """Retention reaches agents' internal notes (they quote customers) and the files that came
    with the expiring mail: notes are blanked, files deleted (their details stay)."""
    notes = Base.metadata.tables["notes"]
    session.execute(
        update(notes)
        .where(notes.c.created_at < before, notes.c.body != EXPIRED_TEXT)
        .values(body=EXPIRED_TEXT)
    )
    attachments = Base.metadata.tables["mail_attachments"]
    for i in range(0, len(interaction_ids), 500):
        chunk = interaction_ids[i : i + 500]
        owned = (attachments.c.interaction_id.in_(chunk), attachments.c.stored.is_(True))
        digests = set(session.scalars(select(attachments.c.sha256).where(*owned)))
        if not digests:
            continue
        session.execute(update(attachments).where(*owned).values(stored=False))
        _remove_unheld_files(session, digests)


def expire_raw_text(session: Session, *, older_than_days: int, now: datetime | None = None) -> int:
    """Blank the text of messages older than the retention period; readings are kept."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    expiring = interaction_service.expire_text(
        session, before=cutoff, now=now or utcnow(), blank=EXPIRED_TEXT
    )
    # No copy of the words may outlive them: evidence phrases in readings and complaints,
    # and the subjects of conversations that have had no message since the cutoff.
    for i in range(0, len(expiring), 500):
        mood_service.forget_text(session, interaction_ids=expiring[i : i + 500])
    interaction_service.blank_old_subjects(session, before=cutoff)
    _expire_notes_and_files(session, before=cutoff, interaction_ids=expiring)
    if expiring:
        record(
            session,
            actor=None,
            action="retention",
            entity="interactions",
            entity_id=None,
            details={"expired": len(expiring), "older_than_days": older_than_days},
        )
    return len(expiring)
