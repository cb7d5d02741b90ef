"""Pure rules of bulk imports: reading CSV and XLSX as Excel writes them, headers, dates and reference codes."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.errors import Invalid, TooLarge
from app.text import clean_text, search_key

FIELDS = (
    "national_id",
    "first_name_he",
    "last_name_he",
    "first_name_en",
    "last_name_en",
    "email",
    "authority_code",
    "authority_name",
    "role_code",
    "start_date",
    "end_date",
)
OFFICIAL_FIELDS = ("first_name_he", "last_name_he", "first_name_en", "last_name_en", "email")
APPOINTMENT_FIELDS = ("authority_code", "role_code", "start_date", "end_date")

# The one alias table: header spellings people use (Hebrew and English), in header_key() form.
_ALIASES: dict[str, tuple[str, ...]] = {
    "national_id": ("id", "national id number", "תז", "מספר זהות", "תעודת זהות", "מס זהות"),
    "first_name_he": ("first name", "שם פרטי"),
    "last_name_he": ("last name", "surname", "שם משפחה"),
    "first_name_en": ("שם פרטי באנגלית", "first name english"),
    "last_name_en": ("שם משפחה באנגלית", "last name english"),
    "email": ("e mail", "mail", "דואל", "דואר אלקטרוני"),
    "authority_code": ("authority", "cbs code", "סמל רשות", "קוד רשות", "סמל הרשות"),
    "authority_name": ("שם רשות", "שם הרשות", "רשות"),
    "role_code": ("role", "תפקיד", "קוד תפקיד"),
    "start_date": ("start", "תאריך התחלה", "תאריך תחילה", "תחילת מינוי"),
    "end_date": ("end", "תאריך סיום", "סיום מינוי"),
}

# A member this large that still compresses more than RATIO_LIMIT times is a bomb, not a worksheet;
# small members (styles, an empty sheet) legitimately compress very well, so they are not judged.
RATIO_LIMIT = 200
RATIO_FLOOR_BYTES = 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_DAY_FIRST = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})")
_SEP_HINT = re.compile(r"sep=(.)\s*")


class CellError(ValueError):
    """A value of one field of one row that is refused, and why."""

    def __init__(self, field: str, detail: str):
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


Cell = str | date


@dataclass
class Table:
    """The rows of an uploaded sheet: canonical field -> cell, keyed by the row number a spreadsheet shows."""

    columns: list[str]
    rows: list[tuple[int, dict[str, Cell]]] = field(default_factory=list)


def header_key(raw: str) -> str:
    """A header in the form aliases are written in: clean, lower case, no quotes, words separated by spaces."""
    key = search_key(raw).replace('"', "").replace("'", "")
    return re.sub(r"[\s_\-./()]+", " ", key).strip()


def header_table(fields: Iterable[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Header key -> field, for the fields' own names and their aliases."""
    return {header_key(f): f for f in fields} | {header_key(a): f for f, names in aliases.items() for a in names}


_HEADERS = header_table(FIELDS, _ALIASES)


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


def canonical_columns(headers: Iterable[Any]) -> list[str]:
    """The field of every column of an officials file; national_id is required."""
    columns = map_columns(
        headers,
        _HEADERS,
        known=f'{", ".join(FIELDS)} (or their Hebrew names, e.g. ת"ז, שם פרטי, סמל רשות, תפקיד, תאריך התחלה)',
    )
    if "national_id" not in columns:
        raise Invalid('file: the header row has no national_id (ת"ז) column', field="file", code="missing_column")
    return columns


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


def _cell(value: Any) -> Cell:
    # A real Excel date stays a date; everything else becomes text to be parsed by its field's rule.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return cell_text(value)


