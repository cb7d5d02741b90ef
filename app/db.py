"""Engine, sessions and the declarative base shared by every package."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, MetaData, Select, TextClause, bindparam, create_engine, event, func, select
from sqlalchemy.engine import Engine, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from app.config import get_settings

# A SELECT of any columns (SQLAlchemy types a select by the tuple of its columns).
AnySelect = Select[*tuple[Any, ...]]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: Iterable[str]) -> str:
    """The SQL of a CHECK constraint that the column holds one of the values (a StrEnum's, say)."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        # SQLite stores the wall-clock digits alone, so an instant in another zone is bound as UTC.
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """The declarative base; every table's constraints are named by NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def count_of(db: Session, stmt: AnySelect) -> int:
    """How many rows a select gives (for the `total` of a page of it)."""
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def read_rows(db: Session, stmt: Executable, parameters: dict[str, Any] | None = None) -> Result[Any]:
    """The rows of a select of columns (not of whole records), run on the session's connection in its transaction
    without the ORM's handling of a statement and its rows (a tenth of a millisecond a query): what the session holds
    unwritten is flushed first, as the ORM's own execution would."""
    if db.autoflush:
        db.flush()
    return db.connection().execute(stmt, parameters)


def paged(
    db: Session, stmt: AnySelect, *, limit: int, offset: int, parameters: dict[str, Any] | None = None
) -> tuple[list[Any], int]:
    """A page of an ordered select's rows and how many rows it gives in all, in one round trip: the total rides on
    every row (`count(*) OVER ()`). Only a page past the end, which has no row to carry it, is counted apart. A
    select built once (kept by its module) is made into its page query once too."""
    page, records = _page_of(stmt)
    values = {**(parameters or {}), "page_limit": limit, "page_offset": offset}
    rows = (db.execute(page, values) if records else read_rows(db, page, values)).all()
    if rows:
        return [row[:-1] for row in rows], int(rows[0][-1])
    if not offset:
        return [], 0
    return [], db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()), parameters) or 0


@lru_cache(maxsize=64)
def _page_of(stmt: AnySelect) -> tuple[AnySelect, bool]:
    """The select with its total on every row, limited and offset by the parameters page_limit and page_offset; and
    whether it selects whole records (which the ORM must load), not only columns."""
    records = any(column["expr"] is column["entity"] for column in stmt.column_descriptions)
    page = stmt.add_columns(func.count().over()).limit(bindparam("page_limit")).offset(bindparam("page_offset"))
    return page, records


# No ping before each checkout (a round trip on every request): instead a connection is replaced after this many
# seconds, well within any server or proxy idle timeout, and a connection found dropped (a database restart) is
# detected by the statement that fails on it, which empties the pool; the web layer then runs a read request again
# on a fresh connection (app/web/security.py, RetryDroppedConnection).
POOL_RECYCLE_SECONDS = 1800


def is_dropped_connection(exc: BaseException) -> bool:
    """Whether an error is the database connection having been lost (the pool has then been emptied)."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout."""
    settings = get_settings()
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    kwargs.setdefault("pool_size", settings.db_pool_size)
    kwargs.setdefault("max_overflow", settings.db_max_overflow)
    engine = create_engine(url, echo=settings.sql_echo, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # IMMEDIATE takes the write lock at the start, so concurrent writers wait (busy_timeout) instead of failing.
        # A read-only session (see open_read_db) takes no lock, so a long download never blocks writers.
        event.listen(
            engine,
            "begin",
            lambda conn: conn.exec_driver_sql(
                "BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE"
            ),
        )
    return engine


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for LMS_DATABASE_URL."""
    return make_engine(get_settings().resolved_database_url())


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    """The process-wide session factory. The mapped classes are registered by whoever starts the process
    (`app.main`, `app.cli`, the migrations), by importing `app.models`; this module imports no model."""
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


# What `table_written` says of raw SQL that is not a SELECT: it may write any table.
ANY_TABLE = "*"


def table_written(state: ORMExecuteState) -> str | None:
    """The table a statement run by `Session.execute` writes: its name for an INSERT, UPDATE or DELETE, ANY_TABLE
    for raw SQL that is not a SELECT, None for a read. (Rows written through the unit of work are the session's
    `new`, `dirty` and `deleted` at `after_flush`.)"""
    if state.is_select:
        return None
    if state.is_insert or state.is_update or state.is_delete:
        return str(getattr(getattr(state.statement, "table", None), "name", ANY_TABLE))
    statement = state.statement
    if isinstance(statement, TextClause) and not statement.text.lstrip().lower().startswith(("select", "explain")):
        return ANY_TABLE
    return None


def end_unit_of_work(db: Session, error: BaseException | None = None) -> None:
    """Commit the unit of work; after an error, roll it back.

    An error that must keep what was written before it (a failed login is counted even though the
    request fails) says so with ``keep_changes``.
    """
    if error is None or getattr(error, "keep_changes", False):
        db.commit()
    else:
        db.rollback()


@contextmanager
def open_read_db() -> Iterator[Session]:
    """A read-only session of its own, for work that outlives the request's unit of work (streamed downloads)."""
    with Session(bind=get_engine().execution_options(read_only=True)) as db:
        yield db


async def read_db_opener() -> Callable[[], AbstractContextManager[Session]]:
    """The dependency that hands routes `open_read_db` (tests hand their own session instead)."""
    return open_read_db
