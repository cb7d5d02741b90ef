"""The pages' permission grid: every page of the site, who may open it, and what everyone else gets.

One table (PAGES) lists every page route as (method, path template, who may open it, how to fill the path). Each
is called by every role and by someone not signed in, and must answer:

    not signed in -> GET: 303 to /login?next=<the page>; POST: 401 · a role not allowed -> 403 ·
    a role allowed -> GET: 200; POST: anything but 401, 403 or 404 (a form may refuse its input, 422)

A page route the app serves that the table does not list fails `test_every_page_is_in_the_grid`, so a new page
cannot escape it. (The API's routes have their own grid, tests/test_permissions.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth import ADMIN, ALL_ROLES, AUDITOR, LIAISON, OFFICIAL, Principal
from app.clock import today
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.communities import service as communities
from app.communities.schemas import AuthorityLinkCreate, CommunityCreate, MeetingCreate, MemberCreate
from app.compliance.service import request_exemption
from app.graduates.schemas import GraduateProfileUpdate
from app.graduates.service import save_profile
from app.imports.service import check_officials_file
from app.knowledge.schemas import ItemCreate
from app.knowledge.service import file_item
from app.main import create_app
from app.officials.models import Official, Requirement
from app.surveys.rules import ItemKind
from app.surveys.schemas import InvitationCreate, ItemIn, SurveyCreate
from app.surveys.service import create_survey, invite
from tests.factories import (
    ACTOR,
    make_appointment,
    make_certified,
    make_completion,
    make_message,
    make_official,
    make_programme,
    make_user,
    sign_in,
)
from tests.test_permissions import _served_routes

PUBLIC = ("anonymous", *ALL_ROLES)  # anyone, signed in or not
COMMUNITY_READERS = (ADMIN, AUDITOR, OFFICIAL)  # liaisons have no part in communities
COMMUNITY_MANAGERS = (ADMIN, OFFICIAL)  # admins, and the community's coordinator (the grid's official)
SURVEY_READERS = (ADMIN, AUDITOR, OFFICIAL)  # staff, and the coordinator of the survey's community
SURVEY_RUNNERS = (ADMIN, OFFICIAL)  # admins, and the coordinator of the survey's community
SIGNED_IN = ALL_ROLES  # any signed-in account


@dataclass
class World:
    """The records the grid's pages are opened on: one official's requirement, and an open cohort of its programme."""

    requirement_id: int
    cohort_id: int
    users: dict[str, User]  # a signed-in account of each role (the official's is the requirement's holder)
    session_id: int = 0  # a session of the cohort
    enrolment_id: int = 0  # the official's enrolment in the cohort
    serial: str = ""  # a certificate of another (closed) cohort
    # The registry's records: the requirement's official and appointment, and a checked import file.
    official_id: int = 0
    appointment_id: int = 0
    import_id: int = 0
    spare_user_id: int = 0  # a liaison's account no one signs in with, for the pages that change an account
    request_id: int = 0  # a pending exemption request of another official of the same authority
    message_id: int = 0  # a message of the outbox that was sent (one an admin may send again)
    # Communities: the official coordinates `community_id` (a colleague a member of it, another asking to join, a
    # meeting) and `network_id` (Ofakim in it).
    community_id: int = 0
    network_id: int = 0
    network_link_id: int = 0
    member_id: int = 0
    join_request_id: int = 0
    community_meeting_id: int = 0
    knowledge_item_id: int = 0  # a core note of the community the official coordinates
    survey_id: int = 0  # a named survey of the series "grid-network" asking `community_id`, with a people item; the
    # official is invited to it


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    who: tuple[str, ...]
    fill: Callable[[World], dict[str, Any]] = field(default=lambda w: {})

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _requirement(w: World) -> dict[str, Any]:
    return {"requirement_id": w.requirement_id, "kind": "extension"}


def _cohort(w: World) -> dict[str, Any]:
    return {"cohort_id": w.cohort_id}


def _session(w: World) -> dict[str, Any]:
    return {"session_id": w.session_id}


def _enrolment(w: World) -> dict[str, Any]:
    return {"enrolment_id": w.enrolment_id}


def _assessment(w: World) -> dict[str, Any]:
    return {"enrolment_id": w.enrolment_id, "code": "EXAM"}


def _account_action(w: World) -> dict[str, Any]:
    return {"user_id": w.spare_user_id, "action": "password-reset"}


def _community(w: World) -> dict[str, Any]:
    return {"community_id": w.community_id}


def _community_meeting(w: World) -> dict[str, Any]:
    return {"meeting_id": w.community_meeting_id}


def _knowledge_item(w: World) -> dict[str, Any]:
    return {"item_id": w.knowledge_item_id}


def _survey(w: World) -> dict[str, Any]:
    return {"survey_id": w.survey_id}


def _record(w: World) -> dict[str, Any]:
    return {"entity_type": "user", "entity_id": w.spare_user_id}


# Pages anyone may open (signed in or not) are in PUBLIC_PAGES: they answer 200 to all, and are not called here
# with a session (the sign-in and reset forms behave as their own tests say).
PUBLIC_PAGES = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),  # ends the session there is, if any
    ("GET", "/password-reset"),
    ("GET", "/password-reset/{token}"),
    ("POST", "/password-reset/{token}"),
    ("GET", "/verify"),
    ("GET", "/verify/{code}"),
    ("GET", "/issuer"),
    ("GET", "/achievements/{code}"),
    ("GET", "/accessibility"),
    ("GET", "/unsubscribe/{token}"),  # the link in an optional message (tests/notifications/test_pages.py)
    ("POST", "/unsubscribe/{token}"),
    # A survey answered by its one-time link, without signing in (its own tests: tests/surveys/test_pages.py).
    ("GET", "/s/{token}"),
    ("POST", "/s/{token}"),
    # The knowledge centre's search, an item and its file: anyone, each seeing what their standing lets them (its
    # own tests: tests/knowledge/test_pages.py).
    ("GET", "/knowledge"),
    ("GET", "/knowledge/{item_id}"),
    ("GET", "/knowledge/{item_id}/file"),
}

PAGES: list[Page] = [
    Page("GET", "/account/password", SIGNED_IN),
    Page("POST", "/account/password", SIGNED_IN),
    Page("GET", "/account/two-factor", SIGNED_IN),
    Page("POST", "/account/two-factor", SIGNED_IN),
    Page("POST", "/account/two-factor/confirm", SIGNED_IN),
    Page("GET", "/me", (OFFICIAL,)),
    Page("POST", "/me/cohorts/{cohort_id}/enrol", (OFFICIAL,), lambda w: {"cohort_id": w.cohort_id}),
    Page("GET", "/me/requirements/{requirement_id}/{kind}", (OFFICIAL,), _requirement),
    Page("POST", "/me/requirements/{requirement_id}/{kind}", (OFFICIAL,), _requirement),
    Page("GET", "/admin", (ADMIN,)),
    # The catalogue, the accounts and the audit trail (the school's).
    Page("GET", "/admin/programmes", (ADMIN,)),
    Page("GET", "/admin/programmes/new", (ADMIN,)),
    Page("POST", "/admin/programmes/new", (ADMIN,)),
    Page("GET", "/admin/programmes/{code}/edit", (ADMIN,), lambda w: {"code": "GRID-ENTRY"}),
    Page("POST", "/admin/programmes/{code}/edit", (ADMIN,), lambda w: {"code": "GRID-ENTRY"}),
    Page("GET", "/admin/programmes/{code}/retire", (ADMIN,), lambda w: {"code": "GRID-ENTRY"}),
    Page("POST", "/admin/programmes/{code}/retire", (ADMIN,), lambda w: {"code": "GRID-ENTRY"}),
    Page("GET", "/admin/accounts", (ADMIN,)),
    Page("GET", "/admin/accounts/new", (ADMIN,)),
    Page("POST", "/admin/accounts/new", (ADMIN,)),
    Page("GET", "/admin/accounts/{user_id}", (ADMIN,), lambda w: {"user_id": w.spare_user_id}),
    Page("POST", "/admin/accounts/{user_id}/role", (ADMIN,), lambda w: {"user_id": w.spare_user_id}),
    Page("GET", "/admin/accounts/{user_id}/{action}", (ADMIN,), _account_action),
    Page("POST", "/admin/accounts/{user_id}/{action}", (ADMIN,), _account_action),
    Page("GET", "/admin/audit", (ADMIN,)),
    Page("GET", "/admin/audit/{entity_type}/{entity_id}", (ADMIN,), _record),
    # Mail: everyone's own choices; the school's outbox, its messages and the previews of every kind.
    Page("GET", "/me/mail", SIGNED_IN),
    Page("POST", "/me/mail", SIGNED_IN),
    Page("GET", "/admin/outbox", (ADMIN,)),
    Page("GET", "/admin/outbox/previews", (ADMIN,)),
    Page("GET", "/admin/outbox/previews/{kind}", (ADMIN,), lambda w: {"kind": "enrolment"}),
    Page("GET", "/admin/outbox/previews/{kind}/body.html", (ADMIN,), lambda w: {"kind": "enrolment"}),
    Page("GET", "/admin/outbox/{message_id}", (ADMIN,), lambda w: {"message_id": w.message_id}),
    Page("GET", "/admin/outbox/{message_id}/body.html", (ADMIN,), lambda w: {"message_id": w.message_id}),
    Page("POST", "/admin/outbox/{message_id}/resend", (ADMIN,), lambda w: {"message_id": w.message_id}),
    # The compliance dashboard and its evidence.
    Page("GET", "/compliance", (AUDITOR, LIAISON)),
    # Compliance: the requirements behind a figure, one authority (the liaison's own), at risk, seat demand.
    Page("GET", "/compliance/requirements", (AUDITOR, LIAISON)),
    Page("GET", "/compliance/requirements.csv", (AUDITOR, LIAISON)),
    Page("GET", "/compliance/requirements.xlsx", (AUDITOR, LIAISON)),
    Page("GET", "/compliance/authorities/{cbs_code}", (AUDITOR, LIAISON), lambda w: {"cbs_code": "0031"}),
    Page("GET", "/compliance/at-risk", (AUDITOR, LIAISON)),
    Page("GET", "/compliance/at-risk.csv", (AUDITOR, LIAISON)),
    Page("GET", "/compliance/at-risk.xlsx", (AUDITOR, LIAISON)),
    Page("GET", "/compliance/seat-demand", (AUDITOR,)),
    Page("GET", "/compliance/seat-demand.csv", (AUDITOR,)),
    Page("GET", "/compliance/seat-demand.xlsx", (AUDITOR,)),
    Page("GET", "/compliance/authorities.{fmt}", (AUDITOR, LIAISON), lambda w: {"fmt": "csv"}),
    Page("GET", "/compliance/heatmap.{fmt}", (AUDITOR, LIAISON), lambda w: {"fmt": "xlsx"}),
    Page("GET", "/compliance/report.pdf", (AUDITOR, LIAISON)),
    # The school's cohorts.
    Page("GET", "/admin/cohorts", (ADMIN,)),
    Page("GET", "/admin/cohorts/new", (ADMIN,)),
    Page("POST", "/admin/cohorts", (ADMIN,)),
    Page("GET", "/admin/cohorts/{cohort_id}", (ADMIN,), _cohort),
    Page("GET", "/admin/cohorts/{cohort_id}/edit", (ADMIN,), _cohort),
    Page("POST", "/admin/cohorts/{cohort_id}/edit", (ADMIN,), _cohort),
    Page("POST", "/admin/cohorts/{cohort_id}/sessions", (ADMIN,), _cohort),
    Page("POST", "/admin/cohorts/{cohort_id}/enrolments", (ADMIN,), _cohort),
    Page("POST", "/admin/cohorts/{cohort_id}/enrolments/bulk", (ADMIN,), _cohort),
    Page("POST", "/admin/cohorts/{cohort_id}/enrolments/owed", (ADMIN,), _cohort),
    Page("GET", "/admin/sessions/{session_id}/move", (ADMIN,), _session),
    Page("POST", "/admin/sessions/{session_id}/move", (ADMIN,), _session),
    Page("GET", "/admin/sessions/{session_id}/cancel", (ADMIN,), _session),
    Page("POST", "/admin/sessions/{session_id}/cancel", (ADMIN,), _session),
    Page("GET", "/admin/enrolments/{enrolment_id}/withdraw", (ADMIN,), _enrolment),
    Page("POST", "/admin/enrolments/{enrolment_id}/withdraw", (ADMIN,), _enrolment),
    Page("POST", "/admin/enrolments/{enrolment_id}/promote", (ADMIN,), _enrolment),
    Page("POST", "/admin/enrolments/{enrolment_id}/move", (ADMIN,), _enrolment),
    Page("GET", "/admin/enrolments/{enrolment_id}/assessments", (ADMIN,), _enrolment),
    Page("POST", "/admin/enrolments/{enrolment_id}/assessments/{code}", (ADMIN,), _assessment),
    # attendance, closing and certificates
    Page("GET", "/admin/sessions/{session_id}/attendance", (ADMIN,), lambda w: {"session_id": w.session_id}),
    Page("POST", "/admin/sessions/{session_id}/attendance", (ADMIN,), lambda w: {"session_id": w.session_id}),
    Page("POST", "/admin/sessions/{session_id}/attendance/import", (ADMIN,), lambda w: {"session_id": w.session_id}),
    Page("GET", "/admin/sessions/{session_id}/sign-in-sheet.pdf", (ADMIN,), lambda w: {"session_id": w.session_id}),
    Page("GET", "/admin/cohorts/{cohort_id}/close", (ADMIN,), lambda w: {"cohort_id": w.cohort_id}),
    Page("POST", "/admin/cohorts/{cohort_id}/close", (ADMIN,), lambda w: {"cohort_id": w.cohort_id}),
    Page("GET", "/admin/cohorts/{cohort_id}/certificates", (ADMIN,), lambda w: {"cohort_id": w.cohort_id}),
    Page("POST", "/admin/cohorts/{cohort_id}/certificates", (ADMIN,), lambda w: {"cohort_id": w.cohort_id}),
    Page("POST", "/admin/certificates/{serial}/reissue", (ADMIN,), lambda w: {"serial": w.serial}),
    Page("GET", "/admin/certificates/{serial}/revoke", (ADMIN,), lambda w: {"serial": w.serial}),
    Page("POST", "/admin/certificates/{serial}/revoke", (ADMIN,), lambda w: {"serial": w.serial}),
    # The registry of officials, and imports from a file.
    Page("GET", "/admin/officials", (ADMIN,)),
    Page("GET", "/admin/officials/new", (ADMIN,)),
    Page("POST", "/admin/officials", (ADMIN,)),
    Page("GET", "/admin/officials/{official_id}", (ADMIN,), lambda w: {"official_id": w.official_id}),
    Page("GET", "/admin/officials/{official_id}/edit", (ADMIN,), lambda w: {"official_id": w.official_id}),
    Page("POST", "/admin/officials/{official_id}/edit", (ADMIN,), lambda w: {"official_id": w.official_id}),
    Page("GET", "/admin/officials/{official_id}/appointments/new", (ADMIN,), lambda w: {"official_id": w.official_id}),
    Page("POST", "/admin/officials/{official_id}/appointments", (ADMIN,), lambda w: {"official_id": w.official_id}),
    Page("GET", "/admin/appointments/{appointment_id}/edit", (ADMIN,), lambda w: {"appointment_id": w.appointment_id}),
    Page("POST", "/admin/appointments/{appointment_id}/edit", (ADMIN,), lambda w: {"appointment_id": w.appointment_id}),
    Page("GET", "/admin/imports", (ADMIN,)),
    Page("POST", "/admin/imports", (ADMIN,)),
    Page("GET", "/admin/imports/{run_id}", (ADMIN,), lambda w: {"run_id": w.import_id}),
    Page("POST", "/admin/imports/{run_id}/import", (ADMIN,), lambda w: {"run_id": w.import_id}),
    # Compliance: requests and decisions, and an official's requirement history.
    Page("GET", "/compliance/requests", (AUDITOR, LIAISON)),
    Page("GET", "/compliance/requests.{fmt}", (AUDITOR, LIAISON), lambda w: {"fmt": "csv"}),
    Page("GET", "/compliance/requests/{request_id}", (AUDITOR, LIAISON), lambda w: {"request_id": w.request_id}),
    Page("POST", "/compliance/requests/{request_id}/decision", (AUDITOR,), lambda w: {"request_id": w.request_id}),
    Page("GET", "/compliance/officials/{official_id}", (AUDITOR, LIAISON), lambda w: {"official_id": w.official_id}),
    Page(
        "GET",
        "/compliance/requirements/{requirement_id}/requests/new",
        (LIAISON,),
        lambda w: {"requirement_id": w.requirement_id},
    ),
    Page(
        "POST",
        "/compliance/requirements/{requirement_id}/requests",
        (LIAISON,),
        lambda w: {"requirement_id": w.requirement_id},
    ),
    # Communities: the grid's official coordinates the community and the network.
    Page("GET", "/communities", COMMUNITY_READERS),
    Page("GET", "/communities/new", (ADMIN,)),
    Page("POST", "/communities/new", (ADMIN,)),
    Page("GET", "/communities/{community_id}", COMMUNITY_READERS, _community),
    Page("POST", "/communities/{community_id}/join", (OFFICIAL,), _community),
    Page("POST", "/communities/{community_id}/leave", (OFFICIAL,), _community),
    Page("GET", "/communities/{community_id}/members", COMMUNITY_MANAGERS, _community),
    Page("POST", "/communities/{community_id}/members", COMMUNITY_MANAGERS, _community),
    Page(
        "POST",
        "/communities/{community_id}/members/{member_id}",
        COMMUNITY_MANAGERS,
        lambda w: {"community_id": w.community_id, "member_id": w.member_id},
    ),
    Page(
        "POST",
        "/communities/{community_id}/members/{member_id}/end",
        COMMUNITY_MANAGERS,
        lambda w: {"community_id": w.community_id, "member_id": w.member_id},
    ),
    Page(
        "POST", "/communities/{community_id}/authorities", COMMUNITY_MANAGERS, lambda w: {"community_id": w.network_id}
    ),
    Page(
        "POST",
        "/communities/{community_id}/authorities/{link_id}/end",
        COMMUNITY_MANAGERS,
        lambda w: {"community_id": w.network_id, "link_id": w.network_link_id},
    ),
    Page("GET", "/communities/{community_id}/requests", COMMUNITY_READERS, _community),
    Page(
        "POST",
        "/communities/{community_id}/requests/{join_request_id}",
        COMMUNITY_MANAGERS,
        lambda w: {"community_id": w.community_id, "join_request_id": w.join_request_id},
    ),
    Page("GET", "/communities/{community_id}/meetings/new", COMMUNITY_MANAGERS, _community),
    Page("POST", "/communities/{community_id}/meetings", COMMUNITY_MANAGERS, _community),
    Page("GET", "/communities/meetings/{meeting_id}", COMMUNITY_READERS, _community_meeting),
    Page("POST", "/communities/meetings/{meeting_id}", COMMUNITY_MANAGERS, _community_meeting),
    Page("POST", "/communities/meetings/{meeting_id}/attendance", COMMUNITY_MANAGERS, _community_meeting),
    Page("POST", "/communities/meetings/{meeting_id}/cancel", COMMUNITY_MANAGERS, _community_meeting),
    Page("GET", "/communities/{community_id}/edit", COMMUNITY_MANAGERS, _community),
    Page("POST", "/communities/{community_id}/edit", COMMUNITY_MANAGERS, _community),
    # The graduates network: the grid's official is a graduate who joined the directory.
    Page("GET", "/graduates", COMMUNITY_READERS),
    Page("GET", "/graduates/me", (OFFICIAL,)),
    Page("POST", "/graduates/me", (OFFICIAL,)),
    # The knowledge centre: admins, and a community's coordinator (the grid's official), file, change and remove.
    Page("GET", "/knowledge/new", COMMUNITY_MANAGERS),
    Page("POST", "/knowledge/new", COMMUNITY_MANAGERS),
    Page("POST", "/knowledge/{item_id}", COMMUNITY_MANAGERS, _knowledge_item),
    Page("POST", "/knowledge/{item_id}/remove", COMMUNITY_MANAGERS, _knowledge_item),
    # Surveys: the school's staff read them; admins create them, send, invite and import; so does the coordinator of
    # the survey's community (the grid's official: the grid's survey asks their community). A survey for no community
    # (a new one without ?community_id=) is the admins' alone.
    Page("GET", "/surveys", SURVEY_READERS),
    Page("GET", "/surveys/new", (ADMIN,)),
    Page("POST", "/surveys", (ADMIN,)),
    Page("GET", "/surveys/{survey_id}", SURVEY_READERS, _survey),
    Page("POST", "/surveys/{survey_id}/invitations", SURVEY_RUNNERS, _survey),
    Page("POST", "/surveys/{survey_id}/send", SURVEY_RUNNERS, _survey),
    Page("POST", "/surveys/{survey_id}/import", SURVEY_RUNNERS, _survey),
    Page("GET", "/surveys/{survey_id}/report", SURVEY_READERS, _survey),
    Page("GET", "/surveys/{survey_id}/report.xlsx", SURVEY_READERS, _survey),
    Page("GET", "/surveys/{survey_id}/report.pdf", SURVEY_READERS, _survey),
    Page("GET", "/survey-series/{code}/report", SURVEY_READERS, lambda w: {"code": "grid-network"}),
    Page("GET", "/surveys/{survey_id}/network", SURVEY_READERS, _survey),
    Page("GET", "/communities/{community_id}/surveys", SURVEY_READERS, _community),
    Page("POST", "/communities/{community_id}/surveys/after-meeting", SURVEY_RUNNERS, _community),
    # A survey waiting for the official (the grid's official is invited to the grid's survey).
    Page("POST", "/me/surveys/{survey_id}", (OFFICIAL,), _survey),
]

# The machine routes outside /api/v1: not pages.
_NOT_PAGES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/healthz"}


def _is_page(path: str) -> bool:
    return not path.startswith(("/api/", "/.well-known/")) and path not in _NOT_PAGES


def _expected(page: Page, role: str) -> str:
    if role == "anonymous":
        return "sign in"
    return "allowed" if role in page.who else "403"


@pytest.fixture
def world(db: Session) -> World:
    official = make_official(db)
    make_programme(db, code="GRID-ENTRY")
    start = today() + timedelta(days=20)
    cohort = create_cohort(
        db,
        data=CohortCreate(
            programme_code="GRID-ENTRY",
            code="GRID-1",
            start_date=start,
            end_date=start + timedelta(days=30),
            capacity=20,
        ),
        actor=ACTOR,
    )
    appointment = make_appointment(db, official, start=today() - timedelta(days=30))
    requirement = db.scalars(select(Requirement).where(Requirement.appointment_id == appointment.id)).first()
    assert requirement is not None
    users = {role: make_user(db, role, official=official if role == OFFICIAL else None) for role in ALL_ROLES}
    session = add_session(db, cohort_id=cohort.id, data=SessionCreate(date=start, hours=3), actor=ACTOR)
    enrolment = enrol_official(db, cohort_id=cohort.id, official_id=official.id, actor=ACTOR)
    certified = make_certified(db, make_official(db), start=date(2025, 3, 1))
    checked = check_officials_file(
        db, content=b"national_id\n" + official.national_id.encode(), filename="grid.csv", actor=ACTOR
    )
    spare = make_user(db, LIAISON)
    # A request on another official's requirement: the official's own pages offer to ask while none is pending.
    colleague = make_appointment(db, make_official(db), start=today() - timedelta(days=30))
    asked = request_exemption(
        db,
        requirement_id=db.scalars(select(Requirement.id).where(Requirement.appointment_id == colleague.id)).one(),
        reason_code="acting_appointment",
        reason="acting",
        actor=ACTOR,
    )
    sent = make_message(db, key=f"grid:{enrolment.id}", state="sent", official_id=official.id)
    communities = _communities(db, official)
    make_completion(db, official, make_programme(db, kind="advanced"), date(2024, 6, 30))
    graduate = Principal(user_id=users[OFFICIAL].id, label="graduate", role=OFFICIAL, official_id=official.id)
    save_profile(db, data=GraduateProfileUpdate(opted_in=True), actor=graduate)
    survey = create_survey(
        db,
        data=SurveyCreate(
            series_code="grid-network",
            wave="start",
            wave_order=1,
            title_he="מיפוי קשרים",
            title_en="Who consults whom",
            anonymous=False,
            community_id=communities["community_id"],
            items=[ItemIn(code="consult", kind=ItemKind.PEOPLE, text_he="עם מי את/ה מתייעץ/ת?")],
        ),
        actor=ACTOR,
    )
    note = file_item(
        db,
        data=ItemCreate(
            kind="note", title_he="סיכום", body="טקסט", community_id=communities["community_id"], visibility="core"
        ),
        actor=ACTOR,
    )
    invite(db, survey_id=survey.id, data=InvitationCreate(official_ids=[official.id]), actor=ACTOR)
    db.flush()
    return World(
        **communities,
        knowledge_item_id=note.id,
        message_id=sent.id,
        survey_id=survey.id,
        requirement_id=requirement.id,
        cohort_id=cohort.id,
        users=users,
        session_id=session.id,
        enrolment_id=enrolment.id,
        serial=certified.serial,
        official_id=official.id,
        appointment_id=appointment.id,
        import_id=checked.id,
        spare_user_id=spare.id,
        request_id=asked.id,
    )


def _communities(db: Session, official: Official) -> dict[str, int]:
    """A community and a network the official coordinates, with a colleague a member, another asking to join, and a
    meeting next week."""

    def create(code: str, kind: str = "community") -> int:
        data = CommunityCreate(code=code, name_he="קהילה", name_en="Community", field="כספים", kind=kind)
        return communities.create_community(db, data=data, actor=ACTOR).id

    community, network = create("GRID-COM"), create("GRID-NET", "network")
    colleague = make_official(db)
    for person, role in ((official, "coordinator"), (colleague, "member")):
        communities.add_member(
            db, community_id=community, data=MemberCreate(official_id=person.id, role=role), actor=ACTOR
        )
    link = communities.add_authority(
        db, community_id=network, data=AuthorityLinkCreate(authority_code="0031"), actor=ACTOR
    )
    communities.add_member(
        db,
        community_id=network,
        data=MemberCreate(official_id=official.id, role="coordinator"),
        actor=ACTOR,
    )
    member = communities.current_membership(db, community_id=community, official_id=colleague.id)
    assert member is not None
    asker = make_official(db)
    request = communities.request_to_join(
        db,
        community_id=community,
        message=None,
        actor=Principal(user_id=None, label="asker", role=OFFICIAL, official_id=asker.id),
    )
    meeting = communities.schedule_meeting(
        db,
        community_id=community,
        data=MeetingCreate(title="מפגש", kind="in_person", date=today() + timedelta(days=7)),
        actor=ACTOR,
    )
    return {
        "community_id": community,
        "network_id": network,
        "network_link_id": link.id,
        "member_id": member.id,
        "join_request_id": request.id,
        "community_meeting_id": meeting.id,
    }


def _call(client: TestClient, page: Page, path: str, csrf: str | None) -> Any:
    if page.method == "GET":
        return client.get(path, follow_redirects=False)
    data = {"csrf_token": csrf} if csrf else {}
    return client.post(path, data=data, headers={"Origin": "http://testserver"}, follow_redirects=False)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.label)
def test_every_role_gets_what_the_grid_says(page: Page, db: Session, client: TestClient, world: World) -> None:
    path = page.path.format(**page.fill(world))
    for role in ("anonymous", *ALL_ROLES):
        client.cookies.clear()
        csrf = None
        if role != "anonymous":
            csrf = sign_in(db, client, world.users[role]).csrf_token
        r = _call(client, page, path, csrf)
        expected = _expected(page, role)
        where = f"{page.label} as {role}"
        if expected == "sign in":
            if page.method == "GET":
                assert r.status_code == 303, where
                assert r.headers["location"] == f"/login?next={quote(path, safe='/')}", where
            else:
                assert r.status_code == 401, where
        elif expected == "403":
            assert r.status_code == 403, f"{where}: {r.status_code}"
            assert "<html" in r.text, where  # the error page, not JSON
        elif page.method == "GET":
            assert r.status_code == 200, f"{where}: {r.status_code}"
        else:
            assert r.status_code not in (401, 403, 404), f"{where}: {r.status_code}"


def test_every_page_is_in_the_grid() -> None:
    """A page route the grid does not list fails here: add it to PAGES with who may open it (or to PUBLIC_PAGES)."""
    served = {r for r in _served_routes(create_app()) if _is_page(r[1])}
    listed = {(p.method, p.path) for p in PAGES} | PUBLIC_PAGES
    missing = sorted(served - listed)
    assert not missing, "pages missing from the grid: " + ", ".join(f"{m} {p}" for m, p in missing)
    stale = sorted(listed - served)
    assert not stale, "the grid lists pages the app does not serve: " + ", ".join(f"{m} {p}" for m, p in stale)
    labels = [p.label for p in PAGES]
    assert len(labels) == len(set(labels)), "a page is listed twice"


def test_public_pages_open_without_signing_in(client: TestClient) -> None:
    for path in ("/login", "/password-reset", "/verify", "/issuer", "/accessibility"):
        assert client.get(path).status_code == 200, path
