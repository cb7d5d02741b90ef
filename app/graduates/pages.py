"""The pages of the graduates network: `/graduates` (the directory, searched and paged, and the graduates' events),
and `/graduates/me` (a graduate joins the directory or leaves it, and chooses what it shows of them). Whoever may not
search the directory is told why, with 403: a graduate how to join it, anyone else how one becomes a graduate. The
rules are the selectors' and the service's; a form refused is shown again with what was typed and each error at its
field, with 422; a save is followed by a redirect (303) to the page that says what happened."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.audit.service import record_list
from app.auth import ADMIN, AUDITOR, OFFICIAL, Principal
from app.clock import today
from app.errors import DomainError
from app.graduates import selectors, service
from app.graduates.rules import Standing, may_search, phone_for_display
from app.graduates.schemas import GraduateProfileUpdate
from app.roles.selectors import role_names
from app.web.deps import SessionDep, page_allow
from app.web.pages import templates
from app.web.routing import Router

router = Router(include_in_schema=False)

PageSearcher = Annotated[Principal, page_allow(ADMIN, AUDITOR, OFFICIAL)]
PageGraduate = Annotated[Principal, page_allow(OFFICIAL)]

PAGE_SIZE = 20
DONE = frozenset({"joined", "saved", "left"})
FORM_FIELDS = ("opted_in", "show_email", "email", "show_phone", "phone", "about")


def _outside(request: Request, standing: Standing) -> Response:
    """Why the directory is not the caller's, and how it could be: 403."""
    context = {"standing": standing}
    return templates.TemplateResponse(request, "graduates/outside.html", context, status_code=403)


def _text(value: str | None, limit: int) -> str | None:
    cleaned = (value or "").strip()[:limit]
    return cleaned or None


@router.get("/graduates", response_class=HTMLResponse)
def directory(
    request: Request,
    db: SessionDep,
    principal: PageSearcher,
    q: Annotated[str | None, Query(max_length=200)] = None,
    programme: Annotated[str | None, Query(max_length=60)] = None,
    year: Annotated[str | None, Query(max_length=4)] = None,
    role: Annotated[str | None, Query(max_length=60)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The directory with its search, and the graduates' events."""
    standing = selectors.standing(db, actor=principal)
    if not may_search(standing):
        return _outside(request, standing)
    values = {"q": _text(q, 200), "programme": _text(programme, 60), "year": _text(year, 4), "role": _text(role, 60)}
    query = selectors.DirectoryQuery(
        q=values["q"],
        programme=values["programme"],
        year=int(values["year"]) if values["year"] and values["year"].isdigit() else None,
        role=values["role"],
    )
    day = today()
    page = selectors.search_directory(db, query=query, actor=principal, on=day, limit=PAGE_SIZE, offset=offset)
    record_list(db, actor=principal, subject="/graduates", official_ids=[g.official_id for g in page.items])
    searched = {k: v for k, v in values.items() if v}
    context = {
        "standing": standing,
        "page": page,
        "values": values,
        "searched": bool(searched),
        "base": "/graduates" + (f"?{urlencode(searched)}" if searched else ""),
        "offset": offset,
        "size": PAGE_SIZE,
        "choices": selectors.directory_choices(db),
        "roles": role_names(db),
        "events": selectors.graduates_events(db, actor=principal, today=day),
        "phone": phone_for_display,
    }
    return templates.TemplateResponse(request, "graduates/directory.html", context)


def _profile_page(
    request: Request, db: SessionDep, principal: Principal, values: dict[str, Any] | None, errors: list[tuple[str, str]]
) -> Response:
    profile = selectors.my_profile(db, actor=principal)
    if not profile.is_graduate:
        return _outside(request, Standing.NOT_GRADUATE)
    current = {
        "opted_in": "yes" if profile.opted_in else ("no" if profile.opted_out_on else ""),
        "show_email": profile.show_email,
        "email": profile.email or "",
        "show_phone": profile.show_phone,
        "phone": phone_for_display(profile.phone) if profile.phone else "",
        "about": profile.about or "",
    }
    done = request.query_params.get("done")
    context = {
        "profile": profile,
        "values": values if values is not None else current,
        "errors": errors,
        "done": done if done in DONE else None,
    }
    return templates.TemplateResponse(request, "graduates/me.html", context, status_code=422 if errors else 200)


@router.get("/graduates/me", response_class=HTMLResponse)
def my_profile(request: Request, db: SessionDep, principal: PageGraduate) -> Response:
    """A graduate's place in the directory: join it or leave it, and what it shows."""
    return _profile_page(request, db, principal, None, [])


def _errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, key) of each field refused: the field's name, or the field named first by a whole-form refusal."""
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        field = (
            str(err["loc"][0]) if err["loc"] else str(err.get("msg", "")).removeprefix("Value error, ").split(":")[0]
        )
        if (field, field) not in out:
            out.append((field, field))
    return out


@router.post("/graduates/me", response_class=HTMLResponse)
async def save_my_profile(request: Request, db: SessionDep, principal: PageGraduate) -> Response:
    """Save the graduate's choices; then the page says whether they joined, changed or left the directory."""
    form = await request.form()
    sent = {k: str(form.get(k) or "").strip()[:1000] for k in FORM_FIELDS}
    values: dict[str, Any] = {**sent, "show_email": bool(sent["show_email"]), "show_phone": bool(sent["show_phone"])}
    before = selectors.my_profile(db, actor=principal)
    if sent["opted_in"] not in ("yes", "no"):
        return _profile_page(request, db, principal, values, [("opted_in", "opted_in")])
    try:
        data = GraduateProfileUpdate.model_validate(
            {
                "opted_in": sent["opted_in"] == "yes",
                "show_email": values["show_email"],
                "email": sent["email"] or None,
                "show_phone": values["show_phone"],
                "phone": sent["phone"] or None,
                "about": sent["about"] or None,
            }
        )
    except ValidationError as exc:
        return _profile_page(request, db, principal, values, _errors(exc))
    try:
        service.save_profile(db, data=data, actor=principal)
    except DomainError as exc:
        if exc.status_code != 422:
            raise
        return _profile_page(request, db, principal, values, [(exc.field or "opted_in", exc.field or "opted_in")])
    if data.opted_in and not before.opted_in:
        done = "joined"
    elif before.opted_in and not data.opted_in:
        done = "left"
    else:
        done = "saved"
    return RedirectResponse(f"/graduates/me?done={done}", status_code=303)
