"""JSON routes of bulk imports."""

from __future__ import annotations

from fastapi import File, Query, UploadFile

from app.config import get_settings
from app.imports import service
from app.imports.schemas import ImportRefusedBody, ImportReport
from app.web.deps import AdminOnly, SessionDep
from app.web.errors import responses
from app.web.routing import Router

router = Router(prefix="/api/v1/imports", tags=["imports"])


@router.post(
    "/officials",
    response_model=ImportReport,
    description="A dry run (the default) reports, row by row, what would be created, updated, left unchanged or "
    "refused and why, and writes nothing. A real run (`dry_run=false`) writes every row or, if any row is refused, "
    "nothing: it answers 422 `import_refused` with the same report. Importing the same file again changes nothing. "
    "Files over the upload limit, and workbooks that would unpack too large, answer 413. Admins only.",
    responses={
        **responses(401, 403, 413, 422),
        422: {"model": ImportRefusedBody, "description": "A file that cannot be read, or a real run with refused rows"},
    },
)
def import_officials(
    db: SessionDep,
    actor: AdminOnly,
    file: UploadFile = File(
        description="CSV (UTF-8 or Windows-1255; `,` `;` or tab) or XLSX, with a header row: national_id, "
        "first_name_he, last_name_he, first_name_en, last_name_en, email, authority_code, authority_name, "
        "role_code, start_date, end_date (or their Hebrew names)."
    ),
    dry_run: bool = Query(default=True, description="Report what would happen and write nothing (the default)."),
) -> ImportReport:
    """Import officials and appointments in bulk from CSV or XLSX; a dry run by default. Admins only."""
    content = service.read_limited(file.file, limit=get_settings().upload_max_bytes)
    return service.import_officials(db, content=content, filename=file.filename, dry_run=dry_run, actor=actor)
