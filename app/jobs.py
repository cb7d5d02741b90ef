"""The task queue: one huey per process, the jobs the domains declare on it, and sending a job only once the
transaction that asked for it has committed.

A domain declares its jobs in its own `tasks.py` with `task("domain.verb", retries=..., retry_delay=...)`; a
service asks for one with `enqueue_after_commit(db, job, *ids)`, passing the job or its name (a package
lower down, such as attendance, names a job of certificates without importing certificates). When the periodic
jobs run is written in one place, `app/schedule.py`. `load()` reads every domain's `tasks.py` and that schedule;
`lms worker` loads them and consumes the queue.

The queue is a SQLite file under LMS_VAR_DIR by default and Redis when LMS_QUEUE_URL is redis://...; with
LMS_QUEUE_IMMEDIATE a job runs in the process that sends it, once the transaction has committed. Every job is
idempotent: a retry, a rerun or a second worker finds the work done and does nothing more. Nothing here knows
any domain.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.config import get_settings
from app.schedule import PERIODIC, Schedule

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Job(Generic[P, R]):
    """A job a domain declared: its name on the queue, the function it runs, and how its failures are retried."""

    name: str
    fn: Callable[P, R]
    retries: int
    retry_delay: int

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the job here and now, without the queue (a rerun, a test)."""
        return self.fn(*args, **kwargs)


_jobs: dict[str, Job[..., Any]] = {}
_schedule: dict[str, Schedule] = {}
_loaded = False
_loading = threading.RLock()


def task(name: str, *, retries: int = 3, retry_delay: int = 10) -> Callable[[Callable[P, R]], Job[P, R]]:
    """Declare a job under a name unique in the application ("domain.verb"), retried `retries` times
    `retry_delay` seconds apart. Its arguments travel through the queue: plain values such as ids."""

    def declare(fn: Callable[P, R]) -> Job[P, R]:
        if name in _jobs and _jobs[name].fn is not fn:
            raise ValueError(f"two jobs are named {name!r}")
        job = Job(name=name, fn=fn, retries=retries, retry_delay=retry_delay)
        _jobs[name] = job
        return job

    return declare


def load() -> None:
    """Declare every domain's jobs (the `tasks.py` of each package under app/) and read the periodic schedule
    (`app/schedule.py`); once per process."""
    global _loaded
    with _loading:
        if _loaded:
            return
        for package in pkgutil.iter_modules([str(Path(__file__).parent)]):
            module = f"app.{package.name}.tasks"
            if package.ispkg and importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
        for name, when in PERIODIC.items():
            if name not in _jobs:
                raise LookupError(f"app/schedule.py names {name!r}, which no tasks.py declares")
            _schedule[name] = when
        _loaded = True


def declared() -> dict[str, Job[..., Any]]:
    """Every job of the application by name, periodic or not."""
    load()
    return dict(_jobs)


def periodic() -> dict[str, Schedule]:
    """The periodic jobs by name, with when they run."""
    load()
    return dict(_schedule)


# --- the queue -----------------------------------------------------------------------------------------


def make_queue() -> Huey:
    """A queue from the settings: Redis for LMS_QUEUE_URL=redis://..., otherwise a SQLite file under LMS_VAR_DIR."""
    settings = get_settings()
    # No one waits for what a job returns: keeping it would only fill the queue's store.
    options = {"results": False, "immediate": settings.queue_immediate}
    if settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("lms", url=settings.queue_url, **options)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("lms", filename=str(settings.var_dir / "queue.db"), **options)


# The huey task of each job, per queue (huey binds a task to one instance).
_bound: WeakKeyDictionary[Huey, dict[str, Any]] = WeakKeyDictionary()


def _bind(queue: Huey, job: Job[..., Any]) -> Any:
    tasks = _bound.setdefault(queue, {})
    if job.name not in tasks:
        # huey knows a task as "<module of the function>.<name>": messages name the job, not a copy of its code.
        options = {"name": job.name, "retries": job.retries, "retry_delay": job.retry_delay}
        when = _schedule.get(job.name)
        wrap = queue.task(**options) if when is None else queue.periodic_task(when, **options)
        tasks[job.name] = wrap(job.fn)
    return tasks[job.name]


@lru_cache
def get_queue() -> Huey:
    """The process's queue, made on first use (so that settings read in tests and workers are the final ones),
    with every job of the application bound to it and the periodic ones scheduled."""
    queue = make_queue()
    load()
    for job in _jobs.values():
        _bind(queue, job)
    return queue


def _send(name: str, args: tuple[Any, ...]) -> None:
    """Put the job on the queue now (or, with LMS_QUEUE_IMMEDIATE, run it now)."""
    _bind(get_queue(), _job(name))(*args)


def _job(job: Job[..., Any] | str) -> Job[..., Any]:
    name = job if isinstance(job, str) else job.name
    load()
    if name not in _jobs:
        raise LookupError(f"no job is named {name!r}")
    return _jobs[name]


# --- after commit --------------------------------------------------------------------------------------

# What each open transaction (the outermost, or a savepoint inside it) asked to send once it commits.
_pending: WeakKeyDictionary[SessionTransaction, list[tuple[str, tuple[Any, ...]]]] = WeakKeyDictionary()


def enqueue_after_commit(db: Session, job: Job[..., Any] | str, *args: Any) -> None:
    """Send the job once the session's outermost transaction commits; forget it if that transaction rolls back,
    or the savepoint it was asked in. The same job with the same arguments is sent once per transaction."""
    name = _job(job).name
    transaction = db.get_nested_transaction() or db.get_transaction() or db.begin()
    pending = _pending.setdefault(transaction, [])
    if (name, args) not in pending:
        pending.append((name, args))
    if not event.contains(db, "after_commit", _after_commit):
        event.listen(db, "after_commit", _after_commit)
        event.listen(db, "after_transaction_end", _after_transaction_end)


def _enclosing(transaction: SessionTransaction) -> SessionTransaction | None:
    """The savepoint or outermost transaction around this one (skipping the session's internal ones)."""
    parent = transaction.parent
    while parent is not None and not parent.nested and parent.parent is not None:
        parent = parent.parent
    return parent


def _after_commit(db: Session) -> None:
    nested = db.get_nested_transaction()
    if nested is not None:
        # A savepoint was released: what it asked for now waits for the transaction around it.
        asked = _pending.pop(nested, [])
        outer = _enclosing(nested)
        if asked and outer is not None:
            pending = _pending.setdefault(outer, [])
            pending.extend(item for item in asked if item not in pending)
        return
    outermost = db.get_transaction()
    for name, args in _pending.pop(outermost, []) if outermost is not None else []:
        try:
            _send(name, args)
        except Exception:  # what was committed stands; a rerun (an admin's, a periodic job) does what is missing
            log.exception("could not queue %s%r", name, args)


def _after_transaction_end(_session: Session, transaction: SessionTransaction) -> None:
    # Committed, its jobs were sent or handed outwards already; rolled back, they are forgotten.
    _pending.pop(transaction, None)
