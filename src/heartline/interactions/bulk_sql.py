"""Set-wise writes for the batched ingest (batch.py): many rows in one statement, ids back.

- SQLite: a multi-row INSERT ... RETURNING id, up to 1,000 rows a statement.
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

from sqlalchemy import JSON, Table, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from heartline.interactions.models import Conversation, Interaction

Model = type[Conversation] | type[Interaction]


def insert_rows(session: Session, model: Model, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (keys: the model's attribute names); their new ids, in row order."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, model, rows)
    return _insert_returning(session, model, rows)


SQLITE_MAX_PARAMS = 32_000  # SQLite allows 32,766 bound values per statement


def _insert_returning(session: Session, model: Model, rows: list[dict[str, Any]]) -> list[int]:
    """SQLite: INSERT ... VALUES (...), (...) RETURNING id, the values turned into what the
    columns store by their own types' bind processors (as SQLAlchemy would), in one pass.

    Ids come from the integer key, assigned row after row in VALUES order (the largest rowid
    + 1; the transaction holds the write lock), so sorting the returned ids puts them in row
    order. RETURNING's own order is not promised, and SQLAlchemy's insertmanyvalues asked to
    sort (sort_by_parameter_order) inserts one row per statement on SQLite; unsorted it still
    costs ~40 us a row in per-row parameter processing, more than the insert itself."""
    table, columns = _layout(model)
    dialect = session.get_bind().dialect
    processors = _processors(model, dialect)
    defaults = {key: _default(default) for key, _, default, _ in columns}  # once a batch
    names = ", ".join(f'"{name}"' for _, name, _, _ in columns)
    one = "(" + ", ".join("?" * len(columns)) + ")"
    per_statement = min(1000, SQLITE_MAX_PARAMS // len(columns))
    connection = session.connection()
    ids: list[int] = []
    last: list[tuple[Any, Any]] = [(None, None)] * len(columns)  # a value used again: reuse
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params: list[Any] = []
        for row in chunk:
            for n, ((key, _, _, _), process) in enumerate(zip(columns, processors, strict=True)):
                value = row[key] if key in row else defaults[key]
                if process is not None and value is not None:
                    seen, done = last[n]
                    if value is not seen:
                        done = process(value)
                        last[n] = (value, done)
                    value = done
                params.append(value)
        values = ", ".join([one] * len(chunk))
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES {values} RETURNING id'
        ids += sorted(int(r[0]) for r in connection.exec_driver_sql(sql, tuple(params)))
    if len(ids) != len(rows):
        raise RuntimeError(f"{model.__tablename__}: {len(rows)} rows inserted, {len(ids)} ids")
    return ids


def _processors(model: Model, dialect: Any) -> list[Any]:
    """Each column's bind processor for this dialect (None: the value goes as it is)."""
    _, columns = _layout(model)
    table = model.__table__
    return [table.c[name].type._cached_bind_processor(dialect) for _, name, _, _ in columns]


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
    import psycopg

    raw: Any = session.connection().connection.dbapi_connection  # psycopg's, in our transaction
    sql = f'COPY "{table.name}" (id, {names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row_id, row in zip(ids, rows, strict=True):
                values: list[Any] = [row_id]
                for key, _, _, is_json in columns:
                    value = row[key] if key in row else defaults[key]
                    values.append(json.dumps(value) if is_json and value is not None else value)
                copy.write_row(values)
    except psycopg.Error as exc:  # as SQLAlchemy would raise it (IntegrityError, ...)
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
    return ids


def _default(default: Any) -> Any:
    """A column's Python-side default, as the ORM would have filled it in."""
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def update_rows(session: Session, model: Model, rows: list[dict[str, Any]]) -> None:
    """UPDATE by primary key ("id" in each row), one Core executemany per set of columns
    changed (the ORM's bulk update by key spent ~400 us a row in Python)."""
    table, _ = _layout(model)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        names = tuple(sorted(k for k in row if k != "id"))
        groups.setdefault(names, []).append({f"v_{k}": v for k, v in row.items()})
    for names, params in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("v_id"))
            .values({name: bindparam(f"v_{name}") for name in names})
        )
        session.execute(stmt, params)
