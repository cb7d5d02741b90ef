"""The official's home, as the page and the API give it."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from app.attendance.schemas import ProgressRead
from app.certificates.schemas import CertificateRead
from app.cohorts.schemas import CohortRead, EnrolmentRead, SessionRead
from app.compliance.schemas import RequestRead, RequirementRow
from app.home.rules import Step


class Names(BaseModel):
    """A name in both languages."""

    he: str
    en: str


class NextStepRead(BaseModel):
    """What to do next about a requirement (see app/home/rules.py)."""

    step: Step
    on: dt.date | None = None
    cohort_id: int | None = None
    cohort_code: str | None = None
    position: int | None = None


class HomeRequirement(BaseModel):
    """A requirement with its names, the days left, what to do next and its requests."""

    requirement: RequirementRow
    programme: Names
    role: Names
    authority: Names
    days_left: int
    next: NextStepRead
    can_ask: bool  # not settled and no request pending: an extension or an exemption may be asked for
    pending: RequestRead | None
    decided: list[RequestRead]  # newest first


class HomeCohort(BaseModel):
    """A cohort the official is or was in, with its sessions and the official's progress."""

    enrolment: EnrolmentRead
    cohort: CohortRead
    programme: Names
    sessions: list[SessionRead]
    next_session: SessionRead | None
    progress: ProgressRead


class Home(BaseModel):
    """Everything on the official's home page, as of a date."""

    official_id: int
    name: Names
    as_of: dt.date
    requirements: list[HomeRequirement]
    cohorts: list[HomeCohort]
    certificates: list[CertificateRead]
