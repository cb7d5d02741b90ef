"""The application factory."""

from __future__ import annotations

from fastapi import FastAPI

from app import models  # noqa: F401  (every table registered before the first query)
from app.accounts.api import router as accounts_router
from app.accounts.pages import router as accounts_pages_router
from app.attendance.api import router as attendance_router
from app.attendance.pages import router as attendance_pages_router
from app.audit.api import router as audit_router
from app.audit.pages import router as audit_pages_router
from app.authorities.api import router as authorities_router
from app.certificates.api import public_router as certificates_public_router
from app.certificates.api import router as certificates_router
from app.certificates.pages import router as certificates_pages_router
from app.cohorts.api import router as cohorts_router
from app.cohorts.pages import router as cohorts_pages_router
from app.communities.api import router as communities_router
from app.communities.pages import router as communities_pages_router
from app.compliance.api import router as compliance_router
from app.compliance.pages import router as compliance_pages_router
from app.graduates.api import router as graduates_router
from app.graduates.pages import router as graduates_pages_router
from app.home.api import router as home_router
from app.home.pages import router as home_pages_router
from app.imports.api import router as imports_router
from app.imports.pages import router as imports_pages_router
from app.knowledge.api import router as knowledge_router
from app.knowledge.pages import router as knowledge_pages_router
from app.notifications.api import router as notifications_router
from app.notifications.pages import router as notifications_pages_router
from app.officials.api import router as officials_router
from app.officials.pages import router as officials_pages_router
from app.programmes.api import router as programmes_router
from app.programmes.pages import router as programmes_pages_router
from app.reports.api import router as reports_router
from app.roles.api import router as roles_router
from app.school.pages import router as school_pages_router
from app.surveys.api import router as surveys_router
from app.surveys.pages import hide_link_tokens_in_access_log
from app.surveys.pages import outside as surveys_outside_router
from app.surveys.pages import router as surveys_pages_router
from app.web.errors import install_error_handlers
from app.web.homes import router as homes_router
from app.web.language import ChooseLanguage
from app.web.routing import add_routes
from app.web.security import install_assets, install_security

DESCRIPTION = """
The JSON API of Mekomot LMS, the learning management system of the national school for the senior
officials of Israel's local authorities.

Log in at `POST /api/v1/auth/token` (form fields `username`, the email, and `password`; and `totp` for an
account with a second factor) and send
`Authorization: Bearer <token>`. Errors answer `{"error": "<code>", "detail": "<sentence>"}`; a 422 also
names the `field`. Records outside the caller's scope answer 404.
"""


def create_app() -> FastAPI:
    """Build the application with every router and the error mapping."""
    # The documentation is served from the application's own assets (install_assets), never from a CDN.
    app = FastAPI(title="Mekomot LMS", version="1.0", description=DESCRIPTION, docs_url=None, redoc_url=None)
    install_error_handlers(app)
    # Outside the error handlers, so that an error page is in the request's language too.
    app.add_middleware(ChooseLanguage)
    install_assets(app)
    # Every route on the application itself (add_routes): the API first, then the pages, the most visited first.
    add_routes(
        app,
        (
            accounts_router,
            authorities_router,
            roles_router,
            officials_router,
            programmes_router,
            cohorts_router,
            attendance_router,
            compliance_router,
            home_router,
            reports_router,
            imports_router,
            audit_router,
            certificates_router,
            notifications_router,
            communities_router,
            surveys_router,
            graduates_router,
            knowledge_router,
            home_pages_router,
            communities_pages_router,
            graduates_pages_router,
            knowledge_pages_router,
            # A community's surveys (/communities/{id}/surveys) and a member's own link (/me/surveys/{id}).
            surveys_outside_router,
            certificates_pages_router,
            # The school's pages.
            school_pages_router,
            cohorts_pages_router,
            attendance_pages_router,
            officials_pages_router,
            imports_pages_router,
            programmes_pages_router,
            audit_pages_router,
            compliance_pages_router,
            # The surveys' pages: /surveys, /survey-series and the one-time links at /s/.
            surveys_pages_router,
            accounts_pages_router,
            # Mail: people's own page (/me/mail), the unsubscribe link, and the school's outbox (/admin/outbox).
            notifications_pages_router,
            homes_router,
            certificates_public_router,
        ),
    )

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness probe. No login needed."""
        return {"status": "ok"}

    install_security(app)
    # The access log never names a survey's one-time link (a way back from an anonymous answer to a person).
    hide_link_tokens_in_access_log()
    return app
