"""Bulk import through the API: what an admin sees for CSV and XLSX files as Excel writes them."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import xlsxwriter
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.config import get_settings
from app.officials.models import Appointment, Official, Requirement
from tests.factories import headers, make_appointment, make_official, make_programme, make_user, national_id

URL = "/api/v1/imports/officials"
HEADER = ["national_id", "first_name_he", "last_name_he", "email", "authority_code", "role_code", "start_date"]


def zero_led_id() -> str:
    """A valid ID whose first digit is 0, the kind Excel shortens."""
    return national_id(random.randrange(1_000_000, 9_999_999))


def csv_bytes(
    rows: list[list[str]], *, sep: str = ",", encoding: str = "utf-8-sig", header: list[str] = HEADER
) -> bytes:
    return "\r\n".join(sep.join(r) for r in [header, *rows]).encode(encoding)


def upload(client: TestClient, h: dict[str, str], content: bytes, *, name: str = "officials.csv", dry_run: bool = True):
    return client.post(URL, params={"dry_run": dry_run}, files={"file": (name, content)}, headers=h)


def count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def counts(db: Session) -> tuple[int, int, int, int]:
    return count(db, Official), count(db, Appointment), count(db, Requirement), count(db, AuditEvent)


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return headers(make_user(db, "admin"))


def test_dry_run_of_a_utf8_csv_with_bom_reports_and_writes_nothing(client, db, admin) -> None:
    a, b = national_id(), national_id()
    content = csv_bytes(
        [
            [a, "\u200fדָּנָה", "לוי\u200b", "Dana.Levi@Example.org", "0031", "treasurer", "2024-02-29"],
            [b, "משה", "כהן", "", "", "", ""],
        ]
    )
    before = counts(db)
    r = upload(client, admin, content)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True and body["applied"] is False
    assert body["rows"] == [
        {"row": 2, "national_id": a, "official": "created", "appointment": "created", "errors": []},
        {"row": 3, "national_id": b, "official": "created", "appointment": "none", "errors": []},
    ]
    assert body["summary"] == {
        "rows": 2,
        "officials_created": 2,
        "officials_updated": 0,
        "appointments_created": 1,
        "appointments_updated": 0,
        "unchanged": 0,
        "refused": 0,
    }
    assert counts(db) == before


def test_windows_1255_with_semicolons_hebrew_headers_lost_zeros_and_day_first_dates(client, db, admin) -> None:
    nid = zero_led_id()
    header = ['ת"ז', "שם פרטי", "שם משפחה", "סמל רשות", "תפקיד", "תאריך התחלה", "תאריך סיום"]
    content = csv_bytes(
        [[nid.lstrip("0"), "רונית", "אברהם", "70", "city_engineer", "01/03/2024", "31.12.2025"]],
        sep=";",
        encoding="cp1255",
        header=header,
    )
    r = upload(client, admin, content, dry_run=False)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] is True
    assert r.json()["rows"][0]["national_id"] == nid
    official = db.scalar(select(Official).where(Official.national_id == nid))
    assert official is not None and (official.first_name_he, official.last_name_he) == ("רונית", "אברהם")
    appointment = db.scalar(select(Appointment).where(Appointment.official_id == official.id))
    assert appointment is not None
    # "70" does not exist, so it is Ashdod's "0070" with its zeros restored.
    assert (appointment.authority_code, appointment.role_code) == ("0070", "city_engineer")
    assert (appointment.start_date, appointment.end_date) == (date(2024, 3, 1), date(2025, 12, 31))


def test_xlsx_with_numbers_as_ids_and_real_date_cells(client, db, admin) -> None:
    nid = zero_led_id()
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("גיליון1")
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["ת״ז", "שם פרטי", "שם משפחה", "First name (EN)", "סמל רשות", "תפקיד", "תאריך התחלה"])
    sheet.write_number(1, 0, int(nid))
    sheet.write_row(1, 1, ["יעל", "מזרחי", "Yael"])
    sheet.write_number(1, 4, 31)
    sheet.write_string(1, 5, "גזבר/ית")  # the role by its Hebrew name
    sheet.write_datetime(1, 6, date(2023, 7, 16), dates)
    book.close()
    # "31" could be Nahal Soreq or Ofakim ("0031" without its zeros): refused, saying so.
    r = upload(client, admin, buf.getvalue(), name="officials.xlsx", dry_run=False)
    assert r.status_code == 422, r.text
    assert r.json()["rows"][0]["errors"][0]["field"] == "authority_code"
    assert "ambiguous" in r.json()["rows"][0]["errors"][0]["detail"]

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["national_id", "first_name_he", "last_name_he", "authority_code", "role_code", "start_date"])
    sheet.write_number(1, 0, int(nid))
    sheet.write_row(1, 1, ["יעל", "מזרחי"])
    sheet.write_number(1, 3, 2400)
    sheet.write_string(1, 4, "treasurer")
    sheet.write_datetime(1, 5, date(2023, 7, 16), book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()
    r = upload(client, admin, buf.getvalue(), name="officials.xlsx", dry_run=False)
    assert r.status_code == 200, r.text
    assert r.json()["rows"][0] == {
        "row": 2,
        "national_id": nid,
        "official": "created",
        "appointment": "created",
        "errors": [],
    }
    appointment = db.scalar(select(Appointment).join(Official).where(Official.national_id == nid))
    assert appointment is not None and (appointment.authority_code, appointment.start_date) == (
        "2400",
        date(2023, 7, 16),
    )


def test_real_run_creates_officials_appointments_and_requirements_then_a_second_run_changes_nothing(
    client, db, admin
) -> None:
    programme = make_programme(db, roles=["treasurer"])
    a, b = national_id(), national_id()
    content = csv_bytes(
        [
            [a, "דנה", "לוי", "", "0031", "treasurer", "2024-02-29"],
            [a, "דנה", "לוי", "", "2400", "treasurer", "2022-01-01"],  # the same person, another appointment
            [b, "משה", "כהן", "moshe@example.org", "0070", "legal_adviser", "2024-05-01"],
        ]
    )
    r = upload(client, admin, content, dry_run=False)
    assert r.status_code == 200, r.text
    assert [(x["official"], x["appointment"]) for x in r.json()["rows"]] == [
        ("created", "created"),
        ("unchanged", "created"),
        ("created", "created"),
    ]
    official = db.scalar(select(Official).where(Official.national_id == a))
    assert official is not None
    due = db.scalars(
        select(Requirement.due_date)
        .join(Appointment, Appointment.id == Requirement.appointment_id)
        .where(Appointment.official_id == official.id, Requirement.programme_id == programme.id)
        .order_by(Requirement.due_date)
    ).all()
    assert due == [date(2024, 1, 1), date(2026, 2, 28)]  # 24 months; 29 Feb falls due on 28 Feb
    events = db.scalars(select(AuditEvent.entity_type).where(AuditEvent.entity_id == str(official.id))).all()
    assert "official" in events

    before = counts(db)
    again = upload(client, admin, content, dry_run=False)
    assert again.status_code == 200, again.text
    assert again.json()["summary"]["unchanged"] == 3
    assert {(x["official"], x["appointment"]) for x in again.json()["rows"]} == {("unchanged", "unchanged")}
    assert counts(db) == before  # not one audit event more


def test_changed_fields_and_end_dates_update_and_dry_run_is_exact(client, db, admin) -> None:
    official = make_official(db, email="old@example.org")
    make_appointment(db, official, authority="0031", role="legal_adviser", start=date(2023, 1, 1))
    nid = official.national_id
    content = csv_bytes(
        [
            # Empty cells are not sent: last name and the English names stay as they are.
            [nid, official.first_name_he, "", "new@example.org", "0031", "legal_adviser", "2023-01-01", "2024-06-30"],
            # A row that depends on the one above, in the same file.
            [nid, "", "", "", "0031", "legal_adviser", "2024-07-01", ""],
        ],
        header=[*HEADER, "end_date"],
    )
    dry = upload(client, admin, content)
    assert [(x["official"], x["appointment"]) for x in dry.json()["rows"]] == [
        ("updated", "updated"),
        ("unchanged", "created"),
    ]
    real = upload(client, admin, content, dry_run=False)
    assert real.status_code == 200, real.text
    assert real.json()["rows"] == dry.json()["rows"]
    db.refresh(official)
    assert (official.email, official.last_name_en) == ("new@example.org", "Cohen")
    ends = db.scalars(
        select(Appointment.end_date).where(Appointment.official_id == official.id).order_by(Appointment.start_date)
    ).all()
    assert ends == [date(2024, 6, 30), None]


def test_bad_rows_are_reported_per_field_and_a_real_run_writes_nothing(client, db, admin) -> None:
    good, bad_digit = national_id(), national_id()
    bad_digit = bad_digit[:-1] + str((int(bad_digit[-1]) + 1) % 10)
    content = csv_bytes(
        [
            [good, "דנה", "לוי", "", "0031", "treasurer", "2024-01-01", ""],
            [bad_digit, "משה", "כהן", "", "", "", "", ""],
            [national_id(), "רות", "כץ", "", "0031", "nope", "2024-01-01", ""],
            [national_id(), "רות", "כץ", "", "9999", "treasurer", "2024-01-01", ""],
            [national_id(), "רות", "כץ", "", "0031", "treasurer", "2024-01-01", "2023-12-31"],
            [national_id(), "Ruth", "כץ", "not-an-email", "0031", "treasurer", "", ""],
            [national_id(), "", "", "", "", "", "", ""],
        ],
        header=[*HEADER, "end_date"],
    )
    r = upload(client, admin, content)
    assert r.status_code == 200, r.text
    rows = {x["row"]: x for x in r.json()["rows"]}
    assert (rows[2]["official"], rows[2]["appointment"]) == ("created", "created")

    def errors(n: int) -> dict[str, str]:
        assert rows[n]["official"] == "refused"
        return {e["field"]: e["detail"] for e in rows[n]["errors"]}

    assert "check digit" in errors(3)["national_id"] and bad_digit in errors(3)["national_id"]
    assert rows[3]["appointment"] == "none"
    assert "'nope'" in errors(4)["role_code"] and rows[4]["appointment"] == "refused"
    assert "'9999'" in errors(5)["authority_code"]
    assert "before" in errors(6)["end_date"]
    assert set(errors(7)) == {"first_name_he", "email", "start_date"}
    assert set(errors(8)) == {"first_name_he", "last_name_he"}  # a new official needs a name
    assert r.json()["summary"]["refused"] == 6

    before = counts(db)
    real = upload(client, admin, content, dry_run=False)
    assert real.status_code == 422
    body = real.json()
    assert body["error"] == "import_refused" and "6 of 7 rows" in body["detail"]
    assert body["applied"] is False and body["rows"] == r.json()["rows"]
    assert counts(db) == before
    assert db.scalar(select(Official).where(Official.national_id == good)) is None


def test_ambiguous_cbs_code_is_resolved_by_the_authority_name(client, db, admin) -> None:
    header = [*HEADER[:3], "authority_code", "authority_name", "role_code", "start_date"]
    a, b, c = national_id(), national_id(), national_id()
    ambiguous = [a, "דנה", "לוי", "31", "", "treasurer", "2024-01-01"]
    named = [
        [b, "דנה", "לוי", "31", "נחל שורק", "treasurer", "2024-01-01"],
        [c, "דנה", "לוי", "31", "אופקים", "treasurer", "2024-01-01"],
    ]
    rows = upload(client, admin, csv_bytes([ambiguous, *named], header=header)).json()["rows"]
    error = rows[0]["errors"][0]
    assert error["field"] == "authority_code"
    assert "ambiguous" in error["detail"] and "0031 (אופקים)" in error["detail"] and "31 (נחל שורק)" in error["detail"]
    assert rows[1]["errors"] == [] and rows[2]["errors"] == []

    r = upload(client, admin, csv_bytes(named, header=header), dry_run=False)
    assert r.status_code == 200, r.text
    stmt = select(Official.national_id, Appointment.authority_code).join(Appointment)
    held = dict(db.execute(stmt.where(Official.national_id.in_([b, c]))).all())
    assert held == {b: "31", c: "0031"}


def test_the_same_person_twice_with_other_names_refuses_the_later_row(client, db, admin) -> None:
    nid = national_id()
    content = csv_bytes([[nid, "דנה", "לוי", "", "", "", ""], [nid, "דנה", "כהן", "", "", "", ""]])
    rows = upload(client, admin, content).json()["rows"]
    assert rows[0]["official"] == "created"
    assert rows[1]["official"] == "refused"
    assert rows[1]["errors"][0]["field"] == "last_name_he" and "row 2" in rows[1]["errors"][0]["detail"]


@pytest.fixture
def setting() -> Iterator[Any]:
    settings = get_settings()
    saved = settings.model_dump()
    yield settings
    for key in ("upload_max_bytes", "xlsx_max_uncompressed_bytes"):
        setattr(settings, key, saved[key])


def test_an_upload_over_the_limit_is_413(client, db, admin, setting) -> None:
    setting.upload_max_bytes = 100
    r = upload(client, admin, csv_bytes([[national_id(), "דנה", "לוי", "", "", "", ""]] * 5))
    assert r.status_code == 413
    assert r.json()["error"] == "too_large"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_zip_bomb_is_413(client, db, admin, setting) -> None:
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<row/>" * 4_000_000})
    assert len(bomb) < 100_000
    r = upload(client, admin, bomb, name="officials.xlsx")
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    setting.xlsx_max_uncompressed_bytes = 1000
    r = upload(client, admin, _zip({"xl/worksheets/sheet1.xml": b"x" * 2000}), name="officials.xlsx")
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"not a workbook", "officials.xlsx"),
        (b"PK\x03\x04 truncated", "officials.xlsx"),
        (_zip({"hello.txt": b"hi"}), "officials.xlsx"),
        (b"", "officials.csv"),
        (b"national_id,first_name_he\n", "officials.csv"),
        (b"national_id,nickname\n18,x\n", "officials.csv"),
    ],
)
def test_unreadable_files_are_422_naming_the_file(client, db, admin, content: bytes, name: str) -> None:
    r = upload(client, admin, content, name=name)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "file" and r.json()["detail"]


@pytest.mark.parametrize("role", ["auditor", "liaison", "official"])
def test_only_admins_import(client, db, role: str) -> None:
    r = upload(client, headers(make_user(db, role)), csv_bytes([[national_id(), "דנה", "לוי", "", "", "", ""]]))
    assert r.status_code == 403


def test_without_a_token_it_is_401(client, db) -> None:
    assert upload(client, {}, csv_bytes([])).status_code == 401


def test_the_route_documents_its_answers(client) -> None:
    op = client.get("/openapi.json").json()["paths"][URL]["post"]
    assert {"200", "401", "403", "413", "422"} <= set(op["responses"])
