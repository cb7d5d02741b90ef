"""Rules of the graduates network: who may search the directory, what a profile must hold to show a contact
detail, how a phone number is written, and whose membership of the graduates community follows the directory."""

from __future__ import annotations

from enum import StrEnum

import phonenumbers

from app.communities.rules import CommunityRole


class Standing(StrEnum):
    """Where a caller stands towards the graduates directory."""

    STAFF = "staff"  # admins and auditors: search it, never in it
    MEMBER = "member"  # a graduate who joined it: searches it and is found in it
    NOT_JOINED = "not_joined"  # a graduate who has not joined it (or left it): may join
    NOT_GRADUATE = "not_graduate"  # an official with no completed programme
    NO_PART = "no_part"  # liaisons: the directory is not theirs


# The roles of users as app.auth names them (rules import no web, nor the session).
_ADMIN, _AUDITOR, _OFFICIAL = "admin", "auditor", "official"


def standing_of(user_role: str, *, is_graduate: bool, opted_in: bool) -> Standing:
    """Where the caller stands. A graduate is an official with a completion of any programme (the completions'
    record, rule 2's one source); the directory is of those who share: only graduates who joined it, and the
    school's staff (admins, auditors), search it, and nobody appears in it without joining."""
    if user_role in (_ADMIN, _AUDITOR):
        return Standing.STAFF
    if user_role != _OFFICIAL:
        return Standing.NO_PART
    if not is_graduate:
        return Standing.NOT_GRADUATE
    return Standing.MEMBER if opted_in else Standing.NOT_JOINED


def may_search(standing: Standing) -> bool:
    """Whether the caller may search the directory and see the graduates' events."""
    return standing in (Standing.STAFF, Standing.MEMBER)


def refusal_of(standing: Standing) -> tuple[str, str]:
    """(machine code, why) the directory is refused to the caller."""
    if standing == Standing.NOT_JOINED:
        return "join_required", "the graduates directory is searched by the graduates who joined it: join it first"
    if standing == Standing.NOT_GRADUATE:
        return "not_a_graduate", "the graduates directory is for officials who completed a programme of the school"
    return "forbidden", "the graduates directory is for graduates and the school's staff"


def contact_problem(
    *, show_email: bool, email: str | None, email_on_record: str | None, show_phone: bool, phone: str | None
) -> tuple[str, str] | None:
    """(field, why) a profile cannot show what it asks to show, or None: an email shown is the one entered or the one
    on the official's record; a phone shown is entered."""
    if show_email and not (email or email_on_record):
        return "email", "to show an email address, enter one (there is none on your record)"
    if show_phone and not phone:
        return "phone", "to show a phone number, enter one"
    return None


def normalise_phone(raw: str) -> str:
    """A phone number as people type it (Israeli by default: 050-7654321, 03 123 4567, +972 50 123 4567) in its one
    stored form, E.164 (+972501234567); ValueError when it is no valid number."""
    try:
        number = phonenumbers.parse(raw, "IL")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_for_display(e164: str) -> str:
    """A stored number as people read it: Israeli numbers in the national form (050-123-4567), others international."""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 972:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def leaves_with_the_directory(community_role: str) -> bool:
    """Whether leaving the directory ends a graduate's membership of the graduates community: a plain member's
    (they joined with the directory), never a coordinator's or a leading team's (they run the network)."""
    return community_role == CommunityRole.MEMBER
