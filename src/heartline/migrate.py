"""Run Alembic migrations from code (CLI, app start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str, engine: Engine | None = None) -> Config:
    """An Alembic Config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["engine"] = engine
    return cfg


# Search index objects the database keeps beside the models (migration 0014): SQLite's FTS5
# tables (and their shadow tables), PostgreSQL's generated tsvector columns and GIN indexes.
# Autogenerate must not offer to drop them.
SEARCH_TABLE_PREFIXES = ("search_messages", "search_customers")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name hook: everything but the search index objects."""
    if type_ == "table" and name and name.startswith(SEARCH_TABLE_PREFIXES):
        return False
    if type_ == "column" and name == "search_vector":
        return False
    return not (type_ == "index" and name in ("ix_interactions_search", "ix_customers_search"))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind `engine` up to `revision`.

    On SQLite, foreign-key enforcement is off while migrations run (SQLite's documented
    procedure for redefining a table: batch mode copies a table and drops the old one, which
    would otherwise cascade to its children) and the keys are checked before it is back on."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, as required
        try:
            with conn.begin():
                cfg = alembic_config(engine.url.render_as_string(hide_password=False))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                _rebuild_empty_rollup(conn)
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def _rebuild_empty_rollup(conn: Connection) -> None:
    """The daily rollup is derived data: a migration that changes its shape clears it, and it
    is rebuilt here from the readings (an empty rollup beside stored readings is always
    stale)."""
    from sqlalchemy import inspect, text

    names = set(inspect(conn).get_table_names())
    if not {"metric_daily_readings", "emotion_readings"} <= names:
        return
    if conn.execute(text("SELECT 1 FROM metric_daily_readings LIMIT 1")).first() is not None:
        return
    if conn.execute(text("SELECT 1 FROM emotion_readings LIMIT 1")).first() is None:
        return
    from sqlalchemy.orm import Session

    from heartline.metrics import service as metrics_service

    with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
        metrics_service.rebuild_rollup(session)
        session.commit()


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database behind `engine` down to `revision`."""
    with engine.begin() as conn:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None when unmigrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
