"""The permission grid: every route of the API, who may call it, and how records are scoped.

One table (GRID) lists every route as (method, path template, who may call it, whether it names a record
that is scoped, how to call it well). The tests call every route as every role (and anonymously), on a
record in the caller's scope and on one outside it, and expect:

    anonymous -> 401 · role not allowed -> 403 · allowed, record outside scope -> 404 · allowed, in scope -> 2xx

A route the app serves under /api/v1 that is missing from the table fails `test_every_route_is_in_the_grid`,
so a new endpoint cannot escape the grid.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.service import reset_password
from app.accounts.totp import encrypt_secret
from app.attendance.schemas import AttendanceIn
from app.attendance.service import close_cohort, record_attendance
from app.auth import ADMIN, AUDITOR, LIAISON, OFFICIAL, Principal
from app.certificates.models import Certificate
from app.certificates.service import issue_certificate
from app.clock import today
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.communities import service as communities
from app.communities.schemas import AuthorityLinkCreate, CommunityCreate, MeetingCreate, MemberCreate
from app.compliance.models import RequirementRequest
from app.compliance.service import request_exemption
from app.db import get_engine
from app.graduates.schemas import GraduateProfileUpdate
from app.graduates.service import save_profile
from app.knowledge.schemas import DocumentCreate
from app.knowledge.service import file_document
from app.main import create_app
from app.officials.models import Appointment, Official, Requirement
from app.programmes.models import Programme
from app.programmes.schemas import AssessmentIn, ProgrammeCreate
from app.programmes.service import create_programme
from app.surveys.schemas import SurveyCreate
from app.surveys.service import create_survey
from app.web.routing import get_db, request_unit_of_work
from tests.factories import (
    ACTOR,
    PASSWORD,
    TEST_TOTP_SECRET,
    headers,
    make_appointment,
    make_message,
    make_official,
    make_programme,
    make_user,
    national_id,
)

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, ADMIN, AUDITOR, LIAISON, OFFICIAL)

# Who may call a route.
PUBLIC = frozenset(ROLES)
ANY_ROLE = frozenset({ADMIN, AUDITOR, LIAISON, OFFICIAL})
STAFF = frozenset({ADMIN, AUDITOR})
ADMIN_ONLY = frozenset({ADMIN})
REQUESTERS = frozenset({ADMIN, LIAISON, OFFICIAL})  # who may ask for an extension or an exemption
DECIDERS = frozenset({AUDITOR})  # the auditor writes nothing but decisions
REPORT_READERS = frozenset({ADMIN, AUDITOR, LIAISON})  # the compliance report of an authority, as a PDF
COMMUNITY_READERS = frozenset({ADMIN, AUDITOR, OFFICIAL})  # liaisons have no part in communities
COMMUNITY_MANAGERS = frozenset({ADMIN, OFFICIAL})  # admins, and the community's coordinator (the grid's official)

# Roles that see every record; the others see only their scope (a liaison: the officials and appointments of
# their authority; an official: their own person).
SEES_ALL = frozenset({ADMIN, AUDITOR})

OWN, OTHER, NONE = "own", "other", "-"
# Path parameters that name a record of one official (or hanging on one): a liaison sees those of their
# authority's officials, an official their own.
SCOPED_IDS = {"official_id", "appointment_id", "enrolment_id", "requirement_id", "request_id", "serial"}
# Routes scoped by a query parameter rather than the path: the authority of the compliance report.
QUERY_SCOPED = {"/api/v1/compliance/report.pdf"}
MISSING = {"serial": "MKM-1999-999999"}  # a record no one has, to compare a 404 outside scope with

LIAISON_AUTHORITY = "0031"  # Ofakim
OTHER_AUTHORITY = "0070"  # Ashdod: no liaison, no official user of ours serves there
_fresh = itertools.count(1)


@dataclass
class World:
    """The records every case runs against, made once for the module; each case's changes are rolled back.

    `mine` serves in the liaison's authority and is the person of the official user; `theirs` serves only in
    another authority and is nobody's; `spare` serves nowhere and is enrolled nowhere. Both `mine` and
    `theirs` are enrolled in `cohort` and were marked present at its one session. Each of them also serves as
    city engineer, a role that owes a second programme: that requirement (`decided`) has a pending exemption
    request for an auditor to decide, while the treasurer's (`open`) has none, so a new request can be made.
    """

    users: dict[str, User]
    mine: Official
    theirs: Official
    spare: Official
    mine_appointment: Appointment
    theirs_appointment: Appointment
    programme: Programme
    cohort: Cohort
    other_cohort: Cohort
    open_cohort: Cohort  # open, of an advanced programme, with no one in it
    meeting: CohortSession
    mine_enrolment: Enrolment
    theirs_enrolment: Enrolment
    open_requirements: dict[str, Requirement]
    pending_requests: dict[str, RequirementRequest]
    # A closed cohort of an advanced programme that both completed, each with a certificate.
    certificate_cohort: Cohort
    certificate_enrolments: dict[str, Enrolment]
    certificates: dict[str, Certificate]
    # A one-time password-reset link of the official user's account, made by an operator.
    reset_token: str
    # The code of an advanced programme no role owes (one the catalogue may retire).
    advanced_code: str = ""
    # A message of the outbox that failed its last try (one an admin may resend).
    failed_message_id: int = 0
    # Communities: `mine` coordinates `community` (where `theirs` is a member, and `spare` asks to join) and
    # `network` (the liaison's authority in it); `stranger_community` has neither of them.
    community_id: int = 0
    stranger_community_id: int = 0
    network_id: int = 0
    network_link_id: int = 0
    member_id: int = 0
    join_request_id: int = 0
    community_meeting_id: int = 0
    # A survey of the series "perm-trust" asking `community` (anonymous, a scale item `trust1`).
    survey_id: int = 0
    # The knowledge centre: a public document of `community` (which `mine` coordinates), anyone may read and download.
    knowledge_item_id: int = 0

    def certificate(self, scope: str) -> Certificate:
        """The certificate of the scope's official."""
        return self.certificates[OTHER if scope == OTHER else OWN]

    def official(self, scope: str) -> Official:
        """The official of the scope: the caller's own, or one outside the scope of a liaison or official."""
        return self.theirs if scope == OTHER else self.mine

    def appointment(self, scope: str) -> Appointment:
        """The appointment of the scope."""
        return self.theirs_appointment if scope == OTHER else self.mine_appointment

    def enrolment(self, scope: str) -> Enrolment:
        """The enrolment of the scope."""
        return self.theirs_enrolment if scope == OTHER else self.mine_enrolment

    def requirement(self, scope: str) -> Requirement:
        """A requirement of the scope's official with no request pending."""
        return self.open_requirements[OTHER if scope == OTHER else OWN]

    def request(self, scope: str) -> RequirementRequest:
        """A pending request of the scope's official."""
        return self.pending_requests[OTHER if scope == OTHER else OWN]


