"""Jobs of certificates on the task queue (see app/jobs.py): issue a closed cohort's certificates, render a
certificate's PDF, and every hour queue again the renders that failed. Each is idempotent: a retry, a rerun or
a second worker issues and renders nothing twice.

Closing a cohort (app/attendance/service.py) queues `certificates.issue_cohort`; issuing or reissuing a
certificate queues `certificates.render`; both once their transaction has committed.
"""

from __future__ import annotations

from datetime import timedelta

from app import jobs
from app.auth import operator
from app.certificates import documents, selectors, service
from app.certificates.models import Certificate
from app.certificates.rules import CertificateStatus
from app.clock import now_utc
from app.db import get_sessionmaker

# A render is queued at issue and retried within a minute or so; one still missing after this has failed.
RENDER_GRACE = timedelta(hours=1)


@jobs.task("certificates.render")
def render_certificate(certificate_id: int) -> None:
    """Render one valid certificate's PDF into storage unless it is there already."""
    with get_sessionmaker().begin() as db:
        cert = db.get(Certificate, certificate_id)
        if cert is None or cert.status != CertificateStatus.VALID:
            return
        documents.ensure_pdf(db, cert)


@jobs.task("certificates.issue_cohort")
def issue_cohort(cohort_id: int) -> list[int]:
    """Issue the missing certificates of a closed cohort, then queue the rendering of each of its certificates."""
    with get_sessionmaker().begin() as db:
        ids = service.issue_cohort_certificates(db, cohort_id=cohort_id, actor=operator("certificates-worker"))
        for certificate_id in ids:
            jobs.enqueue_after_commit(db, render_certificate, certificate_id)
    return ids


@jobs.task("certificates.render_missing")
def render_missing() -> list[int]:
    """Queue again the rendering of valid certificates issued over RENDER_GRACE ago that still have no PDF."""
    with get_sessionmaker().begin() as db:
        ids = selectors.certificates_without_pdf(db, issued_before=now_utc() - RENDER_GRACE)
        for certificate_id in ids:
            jobs.enqueue_after_commit(db, render_certificate, certificate_id)
    return ids
