"""Test set-up: a migrated database (SQLite, or LMS_TEST_DATABASE_URL), reference data, one rolled-back
transaction per test, and an API client bound to that transaction."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="lms-test-"))
TEST_DATABASE_URL = os.environ.get("LMS_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ["LMS_DATABASE_URL"] = TEST_DATABASE_URL
os.environ["LMS_VAR_DIR"] = str(_TMP)
os.environ.setdefault("LMS_SECRET_KEY", "test-secret-key-of-sufficient-length-0123456789")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, inspect  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.auth import operator  # noqa: E402
from app.db import get_engine, get_session, read_session_opener, unit_of_work  # noqa: E402
from app.main import create_app  # noqa: E402


def _migrate_fresh() -> None:
    from alembic import command

    from app.cli import alembic_config

    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    if "alembic_version" in inspect(get_engine()).get_table_names():
        command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")


def _load_reference() -> None:
    from app.authorities import service as authorities
    from app.clock import today
    from app.db import get_sessionmaker
    from app.roles import service as roles

    with get_sessionmaker().begin() as session:
        rows = authorities.read_cbs_file(authorities.BUNDLED_FILE)
        authorities.load_authorities(session, rows=rows, source="test", actor=operator("test"), as_of=today())
        roles.load_roles(session, path=roles.BUNDLED_FILE, actor=operator("test"))


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """The test database, migrated to head with reference data loaded (committed once)."""
    _migrate_fresh()
    _load_reference()
    yield get_engine().dialect.name


@pytest.fixture
def connection(database: str) -> Iterator[Connection]:
    """A connection whose outer transaction is rolled back after the test."""
    with get_engine().connect() as conn:
        trans = conn.begin()
        yield conn
        if trans.is_active:
            trans.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session inside the test's transaction; its commits only release savepoints."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture
def client(db: Session) -> Iterator[TestClient]:
    """An API client whose requests run in the test's transaction."""
    app = create_app()

    def _session() -> Iterator[Session]:
        # What the test set up so far is kept in the outer transaction; the request's unit of work
        # then commits or rolls back only its own savepoint, as a real request would.
        db.commit()
        yield from unit_of_work(db)

    app.dependency_overrides[get_session] = _session
    # Streamed downloads read after the request's unit of work, on the test's session too.
    app.dependency_overrides[read_session_opener] = lambda: lambda: nullcontext(db)
    with TestClient(app) as c:
        yield c
