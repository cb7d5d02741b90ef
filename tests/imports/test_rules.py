"""Table tests of the pure rules of imports: the columns of an officials file and the reference codes it names.

Reading the file (encodings, separators, XLSX, cells, dates) is tested in tests/test_sheets.py."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.imports import rules
from app.imports.rules import KnownAuthority
from app.sheets import CellError
from app.text import search_key


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("national_id", "national_id"),
        ("National ID", "national_id"),
        ('ת"ז', "national_id"),
        ("ת״ז", "national_id"),
        ("מספר זהות", "national_id"),
        ("שם פרטי", "first_name_he"),
        ("First name (EN)", "first_name_en"),
        ('דוא"ל', "email"),
        ("E-mail", "email"),
        ("סמל רשות", "authority_code"),
        ("שם רשות", "authority_name"),
        ("תפקיד", "role_code"),
        ("תאריך התחלה", "start_date"),
        ("\u200fתאריך סיום", "end_date"),
    ],
)
def test_header_aliases(header: str, field: str) -> None:
    assert rules.canonical_columns([header, "national_id" if field != "national_id" else ""])[0] == field


def test_unknown_and_repeated_columns_are_refused() -> None:
    with pytest.raises(Invalid, match="emial"):
        rules.canonical_columns(["national_id", "emial"])
    with pytest.raises(Invalid, match="two columns"):
        rules.canonical_columns(["national_id", 'ת"ז'])
    with pytest.raises(Invalid, match="national_id"):
        rules.canonical_columns(["first_name_he"])


def _authority(code: str, he: str, en: str) -> KnownAuthority:
    return KnownAuthority(code, he, frozenset({search_key(he), search_key(en)}))


AUTHORITIES = {
    a.code: a
    for a in (
        _authority("31", "נחל שורק", "Nahal Soreq"),
        _authority("0031", "אופקים", "Ofaqim"),
        _authority("0070", "אשדוד", "Ashdod"),
        _authority("5000", "תל אביב -יפו", "Tel Aviv - Yafo"),
    )
}


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("0031", "", "0031"),
        ("0070", "", "0070"),
        ("70", "", "0070"),  # Excel dropped the zeros and "70" does not exist
        ("31", "נחל שורק", "31"),
        ("31", "Nahal Soreq", "31"),
        ("31", "אופקים", "0031"),
        ("0031", "אופקים", "0031"),
        ("5000", "תל אביב-יפו", "5000"),  # any spelling of the hyphen
    ],
)
def test_authority_codes_resolve(code: str, name: str, expected: str) -> None:
    assert rules.resolve_authority(code, name, AUTHORITIES) == expected


@pytest.mark.parametrize(
    ("code", "name", "field", "says"),
    [
        ("31", "", "authority_code", "ambiguous"),
        ("9999", "", "authority_code", "'9999'"),
        ("31", "אשדוד", "authority_name", "'אשדוד'"),
        ("0070", "אופקים", "authority_name", "0070 (אשדוד)"),
    ],
)
def test_authority_codes_refused(code: str, name: str, field: str, says: str) -> None:
    with pytest.raises(CellError) as err:
        rules.resolve_authority(code, name, AUTHORITIES)
    assert err.value.field == field
    assert says in err.value.detail


ROLES = {"treasurer": frozenset({search_key("גזבר/ית"), search_key("Treasurer")})}


@pytest.mark.parametrize("given", ["treasurer", "Treasurer", "גזבר/ית", " treasurer\u200f"])
def test_roles_by_code_or_name(given: str) -> None:
    assert rules.resolve_role(given, ROLES) == "treasurer"


def test_unknown_role_names_the_code() -> None:
    with pytest.raises(CellError) as err:
        rules.resolve_role("nope", ROLES)
    assert (err.value.field, "'nope'" in err.value.detail) == ("role_code", True)
