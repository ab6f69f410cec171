"""References to customers and orders resolved for a whole batch (the batched ingest): the
same answers, and the same errors, as resolve_customer_id / find_order_id give one by one,
in a query or two per batch instead of one per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.customers.models import Customer, Order
from heartline.customers.schemas import CustomerRef
from heartline.errors import AppError, unknown_reference

IN_CHUNK = 5000  # values per IN (...) list: well under SQLite's and PostgreSQL's bind limits


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """The distinct values, sorted, in IN-list sized pieces."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def resolve_customer_ids(
    session: Session, *, refs: Sequence[CustomerRef], field_prefixes: Sequence[str]
) -> list[int | AppError]:
    """Each reference's customer id, or the AppError resolve_customer_id would raise for it
    (same field, message and code); two queries for the batch (one per 5,000 references)."""
    by_external: dict[str, int] = {}
    for chunk in chunks(r.customer_external_id for r in refs if r.customer_external_id):
        stmt = select(Customer.external_id, Customer.id).where(Customer.external_id.in_(chunk))
        by_external.update((str(ext), int(cid)) for ext, cid in session.execute(stmt))
    known: set[int] = set()
    for chunk in chunks(r.customer_id for r in refs if r.customer_id is not None):
        known.update(session.scalars(select(Customer.id).where(Customer.id.in_(chunk))))
    return [
        _resolved(ref, prefix, by_external, known)
        for ref, prefix in zip(refs, field_prefixes, strict=True)
    ]


def _resolved(
    ref: CustomerRef, prefix: str, by_external: dict[str, int], known: set[int]
) -> int | AppError:
    """resolve_customer_id's checks, in its order, on what the batch looked up."""
    if ref.customer_id is not None:
        if ref.customer_id not in known:
            return unknown_reference(f"{prefix}customer_id", ref.customer_id, "customer")
        if ref.customer_external_id is None:
            return ref.customer_id
    assert ref.customer_external_id is not None
    found = by_external.get(ref.customer_external_id)
    if found is None:
        return unknown_reference(
            f"{prefix}customer_external_id", ref.customer_external_id, "customer"
        )
    if ref.customer_id is not None and ref.customer_id != found:
        return unknown_reference(
            f"{prefix}customer_id", ref.customer_id, "customer matching customer_external_id"
        )
    return found


def find_order_ids(session: Session, *, external_ids: Iterable[str]) -> dict[str, int]:
    """Heartline's ids of the orders with these integrator ids (unknown ones are absent)."""
    found: dict[str, int] = {}
    for chunk in chunks(external_ids):
        stmt = select(Order.external_id, Order.id).where(Order.external_id.in_(chunk))
        found.update((str(ext), int(oid)) for ext, oid in session.execute(stmt))
    return found
