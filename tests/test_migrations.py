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


def test_erased_ids_are_never_reused_and_the_migration_keeps_children(backend, tmp_path):
    """0008 recreates customers and users on SQLite without cascading to their rows, and an
    erased customer's id never comes back (its audit trail stays its own)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from heartline.customers import service as customer_service
    from heartline.customers.models import Customer, Order
    from heartline.customers.schemas import CustomerIn, OrderIn

    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    try:
        migrate.upgrade(engine, "0007")
        with Session(engine) as s:
            c = customer_service.upsert_customer(s, data=CustomerIn(external_id="a")).obj
            customer_service.upsert_order(
                s, data=OrderIn(customer_id=c.id, external_id="O-1", placed_at="2026-01-01")
            )
            s.commit()
            first = c.id
        migrate.upgrade(engine)
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Order)) == 1  # no cascade
            s.delete(s.get(Customer, first))
            s.commit()
            again = customer_service.upsert_customer(s, data=CustomerIn(external_id="b")).obj
            s.commit()
            assert again.id > first
    finally:
        engine.dispose()
        cleanup()