@dataclass(frozen=True)
class Call:
    """How to call a route: path parameters, and a JSON body, form fields or query parameters."""

    path: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    data: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    files: dict[str, Any] | None = None


@dataclass(frozen=True)
class Route:
    """One row of the grid."""

    method: str
    path: str
    who: frozenset[str]
    scoped: bool = False  # the path names a record that a liaison or an official may see only in their scope
    call: Callable[[World, str], Call] = lambda w, scope: Call()
    refused_as: dict[str, str] = field(default_factory=dict)  # a role's 403 code where it is not plain `forbidden`

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _signing_kid() -> str:
    from app.certificates import keys

    return keys.current_key().kid


def _new_official(w: World, scope: str) -> Call:
    return Call(json={"national_id": national_id(), "first_name_he": "נועה", "last_name_he": "ברק"})


def _new_programme(w: World, scope: str) -> Call:
    body = {
        "code": f"ADV-{next(_fresh)}",
        "kind": "advanced",
        "title_he": "ניהול תקציב",
        "title_en": "Budget management",
        "hours": 30,
        "role_codes": [],
    }
    return Call(json=body)


def _retired_programme(w: World, scope: str) -> Call:
    return Call(path={"code": w.advanced_code})


def _new_user(w: World, scope: str) -> Call:
    email = f"new{next(_fresh)}@test.example"
    # A liaison's account: the admins make those (an auditor makes auditors only, and only auditors do).
    body = {"email": email, "password": "long-enough-password", "role": "liaison", "authority_code": LIAISON_AUTHORITY}
    return Call(json=body)


def _managed_user(w: World, scope: str) -> Call:
    return Call(path={"user_id": w.users[OFFICIAL].id})


def _import_file(w: World, scope: str) -> Call:
    csv = (
        "national_id,first_name_he,last_name_he,authority_code,role_code,start_date\n"
        f"{national_id()},יעל,מזרחי,{LIAISON_AUTHORITY},treasurer,2025-02-01\n"
    )
    return Call(files={"file": ("officials.csv", csv.encode(), "text/csv")})  # a dry run, the default


def _new_cohort(w: World, scope: str) -> Call:
    body = {
        "programme_code": w.programme.code,
        "code": f"C-NEW-{next(_fresh)}",
        "start_date": "2025-09-01",
        "end_date": "2025-12-31",
        "capacity": 25,
    }
    return Call(json=body)


def _attendance_file(w: World, scope: str) -> Call:
    csv = f"national_id,session_date,status\n{w.mine.national_id},{w.meeting.date.isoformat()},late\n"
    return Call(path=_cohort_id(w, scope), files={"file": ("attendance.csv", csv.encode(), "text/csv")})


def _new_survey(w: World, scope: str) -> Call:
    return Call(json=_new_survey_body(f"perm-{next(_fresh)}"))


def _new_survey_body(series: str) -> dict[str, Any]:
    return {
        "series_code": series,
        "wave": "start",
        "wave_order": 1,
        "title_he": "אמון",
        "title_en": "Trust",
        "anonymous": True,
        "items": [{"code": "trust1", "kind": "scale5", "text_he": "אני סומך/ת על חברי הקהילה"}],
    }


def _survey_id(w: World, scope: str) -> dict[str, Any]:
    return {"survey_id": w.survey_id}


def _official_id(w: World, scope: str) -> dict[str, Any]:
    return {"official_id": w.official(scope).id}


def _appointment_id(w: World, scope: str) -> dict[str, Any]:
    return {"appointment_id": w.appointment(scope).id}


def _enrolment_id(w: World, scope: str) -> dict[str, Any]:
    return {"enrolment_id": w.enrolment(scope).id}


def _cohort_id(w: World, scope: str) -> dict[str, Any]:
    return {"cohort_id": w.cohort.id}


def _requirement_id(w: World, scope: str) -> dict[str, Any]:
    return {"requirement_id": w.requirement(scope).id}


def _community(w: World, scope: str) -> dict[str, Any]:
    return {"community_id": w.community_id}


def _network(w: World, scope: str) -> dict[str, Any]:
    return {"community_id": w.network_id}


def _community_meeting(w: World, scope: str) -> dict[str, Any]:
    return {"meeting_id": w.community_meeting_id}


def _knowledge_item(w: World, scope: str) -> dict[str, Any]:
    return {"item_id": w.knowledge_item_id}


def _authority(w: World, scope: str) -> dict[str, Any]:
    return {"authority": OTHER_AUTHORITY if scope == OTHER else LIAISON_AUTHORITY}


