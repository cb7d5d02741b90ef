"""Callers found a moment ago: an account (by its id) or a page session (by its id's hash) as the database had it,
kept for LMS_CALLER_CACHE_SECONDS (5 by default; 0 keeps nothing), so that a caller's next reads find them without
a query and without a trip to a worker thread.

What is kept is only what was read; every check is made again on every request from it (a token's signature and
expiry, the account's token version and key, whether it is active, a session's idle and absolute timeouts). Only
reads (GET, HEAD) use what is kept: a write always reads the account and the session afresh.

A change to an account or a session ends what was kept of it at once in this process: every write to `users` or
`web_sessions` through a database session forgets what it touches when it is flushed and again when it is
committed (so a read made in between by another request is not kept either). Another process of the same
deployment keeps what it read for at most LMS_CALLER_CACHE_SECONDS longer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from typing import Any, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from app import clock
from app.accounts.models import User
from app.config import get_settings
from app.db import ANY_TABLE, table_written
from app.web.models import WebSession

MAX_KEPT = 4096
_TOUCHED = "callers_touched"


def _now() -> float:
    """Seconds on the application's clock (which tests may move)."""
    return clock.now_utc().timestamp()


class Kept:
    """What was read lately, by key, each for a few seconds and on behalf of an account (its owner); at most MAX_KEPT,
    the oldest dropped first. Each forgetting starts a new generation: a value read before it (and so perhaps
    before the write that caused it) is not kept."""

    def __init__(self) -> None:
        self._items: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
        if item is None or item[0] <= _now():
            return None
        return item[2]

    def put(self, key: Hashable, value: Any, *, owner: int, seconds: float, read_in: int) -> None:
        """Keep a value read during generation `read_in`, unless something has been forgotten since."""
        with self._lock:
            if self.generation != read_in:
                return
            self._items[key] = (_now() + seconds, owner, value)
            self._items.move_to_end(key)
            while len(self._items) > MAX_KEPT:
                self._items.popitem(last=False)

    def forget(self, keys: Collection[Hashable] | None = None, owners: Collection[int] = ()) -> None:
        """Forget these keys and whatever these accounts own; everything when `keys` is None."""
        with self._lock:
            self.generation += 1
            if keys is None:
                self._items.clear()
                return
            for key in keys:
                self._items.pop(key, None)
            if owners:
                for key in [k for k, item in self._items.items() if item[1] in owners]:
                    del self._items[key]


KEPT = Kept()


def account_key(user_id: int) -> Hashable:
    """An account read by its id (a bearer token's)."""
    return ("account", user_id)


def session_key(token_hash: str) -> Hashable:
    """A page session and its account, read by the hash of the session's id."""
    return ("session", token_hash)


class _Owned(Protocol):
    @property
    def id(self) -> int: ...


Caller = TypeVar("Caller", bound=_Owned)


async def found(connection: HTTPConnection, key: Hashable, read: Callable[[], Caller | None]) -> Caller | None:
    """What `read` (a synchronous read of the database: an account, or a session's account) gives, run in a worker
    thread; on a GET or HEAD, what it gave for this key within the last LMS_CALLER_CACHE_SECONDS instead, when there
    is one. Kept on behalf of that account (its `id`), so that a change to the account forgets it."""
    seconds = get_settings().caller_cache_seconds
    cacheable = seconds > 0 and connection.scope.get("method") in ("GET", "HEAD")
    if cacheable:
        kept = KEPT.get(key)
        if kept is not None:
            return kept  # type: ignore[no-any-return]
    generation = KEPT.generation
    value = await run_in_threadpool(read)
    if cacheable and value is not None:
        KEPT.put(key, value, owner=value.id, seconds=seconds, read_in=generation)
    return value


# --- forgetting what a write touches ------------------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, _flush: UOWTransaction) -> None:
    keys: set[Hashable] = set()
    owners: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, User) and instance.id is not None:
            owners.add(instance.id)
        elif isinstance(instance, WebSession) and instance.token_hash is not None:
            keys.add(session_key(instance.token_hash))
    if keys or owners:
        KEPT.forget(keys, owners)
        touched = session.info.setdefault(_TOUCHED, (set(), set()))
        if touched is not None:  # None: everything is forgotten at commit already
            touched[0].update(keys)
            touched[1].update(owners)


_TABLES = frozenset({User.__tablename__, WebSession.__tablename__})


@event.listens_for(Session, "do_orm_execute")
def _forget_on_statement(state: ORMExecuteState) -> None:
    """A bulk UPDATE or DELETE of accounts or sessions, or raw SQL that may write: forget everything (such writes are
    rare: ending a user's sessions, a test's set-up)."""
    table = table_written(state)
    if table == ANY_TABLE or table in _TABLES:
        KEPT.forget()
        state.session.info[_TOUCHED] = None  # everything, again at commit


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    if _TOUCHED in session.info:
        touched = session.info.pop(_TOUCHED)
        KEPT.forget(*touched) if touched is not None else KEPT.forget()


@event.listens_for(Session, "after_rollback")
def _drop_touched(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
