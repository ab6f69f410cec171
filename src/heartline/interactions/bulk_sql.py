"""Set-wise writes for the batched ingest (batch.py): many rows in one statement, ids back.

- SQLite: a multi-row INSERT ... RETURNING id (SQLAlchemy's insertmanyvalues).
- PostgreSQL: ids drawn from the table's sequence in one query, then COPY ... FROM STDIN
  with them (psycopg's `cursor.copy`), on the session's own connection and transaction. A
  multi-row INSERT there spends more time in the driver, parsing a query of 14,000
  placeholders, than the server spends storing the rows.
Either way the rows get every column default the ORM would have given them.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlalchemy import JSON, Table, func, insert, select, update
from sqlalchemy.orm import Session

from heartline.interactions.models import Conversation, Interaction

Model = type[Conversation] | type[Interaction]


def insert_rows(session: Session, model: Model, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (keys: the model's attribute names); their new ids, in row order."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, model, rows)
    # render_nulls: a None is sent as NULL, so rows with and without a value share a statement.
    # Ids come from the integer key, assigned row after row in VALUES order (the largest rowid
    # + 1), so sorting the returned ids puts them in row order. RETURNING's own order is not
    # promised, and asking SQLAlchemy to sort (sort_by_parameter_order) makes it insert one
    # row per statement on SQLite, which has no sentinel it trusts.
    stmt = insert(model).returning(model.id).execution_options(render_nulls=True)
    ids = sorted(session.scalars(stmt, rows))
    if len(ids) != len(rows):
        raise RuntimeError(f"{model.__tablename__}: {len(rows)} rows inserted, {len(ids)} ids")
    return ids


@cache
def _layout(model: Model) -> tuple[Table, tuple[tuple[str, str, Any, bool], ...]]:
    """The table, and per column other than the key: (attribute, column, default, is JSON)."""
    table = model.__table__
    assert isinstance(table, Table)
    columns = []
    for prop in model.__mapper__.column_attrs:
        column = prop.columns[0]
        if column.primary_key or column.computed is not None:
            continue
        default = column.default
        columns.append((prop.key, column.name, default, isinstance(column.type, JSON)))
    return table, tuple(columns)


def _copy(session: Session, model: Model, rows: list[dict[str, Any]]) -> list[int]:
    table, columns = _layout(model)
    sequence = func.pg_get_serial_sequence(table.name, "id")
    ids = list(
        session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
        )
    )
    defaults = {key: _default(default) for key, _, default, _ in columns}  # once a batch
    names = ", ".join(f'"{name}"' for _, name, _, _ in columns)
    raw: Any = session.connection().connection.dbapi_connection  # psycopg's, in our transaction
    with (
        raw.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" (id, {names}) FROM STDIN') as copy,
    ):
        for row_id, row in zip(ids, rows, strict=True):
            values: list[Any] = [row_id]
            for key, _, _, is_json in columns:
                value = row[key] if key in row else defaults[key]
                values.append(json.dumps(value) if is_json and value is not None else value)
            copy.write_row(values)
    return ids


def _default(default: Any) -> Any:
    """A column's Python-side default, as the ORM would have filled it in."""
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def update_rows(session: Session, model: Model, rows: list[dict[str, Any]]) -> None:
    """UPDATE by primary key, one executemany per set of columns changed."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for params in groups.values():
        session.execute(update(model), params)
