"""Every mapped class, imported so that the metadata (and Alembic) sees all tables."""

from app.accounts.models import LoginAttempt, User
from app.audit.models import AuditEvent
from app.authorities.models import Authority
from app.compliance.models import Completion, Requirement
from app.officials.models import Appointment, Official
from app.programmes.models import Programme, ProgrammeRole
from app.roles.models import Role

__all__ = [
    "Appointment",
    "AuditEvent",
    "Authority",
    "Completion",
    "LoginAttempt",
    "Official",
    "Programme",
    "ProgrammeRole",
    "Requirement",
    "Role",
    "User",
]
