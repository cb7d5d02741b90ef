"""Certificate PDFs: rendered from the design in certificates/ (HTML and CSS an admin may change without code),
stored with their SHA-256, and served byte-identical; a missing or damaged file is rendered again.

A file is written to a temporary name in the same directory and renamed over the final one, so a worker killed
mid-render leaves no broken file, and a rerun finishes the job.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import tempfile
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import segno
from sqlalchemy.orm import Session

from app.certificates import rules
from app.certificates.models import Certificate
from app.certificates.rules import CertificateStatus
from app.config import PROJECT_ROOT, get_settings

DESIGN = "certificates/certificate.html"  # certificates/certificate.html, through app.pdf's loader
DESIGN_CSS = PROJECT_ROOT / "certificates" / "certificate.css"  # applied to the design by the renderer
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def sha256(data: bytes) -> str:
    """The hex SHA-256 of the bytes."""
    return hashlib.sha256(data).hexdigest()


def stored_path(cert: Certificate) -> Path:
    """Where the certificate's PDF is kept."""
    return get_settings().resolved_certificates_dir() / f"{cert.serial}.pdf"


def write_atomically(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: a temporary file in the same directory, synced, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# The light margin around a QR code that ISO/IEC 18004 requires, in modules: part of the image itself, so that no
# design can crowd it (a caption set close under the code took half of it away).
QR_QUIET_ZONE = 4


def qr_png(url: str) -> str:
    """The QR code of the URL (error correction level M) with its quiet zone, as a PNG data URI, a pixel a module,
    for `<img>` scaled up in CSS with `image-rendering: pixelated`: far quicker for WeasyPrint to draw than an SVG
    path."""
    return str(segno.make(url, error="m").png_data_uri(scale=1, border=QR_QUIET_ZONE, dark="#1b2a41", light="#ffffff"))


def _dates(day: date) -> dict[str, str]:
    from app import pdf

    # The Hebrew forms read right to left as they are; the English one sits in its own left-to-right element.
    english = f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return {"gregorian": pdf.gregorian_date_he(day), "hebrew": pdf.hebrew_date(day), "english": english}


def page_context(cert: Certificate) -> dict[str, Any]:
    """What the design gets for one certificate."""
    settings = get_settings()
    url = rules.verification_url(settings.public_base_url, cert.verification_code)
    return {
        "serial": cert.serial,
        "holder_name_he": cert.holder_name_he,
        "holder_name_en": cert.holder_name_en,
        "programme_code": cert.programme_code,
        "programme_title_he": cert.programme_title_he,
        "programme_title_en": cert.programme_title_en,
        "cohort_code": cert.cohort_code,
        "hours": f"{cert.hours:g}",
        "completed_on": cert.completed_on.isoformat(),
        "completed": _dates(cert.completed_on),
        "issued_on": cert.issued_on.isoformat(),
        "issued": _dates(cert.issued_on),
        "verification_url": url,
        "qr_png": qr_png(url),
    }


def _context(certs: list[Certificate]) -> dict[str, Any]:
    settings = get_settings()
    return {
        "certificates": [page_context(c) for c in certs],
        "school_name_he": settings.school_name_he,
        "school_name_en": settings.school_name_en,
    }


def render(certs: list[Certificate]) -> bytes:
    """One PDF with a page per certificate, to print (one HTML with page breaks renders many fastest)."""
    from app import pdf

    return pdf.render_pdf(DESIGN, _context(certs), base_url=PROJECT_ROOT, stylesheets=[pdf.file_stylesheet(DESIGN_CSS)])


def render_certificate(cert: Certificate) -> bytes:
    """The certificate's own PDF: PDF/A-3b, its signed credential (with its Data Integrity proof) attached and
    listed once in the catalogue's /AF, dated by its issue so that rendering it again gives the same bytes."""
    from weasyprint import HTML, Attachment

    from app import pdf

    html = pdf.render_html(DESIGN, _context([cert]))
    moment = cert.issued_at
    credential = Attachment(
        string=cert.credential_json or "",
        name="credential.json",
        description="Signed credential (Open Badges 3.0, Data Integrity proof eddsa-rdfc-2022); issuer's keys at "
        "/.well-known/did.json",
        created=moment,
        modified=moment,
        relationship="Supplement",
    )
    # app.pdf serialises renders on its lock and shares one FontConfiguration; the same here, with PDF/A options
    # that its render_pdf does not take.
    with pdf._lock:
        document = HTML(string=html, base_url=str(PROJECT_ROOT)).render(
            stylesheets=[pdf.base_stylesheet(), pdf.file_stylesheet(DESIGN_CSS)], font_config=pdf.font_configuration()
        )
        document.metadata.title = f"{cert.serial} · {cert.holder_name_he} · {cert.programme_title_he}"
        document.metadata.authors = [get_settings().school_name_he]
        document.metadata.created = document.metadata.modified = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        data = document.write_pdf(pdf_variant="pdf/a-3b", attachments=[credential], finisher=_af_once)
    assert data is not None
    return bytes(data)


def _af_once(document: Any, pdf: Any) -> None:
    """List each associated file once in the catalogue's /AF: WeasyPrint (PDF/A-3) adds an attachment's file
    specification there twice, once from the name tree and once from the object itself."""
    if "AF" in pdf.catalog:
        import pydyf

        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def sample_certificate() -> Certificate:
    """A certificate as the design receives one, not stored anywhere: for previews and the warm-up."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return Certificate(
        serial="MKM-2026-000000", verification_code="sample", status=CertificateStatus.VALID, issued_on=moment.date(),
        issued_at=moment, holder_name_he="ישראל ישראלי", holder_name_en="Israel Israeli", programme_code="SAMPLE",
        programme_title_he="הכשרת גזברים ברשויות המקומיות", programme_title_en="Entry training for treasurers",
        cohort_code="TREAS-2026-1", hours=240.0, completed_on=moment.date(), credential_jws="sample",
        credential_json="{}",
    )  # fmt: skip


def warm_up() -> None:
    """Ready a worker process to render: one certificate rendered (fonts loaded, design compiled, its CSS parsed),
    then everything made so far, which lives as long as the process, set aside from the garbage collector
    (`gc.freeze`): otherwise each full collection, every few dozen renders, walks all of it again (about 90 ms)."""
    render_certificate(sample_certificate())
    gc.collect()
    gc.freeze()


def ensure_pdf(db: Session, cert: Certificate) -> bytes:
    """The certificate's stored PDF; rendered and stored first when missing or not the bytes recorded."""
    path = stored_path(cert)
    if path.exists():
        data = path.read_bytes()
        if cert.pdf_sha256 is None or sha256(data) == cert.pdf_sha256:
            if cert.pdf_sha256 is None:
                cert.pdf_sha256 = sha256(data)
                db.flush()
            return data
    data = render_certificate(cert)
    write_atomically(path, data)
    digest = sha256(data)
    if cert.pdf_sha256 != digest:
        cert.pdf_sha256 = digest
        db.flush()
    return data


def zip_of(db: Session, certs: list[Certificate]) -> bytes:
    """A ZIP of the stored PDFs, one per certificate, named by serial."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for cert in certs:
            info = zipfile.ZipInfo(f"{cert.serial}.pdf", date_time=(cert.issued_on.year, cert.issued_on.month,
                                                                    cert.issued_on.day, 0, 0, 0))  # fmt: skip
            archive.writestr(info, ensure_pdf(db, cert), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
