"""Engine, session factory and the declarative Base shared by every domain."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from heartline.config import get_settings

# Constraint names must be deterministic so migrations can drop them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; take control of BEGIN ourselves
    # (the SQLAlchemy-documented recipe), and turn on FKs, WAL and a busy timeout.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        # deleted rows are overwritten, not left in free pages (erasure leaves no remnant)
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE where the transaction will write (writes_first, begin_immediately): a
        # deferred one that reads, sees another writer commit, then writes fails at once
        # (SQLITE_BUSY_SNAPSHOT skips the busy timeout); IMMEDIATE waits its turn instead.
        immediate = _state.immediate or conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with Heartline's per-dialect settings."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///"):
            import os
            from pathlib import Path

            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() and str(path) != ":memory:":
                # owner-only from the start; SQLite gives its -wal and -shm files the same mode
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


class _State:
    engine: Engine | None = None
    factory: sessionmaker[Session] | None = None
    immediate: bool = False  # every SQLite transaction of this process writes (see _begin)


_state = _State()


def get_engine() -> Engine:
    """The process engine, created on first use from the settings."""
    if _state.engine is None:
        _state.engine = make_engine(get_settings().resolved_database_url())
    return _state.engine


def get_sessionmaker() -> sessionmaker[Session]:
    """The process session factory (tests may install their own with set_sessionmaker)."""
    # Foreign keys name tables of other domains (customers.account_owner_id -> users): every
    # model must be registered before the first flush, whichever module asked for a session.
    # The registry is loaded by name: it sits above this module, which every model imports.
    importlib.import_module("heartline.models")

    if _state.factory is None:
        _state.factory = sessionmaker(bind=get_engine(), expire_on_commit=False)
    return _state.factory


def set_sessionmaker(factory: sessionmaker[Session] | None, engine: Engine | None = None) -> None:
    """Install a session factory (used by tests and the CLI's --database-url)."""
    _state.factory = factory
    _state.engine = engine


def writes_first(session: Session) -> None:
    """On SQLite, start `session`'s transaction with the write lock (call before using it)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_immediate": True})


def begin_immediately() -> None:
    """On SQLite, every transaction of this process takes the write lock when it begins (a
    process that writes throughout beside a server, like the background demo build)."""
    _state.immediate = True


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error, always close."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def checkpoint(engine: Engine | None = None) -> None:
    """On SQLite, fold the write-ahead log into the database and truncate it, so no copy of
    erased rows stays in the -wal file (called after an erasure commits). No-op elsewhere."""
    engine = engine or get_engine()
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            raw: Any = conn.connection.dbapi_connection
            raw.execute("PRAGMA busy_timeout=2000")  # readers still open: try, do not hang
            try:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.execute("PRAGMA busy_timeout=30000")


def id_filter(column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`, or a range when the ids are dense (a scheduler chunk): a 2,000-item
    IN list costs more to bind than the rows it saves; callers drop rows outside `ids`."""
    lo, hi = min(ids), max(ids)
    if hi - lo + 1 <= 2 * len(ids):
        return column.between(lo, hi)
    return column.in_(list(ids))
