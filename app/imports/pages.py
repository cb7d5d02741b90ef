"""Importing officials from a file in the browser, in two steps: `/admin/imports` takes a CSV or XLSX file and checks
it (the API's dry run; nothing is imported), its report shown row by row at `/admin/imports/{id}`; only a file with
no refused row can then be imported, all its rows or none, from the copy kept when it was checked (the file is not
sent twice, so what is imported is what was checked). The files uploaded last are listed, those with refused rows
first among the school's to-dos (`app.imports.selectors.imports_with_refused_rows`)."""

from __future__ import annotations

from fastapi import File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.config import get_settings
from app.errors import DomainError
from app.imports import selectors, service
from app.web.deps import PageAdmin, SessionDep
from app.web.pages import templates
from app.web.pagination import RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)


def _index(request: Request, db: SessionDep, error: str | None = None, detail: str | None = None) -> Response:
    context = {
        "recent": selectors.recent_imports(db),
        "error": error,
        "detail": detail,
        "limit_mb": get_settings().upload_max_bytes // (1024 * 1024),
    }
    return templates.TemplateResponse(request, "imports/index.html", context, status_code=422 if error else 200)


@router.get("/admin/imports", response_class=HTMLResponse)
def imports(request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The upload form, and the files uploaded last."""
    return _index(request, db)


@router.post("/admin/imports", response_class=HTMLResponse)
def check_file(
    request: Request, db: SessionDep, principal: PageAdmin, file: UploadFile | None = File(default=None)
) -> Response:
    """Check the file (nothing is imported) and show its report; a file missing, too large or unreadable: the form
    again with the error at the field (422, or 413 for a file over the limit)."""
    if file is None or not file.filename:
        return _index(request, db, error="missing")
    try:
        content = service.read_limited(file.file, limit=get_settings().upload_max_bytes)
        if not content:
            return _index(request, db, error="empty")
        run = service.check_officials_file(db, content=content, filename=file.filename, actor=principal)
    except DomainError as exc:
        response = _index(request, db, error="too_large" if exc.status_code == 413 else "unreadable", detail=exc.detail)
        response.status_code = exc.status_code if exc.status_code == 413 else 422
        return response
    return RedirectResponse(f"/admin/imports/{run.id}", status_code=303)


@router.get("/admin/imports/{run_id}", response_class=HTMLResponse)
def import_report(run_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The checked file's report: each refused row, its line and why; and, when no row is refused and it was not
    imported yet, the button that imports its rows."""
    run, report = selectors.get_import(db, run_id=run_id)
    return templates.TemplateResponse(
        request, "imports/report.html", {"run": run, "report": report, "refused_now": False}
    )


@router.post("/admin/imports/{run_id}/import", response_class=HTMLResponse)
def import_file(run_id: RecordId, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Import the checked file, all rows or none. When the records changed since the check so that a row is now
    refused, nothing is imported and the new report is shown (422); a file imported already, or with refused rows,
    is simply shown again."""
    try:
        service.import_checked_file(db, run_id=run_id, actor=principal)
    except service.ImportRefused as exc:
        run, _ = selectors.get_import(db, run_id=run_id)
        context = {"run": run, "report": exc.report, "refused_now": True}
        return templates.TemplateResponse(request, "imports/report.html", context, status_code=422)
    except DomainError as exc:
        if exc.status_code != 409:
            raise
        return RedirectResponse(f"/admin/imports/{run_id}", status_code=303)
    return RedirectResponse(f"/admin/imports/{run_id}", status_code=303)