# fmt: off
GRID: tuple[Route, ...] = (
    Route("GET", "/healthz", PUBLIC),
    Route("POST", "/api/v1/auth/token", PUBLIC,
          call=lambda w, s: Call(data={"username": w.users[OFFICIAL].email, "password": PASSWORD})),
    Route("GET", "/api/v1/auth/me", ANY_ROLE),
    Route("POST", "/api/v1/auth/totp", ANY_ROLE),
    # Every user of the world was offered TEST_TOTP_SECRET: a code from it confirms it.
    Route("POST", "/api/v1/auth/totp/confirm", ANY_ROLE,
          call=lambda w, s: Call(json={"totp": pyotp.TOTP(TEST_TOTP_SECRET).now()})),
    # An admin resets a liaison's second factor; an auditor resets auditors' only (separation of duties).
    Route("POST", "/api/v1/users/{user_id}/totp/reset", ADMIN_ONLY,
          call=lambda w, s: Call(path={"user_id": w.users[LIAISON].id}), refused_as={AUDITOR: "separation_of_duties"}),
    # An auditor may create accounts, but auditors' only (separation of duties): a liaison's is refused.
    Route("POST", "/api/v1/users", ADMIN_ONLY, call=_new_user, refused_as={AUDITOR: "separation_of_duties"}),
    Route("GET", "/api/v1/users", ADMIN_ONLY),
    # The lifecycle of accounts: an admin manages the others' accounts (here the official's or the liaison's); an
    # auditor manages auditors' only, so these are refused (separation of duties).
    Route("POST", "/api/v1/users/{user_id}/deactivate", ADMIN_ONLY, call=_managed_user,
          refused_as={AUDITOR: "separation_of_duties"}),
    Route("POST", "/api/v1/users/{user_id}/reactivate", ADMIN_ONLY, call=_managed_user,
          refused_as={AUDITOR: "separation_of_duties"}),
    Route("PUT", "/api/v1/users/{user_id}/role", ADMIN_ONLY,
          call=lambda w, s: Call(path={"user_id": w.users[LIAISON].id},
                                 json={"role": "liaison", "authority_code": OTHER_AUTHORITY}),
          refused_as={AUDITOR: "separation_of_duties"}),
    Route("POST", "/api/v1/users/{user_id}/password-reset", ADMIN_ONLY,
          call=lambda w, s: Call(path={"user_id": w.users[OFFICIAL].id}, json={"method": "temporary"}),
          refused_as={AUDITOR: "separation_of_duties"}),
    Route("POST", "/api/v1/auth/password", ANY_ROLE,
          call=lambda w, s: Call(json={"current_password": PASSWORD, "new_password": "a-new-long-passphrase-7"})),
    Route("POST", "/api/v1/auth/password-reset", PUBLIC,
          call=lambda w, s: Call(json={"token": w.reset_token, "new_password": "a-new-long-passphrase-7"})),
    Route("GET", "/api/v1/authorities", ANY_ROLE, call=lambda w, s: Call(query={"q": "אופקים"})),
    Route("GET", "/api/v1/authorities/{code}", ANY_ROLE, call=lambda w, s: Call(path={"code": OTHER_AUTHORITY})),
    Route("GET", "/api/v1/roles", ANY_ROLE),
    Route("POST", "/api/v1/officials", ADMIN_ONLY, call=_new_official),
    Route("GET", "/api/v1/officials", ANY_ROLE),
    Route("GET", "/api/v1/officials/{official_id}", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s))),
    Route("PATCH", "/api/v1/officials/{official_id}", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s), json={"first_name_en": "Dina"})),
    Route("POST", "/api/v1/officials/{official_id}/appointments", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s), json={
              "authority_code": LIAISON_AUTHORITY, "role_code": "legal_adviser", "start_date": "2025-03-01"})),
    Route("GET", "/api/v1/officials/{official_id}/appointments", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s))),
    Route("GET", "/api/v1/appointments/{appointment_id}", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_appointment_id(w, s))),
    Route("PATCH", "/api/v1/appointments/{appointment_id}", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_appointment_id(w, s), json={"end_date": "2025-12-31"})),
    Route("GET", "/api/v1/officials/{official_id}/requirements", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s), query={"as_of": "2025-06-01"})),
    Route("POST", "/api/v1/officials/{official_id}/completions", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s), json={
              "programme_code": w.programme.code, "completed_on": "2025-01-15", "reason": "prior training"})),
    Route("GET", "/api/v1/officials/{official_id}/completions", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s))),
    Route("POST", "/api/v1/programmes", ADMIN_ONLY, call=_new_programme),
    Route("GET", "/api/v1/programmes", ANY_ROLE),
    Route("GET", "/api/v1/programmes/{code}", ANY_ROLE, call=lambda w, s: Call(path={"code": w.programme.code})),
    Route("PATCH", "/api/v1/programmes/{code}", ADMIN_ONLY,
          call=lambda w, s: Call(path={"code": w.programme.code}, json={"title_en": "Treasurers, revised"})),
    Route("POST", "/api/v1/programmes/{code}/retire", ADMIN_ONLY, call=_retired_programme),
    # Cohorts and their sessions are the school's calendar: any role reads them. Enrolments are the officials'.
    Route("POST", "/api/v1/cohorts", ADMIN_ONLY, call=_new_cohort),
    Route("GET", "/api/v1/cohorts", ANY_ROLE),
    Route("GET", "/api/v1/cohorts/{cohort_id}", ANY_ROLE, call=lambda w, s: Call(path=_cohort_id(w, s))),
    Route("PATCH", "/api/v1/cohorts/{cohort_id}", ADMIN_ONLY,
          call=lambda w, s: Call(path=_cohort_id(w, s), json={"capacity": 20})),
    Route("POST", "/api/v1/cohorts/{cohort_id}/sessions", ADMIN_ONLY,
          call=lambda w, s: Call(path=_cohort_id(w, s), json={"date": "2025-02-01", "hours": 2.5})),
    Route("GET", "/api/v1/cohorts/{cohort_id}/sessions", ANY_ROLE, call=lambda w, s: Call(path=_cohort_id(w, s))),
    # An official enrols themselves (the grid's official user is `mine`) in an open cohort of an advanced programme.
    Route("POST", "/api/v1/cohorts/{cohort_id}/enrolments", frozenset({ADMIN, OFFICIAL}),
          call=lambda w, s: Call(path={"cohort_id": w.open_cohort.id}, json={"official_id": w.mine.id})),
    Route("POST", "/api/v1/cohorts/{cohort_id}/enrolments/bulk", ADMIN_ONLY,
          call=lambda w, s: Call(path=_cohort_id(w, s), json={"national_ids": [w.spare.national_id]})),
    Route("GET", "/api/v1/cohorts/{cohort_id}/enrolments", ANY_ROLE,  # the list holds only the caller's scope
          call=lambda w, s: Call(path=_cohort_id(w, s))),
    Route("GET", "/api/v1/officials/{official_id}/enrolments", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s))),
    Route("POST", "/api/v1/enrolments/{enrolment_id}/withdraw", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_enrolment_id(w, s))),
    Route("POST", "/api/v1/enrolments/{enrolment_id}/move", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_enrolment_id(w, s), json={"cohort_id": w.other_cohort.id})),
    Route("POST", "/api/v1/enrolments/{enrolment_id}/promote", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_enrolment_id(w, s))),
    Route("PUT", "/api/v1/sessions/{session_id}/attendance", ADMIN_ONLY,
          call=lambda w, s: Call(path={"session_id": w.meeting.id},
                                 json={"records": [{"official_id": w.mine.id, "status": "late"}]})),
    Route("GET", "/api/v1/sessions/{session_id}/attendance", ANY_ROLE,  # the list holds only the caller's scope
          call=lambda w, s: Call(path={"session_id": w.meeting.id})),
    Route("POST", "/api/v1/cohorts/{cohort_id}/attendance/import", ADMIN_ONLY, call=_attendance_file),
    Route("POST", "/api/v1/cohorts/{cohort_id}/close", ADMIN_ONLY, call=lambda w, s: Call(path=_cohort_id(w, s))),
    Route("PUT", "/api/v1/enrolments/{enrolment_id}/assessments/{code}", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path={**_enrolment_id(w, s), "code": "FINAL"}, json={"passed": True, "grade": 91})),
    Route("GET", "/api/v1/enrolments/{enrolment_id}/assessments", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_enrolment_id(w, s))),
    Route("GET", "/api/v1/enrolments/{enrolment_id}/progress", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_enrolment_id(w, s))),
    Route("POST", "/api/v1/enrolments/{enrolment_id}/complete", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path=_enrolment_id(w, s),
                                 json={"completed_on": "2025-03-31", "reason": "completed the course elsewhere"})),
    Route("POST", "/api/v1/imports/officials", ADMIN_ONLY, call=_import_file),
    # Extensions and exemptions: the official, their liaison or an admin asks; an auditor decides.
    # The requirement (an appointment from 2024-01-01) is due 2026-01-01: an extension may set 2027-01-01 at most.
    Route("POST", "/api/v1/requirements/{requirement_id}/extension-requests", REQUESTERS, scoped=True,
          call=lambda w, s: Call(path=_requirement_id(w, s),
                                 json={"requested_due_date": "2026-12-31", "reason": "parental leave"})),
    Route("POST", "/api/v1/requirements/{requirement_id}/exemption-requests", REQUESTERS, scoped=True,
          call=lambda w, s: Call(path=_requirement_id(w, s),
                                 json={"reason_code": "acting_appointment", "reason": "acting for three months"})),
    Route("GET", "/api/v1/requirements/{requirement_id}/requests", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_requirement_id(w, s))),
    Route("GET", "/api/v1/requests", ANY_ROLE),  # the list holds only the caller's scope
    Route("POST", "/api/v1/decisions/{request_id}", DECIDERS, scoped=True,
          call=lambda w, s: Call(path={"request_id": w.request(s).id}, json={"approve": True, "note": "granted"})),
    # Compliance reports: any role, each seeing its own scope (a liaison their authority, an official their own).
    Route("GET", "/api/v1/compliance/summary", ANY_ROLE, call=lambda w, s: Call(query={"group_by": "district,role"})),
    Route("GET", "/api/v1/compliance/summary.{fmt}", ANY_ROLE, call=lambda w, s: Call(path={"fmt": "xlsx"})),
    Route("GET", "/api/v1/compliance/requirements", ANY_ROLE, call=lambda w, s: Call(query={"as_of": "2026-01-02"})),
    Route("GET", "/api/v1/compliance/changes", ANY_ROLE, call=lambda w, s: Call(query={"since": "2025-10-01"})),
    Route(
        "GET", "/api/v1/compliance/summary/compare", ANY_ROLE, call=lambda w, s: Call(query={"since": "2025-10-01"})
    ),
    Route("GET", "/api/v1/compliance/summary/compare.{fmt}", ANY_ROLE,
          call=lambda w, s: Call(path={"fmt": "csv"}, query={"since": "2025-10-01"})),
    Route("GET", "/api/v1/compliance/at-risk", ANY_ROLE, call=lambda w, s: Call(query={"as_of": "2025-11-01"})),
    Route("GET", "/api/v1/compliance/export.{fmt}", ANY_ROLE,
          call=lambda w, s: Call(path={"fmt": "csv"}, query={"lang": "en"})),
    Route("GET", "/api/v1/compliance/seat-demand", STAFF),
    Route("GET", "/api/v1/compliance/report.pdf", REPORT_READERS, scoped=True,  # scoped by ?authority=
          call=lambda w, s: Call(query=_authority(w, s))),
    # Records of an official (transcript, professional development hours) and a cohort's attendance matrix.
    Route("GET", "/api/v1/officials/{official_id}/transcript", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s))),
    Route("GET", "/api/v1/officials/{official_id}/transcript.{fmt}", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path={**_official_id(w, s), "fmt": "xlsx"})),
    Route("GET", "/api/v1/officials/{official_id}/cpd", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s))),
    Route("GET", "/api/v1/officials/{official_id}/home", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path=_official_id(w, s))),
    Route("GET", "/api/v1/cohorts/{cohort_id}/attendance", ANY_ROLE,  # the matrix holds only the caller's scope
          call=lambda w, s: Call(path=_cohort_id(w, s))),
    Route("GET", "/api/v1/cohorts/{cohort_id}/attendance.{fmt}", ANY_ROLE,
          call=lambda w, s: Call(path={**_cohort_id(w, s), "fmt": "csv"}, query={"lang": "en"})),
    Route("GET", "/api/v1/audit", STAFF),
    Route("GET", "/api/v1/audit/access-log", frozenset({AUDITOR})),  # the admins' reads are in it
    # Certificates: admins issue and correct; every role reads its scope's; anyone verifies by code.
    Route("POST", "/api/v1/enrolments/{enrolment_id}/certificate", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path={"enrolment_id": w.certificate_enrolments[OTHER if s == OTHER else OWN].id})),
    Route("GET", "/api/v1/certificates", ANY_ROLE),  # the list holds only the caller's scope
    Route("GET", "/api/v1/certificates/{serial}", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path={"serial": w.certificate(s).serial})),
    Route("GET", "/api/v1/certificates/{serial}/pdf", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path={"serial": w.certificate(s).serial})),
    Route("GET", "/api/v1/certificates/{serial}/credential", ANY_ROLE, scoped=True,
          call=lambda w, s: Call(path={"serial": w.certificate(s).serial})),
    Route("POST", "/api/v1/certificates/{serial}/revoke", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path={"serial": w.certificate(s).serial}, json={"reason": "issued in error"})),
    Route("POST", "/api/v1/certificates/{serial}/reissue", ADMIN_ONLY, scoped=True,
          call=lambda w, s: Call(path={"serial": w.certificate(s).serial})),
    Route("POST", "/api/v1/certificates/{serial}/holder-did", frozenset({ADMIN, OFFICIAL}), scoped=True,
          call=lambda w, s: Call(path={"serial": w.certificate(s).serial},
                                 json={"holder_did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"})),
    Route("POST", "/api/v1/cohorts/{cohort_id}/certificates", ADMIN_ONLY,
          call=lambda w, s: Call(path={"cohort_id": w.certificate_cohort.id})),
    Route("GET", "/api/v1/cohorts/{cohort_id}/certificates.{fmt}", STAFF,
          call=lambda w, s: Call(path={"cohort_id": w.certificate_cohort.id, "fmt": "zip"})),
    Route("GET", "/api/v1/verify/{code}", PUBLIC,
          call=lambda w, s: Call(path={"code": w.certificate(s).verification_code})),
    Route("GET", "/.well-known/jwks.json", PUBLIC),
    Route("GET", "/.well-known/jwks/{kid}.json", PUBLIC, call=lambda w, s: Call(path={"kid": _signing_kid()})),
    Route("GET", "/.well-known/did.json", PUBLIC),
    Route("GET", "/api/v1/credentials/status/{number}", PUBLIC, call=lambda w, s: Call(path={"number": 1})),
    # Mail: everyone chooses the language of their own mail and whether to receive optional mail; the outbox is the
    # school's (admins).
    Route("GET", "/api/v1/me/mail-preferences", ANY_ROLE),
    Route("PUT", "/api/v1/me/mail-preferences", ANY_ROLE,
          call=lambda w, s: Call(json={"language": "en", "optional_mail": False})),
    Route("GET", "/api/v1/outbox", ADMIN_ONLY, call=lambda w, s: Call(query={"state": "failed"})),
    Route("GET", "/api/v1/outbox/{message_id}", ADMIN_ONLY,
          call=lambda w, s: Call(path={"message_id": w.failed_message_id})),
    Route("POST", "/api/v1/outbox/{message_id}/resend", ADMIN_ONLY,
          call=lambda w, s: Call(path={"message_id": w.failed_message_id})),
    # Communities: admins create them and manage any; their coordinator (the grid's official) manages them; their
    # members and auditors read them; liaisons have no part in them.
    Route("POST", "/api/v1/communities", ADMIN_ONLY,
          call=lambda w, s: Call(json={"code": f"COM-{next(_fresh)}", "name_he": "גזברים", "name_en": "Treasurers",
                                       "field": "כספים"})),
    Route("GET", "/api/v1/communities", COMMUNITY_READERS),
    Route("GET", "/api/v1/communities/{community_id}", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_community(w, s))),
    Route("PATCH", "/api/v1/communities/{community_id}", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_community(w, s), json={"description": "תיאור חדש"})),
    Route("GET", "/api/v1/communities/{community_id}/members", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_community(w, s))),
    Route("POST", "/api/v1/communities/{community_id}/members", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_community(w, s), json={"official_id": w.spare.id, "circle": "wider"})),
    Route("PATCH", "/api/v1/communities/{community_id}/members/{member_id}", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path={**_community(w, s), "member_id": w.member_id}, json={"role": "leading_team"})),
    Route("POST", "/api/v1/communities/{community_id}/members/{member_id}/leave", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path={**_community(w, s), "member_id": w.member_id}, json={})),
    Route("GET", "/api/v1/communities/{community_id}/authorities", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_network(w, s))),
    Route("POST", "/api/v1/communities/{community_id}/authorities", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_network(w, s), json={"authority_code": OTHER_AUTHORITY})),
    Route("POST", "/api/v1/communities/{community_id}/authorities/{link_id}/leave", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path={**_network(w, s), "link_id": w.network_link_id})),
    Route("GET", "/api/v1/communities/{community_id}/join-requests", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_community(w, s))),
    # An official asks to join a community they are not in.
    Route("POST", "/api/v1/communities/{community_id}/join-requests", frozenset({OFFICIAL}),
          call=lambda w, s: Call(path={"community_id": w.stranger_community_id}, json={"message": "אשמח להצטרף"})),
    Route("POST", "/api/v1/communities/{community_id}/join-requests/{join_request_id}/decision", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path={**_community(w, s), "join_request_id": w.join_request_id},
                                 json={"accept": False, "reason": "not this year"})),
    Route("GET", "/api/v1/communities/{community_id}/meetings", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_community(w, s))),
    Route("POST", "/api/v1/communities/{community_id}/meetings", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_community(w, s),
                                 json={"title": "מפגש", "kind": "online", "date": today().isoformat(),
                                       "link": "https://zoom.example/j/1"})),
    Route("GET", "/api/v1/communities/meetings/{meeting_id}", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_community_meeting(w, s))),
    Route("PATCH", "/api/v1/communities/meetings/{meeting_id}", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_community_meeting(w, s), json={"minutes": "סיכום"})),
    Route("POST", "/api/v1/communities/meetings/{meeting_id}/cancel", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_community_meeting(w, s), json={"reason": "מחלה"})),
    Route("GET", "/api/v1/communities/meetings/{meeting_id}/attendance", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_community_meeting(w, s))),
    Route("PUT", "/api/v1/communities/meetings/{meeting_id}/attendance", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_community_meeting(w, s),
                                 json={"records": [{"official_id": w.theirs.id, "status": "present"}]})),
    # Surveys: admins run them, and a community's coordinator runs its surveys; staff and the coordinator read them.
    Route("POST", "/api/v1/surveys", ADMIN_ONLY, call=_new_survey),
    Route("GET", "/api/v1/surveys", COMMUNITY_READERS),
    Route("GET", "/api/v1/surveys/{survey_id}", COMMUNITY_READERS, call=lambda w, s: Call(path=_survey_id(w, s))),
    Route("POST", "/api/v1/surveys/{survey_id}/invitations", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_survey_id(w, s), json={"official_ids": [w.spare.id]})),
    Route("POST", "/api/v1/surveys/{survey_id}/send", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_survey_id(w, s), json={"circle": "all"})),
    Route("PUT", "/api/v1/communities/{community_id}/after-meeting-survey", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_community(w, s), json={"enabled": True})),
    Route("POST", "/api/v1/surveys/{survey_id}/responses/import", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_survey_id(w, s),
                                 files={"file": ("responses.csv", b"trust1\n4\n5\n", "text/csv")})),
    Route("GET", "/api/v1/surveys/{survey_id}/report", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_survey_id(w, s))),
    Route("GET", "/api/v1/survey-series/{code}/report", COMMUNITY_READERS,
          call=lambda w, s: Call(path={"code": "perm-trust"})),
    Route("GET", "/api/v1/surveys/{survey_id}/network", COMMUNITY_READERS,
          call=lambda w, s: Call(path=_survey_id(w, s))),
    # The graduates network: graduates who joined the directory (the grid's official, `mine`) and staff search it.
    Route("GET", "/api/v1/graduates", COMMUNITY_READERS, call=lambda w, s: Call(query={"q": "דנה"})),
    Route("GET", "/api/v1/graduates/events", COMMUNITY_READERS),
    Route("GET", "/api/v1/me/graduate-profile", ANY_ROLE),
    Route("PUT", "/api/v1/me/graduate-profile", frozenset({OFFICIAL}),
          call=lambda w, s: Call(json={"opted_in": True, "about": "כספים"})),
    # The knowledge centre: anyone searches and reads (each sees what their standing lets them; the grid's item is
    # public); its community's coordinator (the grid's official) and admins file, change and remove.
    Route("GET", "/api/v1/knowledge", PUBLIC, call=lambda w, s: Call(query={"q": "תכנ"})),
    Route("POST", "/api/v1/knowledge", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(json={"kind": "link", "title_he": "קישור", "url": "https://example.org/",
                                       "community_id": w.community_id, "visibility": "wider"})),
    Route("POST", "/api/v1/knowledge/documents", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(data={"title_he": "מסמך", "community_id": str(w.community_id)},
                                 files={"file": ("notes.txt", "שלום".encode(), "text/plain")})),
    Route("GET", "/api/v1/knowledge/{item_id}", PUBLIC, call=lambda w, s: Call(path=_knowledge_item(w, s))),
    Route("PATCH", "/api/v1/knowledge/{item_id}", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_knowledge_item(w, s), json={"title_en": "Plan"})),
    Route("DELETE", "/api/v1/knowledge/{item_id}", COMMUNITY_MANAGERS,
          call=lambda w, s: Call(path=_knowledge_item(w, s))),
    Route("GET", "/api/v1/knowledge/{item_id}/file", PUBLIC, call=lambda w, s: Call(path=_knowledge_item(w, s))),
)
# fmt: on


