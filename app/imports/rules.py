"""Pure rules of bulk imports: the columns of an officials file, its table, and the reference codes it names.

Reading the file itself (CSV and XLSX as Excel writes them, headers, cells, dates) is app/sheets.py's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.errors import Invalid
from app.sheets import CellError, Record, cell_text, filled, header_table, map_columns, read_records
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

Cell = str | date


@dataclass
class Table:
    """The rows of an uploaded sheet: canonical field -> cell, keyed by the row number a spreadsheet shows."""

    columns: list[str]
    rows: list[tuple[int, dict[str, Cell]]] = field(default_factory=list)


_HEADERS = header_table(FIELDS, _ALIASES)


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


def _cell(value: Any) -> Cell:
    # A real Excel date stays a date; everything else becomes text to be parsed by its field's rule.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return cell_text(value)


def build_table(records: Iterable[Record]) -> Table:
    """The table of (row number, cells) records: the first non-empty one is the header, empty rows are skipped."""
    table: Table | None = None
    for number, cells in filled(records):
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


def read_table(data: bytes, *, filename: str | None, max_uncompressed: int) -> Table:
    """The table of officials in an uploaded file: XLSX when it is a zip (or named .xlsx), otherwise CSV."""
    return build_table(read_records(data, filename=filename, max_uncompressed=max_uncompressed))


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
