"""Test set-up: a migrated database (SQLite, or LMS_TEST_DATABASE_URL), reference data, one rolled-back
transaction per test, an API client bound to that transaction, and the task queue, where jobs wait until a test
runs them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TMP = Path(tempfile.mkdtemp(prefix="lms-test-"))
# Run in parallel (pytest-xdist, `-n`), each worker process is a suite of its own: its own temporary directory, its
# own SQLite file, and on PostgreSQL its own database, LMS_TEST_DATABASE_URL's name with the worker's added
# (made here, dropped when the worker ends).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _database_of_worker(url_text: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    url = make_url(url_text)
    name = f"{url.database}_{_WORKER}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


_SHARED_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
_OWN_DATABASE = bool(_SHARED_URL and _WORKER)
TEST_DATABASE_URL = (
    _database_of_worker(_SHARED_URL) if _OWN_DATABASE else _SHARED_URL or f"sqlite:///{_TMP / 'test.db'}"
)
os.environ["LMS_DATABASE_URL"] = TEST_DATABASE_URL
os.environ["LMS_VAR_DIR"] = str(_TMP)
os.environ.setdefault("LMS_SECRET_KEY", "test-secret-key-of-sufficient-length-0123456789")
# The task queue is the embedded default, a file under the temporary LMS_VAR_DIR, and never immediate: a test's
# session commits only a savepoint of a transaction that is rolled back, so a job sent by that commit must not run
# on its own against data no other connection can see. Jobs wait in the file until a test runs them (`queue`).
os.environ["LMS_QUEUE_URL"] = ""
os.environ["LMS_QUEUE_IMMEDIATE"] = "false"

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from huey import Huey  # noqa: E402
from sqlalchemy import Connection, inspect  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import jobs  # noqa: E402
from app.auth import operator  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_engine, read_db_opener  # noqa: E402
from app.main import create_app  # noqa: E402
from app.web import callers  # noqa: E402
from app.web.routing import get_db, request_unit_of_work  # noqa: E402


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

    with get_sessionmaker().begin() as db:
        rows = authorities.read_cbs_file(authorities.BUNDLED_FILE)
        authorities.load_authorities(db, rows=rows, source="test", actor=operator("test"), as_of=today())
        roles.load_roles(db, path=roles.BUNDLED_FILE, actor=operator("test"))


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """The test database, migrated to head with reference data loaded (committed once)."""
    _migrate_fresh()
    _load_reference()
    yield get_engine().dialect.name


def pytest_unconfigure(config: pytest.Config) -> None:
    """A parallel worker's own PostgreSQL database is dropped when the worker ends."""
    if _OWN_DATABASE:
        from sqlalchemy import create_engine, make_url, text

        get_engine().dispose()
        url = make_url(TEST_DATABASE_URL)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def callers_read_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """No caller kept between requests (LMS_CALLER_CACHE_SECONDS=0), for the tests that count the statements of a
    page's requests: each then reads its caller, as the first request of a burst does."""
    monkeypatch.setattr(get_settings(), "caller_cache_seconds", 0)


@pytest.fixture
def connection(database: str) -> Iterator[Connection]:
    """A connection whose outer transaction is rolled back after the test; the callers the app kept
    (app/web/callers.py) go with it, since a rolled-back account's id may be another account's in the next test."""
    with get_engine().connect() as conn:
        trans = conn.begin()
        yield conn
        if trans.is_active:
            trans.rollback()
    callers.KEPT.forget()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session inside the test's transaction; its commits only release savepoints."""
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield db
    db.close()


@pytest.fixture
def client(db: Session) -> Iterator[TestClient]:
    """An API client whose requests run in the test's transaction."""
    app = create_app()

    async def _session() -> AsyncIterator[Session]:
        # What the test set up so far is kept in the outer transaction; the request's unit of work
        # then commits or rolls back only its own savepoint, as a real request would.
        db.commit()
        async with request_unit_of_work(db):
            yield db

    app.dependency_overrides[get_db] = _session
    # Streamed downloads read after the request's unit of work, on the test's session too.
    app.dependency_overrides[read_db_opener] = lambda: lambda: nullcontext(db)
    with TestClient(app) as c:
        yield c


@dataclass
class Queue:
    """The tests' task queue, as a worker sees it."""

    huey: Huey

    def jobs(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The waiting jobs, in order: (name, arguments)."""
        return [(type(task).__name__, tuple(task.args)) for task in self.huey.pending()]

    def run(self) -> int:
        """Run every waiting job, and those they queue, in order, as a worker would; how many ran. A job that
        fails raises here, instead of being retried."""
        ran = 0
        while (task := self.huey.dequeue()) is not None:
            task.execute()
            ran += 1
        return ran


@pytest.fixture
def queue() -> Iterator[Queue]:
    """The process's task queue, empty at the start and at the end of the test."""
    huey = jobs.get_queue()
    huey.flush()
    yield Queue(huey)
    huey.flush()
