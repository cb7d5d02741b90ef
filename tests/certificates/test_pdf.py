"""The certificate PDF from the design in certificates/: what it says, one A4 landscape page, PDF/A-3b with the
signed credential attached, the same bytes at every download; a cohort's certificates in one PDF."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from app.config import get_settings


@pytest.fixture
def pdf_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "certificates_dir", tmp_path / "pdf")
    return tmp_path / "pdf"


@pytest.fixture
def issued(client, admin, closed, pdf_dir):
    r = client.post(f"/api/v1/enrolments/{closed.enrolments[0].id}/certificate", headers=admin)
    assert r.status_code == 201, r.text
    cert = r.json()
    pdf = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    return cert, pdf.content


def test_the_pdf_says_who_what_and_its_serial(issued):
    cert, data = issued
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595  # A4 landscape, in points
    text = reader.pages[0].extract_text()
    for expected in ("נועה ברק", "Noa Barak", "ניהול תקציב רשותי", "Municipal budgeting", cert["serial"],
                     "תשפ״ה", "20 March 2025", "תעודת סיום"):  # fmt: skip
        assert expected in text, (expected, text)


def test_the_pdf_is_pdfa_with_the_signed_credential_attached(client, admin, issued):
    cert, data = issued
    reader = PdfReader(io.BytesIO(data))
    attachments = reader.attachments
    assert list(attachments) == ["credential.json"]
    credential = client.get(f"/api/v1/certificates/{cert['serial']}/credential", headers=admin).json()
    assert json.loads(attachments["credential.json"][0]) == credential["credential"]  # the one with its proof
    associated = reader.trailer["/Root"]["/AF"]
    assert len(associated) == 1 and associated[0].get_object()["/F"] == "credential.json"  # listed once
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid" in xmp and (b'pdfaid:part="3"' in xmp or b"<pdfaid:part>3</pdfaid:part>" in xmp), xmp[:2000]


def test_the_qr_code_is_one_sharp_image(issued):
    _, data = issued
    page = PdfReader(io.BytesIO(data)).pages[0]
    images = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    assert len(images) == 1
    qr = images[0]
    assert qr["/Width"] == qr["/Height"] >= 21  # a module a pixel, scaled up in the PDF
    assert qr["/Interpolate"].value is False  # drawn sharp (PDF/A also forbids interpolated images)


def test_the_pdf_downloads_byte_identical_even_after_the_file_is_lost(client, admin, issued, pdf_dir):
    cert, data = issued
    assert client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin).content == data
    (pdf_dir / f"{cert['serial']}.pdf").unlink()
    again = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert again.status_code == 200 and again.content == data


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_pdf_rasterises_to_one_page(issued, tmp_path):
    _, data = issued
    source = tmp_path / "certificate.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(source), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].stat().st_size > 1000


def test_the_official_downloads_their_own(client, db, issued, closed):
    from tests.factories import headers, make_user

    cert, data = issued
    own = headers(make_user(db, "official", official=closed.officials[0]))
    assert client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=own).content == data
    other = headers(make_user(db, "official", official=closed.officials[1]))
    assert client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=other).status_code == 404


def test_a_cohort_in_one_multi_page_pdf(client, admin, closed, pdf_dir):
    for e in closed.enrolments:
        assert client.post(f"/api/v1/enrolments/{e.id}/certificate", headers=admin).status_code == 201
    r = client.get(f"/api/v1/cohorts/{closed.cohort.id}/certificates.pdf", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == len(closed.enrolments)


def test_the_warm_up_renders_and_freezes_what_exists(monkeypatch):
    import gc

    from app.certificates import documents

    rendered = []
    real = documents.render_certificate
    monkeypatch.setattr(documents, "render_certificate", lambda cert: rendered.append(real(cert)))
    try:
        documents.warm_up()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert len(rendered) == 1 and rendered[0].startswith(b"%PDF")


def test_an_admin_changes_the_design_and_previews_it_without_code(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.certificates import documents
    from app.cli import cli

    out = tmp_path / "preview.pdf"
    result = CliRunner().invoke(cli, ["certificate-preview", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = PdfReader(io.BytesIO(out.read_bytes())).pages[0]
    assert "Israel Israeli" in page.extract_text() and page.mediabox.width > page.mediabox.height  # landscape
    # The same design with its page turned in the CSS file: the next render follows it.
    edited = tmp_path / "certificate.css"
    edited.write_text(documents.DESIGN_CSS.read_text().replace("size: A4 landscape", "size: A4 portrait"))
    monkeypatch.setattr(documents, "DESIGN_CSS", edited)
    assert CliRunner().invoke(cli, ["certificate-preview", "--out", str(out)]).exit_code == 0
    page = PdfReader(io.BytesIO(out.read_bytes())).pages[0]
    assert page.mediabox.width < page.mediabox.height


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (make system-deps) renders the page")
def test_the_qr_code_scans_at_150_dpi_with_its_quiet_zone(issued, tmp_path):
    import segno
    import zxingcpp
    from PIL import Image

    cert, data = issued
    (tmp_path / "c.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "p")], check=True)
    page = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    found = zxingcpp.read_barcodes(page)
    assert [r.text for r in found] == [cert["verification_url"]]
    # The code's own modules span its bounding box; around it, 4 modules of light on every side (ISO/IEC 18004).
    position = found[0].position
    xs = [p.x for p in (position.top_left, position.top_right, position.bottom_left, position.bottom_right)]
    ys = [p.y for p in (position.top_left, position.top_right, position.bottom_left, position.bottom_right)]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    modules = segno.make(cert["verification_url"], error="m").symbol_size(border=0)[0]
    module = (right - left) / (modules - 1)  # the corners zxing gives are the outer modules' centres, or near
    margin = int(4 * module)
    ring = [
        page.getpixel((x, y))
        for x in range(int(left - margin), int(right + margin))
        for y in range(int(top - margin), int(bottom + margin))
        if not (left - 1 <= x <= right + 1 and top - 1 <= y <= bottom + 1)
    ]
    assert min(ring) > 200, "something dark within the quiet zone"
