"""Every mapped class, imported so that the metadata (and Alembic) sees all tables."""

from app.accounts.models import LoginAttempt, LoginThrottle, User
from app.attendance.models import AssessmentResult, AttendanceRecord
from app.audit.models import AccessRecord, AuditEvent
from app.authorities.models import Authority
from app.certificates.models import Certificate, SerialCounter
from app.cohorts.models import Cohort, CohortAssessment, CohortSession, Enrolment
from app.communities.models import (
    Community,
    CommunityAttendance,
    CommunityAuthority,
    CommunityJoinRequest,
    CommunityMeeting,
    CommunityMember,
)
from app.completions.models import Completion
from app.compliance.models import RequirementRequest
from app.data_version import DataVersion
from app.graduates.models import GraduateProfile
from app.imports.models import ImportRun
from app.knowledge.models import KnowledgeFile, KnowledgeItem
from app.notifications.models import MailPreference, OutboxAttempt, OutboxMessage
from app.officials.models import Appointment, Official, Requirement
from app.programmes.models import Programme, ProgrammeAssessment, ProgrammeModule, ProgrammeRole
from app.roles.models import Role
from app.surveys.models import (
    AfterMeetingSurvey,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyItem,
    SurveyOption,
    SurveyResponse,
    SurveySeries,
)
from app.web.models import WebSession

__all__ = [
    "AccessRecord",
    "AfterMeetingSurvey",
    "Appointment",
    "AssessmentResult",
    "AttendanceRecord",
    "AuditEvent",
    "Authority",
    "Certificate",
    "Cohort",
    "CohortAssessment",
    "CohortSession",
    "Community",
    "CommunityAttendance",
    "CommunityAuthority",
    "CommunityJoinRequest",
    "CommunityMeeting",
    "CommunityMember",
    "Completion",
    "DataVersion",
    "Enrolment",
    "GraduateProfile",
    "ImportRun",
    "KnowledgeFile",
    "KnowledgeItem",
    "LoginAttempt",
    "LoginThrottle",
    "MailPreference",
    "Official",
    "OutboxAttempt",
    "OutboxMessage",
    "Programme",
    "ProgrammeAssessment",
    "ProgrammeModule",
    "ProgrammeRole",
    "Requirement",
    "RequirementRequest",
    "Role",
    "SerialCounter",
    "Survey",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyItem",
    "SurveyOption",
    "SurveyResponse",
    "SurveySeries",
    "User",
    "WebSession",
]
