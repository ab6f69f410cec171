"""Pipeline fixtures."""

import pytest
from sqlalchemy.orm import sessionmaker

from heartline import db as dbmod
from heartline import migrate

from ..conftest import new_database


@pytest.fixture
def committed_db(backend, tmp_path):
    """A fresh migrated database with real commits (a worker thread needs its own connections)."""
    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    yield engine
    dbmod.set_sessionmaker(None, None)
    engine.dispose()
    cleanup()
