"""The Israeli ID number and names."""

from __future__ import annotations

import pytest

from app.officials.rules import check_digit, normalise_name, normalise_national_id


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("000000018", "000000018"),
        ("18", "000000018"),
        ("  18 ", "000000018"),
        ("\u200f000000018\u200e", "000000018"),
        ("12345678-2", "123456782"),
        ("123456782", "123456782"),
    ],
)
def test_valid_ids_are_stored_as_nine_digits(raw: str, stored: str) -> None:
    assert normalise_national_id(raw) == stored


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("123456789", "check digit"),
        ("000000000", "all zeros"),
        ("0", "all zeros"),
        ("12345678a", "digits only"),
        ("1234567890", "more than 9"),
        ("", "empty"),
        ("١٢٣", "digits only"),
    ],
)
def test_invalid_ids_are_refused_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalise_national_id(raw)


@pytest.mark.parametrize(
    ("eight", "digit"), [("00000001", "8"), ("12345678", "2"), ("00000000", "0"), ("99999999", "8")]
)
def test_check_digit(eight: str, digit: str) -> None:
    assert check_digit(eight) == digit


@pytest.mark.parametrize("eight", ["1234567", "123456789", "1234567a", "١٢٣٤٥٦٧٨"])
def test_check_digit_needs_eight_digits(eight: str) -> None:
    with pytest.raises(ValueError, match="eight digits"):
        check_digit(eight)


@pytest.mark.parametrize("eight", ["00000001", "12345678", "03933742", "31415926", "27182818"])
def test_only_the_check_digit_makes_a_valid_id(eight: str) -> None:
    valid = [d for d in "0123456789" if _accepted(eight + d)]
    assert valid == [check_digit(eight)]


def _accepted(national_id: str) -> bool:
    try:
        return normalise_national_id(national_id) == national_id
    except ValueError:
        return False


def test_name_controls_are_stripped_and_nfc() -> None:
    # Shin with its dot and a qamats, typed in either order: NFC puts the marks in one order.
    one_order = "\u05e9\u05c1\u05b8\u05dc\u05d5\u05dd"
    reordered = "\u05e9\u05b8\u05c1\u05dc\u05d5\u05dd"
    assert normalise_name(reordered, hebrew=True) == normalise_name(one_order, hebrew=True)
    assert normalise_name("\u202bדנה\u202c\u200b", hebrew=True) == "דנה"


def test_hebrew_name_needs_hebrew_letters() -> None:
    with pytest.raises(ValueError, match="Hebrew"):
        normalise_name("Dana", hebrew=True)
    assert normalise_name("ג'מאל", hebrew=True) == "ג'מאל"
    with pytest.raises(ValueError, match="letters"):
        normalise_name("דנה<script>", hebrew=True)
