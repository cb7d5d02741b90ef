"""The compliance report as PDF: the country and one authority, as an auditor and as a liaison, stamped with the
as-of date on every page, the officials overdue or due soon by name and ID, and what it looks like rasterised."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.compliance.report_pdf import district_label
from tests.factories import headers, make_appointment, make_completion, make_official, make_programme, make_user

AS_OF = "2026-01-01"
URL = "/api/v1/compliance/report.pdf"


@pytest.fixture
def world(db):
    """Ofakim (0031, Southern): one completed on time, one completed late, one overdue, one not started and
    due soon, one closed. Nahal Soreq (31, Central): one overdue, one not started."""
    p = make_programme(db, code="TREAS")
    people = {}

    def person(key, first, last, authority, start, end=None, done=None):
        o = make_official(db, first_name_he=first, last_name_he=last)
        make_appointment(db, o, authority=authority, start=start, end=end)
        if done:
            make_completion(db, o, p, done)
        people[key] = o

    person("on_time", "אורית", "בזמני", "0031", date(2023, 1, 1), done=date(2024, 6, 1))
    person("late", "לאה", "מאחרת", "0031", date(2023, 1, 1), done=date(2025, 6, 1))
    person("overdue", "יעל", "ברגר", "0031", date(2023, 6, 1))
    person("soon", "משה", "קרובי", "0031", date(2024, 2, 15))
    person("closed", "סגל", "סוגר", "0031", date(2023, 1, 1), end=date(2024, 1, 1))
    person("soreq_overdue", "נועה", "שורקי", "31", date(2023, 2, 1))
    person("soreq_new", "עידו", "חדשי", "31", date(2025, 6, 1))
    return people


def _pdf(client, h, **params) -> tuple[bytes, str]:
    r = client.get(URL, params={"as_of": AS_OF, **params}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    return r.content, r.headers["content-disposition"]


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


# pypdf gives a line that mixes Hebrew and numbers with its runs in visual order: "עמוד 2 מתוך 3" comes out as
# "3  מתוך2 עמוד". Either order is accepted.
_PAGE_NUMBER = re.compile(
    r"עמוד\s*(?P<page>\d+)\s*מתוך\s*(?P<total>\d+)|(?P<total2>\d+)\s*מתוך\s*(?P<page2>\d+)\s*עמוד"
)


def _page_number(text: str) -> tuple[int, int]:
    m = _PAGE_NUMBER.search(text)
    assert m, text
    return int(m["page"] or m["page2"]), int(m["total"] or m["total2"])


def _assert_stamped(pages: list[str]) -> None:
    """Every page carries the as-of date (in Hebrew and ISO) in its header and footer, the production date and
    its page number."""
    for n, text in enumerate(pages, start=1):
        assert text.count("נכון ליום") >= 2 and text.count("בינואר") >= 2, text
        assert text.count("2026-01-01") >= 2, text
        assert "הופק ביום" in text, text
        assert _page_number(text) == (n, len(pages)), text


def test_country_report_as_auditor(client, db, world):
    data, disposition = _pdf(client, headers(make_user(db, "auditor")))
    assert disposition == f'attachment; filename="compliance-{AS_OF}.pdf"'
    pages = _pages(data)
    _assert_stamped(pages)
    text = "\n".join(pages)
    assert "כלל הארץ" in text
    assert "אופקים" in text and "נחל שורק" in text  # each authority's row, under its district
    assert "מחוז הדרום" in text and "מחוז המרכז" in text
    assert "75.0%" in text and "50.0%" in text  # Ofakim: 1 of 4 overdue; Nahal Soreq: 1 of 2
    assert "ברגר" not in text  # the country report counts; it names nobody
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


def test_authority_report_as_auditor(client, db, world):
    data, disposition = _pdf(client, headers(make_user(db, "auditor")), authority="0031")
    assert disposition == f'attachment; filename="compliance-0031-{AS_OF}.pdf"'
    pages = _pages(data)
    _assert_stamped(pages)
    text = "\n".join(pages)
    assert "אופקים" in text and "0031" in text and "גזבר" in text
    overdue = world["overdue"]
    assert "יעל ברגר" in text and overdue.national_id in text and "2025-06-01" in text  # ID, name, due date
    assert "משה קרובי" in text and world["soon"].national_id in text and "2026-02-15" in text  # due soon
    for key in ("on_time", "late", "closed", "soreq_overdue"):  # neither overdue nor due soon, or elsewhere
        assert world[key].national_id not in text, key


def test_liaison_gets_their_own_authority(client, db, world):
    liaison = headers(make_user(db, "liaison", authority="31"))
    # Asking for the country gives their authority's report.
    data, disposition = _pdf(client, liaison)
    assert disposition == f'attachment; filename="compliance-31-{AS_OF}.pdf"'
    text = "\n".join(_pages(data))
    assert "נחל שורק" in text and "נועה שורקי" in text and world["soreq_overdue"].national_id in text
    assert "אופקים" not in text and "ברגר" not in text
    own, _ = _pdf(client, liaison, authority="31")
    assert "נועה שורקי" in "\n".join(_pages(own))
    other = client.get(URL, params={"as_of": AS_OF, "authority": "0031"}, headers=liaison)
    assert other.status_code == 404 and other.json()["error"] == "not_found"


def test_who_may_not(client, db, world):
    auditor = headers(make_user(db, "auditor"))
    missing = client.get(URL, params={"authority": "9999"}, headers=auditor)
    assert missing.status_code == 404
    assert client.get(URL).status_code == 401
    official = headers(make_user(db, "official", official=world["overdue"]))
    assert client.get(URL, headers=official).status_code == 403
    bad = client.get(URL, params={"as_of": "01/01/2026"}, headers=auditor)
    assert bad.status_code == 422 and bad.json()["field"] == "as_of"


def test_headers_repeat_on_every_page_of_a_long_list(client, db):
    """Enough overdue officials to fill pages: every page repeats the table's header row and the stamps."""
    make_programme(db, code="TREAS")
    letters = "אבגדהוזחטיכלמנסעפצקרשת"
    for i in range(60):  # names are letters only: איחוראא, איחוראב, ...
        name = "איחור" + letters[i // len(letters)] + letters[i % len(letters)]
        make_appointment(db, make_official(db, last_name_he=name), authority="0070", start=date(2023, 1, 1))
    data, _ = _pdf(client, headers(make_user(db, "auditor")), authority="0070")
    pages = _pages(data)
    assert len(pages) >= 2
    _assert_stamped(pages)
    listing = [p for p in pages if "איחור" in p and "2025-01-01" in p]
    assert len(listing) >= 2
    for text in listing:
        assert "ת״ז" in text and "מועד אחרון" in text, text


def test_district_label():
    assert district_label("הדרום") == "מחוז הדרום"
    assert district_label("אזור יהודה והשומרון") == "אזור יהודה והשומרון"


def test_a_page_rasterises(client, db, world, tmp_path: Path):
    """The first page, drawn by poppler: an A4 page with ink on it, most of it right of centre (right to left)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (Debian: apt-get install poppler-utils)")
    data, _ = _pdf(client, headers(make_user(db, "auditor")), authority="0031")
    source = tmp_path / "report.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")], check=True
    )
    [image] = list(tmp_path.glob("page*.pgm"))
    width, height, pixels = _read_pgm(image.read_bytes())
    assert abs(height / width - 842 / 595) < 0.02
    dark = [i % width for i, v in enumerate(pixels) if v < 128]
    assert len(dark) > 0.003 * width * height, "the page is (nearly) blank"
    # The heading and the paragraphs are set from the right; the tables span the width.
    heading = [x for i, v in enumerate(pixels[: width * height // 6]) if v < 128 for x in (i % width,)]
    assert sum(x > width / 2 for x in heading) > sum(x < width / 2 for x in heading)


def _read_pgm(raw: bytes) -> tuple[int, int, bytes]:
    """A binary PGM (P5, 8 bits) as width, height and the grey values."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while raw[pos : pos + 1].isspace():
            pos += 1
        if raw[pos : pos + 1] == b"#":
            pos = raw.index(b"\n", pos) + 1
            continue
        end = pos
        while not raw[end : end + 1].isspace():
            end += 1
        fields.append(raw[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    return width, height, raw[pos + 1 : pos + 1 + width * height]
