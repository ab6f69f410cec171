"""Merging duplicate customers: everything about the duplicate moves to the survivor, in every
domain, then the duplicate is deleted. It lives beside export and erasure because it walks the
same set of tables (every table with a customer_id, any domain, so a table added later moves
too); the profile half (fill blanks, stricter consent) is customers.service.merge_profile.

Derived rows keyed by the customer (mood state, segment membership) are not moved but
recomputed for the survivor by mood's service; if the survivor ends up opted out of emotion
analysis, every feeling read from either customer's words is forgotten."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, update
from sqlalchemy.orm import Session

from heartline.api.validation import is_row_id
from heartline.auth.service import Principal
from heartline.customers import service as customer_service
from heartline.db import Base
from heartline.errors import AppError, ErrorCode, not_found, unknown_reference
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.privacy.audit import record


def _customer_tables() -> list[Table]:
    return [
        t for t in Base.metadata.sorted_tables if "customer_id" in t.c and t.name != "customers"
    ]


def _keyed_by_customer(table: Table) -> bool:
    """A table whose key includes the customer (one row per customer: derived state)."""
    return any(c.name == "customer_id" for c in table.primary_key.columns)


def merge_customers(
    session: Session, *, source_id: int, into_id: int, actor: Principal | None
) -> dict[str, Any]:
    """Merge customer `source_id` into `into_id` (the survivor) and delete the duplicate.
    A 404 for an unknown duplicate, a 422 naming `into` for an unknown survivor or the same
    customer. Audited as customer.merged with both ids and what moved."""
    source = customer_service.find_customer_by_id(session, customer_id=source_id)
    if source is None:
        raise not_found("customer", source_id)
    if into_id == source_id:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "into: a customer cannot be merged into itself",
            details=[{"field": "into", "message": "same customer", "type": "value_error"}],
        )
    into = (
        customer_service.find_customer_by_id(session, customer_id=into_id)
        if is_row_id(into_id)
        else None
    )
    if into is None:
        raise unknown_reference("into", into_id, "customer")
    profile = customer_service.merge_profile(session, source=source, into=into)
    moved: dict[str, int] = {}
    for table in _customer_tables():
        where = table.c.customer_id == source_id
        stmt = (
            delete(table).where(where)
            if _keyed_by_customer(table)
            else update(table).where(where).values(customer_id=into_id)
        )
        count = cast(CursorResult[Any], session.execute(stmt)).rowcount
        if count and not _keyed_by_customer(table):
            moved[table.name] = count
    customer_service.delete_customer_row(session, customer_id=source_id)
    session.expire_all()  # rows moved under the ORM's feet: read them afresh
    forgotten: dict[str, int] = {}
    if not profile["consent"]["emotion_analysis"]:
        forgotten = mood_service.forget_customer_feelings(session, customer_id=into_id)
        interaction_service.mark_opted_out(session, customer_id=into_id)
    mood_service.update_customer(session, customer_id=into_id)
    record(
        session, actor=actor, action="customer.merged", entity="customer", entity_id=into_id,
        details={"from": source_id, "into": into_id, "moved": moved, **profile,
                 "forgotten": forgotten},
    )  # fmt: skip
    return {"from": source_id, "into": into_id, "moved": moved, **profile}
