"""Table tests of reading spreadsheets as Excel writes them: encodings, separators, XLSX, headers, cells, dates."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
import xlsxwriter

from app import sheets
from app.config import Settings
from app.errors import Invalid, TooLarge
from app.sheets import CellError


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
    assert sheets.parse_date(given, field="start_date") == expected


@pytest.mark.parametrize(
    ("given", "why"), [("31/02/2024", "not a real date"), ("03-01-2024", "YYYY-MM-DD"), ("soon", "")]
)
def test_a_bad_date_names_the_field_and_the_value(given: str, why: str) -> None:
    with pytest.raises(CellError) as err:
        sheets.parse_date(given, field="end_date")
    assert err.value.field == "end_date"
    assert repr(given) in err.value.detail and why in err.value.detail


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        ("\ufeffnational_id,first_name_he\n18,דנה\n".encode(), ","),
        ("national_id;first_name_he\n18;דנה\n".encode("cp1255"), ";"),
        ("national_id\tfirst_name_he\r\n18\tדנה\r\n".encode("utf-16"), "\t"),
        ("sep=;\nnational_id;first_name_he\n18;דנה\n".encode(), ";"),  # the sep= line takes no row number
        ("national_id;first_name_he;note\n18;דנה;a, b\n".encode(), ";"),
    ],
)
def test_csv_as_excel_writes_it(data: bytes, delimiter: str) -> None:
    records = sheets.csv_records(data)
    assert [(n, cells[:2]) for n, cells in records] == [(1, ["national_id", "first_name_he"]), (2, ["18", "דנה"])]
    assert sheets.detect_delimiter(sheets.decode_text(data).removeprefix("sep=;\n")) == delimiter


def test_csv_row_numbers_skip_blank_lines_but_count_them() -> None:
    records = sheets.read_records(b"national_id\n18\n\n26\n", filename=None, max_uncompressed=10**6)
    assert [n for n, _ in sheets.filled(records)] == [1, 2, 4]


def test_undecodable_csv_names_the_file() -> None:
    with pytest.raises(Invalid) as err:
        sheets.csv_records(b"national_id\n\xff\xfa\n")  # 0xFA and 0xFF are not Windows-1255 either
    assert (err.value.field, err.value.code) == ("file", "bad_encoding")


def test_unreadable_csv_is_refused() -> None:
    with pytest.raises(Invalid, match="not a readable CSV") as err:
        sheets.csv_records(b'national_id,note\n18,"' + b"x" * 200_000 + b'"\n')  # past csv's field limit
    assert err.value.code == "bad_file"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (18, "18"),
        (18.0, "18"),
        (2.5, "2.5"),
        (None, ""),
        (True, "True"),
        (" \u200bדנה\u200f ", "דנה"),
        (datetime(2024, 1, 2, 0, 0), "2024-01-02"),
        (date(2024, 1, 2), "2024-01-02"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert sheets.cell_text(value) == text


FIELDS = ("national_id", "status")
HEADERS = sheets.header_table(FIELDS, {"national_id": ("תז", "id"), "status": ("נוכחות",)})


@pytest.mark.parametrize(
    ("headers", "columns"),
    [
        (["National ID", "Status"], ["national_id", "status"]),
        (['ת"ז', None, "נוכחות"], ["national_id", "", "status"]),
        (["\u200fת״ז ", "STATUS"], ["national_id", "status"]),
    ],
)
def test_headers_by_name_or_alias(headers: list[object], columns: list[str]) -> None:
    assert sheets.map_columns(headers, HEADERS, known="national_id, status") == columns


def test_unknown_and_repeated_headers_are_refused() -> None:
    with pytest.raises(Invalid, match="unknown column 'colour'; the columns are national_id, status") as err:
        sheets.map_columns(["national_id", "colour"], HEADERS, known="national_id, status")
    assert (err.value.field, err.value.code) == ("file", "unknown_column")
    with pytest.raises(Invalid, match="two columns mean national_id") as err:
        sheets.map_columns(["id", "תז"], HEADERS, known="")
    assert err.value.code == "duplicate_column"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_archive_checks() -> None:
    small = _zip({"xl/workbook.xml": b"<x/>" * 1000})  # compresses well, but is small: fine
    sheets.check_archive(small, max_uncompressed=10_000)
    with pytest.raises(TooLarge, match="over the limit"):
        sheets.check_archive(small, max_uncompressed=1000)
    with pytest.raises(TooLarge, match="zip bomb"):
        sheets.check_archive(_zip({"xl/worksheets/sheet1.xml": b"\0" * 3_000_000}), max_uncompressed=10**9)
    with pytest.raises(Invalid) as err:
        sheets.check_archive(b"PK\x03\x04 not really", max_uncompressed=10**9)
    assert err.value.field == "file"


def _workbook() -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["national_id", "start_date", "note"])
    sheet.write_number(1, 0, 18)
    sheet.write_datetime(1, 1, date(2024, 2, 29), book.add_format({"num_format": "dd/mm/yyyy"}))
    sheet.write_string(1, 2, "דנה")
    sheet.write_string(3, 0, "26")
    book.close()
    return buf.getvalue()


def test_xlsx_keeps_numbers_and_real_dates() -> None:
    records = sheets.read_records(_workbook(), filename=None, max_uncompressed=10**7)
    assert [(n, cells) for n, cells in sheets.filled(records)] == [
        (1, ["national_id", "start_date", "note"]),
        (2, [18, datetime(2024, 2, 29), "דנה"]),
        (4, ["26", None, None]),
    ]
    assert [sheets.cell_text(c) for c in records[1][1]] == ["18", "2024-02-29", "דנה"]


def test_xlsx_is_checked_before_it_is_opened() -> None:
    with pytest.raises(TooLarge, match="over the limit"):
        sheets.read_records(_workbook(), filename="a.xlsx", max_uncompressed=1000)
    with pytest.raises(Invalid, match="not a valid XLSX") as err:
        sheets.read_records(b"national_id\n18\n", filename="a.xlsx", max_uncompressed=10**6)
    assert err.value.code == "bad_file"
    damaged = _zip({"xl/workbook.xml": b"<not a workbook"})
    with pytest.raises(Invalid, match="not a readable XLSX") as err:
        sheets.read_records(damaged, filename=None, max_uncompressed=10**6)
    assert err.value.code == "bad_file"


def test_empty_and_old_xls_files_are_refused_with_advice() -> None:
    with pytest.raises(Invalid, match="is empty") as err:
        sheets.read_records(b"", filename="a.csv", max_uncompressed=10**6)
    assert err.value.code == "empty_file"
    for data, name in ((b"\xd0\xcf\x11\xe0rest", None), (b"national_id\n18\n", "a.XLS")):
        with pytest.raises(Invalid, match="xlsx") as err:
            sheets.read_records(data, filename=name, max_uncompressed=10**6)
        assert err.value.code == "unsupported_format"


def test_the_default_workbook_limit_is_the_settings_default() -> None:
    assert Settings.model_fields["xlsx_max_uncompressed_bytes"].default == sheets.MAX_UNCOMPRESSED_BYTES
