"""The shared PDF machinery: one FontConfiguration per process, the project's own fonts, Hebrew text and ids that
come back intact, autoescaping, and the Hebrew date helpers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from app import pdf
from app.hebrew_dates import gregorian_date_he, hebrew_date, hebrew_year
from tests.templates import added_templates

SAMPLE = """<!doctype html>
<html lang="he" dir="rtl">
<head><meta charset="utf-8"><title>בדיקה</title></head>
<body>
  <h1>תעודת השתתפות</h1>
  <p>מספר תעודה {{ serial|ltr }}</p>
  <p><b>{{ name }}</b> השלימה את התוכנית</p>
  <p>ביום {{ day|date_he }} ({{ day|ltr }})</p>
  <p>שנת {{ day|hebrew_year }}</p>
</body>
</html>"""


@pytest.fixture
def sample() -> Iterator[str]:
    """A tiny Hebrew template, served by the PDF environment beside the real ones."""
    with added_templates({"test/sample.html": SAMPLE}):
        yield "test/sample.html"


def _context(**kw: Any) -> dict[str, Any]:
    return {"serial": "2025-A-00123", "name": "דנה כהן", "day": date(2026, 1, 1), **kw}


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _fonts(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            # A subset's name is "ABCDEF+Family-Style": keep the family and style.
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_one_font_configuration_is_shared_by_every_render(sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    made = []
    real_init = FontConfiguration.__init__

    def counting_init(self: FontConfiguration) -> None:
        made.append(self)
        real_init(self)

    used = []
    real_write = HTML.write_pdf

    def recording_write(self: HTML, *args: Any, **kw: Any) -> Any:
        used.append(kw.get("font_config"))
        return real_write(self, *args, **kw)

    pdf.font_configuration()  # made once for the process (maybe by an earlier test)
    monkeypatch.setattr(FontConfiguration, "__init__", counting_init)
    monkeypatch.setattr(HTML, "write_pdf", recording_write)

    first = pdf.render_pdf(sample, _context())
    second = pdf.render_pdf(sample, _context(name="משה לוי"))

    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")
    assert made == [], "a render made a FontConfiguration of its own"
    assert len(used) == 2 and used[0] is used[1] is pdf.font_configuration()
    assert pdf.base_stylesheet() is pdf.base_stylesheet()


def test_hebrew_and_an_id_come_back_intact_and_in_order(sample: str) -> None:
    text = _text(pdf.render_pdf(sample, _context()))
    # pypdf gives pure-Hebrew and pure-Latin runs in logical order (a line that mixes them may come out with its
    # runs swapped), so each expected run is looked for in its own line, and the lines must come in order.
    expected = [
        "תעודת השתתפות",
        "מספר תעודה",
        "2025-A-00123",  # in <span dir="ltr">: not reordered to "A-00123-2025"
        "דנה כהן",
        "השלימה את התוכנית",
        "בינואר",
        "2026-01-01",
        "שנת תשפ״ו",
    ]
    lines = text.splitlines()
    found = [next((i for i, line in enumerate(lines) if run in line), -1) for run in expected]
    assert -1 not in found, (dict(zip(expected, found, strict=True)), text)
    assert found == sorted(found), text


def test_the_project_fonts_are_embedded_not_the_machines(sample: str) -> None:
    fonts = _fonts(pdf.render_pdf(sample, _context(serial="2025-A-00123")))
    # Hebrew regular and bold, and the Latin companion for the serial's letters and digits; nothing else.
    assert {"LMS-Hebrew", "LMS-Hebrew-Bold", "LMS-Latin"} <= fonts, fonts
    assert all(f.startswith("LMS-") for f in fonts), fonts


def test_font_faces_point_at_the_committed_files() -> None:
    css = pdf.font_face_css()
    for font in pdf.FONTS:
        path = pdf.FONTS_DIR / font.file
        assert path.is_file() and path.stat().st_size > 10_000, path
        assert path.as_uri() in css
    assert (pdf.FONTS_DIR / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE Version 1.1") == 1


def test_templates_are_autoescaped(sample: str) -> None:
    html = pdf.render_html(sample, _context(name="<script>x</script>", serial="<b>1</b>"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<span dir="ltr">&lt;b&gt;1&lt;/b&gt;</span>' in html


def test_filters() -> None:
    assert str(pdf.ltr(date(2026, 1, 1))) == '<span dir="ltr">2026-01-01</span>'
    assert pdf.number(1234) == "1,234" and pdf.number(None) == ""
    assert pdf.percent(0.75) == "75.0%" and pdf.percent(None) == "—" and pdf.percent(1) == "100.0%"


@pytest.mark.parametrize(
    ("day", "gregorian", "hebrew", "year"),
    [
        (date(2026, 1, 1), "1 בינואר 2026", "י״ב בטבת תשפ״ו", "תשפ״ו"),
        (date(2025, 9, 23), "23 בספטמבר 2025", "א׳ בתשרי תשפ״ו", "תשפ״ו"),  # Rosh Hashana 5786
        (date(2025, 9, 22), "22 בספטמבר 2025", "כ״ט באלול תשפ״ה", "תשפ״ה"),
        (date(2024, 2, 29), "29 בפברואר 2024", "כ׳ באדר א׳ תשפ״ד", "תשפ״ד"),  # a leap year: two Adars
    ],
)
def test_hebrew_dates(day: date, gregorian: str, hebrew: str, year: str) -> None:
    assert gregorian_date_he(day) == gregorian
    assert hebrew_date(day) == hebrew
    assert hebrew_year(day) == year
    assert pdf.gregorian_date_he is gregorian_date_he and pdf.hebrew_date is hebrew_date


def test_a_css_file_is_parsed_once_and_again_when_it_changes(tmp_path) -> None:
    import os

    path = tmp_path / "design.css"
    path.write_text("@page { size: A4 landscape; }\np { color: #111; }\n")
    first = pdf.file_stylesheet(path)
    assert pdf.file_stylesheet(path) is first  # parsed once
    path.write_text("@page { size: A4 portrait; }\np { color: #222222; }\n")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)  # a later modification time, whatever the clock
    second = pdf.file_stylesheet(path)
    assert second is not first and pdf.file_stylesheet(path) is second
