"""Importing officials in the browser's two steps: the file checked (nothing imported) and its report shown row by
row; a file with a refused row imports nothing and offers no import; the file set right imports every row with one
button; a file that cannot be read is named at the field. Both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import ADMIN
from app.imports.models import ImportRun
from app.imports.selectors import imports_with_refused_rows
from app.officials.models import Appointment, Official
from tests.factories import make_user, national_id, sign_in
from tests.imports.test_import import csv_bytes

ORIGIN = {"Origin": "http://testserver"}


def _officials(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Official)) or 0


def _upload(client: TestClient, csrf: str, content: bytes, name: str = "officials.csv", lang: str = "he"):
    return client.post(
        f"/admin/imports?lang={lang}",
        data={"csrf_token": csrf},
        files={"file": (name, content, "text/csv")},
        headers=ORIGIN,
        follow_redirects=True,
    )


def test_a_file_with_a_bad_row_imports_nothing_and_the_corrected_file_imports_every_row(
    db: Session, client: TestClient
) -> None:
    csrf = sign_in(db, client, make_user(db, ADMIN)).csrf_token
    a, b = national_id(), national_id()
    good = [a, "סמיר", "חורי", "", "0031", "treasurer", "2024-02-01"]
    bad = [b, "רונית", "לוי", "", "0031", "no-such-role", "2024-02-01"]
    before = _officials(db)

    page = _upload(client, csrf, csv_bytes([good, bad]))
    assert page.status_code == 200
    html = page.text
    assert 'data-row="3"' in html and 'data-field="role_code"' in html and "אין תפקיד בקוד הזה" in html
    assert "no-such-role" in html  # the value named
    assert '/import"' not in html  # no button to import
    assert _officials(db) == before
    run_id = int(str(page.url).rsplit("/", 1)[1])
    assert [r.id for r in imports_with_refused_rows(db)] == [run_id]
    english = client.get(f"/admin/imports/{run_id}?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "There is no role with this code" in english
    # Importing a file with refused rows is refused, and imports nothing.
    r = client.post(f"/admin/imports/{run_id}/import", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 200 and _officials(db) == before

    bad[5] = "city_engineer"
    page = _upload(client, csrf, csv_bytes([good, bad]))
    assert page.status_code == 200 and "קליטת 2 שורות" in page.text
    assert _officials(db) == before  # checked only
    fixed_id = int(str(page.url).rsplit("/", 1)[1])
    r = client.post(f"/admin/imports/{fixed_id}/import", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 200 and 'data-import-state="imported"' in r.text
    assert _officials(db) == before + 2
    assert db.scalar(select(func.count()).select_from(Appointment).where(Appointment.role_code == "city_engineer"))
    run = db.get_one(ImportRun, fixed_id)
    assert run.imported_at is not None and run.content is None  # the file is not kept once imported
    assert imports_with_refused_rows(db) == []  # set right by the file of the same name
    # Again: nothing more (imported already), and the list shows both files.
    again = client.post(f"/admin/imports/{fixed_id}/import", data={"csrf_token": csrf}, headers=ORIGIN)
    assert again.status_code == 200 and _officials(db) == before + 2
    listing = client.get("/admin/imports").text
    assert listing.count('data-import-state="imported"') == 1 and listing.count('data-import-state="refused"') == 1


def test_a_file_missing_or_unreadable_is_named_at_the_field(db: Session, client: TestClient) -> None:
    csrf = sign_in(db, client, make_user(db, ADMIN)).csrf_token
    missing = client.post("/admin/imports", data={"csrf_token": csrf}, headers=ORIGIN)
    assert missing.status_code == 422 and 'href="#file"' in missing.text and 'id="file-error"' in missing.text
    unreadable = _upload(client, csrf, b"PK\x03\x04 not a workbook", name="officials.xlsx")
    assert unreadable.status_code == 422 and "אי אפשר לקרוא את הקובץ" in unreadable.text
    no_id = _upload(client, csrf, b"first_name_he,last_name_he\r\n\xd7\x93,\xd7\x9c\r\n", lang="en")
    assert no_id.status_code == 422 and "national_id" in no_id.text and '<html lang="en"' in no_id.text
    assert db.scalar(select(func.count()).select_from(ImportRun)) == 0
