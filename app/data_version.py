"""The data version: a counter in the database that changes, in the same transaction, with every write that can
change a figure of the reports (officials, appointments, requirements, programmes, cohorts, enrolments,
attendance, completions, requests and decisions, authorities, roles...), and a cache of report figures keyed by it.

No write is missed because none is listed: every table counts except those named in `IGNORED_TABLES` (sign-in,
sessions, logs, certificates, none of which a report reads). The session's own events see every write made
through it:

- `after_flush`: rows added, changed or deleted through the ORM (the unit of work);
- `do_orm_execute`: INSERT, UPDATE and DELETE statements run by `Session.execute` (bulk writes, a decision's
  guarded UPDATE) and any textual statement that is not a SELECT.

Either marks the session; just before its transaction commits (`before_commit`), a marked session bumps the
counter, as the last statement of the transaction, so the row lock is held for an instant and taken after every
other lock (no deadlock between writers). Each bump also writes a new random `stamp`: a bump rolled back can
never be mistaken for a later one that reaches the same number, so a cache entry is never found under another
state of the data. A session with writes not yet committed reads past the cache (`cached`).

A write made beside the session (`Session.connection().execute`, an engine's own connection) is not seen: the
code makes none to a counted table (its `connection().execute` calls read: `db.read_rows`, the caller's account,
the version itself), and one that would must call `touch(db)`.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Integer, String, event, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.db import ANY_TABLE, Base, table_written

T = TypeVar("T")

# Tables whose writes change no figure of any report (and some of which are written on every request).
IGNORED_TABLES = frozenset(
    {
        "data_versions",
        "outbox_messages",
        "mail_preferences",
        "web_sessions",
        "users",
        "login_attempts",
        "login_throttles",
        "audit_events",
        "access_log",
        "import_runs",
        "certificates",
        "certificate_serial_counter",
        "credential_status_lists",
    }
)

_MARK = "data_version_written"


class DataVersion(Base):
    """The one row (id 1) of the data version: `version` counts the committed transactions that wrote report data;
    `stamp` is new at each bump, never reused, not even after a rollback."""

    __tablename__ = "data_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    stamp: Mapped[str] = mapped_column(String(32))


def _counts(table_name: str | None) -> bool:
    return table_name is None or table_name not in IGNORED_TABLES


def touch(db: Session) -> None:
    """Mark the session as having written report data: the version is bumped when its transaction commits."""
    db.info[_MARK] = True


def written(db: Session) -> bool:
    """Whether the session holds writes of report data not yet committed (flushing what is pending first)."""
    if db.new or db.dirty or db.deleted:
        db.flush()
    return bool(db.info.get(_MARK))


def bump(db: Session) -> None:
    """Add one to the version and draw a new stamp, in the session's transaction (one atomic UPDATE: of two
    transactions bumping at once, the second waits for the first and adds to its result)."""
    db.connection().execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1, stamp=secrets.token_hex(16))
    )


_CURRENT = select(DataVersion.version, DataVersion.stamp).where(DataVersion.id == 1)


def current(db: Session) -> tuple[int, str]:
    """The version and stamp in force for the session."""
    row = db.connection().execute(_CURRENT).first()
    return (int(row[0]), str(row[1])) if row is not None else (0, "")


@event.listens_for(Session, "after_flush")
def _after_flush(db: Session, _context: Any) -> None:
    for obj in (*db.new, *db.dirty, *db.deleted):
        table = getattr(getattr(obj, "__table__", None), "name", None)
        if _counts(table) and (obj not in db.dirty or db.is_modified(obj, include_collections=False)):
            db.info[_MARK] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    table = table_written(state)
    if table is not None and (table == ANY_TABLE or _counts(table)):
        state.session.info[_MARK] = True  # raw SQL that may write is counted


@event.listens_for(Session, "before_commit")
def _before_commit(db: Session) -> None:
    if db.new or db.dirty or db.deleted:
        db.flush()  # the last writes (and their events) before the bump, which comes last
    if db.info.get(_MARK):
        bump(db)
        db.info.pop(_MARK, None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(db: Session, transaction: Any) -> None:
    if transaction.parent is None and not transaction.nested:
        db.info.pop(_MARK, None)  # committed (bumped) or rolled back: nothing of it is pending any more


# --- the cache ------------------------------------------------------------------------------------------


class VersionedCache:
    """A bounded, thread-safe LRU cache of figures, each filed under the data version it was computed at."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return True, self._items[key]
            self.misses += 1
            return False, None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


CACHE = VersionedCache()


def cached(
    db: Session,
    key: Hashable,
    compute: Callable[[], T],
    *,
    version: tuple[int, str] | None = None,
    cache: VersionedCache = CACHE,
) -> T:
    """What `compute()` answers for `key` (which must say everything the answer depends on but the data: the
    dates, the filters, the caller's role and scope), computed once for each version of the data. A session with
    uncommitted writes of report data computes afresh and keeps nothing, since no one else sees its data. A caller
    asking for many keys at once may read the version first (`current`) and pass it. What is returned is shared:
    treat it as read-only (tuples and frozen dataclasses). `cache` is the one it is kept in (the figures' by
    default)."""
    if written(db):
        return compute()
    full_key = (version or current(db), key)
    hit, value = cache.get(full_key)
    if hit:
        return value  # type: ignore[no-any-return]
    value = compute()
    cache.put(full_key, value)
    return value
