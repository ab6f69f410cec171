"""Migrations run up, down and up again on a fresh database of each backend."""

from sqlalchemy import inspect

from heartline import db as dbmod
from heartline import migrate
from heartline.models import Base

from .conftest import new_database


def test_migrations_up_down_up(backend, tmp_path):
    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    try:
        migrate.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables, "models without a migration"
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert migrate.current(engine) is None
        migrate.upgrade(engine)
        assert migrate.current(engine) is not None
    finally:
        engine.dispose()
        cleanup()


def test_models_match_migrations(backend, tmp_path):
    """Autogenerate finds nothing to add: the migrations describe the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
        cleanup()
