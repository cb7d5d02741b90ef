"""The catalogue's pages for the school: `/admin/programmes` (every programme, offered or retired), a new programme,
changing one, and retiring one after a check page. The rules are the programmes service's, as for
POST/PATCH /api/v1/programmes: a form refused is shown again with what was typed and each error at its field (422).

A programme's modules and assessments are rows of the form (`modules-0-title_he`, `assessments-1-code`, ...); blank
rows are left out, and "add a row" sends the form back with one more empty row, without writing anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.errors import Conflict, DomainError, Invalid
from app.officials import service as officials
from app.programmes import selectors, service
from app.programmes.rules import ProgrammeKind
from app.programmes.schemas import CODE_MAX_LENGTH, ProgrammeCreate, ProgrammeRead, ProgrammeUpdate
from app.web.deps import PageAdmin, SessionDep
from app.web.pages import templates
from app.web.pagination import Offset
from app.web.routing import Router

router = Router(include_in_schema=False)

ProgrammeCode = Annotated[str, Path(max_length=CODE_MAX_LENGTH)]
PAGE_SIZE = 50
MAX_ROWS = 100  # the schemas' limit of modules; assessments stop at 20
_SIMPLE = ("title_he", "title_en", "hours", "min_attendance_pct", "late_credit_pct", "validity_years")
_TEXTS = ("certificate_text_he", "certificate_text_en")
_KEPT = ("title_he", "title_en", "hours", "min_attendance_pct", "late_credit_pct")
_MODULE_FIELDS = ("title_he", "title_en", "hours")
_ASSESSMENT_FIELDS = ("code", "title_he", "title_en")


async def form_items(request: Request) -> list[tuple[str, str]]:
    """The fields of a posted form, in order, repeated names kept (the role checkboxes)."""
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


FormItems = Annotated[list[tuple[str, str]], Depends(form_items)]


@dataclass(frozen=True)
class FormError:
    """A field the form's rules refused: its element id, the key of its message, and which row it is of."""

    field: str
    key: str
    part: str | None = None  # "module" or "assessment"
    row: int = 0  # 1-based, for a row's field


def _number(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}"


def _values_of(programme: ProgrammeRead) -> dict[str, Any]:
    """The form's values for a programme as it is."""
    return {
        "code": programme.code,
        "kind": programme.kind,
        "title_he": programme.title_he,
        "title_en": programme.title_en,
        "hours": _number(programme.hours),
        "min_attendance_pct": str(programme.min_attendance_pct),
        "late_credit_pct": str(programme.late_credit_pct),
        "validity_years": _number(programme.validity_years),
        "role_codes": list(programme.role_codes),
        "certificate_text_he": programme.certificate_text_he or "",
        "certificate_text_en": programme.certificate_text_en or "",
        "modules": [
            {"title_he": m.title_he, "title_en": m.title_en, "hours": _number(m.hours)} for m in programme.modules
        ],
        "assessments": [
            {"code": a.code, "title_he": a.title_he, "title_en": a.title_en, "required": a.required}
            for a in programme.assessments
        ],
    }


_NEW_VALUES: dict[str, Any] = {
    "code": "",
    "kind": "",
    "title_he": "",
    "title_en": "",
    "hours": "",
    "min_attendance_pct": "80",
    "late_credit_pct": "50",
    "validity_years": "",
    "role_codes": [],
    "certificate_text_he": "",
    "certificate_text_en": "",
    "modules": [],
    "assessments": [],
}