def build_table(records: Iterable[tuple[int, list[Any]]]) -> Table:
    """The table of (row number, cells) records: the first non-empty one is the header, empty rows are skipped."""
    table: Table | None = None
    for number, cells in records:
        if not any(cell_text(c) for c in cells):
            continue
        if table is None:
            table = Table(columns=canonical_columns(cells))
            continue
        extra = [cell_text(c) for c in cells[len(table.columns) :] if cell_text(c)]
        if extra:
            raise Invalid(
                f"file: row {number} has more cells than the header row has columns", field="file", code="bad_row"
            )
        row = {name: _cell(c) for name, c in zip(table.columns, cells, strict=False) if name}
        table.rows.append((number, row))
    if table is None or not table.rows:
        raise Invalid("file: there are no rows to import under the header row", field="file", code="empty_file")
    return table


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


def read_csv(data: bytes) -> Table:
    """The table in a CSV file as Excel exports it (BOM, `;` or tab separators, Windows-1255, a sep= line)."""
    text = decode_text(data)
    lines = text.splitlines(keepends=True)
    hint = _SEP_HINT.fullmatch(lines[0]) if lines else None
    if hint and hint.group(1) in ",;\t":
        # Excel's "sep=;" first line is not shown as a row in the spreadsheet, so it takes no number.
        delimiter, text = hint.group(1), "".join(lines[1:])
    else:
        delimiter = detect_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise Invalid(f"file: is not a readable CSV file ({exc})", field="file", code="bad_file") from exc
    return build_table(enumerate(records, start=1))


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


def read_xlsx(data: bytes, *, max_uncompressed: int) -> Table:
    """The table on the first sheet of an XLSX workbook, with real Excel dates kept as dates."""
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
    return build_table(records)


def read_table(data: bytes, *, filename: str | None, max_uncompressed: int) -> Table:
    """The table in an uploaded file: XLSX when it is a zip (or named .xlsx), otherwise CSV."""
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
        return read_xlsx(data, max_uncompressed=max_uncompressed)
    return read_csv(data)


def parse_date(value: Cell, *, field: str) -> date:
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


@dataclass(frozen=True)
class KnownAuthority:
    """An authority as an import sees it: its code, Hebrew name, and the search keys of its names."""

    code: str
    name_he: str
    keys: frozenset[str]

    def is_named(self, name: str) -> bool:
        """Whether the name (Hebrew or English, any spelling of quotes, hyphens, niqqud-free) is this one's."""
        return search_key(name) in self.keys


def resolve_authority(code: str, name: str, authorities: Mapping[str, KnownAuthority]) -> str:
    """The CBS code a row means; a code Excel stripped of its leading zeros resolves unless it is ambiguous."""
    code, name = clean_text(code), clean_text(name)
    # "70" that exists is 70; if it does not, Excel dropped the zeros of "0070".
    options = [code, code.zfill(4)] if code.isdigit() else [code]
    candidates = [authorities[c] for c in dict.fromkeys(options) if c in authorities]
    if not candidates:
        raise CellError("authority_code", f"there is no authority with CBS code {code!r}")
    if name:
        named = [a for a in candidates if a.is_named(name)]
        if len(named) == 1:
            return named[0].code
        which = " or ".join(f"{a.code} ({a.name_he})" for a in candidates)
        raise CellError("authority_name", f"{name!r} is not the name of authority {which} given as code {code!r}")
    if len(candidates) > 1:
        which = " or ".join(f"{a.code} ({a.name_he})" for a in candidates)
        raise CellError(
            "authority_code",
            f"CBS code {code!r} is ambiguous: it may be {which}, as spreadsheets drop leading zeros; "
            "add an authority_name column to say which",
        )
    return candidates[0].code


def resolve_role(code: str, roles: Mapping[str, frozenset[str]]) -> str:
    """The role a row means, by its code (any case) or its Hebrew or English name; roles map code -> name keys."""
    text = clean_text(code)
    if text in roles:
        return text
    key = search_key(text)
    matches = [c for c, keys in roles.items() if key == c.casefold() or key in keys]
    if len(matches) == 1:
        return matches[0]
    raise CellError("role_code", f"there is no role with code {text!r}")
