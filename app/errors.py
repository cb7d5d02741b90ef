"""Domain errors: what a caller can get wrong, each with an HTTP-like status and a machine code.

They know nothing of the web: `app.web.errors` maps them to JSON for the API and to an error page for pages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure a client can cause; its status and machine code say what kind."""

    status_code = 400
    code = "bad_request"
    keep_changes = False

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.field = field
        self.extra = extra
        self.headers: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        out: dict[str, Any] = {"error": self.code, "detail": self.detail}
        if self.field:
            out["field"] = self.field
        out.update(self.extra)
        return out


class Invalid(DomainError):
    """Input that breaks a rule of the domain (422), naming the field."""

    status_code = 422
    code = "invalid"


class InvalidLogin(Invalid):
    """A login form the server will not even check (a field over its length): 422 naming the field, yet counted as
    an attempt, so the transaction is kept."""

    keep_changes = True


class NotFound(DomainError):
    """No such record, or one the caller may not see (404)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """A duplicate, or a record in the wrong state (409)."""

    status_code = 409
    code = "conflict"


class Unauthorized(DomainError):
    """No or bad credentials (401)."""

    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: str, **kw: Any):
        super().__init__(detail, **kw)
        self.headers = {"WWW-Authenticate": "Bearer"}


class LoginFailed(Unauthorized):
    """Wrong email or password; the failure is recorded, so the transaction is kept."""

    code = "invalid_credentials"
    keep_changes = True


class Forbidden(DomainError):
    """Authenticated, but the role may not do this (403)."""

    status_code = 403
    code = "forbidden"


class TooLarge(DomainError):
    """An upload over the limit (413)."""

    status_code = 413
    code = "too_large"


class TooManyRequests(DomainError):
    """Too many attempts in the window (429)."""

    status_code = 429
    code = "too_many_attempts"
    keep_changes = True

    def __init__(self, detail: str, *, retry_after: int, **kw: Any):
        super().__init__(detail, **kw)
        self.headers = {"Retry-After": str(retry_after)}