def _rows(items: list[tuple[str, str]], part: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of one list of the form (`modules-3-hours`), in the order of their numbers, as typed."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in items:
        pieces = key.split("-")
        if len(pieces) != 3 or pieces[0] != part or not pieces[1].isdigit() or len(pieces[1]) > 3:
            continue
        name = pieces[2]
        if name in fields or (part == "assessments" and name == "required"):
            row = found.setdefault(int(pieces[1]), {})
            row[name] = value.strip() if name != "required" else True
    rows = [found[i] for i in sorted(found)][:MAX_ROWS]
    for row in rows:
        for name in fields:
            row.setdefault(name, "")
        if part == "assessments":
            row["required"] = bool(row.get("required"))
    return rows


def _typed(items: list[tuple[str, str]]) -> dict[str, Any]:
    """What the form sent, as the form shows it again."""
    single = {k: v for k, v in items}
    values: dict[str, Any] = {name: single.get(name, "").strip() for name in ("code", "kind", *_SIMPLE, *_TEXTS)}
    values["role_codes"] = [v for k, v in items if k == "role_codes"]
    values["modules"] = _rows(items, "modules", _MODULE_FIELDS)
    values["assessments"] = _rows(items, "assessments", _ASSESSMENT_FIELDS)
    return values


def _filled(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
    """The rows with anything typed in them, with their index in the form."""
    return [(i, row) for i, row in enumerate(rows) if any(row[name] for name in fields)]


def _data(values: dict[str, Any], names: tuple[str, ...]) -> tuple[dict[str, Any], list[int], list[int]]:
    """The schema's input from the form's values: a blank required field left out (so it is "missing"), a blank
    optional one None; with the form index of each module and assessment sent."""
    data: dict[str, Any] = {}
    for name in names:
        value = values[name]
        if name in ("validity_years", *_TEXTS):
            data[name] = value or None
        elif value != "":
            data[name] = value
    modules = _filled(values["modules"], _MODULE_FIELDS)
    assessments = _filled(values["assessments"], _ASSESSMENT_FIELDS)
    data["modules"] = [{k: v for k, v in row.items() if v != ""} for _, row in modules]
    data["assessments"] = [
        {**{k: v for k, v in row.items() if v != "" and k != "required"}, "required": row["required"]}
        for _, row in assessments
    ]
    return data, [i for i, _ in modules], [i for i, _ in assessments]


def _validation_errors(exc: ValidationError, modules: list[int], assessments: list[int]) -> list[FormError]:
    out: list[FormError] = []
    for err in exc.errors():
        loc = err["loc"]
        if not loc:
            continue
        name = str(loc[0])
        if name in ("modules", "assessments") and len(loc) >= 3 and isinstance(loc[1], int):
            index = (modules if name == "modules" else assessments)[loc[1]]
            part = "module" if name == "modules" else "assessment"
            out.append(FormError(f"{name}-{index}-{loc[2]}", f"{part}_{loc[2]}", part, index + 1))
        elif name == "assessments":
            out.append(FormError("assessments-0-code", "assessment_codes_twice"))
        elif name == "role_codes":
            out.append(FormError("role_codes", "role_codes"))
        elif name in _TEXTS:
            out.append(FormError(name, "certificate_text"))
        else:
            out.append(FormError(name, name))
    seen: set[str] = set()
    return [e for e in out if not (e.field in seen or seen.add(e.field))]  # type: ignore[func-returns-value]


def _domain_error(exc: DomainError) -> FormError:
    """The field a refusal of the service names, with its message."""
    key = {
        "duplicate_programme": "code_taken",
        "unknown_role": "role_codes_unknown",
        "role_has_mandatory": "role_taken",
    }.get(exc.code, "role_codes" if exc.field == "role_codes" else "code")
    return FormError(exc.field or "code", key)


def _roles(db: SessionDep) -> list[Any]:
    return selectors.list_roles(db, limit=500, offset=0).items


def _form_page(
    request: Request,
    db: SessionDep,
    *,
    programme: ProgrammeRead | None,
    values: dict[str, Any],
    errors: list[FormError],
    status_code: int | None = None,
) -> Response:
    """The form of a new programme (`programme` None) or of a change to one, with what was typed and its errors."""
    for part, fields in (("modules", _MODULE_FIELDS), ("assessments", _ASSESSMENT_FIELDS)):
        if not values[part] or any(values[part][-1][name] for name in fields):
            values[part] = [*values[part], _empty_row(part)]
    context = {
        "programme": programme,
        "values": values,
        "errors": errors,
        "roles": _roles(db),
        "kinds": list(ProgrammeKind),
    }
    code = status_code if status_code is not None else (422 if errors else 200)
    return templates.TemplateResponse(request, "programmes/form.html", context, status_code=code)


def _empty_row(part: str) -> dict[str, Any]:
    if part == "assessments":
        return {"code": "", "title_he": "", "title_en": "", "required": True}
    return {"title_he": "", "title_en": "", "hours": ""}


def _add_row(values: dict[str, Any], items: list[tuple[str, str]]) -> bool:
    """Whether the form asked for one more empty row ("add a module"), which is then added."""
    wanted = dict(items).get("add_row")
    if wanted not in ("modules", "assessments"):
        return False
    limit = MAX_ROWS if wanted == "modules" else 20
    if len(values[wanted]) < limit:
        values[wanted] = [*values[wanted], _empty_row(wanted)]
    return True


def _same(name: str, value: Any, programme: ProgrammeRead) -> bool:
    """Whether a field of a change holds what the programme already has (its modules and assessments by content)."""
    if name == "modules":
        return [m.model_dump() for m in value] == [
            {"title_he": m.title_he, "title_en": m.title_en, "hours": m.hours} for m in programme.modules
        ]
    if name == "assessments":
        return [a.model_dump() for a in value] == [
            {"code": a.code, "title_he": a.title_he, "title_en": a.title_en, "required": a.required}
            for a in programme.assessments
        ]
    return bool(getattr(programme, name) == value)


@router.get("/admin/programmes", response_class=HTMLResponse)
def programmes_list(request: Request, db: SessionDep, principal: PageAdmin, offset: Offset = 0) -> Response:
    """The catalogue: every programme by code, offered and retired, with what completing it takes."""
    page = selectors.list_programmes(db, kind=None, limit=PAGE_SIZE, offset=offset)
    roles = {r.code: r for r in _roles(db)}
    context = {"page": page, "offset": offset, "size": PAGE_SIZE, "roles": roles}
    return templates.TemplateResponse(request, "programmes/list.html", context)


@router.get("/admin/programmes/new", response_class=HTMLResponse)
def new_programme_form(request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The form of a new programme."""
    return _form_page(request, db, programme=None, values=dict(_NEW_VALUES), errors=[])


@router.post("/admin/programmes/new", response_class=HTMLResponse)
def create_programme(request: Request, db: SessionDep, principal: PageAdmin, items: FormItems) -> Response:
    """Add the programme to the catalogue (the roles of a mandatory one then owe it); refused: the form again."""
    values = _typed(items)
    if _add_row(values, items):
        return _form_page(request, db, programme=None, values=values, errors=[], status_code=200)
    data, modules, assessments = _data(values, ("code", "kind", *_SIMPLE, *_TEXTS))
    data["role_codes"] = values["role_codes"]
    try:
        checked = ProgrammeCreate.model_validate(data)
    except ValidationError as exc:
        return _form_page(
            request, db, programme=None, values=values, errors=_validation_errors(exc, modules, assessments)
        )
    try:
        with db.begin_nested():
            programme = service.create_programme(db, data=checked, actor=principal)
            officials.add_requirements_for_programme(db, programme_id=programme.id, actor=principal)
    except (Conflict, Invalid) as exc:
        return _form_page(request, db, programme=None, values=values, errors=[_domain_error(exc)])
    return RedirectResponse(f"/admin/programmes?notice=programme_created#programme-{programme.id}", status_code=303)


@router.get("/admin/programmes/{code}/edit", response_class=HTMLResponse)
def edit_programme_form(code: ProgrammeCode, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The form of a change to a programme, filled with the programme as it is."""
    programme = selectors.get_programme(db, code=code)
    return _form_page(request, db, programme=programme, values=_values_of(programme), errors=[])


@router.post("/admin/programmes/{code}/edit", response_class=HTMLResponse)
def update_programme(
    code: ProgrammeCode, request: Request, db: SessionDep, principal: PageAdmin, items: FormItems
) -> Response:
    """Change the programme (its code, kind and roles stay, as in PATCH); refused: the form again, as typed."""
    programme = selectors.get_programme(db, code=code)
    values = {**_typed(items), "code": programme.code, "kind": programme.kind, "role_codes": programme.role_codes}
    if _add_row(values, items):
        return _form_page(request, db, programme=programme, values=values, errors=[], status_code=200)
    data, modules, assessments = _data(values, (*_SIMPLE, *_TEXTS))
    # A blank field the programme must keep is an error here (PATCH would read its absence as "unchanged").
    errors = [FormError(name, name) for name in _KEPT if name not in data]
    try:
        checked = ProgrammeUpdate.model_validate(data)
    except ValidationError as exc:
        errors += _validation_errors(exc, modules, assessments)
    if errors:
        return _form_page(request, db, programme=programme, values=values, errors=errors)
    # Only what changed is sent (as PATCH would be): lists sent as they were would be written anew for nothing.
    unchanged = {name for name in checked.model_fields_set if _same(name, getattr(checked, name), programme)}
    checked = ProgrammeUpdate.model_validate(checked.model_dump(include=checked.model_fields_set - unchanged))
    service.update_programme(db, code=code, data=checked, actor=principal)
    return RedirectResponse(f"/admin/programmes?notice=programme_updated#programme-{programme.id}", status_code=303)


@router.get("/admin/programmes/{code}/retire", response_class=HTMLResponse)
def retire_programme_check(code: ProgrammeCode, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """The check before retiring a programme: what it means, and the button that does it."""
    programme = selectors.get_programme(db, code=code)
    return templates.TemplateResponse(request, "programmes/retire.html", {"programme": programme, "refusal": None})


@router.post("/admin/programmes/{code}/retire", response_class=HTMLResponse)
def retire_programme(code: ProgrammeCode, request: Request, db: SessionDep, principal: PageAdmin) -> Response:
    """Retire the programme (no new cohorts of it); refused (roles owe it): the check page says why, 409."""
    programme = selectors.get_programme(db, code=code)
    try:
        service.retire_programme(db, code=code, actor=principal)
    except Conflict as exc:
        context = {"programme": programme, "refusal": exc.code}
        return templates.TemplateResponse(request, "programmes/retire.html", context, status_code=409)
    return RedirectResponse(f"/admin/programmes?notice=programme_retired#programme-{programme.id}", status_code=303)
