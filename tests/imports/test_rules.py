"""Table tests of the pure rules of imports: dates, headers, encodings, separators and reference codes."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest

from app.errors import Invalid, TooLarge
from app.imports import rules
from app.imports.rules import CellError, KnownAuthority
from app.text import search_key


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("2024-3-1", date(2024, 3, 1)),
        ("2024-03-01 00:00:00", date(2024, 3, 1)),
        ("01/03/2024", date(2024, 3, 1)),  # Israeli order: day first
        ("1/3/2024", date(2024, 3, 1)),
        ("31.12.2023", date(2023, 12, 31)),
        ("\u200f01/03/2024 ", date(2024, 3, 1)),
        (date(2024, 5, 6), date(2024, 5, 6)),
    ],
)
def test_dates_in_the_forms_people_type(given: str | date, expected: date) -> None:
    assert rules.parse_date(given, field="start_date") == expected


@pytest.mark.parametrize(
    ("given", "why"), [("31/02/2024", "not a real date"), ("03-01-2024", "YYYY-MM-DD"), ("soon", "")]
)
def test_a_bad_date_names_the_field_and_the_value(given: str, why: str) -> None:
    with pytest.raises(CellError) as err:
        rules.parse_date(given, field="end_date")
    assert err.value.field == "end_date"
    assert repr(given) in err.value.detail and why in err.value.detail


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


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        ("\ufeffnational_id,first_name_he\n18,דנה\n".encode(), ","),
        ("national_id;first_name_he\n18;דנה\n".encode("cp1255"), ";"),
        ("national_id\tfirst_name_he\r\n18\tדנה\r\n".encode("utf-16"), "\t"),
        ("sep=;\nnational_id;first_name_he\n18;דנה\n".encode(), ";"),
    ],
)
def test_csv_as_excel_writes_it(data: bytes, delimiter: str) -> None:
    table = rules.read_csv(data)
    assert table.columns == ["national_id", "first_name_he"]
    assert table.rows == [(2, {"national_id": "18", "first_name_he": "דנה"})]


def test_csv_row_numbers_skip_blank_lines_but_count_them() -> None:
    table = rules.read_csv(b"national_id\n18\n\n26\n")
    assert [n for n, _ in table.rows] == [2, 4]


def test_undecodable_csv_names_the_file() -> None:
    with pytest.raises(Invalid) as err:
        rules.read_csv(b"national_id\n\xff\xfa\n")  # 0xFA and 0xFF are not Windows-1255 either
    assert err.value.field == "file"


@pytest.mark.parametrize(
    ("value", "text"),
    [(18, "18"), (18.0, "18"), (None, ""), (" \u200bדנה\u200f ", "דנה"), (datetime(2024, 1, 2, 0, 0), "2024-01-02")],
)
def test_cell_text(value: object, text: str) -> None:
    assert rules.cell_text(value) == text


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


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_archive_checks() -> None:
    small = _zip({"xl/workbook.xml": b"<x/>" * 1000})  # compresses well, but is small: fine
    rules.check_archive(small, max_uncompressed=10_000)
    with pytest.raises(TooLarge, match="over the limit"):
        rules.check_archive(small, max_uncompressed=1000)
    with pytest.raises(TooLarge, match="zip bomb"):
        rules.check_archive(_zip({"xl/worksheets/sheet1.xml": b"\0" * 3_000_000}), max_uncompressed=10**9)
    with pytest.raises(Invalid) as err:
        rules.check_archive(b"PK\x03\x04 not really", max_uncompressed=10**9)
    assert err.value.field == "file"


def test_old_xls_is_refused_with_advice() -> None:
    with pytest.raises(Invalid, match="xlsx"):
        rules.read_table(b"\xd0\xcf\x11\xe0rest", filename="a.xls", max_uncompressed=10**6)