def expected_status(route: Route, role: str, scope: str) -> str:
    """What the grid promises: "2xx", or the exact error status."""
    if role not in route.who:
        return "401" if role == ANONYMOUS else "403"
    if route.scoped and scope == OTHER and role not in SEES_ALL:
        return "404"
    return "2xx"


def _cases() -> Iterator[Any]:
    for route in GRID:
        for role in ROLES:
            for scope in (OWN, OTHER) if route.scoped else (NONE,):
                suffix = f"-{scope}" if route.scoped else ""
                yield pytest.param(route, role, scope, id=f"{route.label}-{role}{suffix}")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FastAPI, TestClient]]:
    """One app for the module: FastAPI builds its routing on the first request, which costs ~0.1 s per app."""
    app = create_app()
    with TestClient(app) as client:
        yield app, client


@pytest.fixture(scope="module")
def shared(database: str) -> Iterator[Connection]:
    """One connection for the module, its transaction rolled back at the end; the world is made in it once."""
    with get_engine().connect() as conn:
        trans = conn.begin()
        yield conn
        trans.rollback()


@pytest.fixture
def case_db(shared: Connection, world: World) -> Iterator[Session]:
    """A session for one case: whatever the case changes in the world is rolled back after it."""
    savepoint = shared.begin_nested()
    db = Session(bind=shared, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield db
    db.close()
    if savepoint.is_active:
        savepoint.rollback()


@pytest.fixture
def api(served: tuple[FastAPI, TestClient], case_db: Session) -> Iterator[TestClient]:
    """The module's client, its requests bound to this case's savepoint (as conftest's client to its test)."""
    app, client = served

    async def _session() -> AsyncIterator[Session]:
        async with request_unit_of_work(case_db):
            yield case_db

    app.dependency_overrides[get_db] = _session
    yield client
    app.dependency_overrides.clear()


@pytest.fixture(scope="module")
def world(shared: Connection) -> World:
    """The records of the grid, made once through the services as an operator would."""
    db = Session(bind=shared, join_transaction_mode="create_savepoint", expire_on_commit=False)
    n = next(_fresh)
    programme = create_programme(
        db,
        data=ProgrammeCreate(
            code=f"PERM-{n}",
            kind="mandatory",  # the treasurer owes it: the appointments below make requirements
            title_he="הכשרת גזברים",
            title_en="Treasurers' entry training",
            hours=30,
            role_codes=["treasurer"],
            assessments=[AssessmentIn(code="FINAL", title_he="עבודת גמר", title_en="Final project")],
        ),
        actor=ACTOR,
    )
    mine, theirs, spare = make_official(db), make_official(db), make_official(db)
    mine_appointment = make_appointment(db, mine, authority=LIAISON_AUTHORITY, role="treasurer")
    theirs_appointment = make_appointment(db, theirs, authority=OTHER_AUTHORITY, role="treasurer")
    make_programme(db, roles=["city_engineer"])
    engineers = {
        OWN: make_appointment(db, mine, authority=LIAISON_AUTHORITY, role="city_engineer"),
        OTHER: make_appointment(db, theirs, authority=OTHER_AUTHORITY, role="city_engineer"),
    }

    def requirement_of(appointment: Appointment) -> Requirement:
        return db.scalars(select(Requirement).where(Requirement.appointment_id == appointment.id)).one()

    open_requirements = {OWN: requirement_of(mine_appointment), OTHER: requirement_of(theirs_appointment)}
    pending_requests = {
        scope: request_exemption(
            db, requirement_id=requirement_of(a).id, reason_code="other", reason="moved abroad", actor=ACTOR
        )
        for scope, a in engineers.items()
    }

    def cohort(code: str) -> Cohort:
        data = CohortCreate(
            programme_code=programme.code, code=code, start_date="2025-01-01", end_date="2025-03-31", capacity=10
        )
        return create_cohort(db, data=data, actor=ACTOR)

    first, second = cohort(f"PERM-{n}-A"), cohort(f"PERM-{n}-B")
    meeting = add_session(db, cohort_id=first.id, data=SessionCreate(date="2025-01-15", hours=3), actor=ACTOR)
    mine_enrolment = enrol_official(db, cohort_id=first.id, official_id=mine.id, actor=ACTOR)
    theirs_enrolment = enrol_official(db, cohort_id=first.id, official_id=theirs.id, actor=ACTOR)
    present = [AttendanceIn(official_id=o.id, status="present") for o in (mine, theirs)]
    record_attendance(db, session_id=meeting.id, records=present, actor=ACTOR)
    advanced = make_programme(db, kind="advanced")
    graduated = create_cohort(
        db,
        data=CohortCreate(
            programme_code=advanced.code, code=f"PERM-{n}-C", start_date="2025-01-01", end_date="2025-03-31", capacity=5
        ),
        actor=ACTOR,
    )
    lecture = add_session(db, cohort_id=graduated.id, data=SessionCreate(date="2025-02-01", hours=4), actor=ACTOR)
    certificate_enrolments = {
        OWN: enrol_official(db, cohort_id=graduated.id, official_id=mine.id, actor=ACTOR),
        OTHER: enrol_official(db, cohort_id=graduated.id, official_id=theirs.id, actor=ACTOR),
    }
    record_attendance(db, session_id=lecture.id, records=present, actor=ACTOR)
    close_cohort(db, cohort_id=graduated.id, actor=ACTOR)
    opening = create_cohort(
        db,
        data=CohortCreate(
            programme_code=make_programme(db, kind="advanced").code,
            code=f"PERM-{n}-D",
            start_date="2025-06-01",
            end_date="2025-07-31",
            capacity=5,
        ),
        actor=ACTOR,
    )
    certificates = {
        scope: db.get(Certificate, issue_certificate(db, enrolment_id=e.id, actor=ACTOR)[0].id)
        for scope, e in certificate_enrolments.items()
    }
    users = {
        ADMIN: make_user(db, ADMIN),
        AUDITOR: make_user(db, AUDITOR),
        LIAISON: make_user(db, LIAISON, authority=LIAISON_AUTHORITY),
        OFFICIAL: make_user(db, OFFICIAL, official=mine),
    }
    reset = reset_password(db, user_id=users[OFFICIAL].id, method="link", actor=ACTOR)
    assert reset.reset_token is not None
    for user in users.values():
        user.totp_pending_secret = encrypt_secret(TEST_TOTP_SECRET)
    failed = make_message(db, key=f"perm:{n}", state="failed", official_id=mine.id)
    communities = _communities(db, mine=mine, theirs=theirs, spare=spare, n=n)
    mine_as_graduate = Principal(user_id=users[OFFICIAL].id, label="mine", role=OFFICIAL, official_id=mine.id)
    save_profile(db, data=GraduateProfileUpdate(opted_in=True), actor=mine_as_graduate)
    document = file_document(
        db,
        data=DocumentCreate(title_he="תוכנית עבודה", community_id=communities["community_id"]),
        content=b"%PDF-1.4\n%%EOF\n",
        filename="plan.pdf",
        actor=ACTOR,
    )
    body = {**_new_survey_body("perm-trust"), "community_id": communities["community_id"]}
    survey = create_survey(db, data=SurveyCreate.model_validate(body), actor=ACTOR)
    db.flush()
    db.commit()  # releases the savepoint only: the module's transaction keeps the world until the end
    db.close()
    return World(
        **communities,
        failed_message_id=failed.id,
        survey_id=survey.id,
        knowledge_item_id=document.id,
        advanced_code=advanced.code,
        reset_token=reset.reset_token,
        users=users,
        mine=mine,
        theirs=theirs,
        spare=spare,
        mine_appointment=mine_appointment,
        theirs_appointment=theirs_appointment,
        programme=programme,
        cohort=first,
        other_cohort=second,
        open_cohort=opening,
        meeting=meeting,
        mine_enrolment=mine_enrolment,
        theirs_enrolment=theirs_enrolment,
        open_requirements=open_requirements,
        pending_requests=pending_requests,
        certificate_cohort=graduated,
        certificate_enrolments=certificate_enrolments,
        certificates=certificates,
    )


def _communities(db: Session, *, mine: Official, theirs: Official, spare: Official, n: int) -> dict[str, int]:
    """The world's communities: `mine` coordinates one (with `theirs` a member, a meeting, and `spare`'s request to
    join waiting) and a network (the liaison's authority in it); a third has neither of them."""

    def create(code: str, kind: str = "community") -> int:
        data = CommunityCreate(code=code, name_he="קהילה", name_en="Community", field="כספים", kind=kind)
        return communities.create_community(db, data=data, actor=ACTOR).id

    community, stranger, network = create(f"PERM-{n}-COM"), create(f"PERM-{n}-FAR"), create(f"PERM-{n}-NET", "network")
    for official, role in ((mine, "coordinator"), (theirs, "member")):
        communities.add_member(
            db, community_id=community, data=MemberCreate(official_id=official.id, role=role), actor=ACTOR
        )
    link = communities.add_authority(
        db, community_id=network, data=AuthorityLinkCreate(authority_code=LIAISON_AUTHORITY), actor=ACTOR
    )
    communities.add_member(
        db,
        community_id=network,
        data=MemberCreate(official_id=mine.id, role="coordinator"),
        actor=ACTOR,
    )
    member = communities.current_membership(db, community_id=community, official_id=theirs.id)
    assert member is not None
    asker = Principal(user_id=None, label="spare", role=OFFICIAL, official_id=spare.id)
    request = communities.request_to_join(db, community_id=community, message=None, actor=asker)
    meeting = communities.schedule_meeting(
        db, community_id=community, data=MeetingCreate(title="מפגש", kind="in_person", date=today()), actor=ACTOR
    )
    return {
        "community_id": community,
        "stranger_community_id": stranger,
        "network_id": network,
        "network_link_id": link.id,
        "member_id": member.id,
        "join_request_id": request.id,
        "community_meeting_id": meeting.id,
    }


def _send(client: TestClient, w: World, route: Route, role: str, call: Call) -> Any:
    auth = headers(w.users[role]) if role != ANONYMOUS else {}
    return client.request(
        route.method,
        route.path.format(**call.path),
        headers=auth,
        json=call.json,
        data=call.data,
        params=call.query,
        files=call.files,
    )


@pytest.mark.parametrize(("route", "role", "scope"), list(_cases()))
def test_grid(api: TestClient, world: World, route: Route, role: str, scope: str) -> None:
    """Every role against every route, on its own record and on another's."""
    call = route.call(world, scope)
    response = _send(api, world, route, role, call)
    want = expected_status(route, role, scope)
    got = response.status_code
    context = f"{route.label} as {role} ({scope}): {got} {response.text[:300]}"
    if want == "2xx":
        assert 200 <= got < 300, context
        return
    assert got == int(want), f"expected {want}; {context}"
    body = response.json()
    assert set(body) >= {"error", "detail"}, context
    refusal = route.refused_as.get(role, "forbidden")
    assert body["error"] == {"401": "not_authenticated", "403": refusal, "404": "not_found"}[want], context
    if want == "404":
        # Outside one's scope looks exactly like a record that does not exist: nothing leaks.
        missing = {k: MISSING.get(k, 987_654_321) if k in SCOPED_IDS else v for k, v in call.path.items()}
        gone = _send(api, world, route, role, Call(path=missing, json=call.json, query=call.query))
        assert gone.status_code == 404, gone.text
        assert _without_ids(gone.json(), missing) == _without_ids(body, call.path), context


def _without_ids(body: dict[str, Any], path: dict[str, Any]) -> dict[str, Any]:
    detail = str(body.get("detail", ""))
    for key, value in path.items():
        if key not in SCOPED_IDS:
            continue
        detail = re.sub(rf"\b{re.escape(str(value))}\b", "{id}", detail)
    return {**body, "detail": detail}


def _served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, including those of included routers."""
    try:  # FastAPI >= 0.16x keeps included routers lazily; this walks them as the OpenAPI generator does
        from fastapi.routing import iter_route_contexts

        contexts: Any = iter_route_contexts(app.routes)
    except ImportError:  # older FastAPI: app.routes is already flat
        contexts = app.routes
    out = set()
    for route in contexts:
        # The path as the OpenAPI document writes it (a convertor such as `{item_id:int}` left out).
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        if path is None or not methods:
            continue
        out.update((m, path) for m in methods if m != "HEAD")
    return out


def _must_be_in_grid(method: str, path: str) -> bool:
    return path.startswith(("/api/v1/", "/.well-known/")) or path == "/healthz"


def test_every_route_is_in_the_grid() -> None:
    """A route under /api/v1 that the table does not list fails here: add it to GRID with who may call it."""
    served = {r for r in _served_routes(create_app()) if _must_be_in_grid(*r)}
    listed = {(r.method, r.path) for r in GRID}
    missing = sorted(served - listed)
    assert not missing, "routes missing from the permission grid: " + ", ".join(f"{m} {p}" for m, p in missing)


def test_the_grid_lists_only_served_routes_once() -> None:
    """No stale rows (a route renamed or removed) and no duplicates."""
    served = _served_routes(create_app())
    labels = [(r.method, r.path) for r in GRID]
    assert len(labels) == len(set(labels)), "a route is listed twice"
    stale = sorted(set(labels) - served)
    assert not stale, "the grid lists routes the app does not serve: " + ", ".join(f"{m} {p}" for m, p in stale)


def test_the_auditor_reads_all_and_writes_nothing_but_decisions() -> None:
    """The Ministry's auditor may read every route that needs a login, and write only decisions."""
    # The one exception: the list of logins is the school's account administration, not a record of the domain
    # (the audit trail, which the auditor reads, names every user who changed anything).
    # Nor is the outbox, the school's own correspondence with each person (the messages' bodies and addresses).
    not_for_the_auditor = {("GET", "/api/v1/users"), ("GET", "/api/v1/outbox"), ("GET", "/api/v1/outbox/{message_id}")}
    # Nor is the change of one's own password, of one's own mail choices, or of one's own place in the graduates
    # directory, a write of the domain: every user (every graduate) changes theirs.
    own_account = {
        ("POST", "/api/v1/auth/password"),
        ("PUT", "/api/v1/me/mail-preferences"),
        ("PUT", "/api/v1/me/graduate-profile"),
    }
    for route in GRID:
        if route.who == PUBLIC or (route.method, route.path) in not_for_the_auditor | own_account:
            continue
        if route.path.startswith("/api/v1/auth/"):  # the caller's own second factor, no record of the domain
            continue
        if route.method == "GET":
            assert AUDITOR in route.who, f"the auditor cannot read {route.label}"
        else:
            assert (AUDITOR in route.who) == route.path.startswith("/api/v1/decisions/"), route.label


def test_public_routes_are_the_unsecured_ones() -> None:
    """The grid's public rows are exactly the operations the OpenAPI document lists without security."""
    doc = create_app().openapi()
    for route in GRID:
        operation = doc["paths"].get(route.path, {}).get(route.method.lower())
        if operation is None:  # not in the document (e.g. /healthz is, the HTML pages are not)
            continue
        assert (route.who == PUBLIC) == (not operation.get("security")), route.label


def test_scoped_routes_name_a_record() -> None:
    """A row marked scoped names an id in its path (and an unscoped one never names an official's record)."""
    for route in GRID:
        names = set(re.findall(r"{(\w+)}", route.path))
        assert route.scoped == (bool(names & SCOPED_IDS) or route.path in QUERY_SCOPED), route.label


SEES = {ADMIN: {OWN, OTHER}, AUDITOR: {OWN, OTHER}, LIAISON: {OWN}, OFFICIAL: {OWN}}


def _officials(w: World) -> dict[int, str]:
    return {w.mine.id: OWN, w.theirs.id: OTHER}


# name: (url, the item's key, which keys are whose, whether the filters ask only for the other's records)
LISTS: dict[str, tuple[Callable[[World], str], str, Callable[[World], dict[int, str]], bool]] = {
    "officials": (lambda w: "/api/v1/officials?limit=500", "id", _officials, False),
    "officials of another authority": (
        lambda w: f"/api/v1/officials?authority={OTHER_AUTHORITY}&limit=500",
        "id",
        _officials,
        True,
    ),
    "officials by the other's ID": (lambda w: f"/api/v1/officials?q={w.theirs.national_id}", "id", _officials, True),
    "cohort enrolments": (lambda w: f"/api/v1/cohorts/{w.cohort.id}/enrolments", "official_id", _officials, False),
    "session attendance": (lambda w: f"/api/v1/sessions/{w.meeting.id}/attendance", "official_id", _officials, False),
    "compliance requirements": (
        lambda w: "/api/v1/compliance/requirements?limit=500",
        "official_id",
        _officials,
        False,
    ),
    "certificates": (lambda w: "/api/v1/certificates?limit=500", "official_id", _officials, False),
    "certificates of the other official": (
        lambda w: f"/api/v1/certificates?official_id={w.theirs.id}",
        "official_id",
        _officials,
        True,
    ),
    "requests": (
        lambda w: "/api/v1/requests?limit=500",
        "id",
        lambda w: {r.id: scope for scope, r in w.pending_requests.items()},
        False,
    ),
}


@pytest.mark.parametrize("role", sorted(SEES))
@pytest.mark.parametrize("name", list(LISTS))
def test_lists_are_scoped(api: TestClient, world: World, role: str, name: str) -> None:
    """A list answers only the records in the caller's scope, whatever its filters ask for."""
    url, key, whose, only_other = LISTS[name]
    r = api.get(url(world), headers=headers(world.users[role]))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    owners = whose(world)
    seen = {owners[i[key]] for i in items if i[key] in owners}
    wanted = SEES[role] & {OTHER} if only_other else SEES[role]
    assert seen == wanted, (name, role, items)
    assert r.json()["total"] >= len(items)
    if name == "officials by the other's ID":  # the count does not leak what the list hides
        assert r.json()["total"] == len(seen)
