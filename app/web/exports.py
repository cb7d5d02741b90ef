"""CSV and XLSX exports: Hebrew or English headers, right-to-left sheets, formula injection neutralised,
rows streamed (XLSX through a temporary file in constant-memory mode) so large exports stay small in memory."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

import xlsxwriter
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, StreamingResponse

Format = Literal["csv", "xlsx"]
Lang = Literal["he", "en"]
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of an export: how to read it from a row, and its headers."""

    key: str
    header_he: str
    header_en: str
    width: float = 14

    def header(self, lang: Lang) -> str:
        """The header in the chosen language."""
        return self.header_he if lang == "he" else self.header_en


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(neutralise(value))


def csv_chunks(columns: Sequence[Column], rows: Iterable[dict[str, Any]], lang: Lang) -> Iterator[bytes]:
    """The CSV as UTF-8 with a BOM (so Excel reads Hebrew), a chunk per few hundred rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow([neutralise(c.header(lang)) for c in columns])
    for i, row in enumerate(rows, start=1):
        writer.writerow([_cell_text(row.get(c.key)) for c in columns])
        if i % 500 == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def write_xlsx(
    path: str,
    columns: Sequence[Column],
    rows: Iterable[dict[str, Any]],
    *,
    lang: Lang,
    sheet: str,
    title: str | None = None,
) -> None:
    """Write an XLSX file row by row (constant memory): a right-to-left sheet in Hebrew, a title line if given."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    try:
        ws = book.add_worksheet(sheet[:31])
        if lang == "he":
            ws.right_to_left()
        bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
        date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
        for i, c in enumerate(columns):
            ws.set_column(i, i, c.width)
        r = 0
        if title:
            ws.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
            r = 2
        for i, c in enumerate(columns):
            ws.write_string(r, i, c.header(lang), bold)
        ws.freeze_panes(r + 1, 0)
        for row in rows:
            r += 1
            for i, c in enumerate(columns):
                value = row.get(c.key)
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(r, i, value)
                elif isinstance(value, int | float):
                    ws.write_number(r, i, value)
                elif isinstance(value, datetime):
                    ws.write_string(r, i, value.isoformat())
                elif isinstance(value, date):
                    ws.write_datetime(r, i, datetime(value.year, value.month, value.day), date_fmt)
                else:
                    ws.write_string(r, i, str(neutralise(value)))
    finally:
        book.close()


def attachment(filename: str) -> str:
    """A Content-Disposition for a download under its own name (RFC 6266): an ASCII `filename` for old clients, and
    `filename*` in UTF-8 for the rest (Hebrew names)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in filename) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _disposition(filename: str, fmt: Format) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}


_MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# The OpenAPI description of a route that answers with a CSV or XLSX file.
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        "description": "The file",
    }
}


def export_response(
    fmt: Format,
    columns: Sequence[Column],
    rows: Iterable[dict[str, Any]],
    *,
    filename: str,
    lang: Lang = "he",
    sheet: str = "export",
    title: str | None = None,
) -> StreamingResponse | FileResponse:
    """A download of rows already in hand: CSV streamed, or XLSX written to a temporary file, then sent."""
    if fmt == "csv":
        return StreamingResponse(
            csv_chunks(columns, rows, lang), media_type=_MEDIA["csv"], headers=_disposition(filename, fmt)
        )
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="lms-export-")
    os.close(fd)
    try:
        write_xlsx(path, columns, rows, lang=lang, sheet=sheet, title=title)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path, headers=_disposition(filename, fmt), background=BackgroundTask(os.unlink, path), media_type=_MEDIA["xlsx"]
    )


def streamed_export(
    fmt: Format,
    columns: Sequence[Column],
    open_rows: Callable[[], AbstractContextManager[Iterable[dict[str, Any]]]],
    *,
    filename: str,
    lang: Lang = "he",
    sheet: str = "export",
    title: str | None = None,
) -> StreamingResponse:
    """A download whose rows are read while it is sent, after the request's own unit of work has ended, so a
    national export holds neither the request's transaction nor its rows in memory."""

    def body() -> Iterator[bytes]:
        with open_rows() as rows:
            if fmt == "csv":
                yield from csv_chunks(columns, rows, lang)
                return
            with tempfile.NamedTemporaryFile(suffix=".xlsx", prefix="lms-export-") as tmp:
                write_xlsx(tmp.name, columns, rows, lang=lang, sheet=sheet, title=title)
                with open(tmp.name, "rb") as fh:
                    while chunk := fh.read(256 * 1024):
                        yield chunk

    return StreamingResponse(body(), media_type=_MEDIA[fmt], headers=_disposition(filename, fmt))
