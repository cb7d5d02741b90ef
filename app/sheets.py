"""Reading spreadsheets as Excel writes them: CSV (any of its encodings and separators) and XLSX, headers, cells
and dates. Pure: bytes in, rows of cells out; each domain gives the meaning of its own columns."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from app.errors import Invalid, TooLarge
from app.text import clean_text, search_key

# The default of LMS_XLSX_MAX_UNCOMPRESSED_BYTES: the most a workbook may unpack to.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024

# A member this large that still compresses more than RATIO_LIMIT times is a bomb, not a worksheet;
# small members (styles, an empty sheet) legitimately compress very well, so they are not judged.
RATIO_LIMIT = 200
RATIO_FLOOR_BYTES = 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_DAY_FIRST = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})")
_SEP_HINT = re.compile(r"sep=(.)\s*")

# One row of a sheet: the row number a spreadsheet shows, and its cells as read (text, numbers, dates, None).
Record = tuple[int, list[Any]]


class CellError(ValueError):
    """A value of one field of one row that is refused, and why."""

    def __init__(self, field: str, detail: str):
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


# --- headers ---------------------------------------------------------------------------------------------


def header_key(raw: str) -> str:
    """A header in the form aliases are written in: clean, lower case, no quotes, words separated by spaces."""
    key = search_key(raw).replace('"', "").replace("'", "")
    return re.sub(r"[\s_\-./()]+", " ", key).strip()


def header_table(fields: Iterable[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Header key -> field, for the fields' own names and their aliases."""
    return {header_key(f): f for f in fields} | {header_key(a): f for f, names in aliases.items() for a in names}


def map_columns(headers: Iterable[Any], table: dict[str, str], *, known: str) -> list[str]:
    """The field of every column ("" for a column with no header); unknown or repeated headers are refused."""
    columns: list[str] = []
    for raw in headers:
        text = cell_text(raw)
        if not text:
            columns.append("")
            continue
        name = table.get(header_key(text))
        if name is None:
            raise Invalid(
                f"file: unknown column {text!r}; the columns are {known}", field="file", code="unknown_column"
            )
        if name in columns:
            raise Invalid(f"file: two columns mean {name} ({text!r})", field="file", code="duplicate_column")
        columns.append(name)
    return columns


# --- cells -----------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as clean text; numbers as Excel shows them (an ID typed as a number is 18, not 18.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(str(value))


def filled(records: Iterable[Record]) -> Iterator[Record]:
    """The records that have text in at least one cell: empty rows are skipped, though they keep their number."""
    return (record for record in records if any(cell_text(c) for c in record[1]))


def parse_date(value: str | date, *, field: str) -> date:
    """A date from an Excel date cell or text: YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY (Israeli order)."""
    if isinstance(value, date):
        return value
    text = clean_text(value)
    iso = _ISO_DATE.fullmatch(text)
    day_first = _DAY_FIRST.fullmatch(text)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if day_first:
            return date(int(day_first.group(4)), int(day_first.group(3)), int(day_first.group(1)))
    except ValueError as exc:
        raise CellError(field, f"{text!r} is not a real date") from exc
    raise CellError(field, f"{text!r} is not a date; write YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY")


# --- CSV -------------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Text of a CSV as Excel saves it: UTF-8 (with or without BOM), UTF-16 ("Unicode text"), or Windows-1255."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1255"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("file: is neither UTF-8 nor Windows-1255 text", field="file", code="bad_encoding")


def detect_delimiter(text: str) -> str:
    """The separator of a CSV: `,`, `;` or tab."""
    sample = text[:16384]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        # The sniffer gives up on one-column files and on very regular ones; the header row decides.
        header = sample.splitlines()[0] if sample else ""
        return max(",;\t", key=header.count)


def csv_records(data: bytes) -> list[Record]:
    """The rows of a CSV file as Excel exports it (BOM, `;` or tab separators, Windows-1255, a sep= line)."""
    text = decode_text(data)
    lines = text.splitlines(keepends=True)
    hint = _SEP_HINT.fullmatch(lines[0]) if lines else None
    if hint and hint.group(1) in ",;\t":
        # Excel's "sep=;" first line is not shown as a row in the spreadsheet, so it takes no number.
        delimiter, text = hint.group(1), "".join(lines[1:])
    else:
        delimiter = detect_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise Invalid(f"file: is not a readable CSV file ({exc})", field="file", code="bad_file") from exc
    return [(number, list(cells)) for number, cells in enumerate(rows, start=1)]


# --- XLSX ------------------------------------------------------------------------------------------------


def check_archive(data: bytes, *, max_uncompressed: int) -> None:
    """Refuse an XLSX that is not a zip (422) or would inflate past the limit or absurdly (413, a zip bomb)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Invalid("file: is not a valid XLSX workbook (not a zip archive)", field="file", code="bad_file") from exc
    # Declared sizes are what zipfile will inflate at most (it stops at file_size), so they bound the work.
    total = sum(m.file_size for m in members)
    if total > max_uncompressed:
        raise TooLarge(
            f"file: the workbook unpacks to {total} bytes, over the limit of {max_uncompressed}", field="file"
        )
    for m in members:
        if m.file_size > RATIO_FLOOR_BYTES and m.file_size > RATIO_LIMIT * max(m.compress_size, 1):
            raise TooLarge(
                f"file: {m.filename} inflates {m.file_size // max(m.compress_size, 1)} times; refused as a zip bomb",
                field="file",
            )


def xlsx_records(data: bytes, *, max_uncompressed: int) -> list[Record]:
    """The rows on the first sheet of an XLSX workbook, with real Excel dates kept as dates."""
    from openpyxl import load_workbook

    check_archive(data, max_uncompressed=max_uncompressed)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            cells = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
            records = [(n, list(row)) for n, row in enumerate(cells, start=1)]
        finally:
            workbook.close()
    except Invalid:
        raise
    except Exception as exc:
        # openpyxl fails in many ways on a damaged file (KeyError, XML errors, ...); all mean the same to the user.
        raise Invalid("file: is not a readable XLSX workbook", field="file", code="bad_file") from exc
    return records


# --- either ----------------------------------------------------------------------------------------------


def read_records(data: bytes, *, filename: str | None, max_uncompressed: int) -> list[Record]:
    """The rows of an uploaded sheet: XLSX when it is a zip (or named .xlsx), otherwise CSV; .xls is refused."""
    name = (filename or "").lower()
    if not data:
        raise Invalid("file: is empty", field="file", code="empty_file")
    if data.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise Invalid(
            "file: Excel 97-2003 (.xls) files are not read; save the sheet as .xlsx or CSV",
            field="file",
            code="unsupported_format",
        )
    if data.startswith(_ZIP_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return xlsx_records(data, max_uncompressed=max_uncompressed)
    return csv_records(data)
