"""JSON routes of the graduates network: the directory (searched by the graduates who joined it and by the school's
staff), the graduates' events, and the caller's own profile in it. Who may do what is the rules' (`standing_of`),
applied by the selectors and the service whichever door the call comes by."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.audit.service import record_list
from app.auth import ADMIN, AUDITOR, OFFICIAL, Principal
from app.clock import today
from app.communities.schemas import MeetingRead
from app.graduates import selectors, service
from app.graduates.schemas import GraduateProfileRead, GraduateProfileUpdate, GraduateRead
from app.web.deps import Anyone, SessionDep, allow
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page
from app.web.routing import Router

Searcher = Annotated[Principal, allow(ADMIN, AUDITOR, OFFICIAL)]
Graduate = Annotated[Principal, allow(OFFICIAL)]
Code = Annotated[str | None, Query(max_length=60, pattern=r"^[A-Za-z0-9._-]+$")]

router = Router(prefix="/api/v1", tags=["graduates"])


@router.get("/graduates", response_model=Page[GraduateRead], responses=responses(401, 403, 422))
def search_graduates(
    db: SessionDep,
    actor: Searcher,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of a name, Hebrew or English, or an authority's name.")
    ] = None,
    programme: Annotated[Code, Query(description="The code of a programme completed.")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100, description="The year of a completion.")] = None,
    authority: Annotated[
        str | None, Query(max_length=8, description="The CBS code of an authority served in now.")
    ] = None,
    role: Annotated[Code, Query(description="The code of a role held now.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[GraduateRead]:
    """The graduates who joined the directory, by Hebrew name, with their current roles and authorities, the
    programmes they completed (cohort and year), and only the contact details each chose to show. Graduates who
    joined it, admins and auditors (others: 403, `join_required` or `not_a_graduate`). Written to the access log."""
    query = selectors.DirectoryQuery(q=q, programme=programme, year=year, authority=authority, role=role)
    page = selectors.search_directory(db, query=query, actor=actor, on=today(), limit=limit, offset=offset)
    record_list(db, actor=actor, subject="/api/v1/graduates", official_ids=[g.official_id for g in page.items])
    return page


@router.get("/graduates/events", response_model=Page[MeetingRead], responses=responses(401, 403))
def graduates_events(db: SessionDep, actor: Searcher) -> Page[MeetingRead]:
    """The graduates' events still to come, soonest first: the meetings of the graduates network's community. Those
    who may search the directory."""
    events = selectors.graduates_events(db, actor=actor, today=today())
    return Page(items=events.upcoming, total=len(events.upcoming))


@router.get("/me/graduate-profile", response_model=GraduateProfileRead, responses=responses(401))
def my_graduate_profile(db: SessionDep, actor: Anyone) -> GraduateProfileRead:
    """The caller's standing towards the graduates directory: whether they are a graduate (and of which programmes),
    whether they joined it, and what it shows of them."""
    return selectors.my_profile(db, actor=actor)


@router.put("/me/graduate-profile", response_model=GraduateProfileRead, responses=responses(401, 403, 422))
def save_graduate_profile(data: GraduateProfileUpdate, db: SessionDep, actor: Graduate) -> GraduateProfileRead:
    """Join the graduates directory (`opted_in: true`), change what it shows, or leave it (`opted_in: false`); the
    graduates network's community is joined (wider circle) or left with it. Graduates only (others: 403
    `not_a_graduate`)."""
    service.save_profile(db, data=data, actor=actor)
    return selectors.my_profile(db, actor=actor)
