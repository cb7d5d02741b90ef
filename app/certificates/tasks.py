"""Background work of certificates on the task queue (huey): issuing a closed cohort's certificates and rendering
their PDFs. Enqueued only after the transaction that asked for it has committed; every task is idempotent.

The queue is a SQLite file under LMS_VAR_DIR by default, Redis when LMS_QUEUE_URL=redis://...; `lms worker` runs
the consumer. With LMS_QUEUE_IMMEDIATE (and in the tests) tasks run at once, in the caller's process.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.config import get_settings

log = logging.getLogger(__name__)

PENDING_COHORTS = "certificates_cohorts_closed"


@lru_cache
def _huey() -> Huey:
    settings = get_settings()
    if settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("lms", url=settings.queue_url, immediate=settings.queue_immediate)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("lms", filename=str(settings.var_dir / "queue.db"), immediate=settings.queue_immediate)


class _LazyHuey:
    """The process's huey, made on first use so that settings read in tests and workers are the final ones."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_huey(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_huey(), name, value)


huey: Any = _LazyHuey()


def _session() -> Session:
    from app.db import get_sessionmaker

    return get_sessionmaker()()


def render_certificate_now(certificate_id: int) -> None:
    """Render one certificate's PDF into storage unless it is there already (idempotent)."""
    from app.certificates import documents
    from app.certificates.models import Certificate

    with _session() as session, session.begin():
        cert = session.get(Certificate, certificate_id)
        if cert is None or cert.status != "valid":
            return
        documents.ensure_pdf(session, cert)


def issue_cohort_now(cohort_id: int) -> list[int]:
    """Issue the missing certificates of a closed cohort (idempotent), then queue the rendering of each."""
    from app.auth import operator
    from app.certificates import service

    with _session() as session, session.begin():
        ids = service.issue_cohort_certificates(session, cohort_id=cohort_id, actor=operator("certificates-worker"))
    for certificate_id in ids:
        render_certificate(certificate_id)
    return ids


# The task functions are registered on first use of the queue (huey binds them to its instance).
_tasks: dict[str, Any] = {}


def _task(name: str) -> Any:
    if name not in _tasks:
        fn = {"render": render_certificate_now, "issue_cohort": issue_cohort_now}[name]
        _tasks[name] = _huey().task(name=f"certificates.{name}", retries=3, retry_delay=10)(fn)
    return _tasks[name]


def register_tasks() -> None:
    """Bind every task to the queue (the worker does it before consuming)."""
    for name in ("render", "issue_cohort"):
        _task(name)


def render_certificate(certificate_id: int) -> Any:
    """Queue the rendering of one certificate's PDF."""
    return _task("render")(certificate_id)


def issue_cohort(cohort_id: int) -> Any:
    """Queue the issuing of a closed cohort's certificates."""
    return _task("issue_cohort")(cohort_id)


# --- enqueue after commit ------------------------------------------------------------------------------


def _note_closed_cohorts(session: Session, _context: Any, _instances: Any) -> None:
    """Remember cohorts this transaction closes (the close lives in app.attendance; it need not know us)."""
    from sqlalchemy import inspect

    from app.cohorts.models import Cohort

    for obj in session.dirty:
        if isinstance(obj, Cohort) and obj.state == "closed":
            history = inspect(obj).attrs.state.history
            if history.added and "closed" in history.added:
                session.info.setdefault(PENDING_COHORTS, set()).add(obj.id)


def _commits_to_database(session: Session) -> bool:
    # A session joined to an outer transaction (the tests' rolled-back one) has committed nothing a worker could
    # see: its commit released a savepoint only.
    return not isinstance(session.bind, Connection)


def _after_commit(session: Session) -> None:
    from app.certificates.service import PENDING_RENDER

    if session.in_nested_transaction():  # a savepoint released: the transaction that matters is still open
        return
    cohorts = session.info.pop(PENDING_COHORTS, set())
    renders = session.info.pop(PENDING_RENDER, set())
    if not _commits_to_database(session):
        return
    for cohort_id in sorted(cohorts):
        try:
            issue_cohort(cohort_id)
        except Exception:  # the close stands; `lms worker` or a rerun issues what is missing
            log.exception("could not queue the certificates of cohort %s", cohort_id)
    for certificate_id in sorted(renders):
        try:
            render_certificate(certificate_id)
        except Exception:  # the PDF is rendered on its first download instead
            log.exception("could not queue the rendering of certificate %s", certificate_id)


def _forget_pending(session: Session, transaction: Any) -> None:
    # A new outermost transaction starts clean: what a rolled-back one asked for is not done.
    if transaction.parent is None:
        session.info.pop(PENDING_COHORTS, None)
        session.info.pop("certificates_to_render", None)


def install_hooks() -> None:
    """Listen to every session: closed cohorts and new certificates are queued once their transaction commits."""
    if not event.contains(Session, "before_flush", _note_closed_cohorts):
        event.listen(Session, "before_flush", _note_closed_cohorts)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_create", _forget_pending)
