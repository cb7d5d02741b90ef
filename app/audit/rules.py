"""The vocabulary of the audit trail and of the access log."""

from __future__ import annotations

from enum import StrEnum


class AccessKind(StrEnum):
    """What personal data a read or an export reached."""

    OFFICIAL_RECORD = "official_record"  # one official's data on screen: record, requirements, enrolments, ...
    NATIONAL_ID_SEARCH = "national_id_search"  # a search of officials by national ID
    TRANSCRIPT = "transcript"  # an official's transcript, on screen
    CREDENTIAL = "credential"  # a certificate's signed credential
    CERTIFICATE_PDF = "certificate_pdf"  # a certificate as a PDF
    LIST = "list"  # a list on screen naming many officials: the registry, a cohort's roster, requirement rows
    EXPORT = "export"  # a file of records (transcript, attendance, compliance rows, a cohort's certificates)
