"""The rules of the graduates network, as tables: who may search the directory, what a shown contact needs, phone
numbers, and whose membership of the graduates community leaves with the directory."""

from __future__ import annotations

import pytest

from app.graduates.rules import (
    Standing,
    contact_problem,
    leaves_with_the_directory,
    may_search,
    normalise_phone,
    phone_for_display,
    refusal_of,
    standing_of,
)


@pytest.mark.parametrize(
    ("role", "graduate", "opted_in", "standing", "searches"),
    [
        ("admin", False, False, Standing.STAFF, True),
        ("auditor", False, False, Standing.STAFF, True),
        ("liaison", False, False, Standing.NO_PART, False),
        ("official", False, False, Standing.NOT_GRADUATE, False),
        ("official", True, False, Standing.NOT_JOINED, False),
        ("official", True, True, Standing.MEMBER, True),
    ],
)
def test_who_searches_the_directory(
    role: str, graduate: bool, opted_in: bool, standing: Standing, searches: bool
) -> None:
    got = standing_of(role, is_graduate=graduate, opted_in=opted_in)
    assert got == standing
    assert may_search(got) is searches


def test_each_refusal_says_why() -> None:
    assert refusal_of(Standing.NOT_JOINED)[0] == "join_required"
    assert refusal_of(Standing.NOT_GRADUATE)[0] == "not_a_graduate"
    assert refusal_of(Standing.NO_PART)[0] == "forbidden"


@pytest.mark.parametrize(
    ("show_email", "email", "on_record", "show_phone", "phone", "problem"),
    [
        (False, None, None, False, None, None),
        (True, None, "a@b.example", False, None, None),  # the address on record is shown
        (True, "c@d.example", None, False, None, None),
        (True, None, None, False, None, "email"),
        (False, None, None, True, None, "phone"),
        (False, None, None, True, "+972507654321", None),
    ],
)
def test_a_shown_contact_detail_must_exist(
    show_email: bool, email: str | None, on_record: str | None, show_phone: bool, phone: str | None, problem: str | None
) -> None:
    found = contact_problem(
        show_email=show_email, email=email, email_on_record=on_record, show_phone=show_phone, phone=phone
    )
    assert (found[0] if found else None) == problem


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("050-7654321", "+972507654321", "050-765-4321"),
        ("050 765 4321", "+972507654321", "050-765-4321"),
        ("+972 50-765-4321", "+972507654321", "050-765-4321"),
        ("03-5551234", "+97235551234", "03-555-1234"),
        ("+44 20 7946 0958", "+442079460958", "+44 20 7946 0958"),
    ],
)
def test_phone_numbers_are_stored_in_one_form(typed: str, stored: str, shown: str) -> None:
    assert normalise_phone(typed) == stored
    assert phone_for_display(stored) == shown


@pytest.mark.parametrize("typed", ["", "12", "not a number", "050-12"])
def test_what_is_no_phone_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(typed)


def test_only_plain_members_leave_the_community_with_the_directory() -> None:
    assert leaves_with_the_directory("member")
    assert not leaves_with_the_directory("coordinator")
    assert not leaves_with_the_directory("leading_team")
