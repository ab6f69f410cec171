"""Per-customer locks for the stages that rewrite a customer's state (remember, route).

On PostgreSQL each customer of a batch is locked with a transaction-scoped advisory lock, all
in ascending id order in one statement, before anything of theirs is read: two workers whose
batches share customers then take turns per customer (the second one reads what the first
committed) and never deadlock, since every worker takes the locks in the same order. Keys that
have no row yet (a customer's first mood state) are covered too, which row locks cannot do.
SQLite has one writer at a time, so nothing is needed there. The locks end with the stage's
transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

# High bits of the advisory lock key: the lock space of customer state, apart from any other
# advisory lock the application or an operator takes (customer ids stay far below 2**40).
CUSTOMER_SPACE = 0x484C << 40

_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM "
    "(SELECT k FROM unnest(CAST(:keys AS bigint[])) AS u(k) ORDER BY k) AS ordered"
)


def lock_customers(session: Session, *, customer_ids: Iterable[int]) -> int:
    """Lock these customers' state until the transaction ends (PostgreSQL; a no-op on
    SQLite); returns how many were locked."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids or session.get_bind().dialect.name != "postgresql":
        return 0
    session.execute(_LOCK, {"keys": [CUSTOMER_SPACE | i for i in ids]})
    return len(ids)
