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
            context = MigrationContext.configure(
                conn,
                opts={"include_name": migrate.include_name},  # not the search index
            )
            diff = compare_metadata(context, Base.metadata)
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


def test_reading_language_is_backfilled_and_the_rollup_rebuilt(backend, tmp_path):
    """0010 copies each reading's language out of its JSON into a column, and the rollup it
    clears is rebuilt by migrate.upgrade with the new language dimension."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from heartline.customers import service as customer_service
    from heartline.customers.schemas import CustomerIn
    from heartline.interactions.models import Interaction

    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    try:
        migrate.upgrade(engine, "0009")
        at = datetime(2026, 11, 2, 10, tzinfo=UTC)
        with Session(engine) as s:
            c = customer_service.upsert_customer(s, data=CustomerIn(external_id="a")).obj
            s.flush()
            i = Interaction(customer_id=c.id, channel="email", direction="inbound",
                            text="Bonjour", occurred_at=at, analysis_status="scored")  # fmt: skip
            s.add(i)
            s.flush()
            s.execute(
                text(
                    "INSERT INTO emotion_readings (interaction_id, customer_id, occurred_at, "
                    "channel, model, sentiment, valence, intensity, confidence, sarcasm, "
                    "needs_review, data, created_at, updated_at) VALUES (:i, :c, :at, 'email', "
                    "'m', 'positive', 0.5, 0.5, 0.9, 0, false, :data, :at, :at)"
                ),
                {"i": i.id, "c": c.id, "at": at, "data": json.dumps({"language": "fr"})},
            )
            s.commit()
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT language FROM emotion_readings")).scalar() == "fr"
            rows = conn.execute(
                text("SELECT language, n FROM metric_daily_readings WHERE grain = 'language'")
            ).all()
            assert [tuple(r) for r in rows] == [("fr", 1)]
    finally:
        engine.dispose()
        cleanup()
