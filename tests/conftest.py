"""Shared fixtures: a real database per run (SQLite file, and PostgreSQL when
HEARTLINE_TEST_POSTGRES_URL is set), migrated with Alembic, and a rolled-back transaction per
test. Tests that use `db`, `client` or `api` run once per backend."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Keep generated secrets and SQLite files out of the working tree.
os.environ.setdefault("HEARTLINE_DATA_DIR", tempfile.mkdtemp(prefix="heartline-test-"))

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from heartline import db as dbmod
from heartline import migrate

PG_URL = os.environ.get("HEARTLINE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin_url() -> str:
    assert PG_URL
    return (
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        if PG_URL.startswith("postgresql://")
        else PG_URL
    )


def create_pg_database() -> str:
    """Create a fresh, uniquely named PostgreSQL database; return its URL."""
    from sqlalchemy import create_engine

    name = f"heartline_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database."""
    from sqlalchemy import create_engine

    name = make_url(url).database
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_database(backend: str, tmp_dir: str) -> tuple[str, Callable[[], None]]:
    """An empty database of the backend: (url, cleanup)."""
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip(
                "PostgreSQL tests need HEARTLINE_TEST_POSTGRES_URL (make test sets it in CI)"
            )
        url = create_pg_database()
        return url, lambda: drop_pg_database(url)
    path = os.path.join(tmp_dir, f"{uuid.uuid4().hex[:8]}.db")
    return f"sqlite:///{path}", lambda: None


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test."""
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database for the whole run, dropped at the end."""
    url, cleanup = new_database(backend, str(tmp_path_factory.mktemp("db")))
    eng = dbmod.make_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    cleanup()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Code under test may commit: commits become savepoint releases inside the outer transaction,
    and every session the app or the pipeline opens shares the same connection.
    """
    conn = engine.connect()
    outer = conn.begin()
    factory = sessionmaker(
        bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    dbmod.set_sessionmaker(factory, engine)
    session = factory()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()
        dbmod.set_sessionmaker(None, None)


@pytest.fixture
def client(db: Session) -> Iterator[TestClient]:
    """An unauthenticated client of the app on the test database."""
    from heartline.app import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def make_token(db: Session) -> Callable[[str], str]:
    """Create an API token with a role; returns the plaintext."""
    from heartline.auth import service as auth_service

    def _make(role: str = "integration") -> str:
        _, plaintext = auth_service.create_token(db, name=f"test-{role}", role=role)
        db.commit()
        return plaintext

    return _make


class Api:
    """A TestClient that sends a bearer token for one role and prefixes /api/v1."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(path: str, **kwargs: Any) -> Any:
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(f"/api/v1{path}", headers=headers, **kwargs)

        return call


@pytest.fixture
def api(client: TestClient, make_token: Callable[[str], str]) -> Api:
    """An integration-role API client (push data, read it back)."""
    return Api(client, make_token("integration"))


@pytest.fixture
def api_as(client: TestClient, make_token: Callable[[str], str]) -> Callable[[str], Api]:
    """An API client for any role: api_as('agent')."""
    return lambda role: Api(client, make_token(role))


@pytest.fixture
def customer(api: Api) -> dict[str, Any]:
    """A customer created through the API."""
    r = api.post(
        "/customers",
        json={"external_id": "cust-1", "name": "Ada Lovelace", "email": "ada@example.com"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory (emotion model versions live under it); the engine cache
    follows it and is reset afterwards."""
    from heartline.config import get_settings
    from heartline.emotion.engine import reset_engine

    monkeypatch.setenv("HEARTLINE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_engine()


@pytest.fixture
def committed_db(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated database with real commits (worker threads and processes need their own
    connections to see what a test wrote)."""
    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    yield engine
    dbmod.set_sessionmaker(None, None)
    engine.dispose()
    cleanup()
