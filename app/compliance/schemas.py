"""Requirements and completions in and out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.compliance.rules import ReasonCode, RequestKind, RequestState, RequirementStatus
from app.schemas import FactDate, PlanDate


class RequirementRead(BaseModel):
    """A requirement and its standing as of the report's date."""

    id: int
    appointment_id: int
    role_code: str
    authority_code: str
    programme_code: str
    due_date: date = Field(description="The effective due date as of the report's date (extensions applied).")
    status: RequirementStatus
    due_soon: bool
    late: bool
    completed_on: date | None = None


class RequirementRow(RequirementRead):
    """A requirement as the reads give it: the public record, with whose it is and the appointment's dates."""

    official_id: int
    appointment_start: date
    appointment_end: date | None


class ExtensionRequestCreate(BaseModel):
    """A request to move the due date later, with the reason."""

    model_config = ConfigDict(extra="forbid")

    requested_due_date: PlanDate
    reason: str = Field(min_length=3, max_length=4000)


class ExemptionRequestCreate(BaseModel):
    """A request to lift the requirement: a reason code from the fixed list, and text."""

    model_config = ConfigDict(extra="forbid")

    reason_code: ReasonCode
    reason: str = Field(min_length=3, max_length=4000)


class DecisionCreate(BaseModel):
    """An auditor's decision; `decided_on` (default today, never future) is when it takes effect."""

    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str = Field(min_length=1, max_length=4000)
    decided_on: FactDate | None = None


class RequestRead(BaseModel):
    """An extension or exemption request and, once decided, its decision."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    requirement_id: int
    kind: RequestKind
    state: RequestState
    requested_due_date: date | None
    reason_code: ReasonCode | None
    reason: str
    requested_by_user_id: int | None
    requested_by_label: str
    requested_at: datetime
    decided_on: date | None
    decided_at: datetime | None
    decided_by_user_id: int | None
    decision_note: str | None


class SummaryCounts(BaseModel):
    """Counts by status of one group as of a date, or their change between two dates."""

    required: int = Field(description="Requirements in force (closed ones left out).")
    completed: int
    completed_on_time: int
    completed_late: int
    in_progress: int
    not_started: int
    overdue: int
    exempt: int
    closed: int
    due_soon: int
    compliance_rate: float | None = Field(description="Share of requirements in force that are not overdue.")


class SummaryRow(SummaryCounts):
    """Counts of one group (an authority, district, role, programme, or a combination) as of a date."""

    key: str = Field(description="CBS code, district name in English, role code or programme code; '|'-joined.")
    name: str
    keys: dict[str, str]


class SummaryComparisonRow(BaseModel):
    """One group's counts on two dates and the change between them (later minus earlier)."""

    key: str = Field(description="As in the summary.")
    name: str
    keys: dict[str, str]
    since: SummaryCounts
    until: SummaryCounts
    change: SummaryCounts = Field(description="`until` minus `since`; the rate's change is none if either is none.")


class DrillDownRow(BaseModel):
    """A requirement behind a number, with its official, cohort and decisions."""

    id: int
    official_id: int
    official_name_he: str
    national_id: str
    authority_code: str
    authority_name_he: str
    district: str
    role_code: str
    programme_code: str
    appointment_start: date
    appointment_end: date | None
    due_date: date
    status: RequirementStatus
    due_soon: bool
    late: bool
    completed_on: date | None
    cohort_code: str | None
    cohort_end: date | None
    extensions: int = Field(description="Approved extensions in force on the date.")
    exemptions: int
    pending_requests: int


class AtRiskRow(DrillDownRow):
    """A requirement at risk, and why."""

    risk: Literal["not_enrolled", "cohort_ends_after_due"]


class ChangeRow(BaseModel):
    """A requirement whose status differs between two dates."""

    id: int
    official_id: int
    authority_code: str
    role_code: str
    programme_code: str
    status_before: RequirementStatus | Literal["none"]
    status_after: RequirementStatus
    due_before: date | None
    due_after: date


class SeatDemandRow(BaseModel):
    """Demand for seats of one mandatory programme against the seats of scheduled cohorts."""

    programme_code: str
    programme_title_he: str
    scheduled_cohorts: int
    overdue_without_completion: int
    due_within_6_months: int
    free_seats_within_6_months: int
    shortfall_within_6_months: int
    due_within_12_months: int
    free_seats_within_12_months: int
    shortfall_within_12_months: int


class RequestRow(RequestRead):
    """A request with whom and what it is about: the official, the appointment's authority and role, the programme,
    and the requirement's own (unextended) due date."""

    official_id: int
    official_name_he: str
    official_name_en: str | None
    national_id: str
    authority_code: str
    authority_name_he: str
    authority_name_en: str
    district: str
    district_he: str
    role_code: str
    role_name_he: str
    role_name_en: str
    programme_code: str
    programme_title_he: str
    programme_title_en: str
    base_due_date: date
    appointment_start: date
    appointment_end: date | None


HistoryKind = Literal[
    "appointment_started",
    "requirement",
    "enrolled",
    "waitlisted",
    "withdrawn",
    "cohort_completed",
    "cohort_not_completed",
    "completion",
    "request_filed",
    "request_decided",
    "appointment_ended",
]


class HistoryEvent(BaseModel):
    """One thing that happened on an official's record, on its day: an appointment starting or ending, a requirement
    (with its due date), an enrolment's steps, a completion, a request filed or decided."""

    on: date
    kind: HistoryKind
    authority_code: str | None = None
    authority_name_he: str | None = None
    authority_name_en: str | None = None
    role_code: str | None = None
    role_name_he: str | None = None
    role_name_en: str | None = None
    programme_code: str | None = None
    programme_title_he: str | None = None
    programme_title_en: str | None = None
    requirement_id: int | None = None
    due_date: date | None = None
    cohort_code: str | None = None
    completion_source: str | None = None
    request_id: int | None = None
    request_kind: RequestKind | None = None
    request_state: RequestState | None = None
    requested_due_date: date | None = None
    reason_code: ReasonCode | None = None
    note: str | None = None
