"""The audit trail's pages: the trail filtered by who, what, when and record, in both languages; filters that cannot
be read named at their fields (422); a record's history, each change as the fields it changed, before and after; the
trail in the same number of statements for 1 or 10 events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth import Principal
from app.clock import today
from app.programmes.schemas import ProgrammeUpdate
from app.programmes.service import update_programme
from tests.factories import counting_statements, make_programme, make_user, sign_in


def _admin(db: Session, client: TestClient) -> Principal:
    admin = make_user(db, "admin", email="chief@school.example")
    sign_in(db, client, admin)
    return Principal(user_id=admin.id, label=admin.email, role="admin")


def test_the_trail_is_filtered_by_who_what_when_and_record(db: Session, client: TestClient) -> None:
    actor = _admin(db, client)
    programme = make_programme(db, code="AUD-1", kind="advanced")
    update_programme(db, code="AUD-1", data=ProgrammeUpdate(title_en="Audited"), actor=actor)
    page = client.get("/admin/audit")
    assert page.status_code == 200, page.text
    assert '<html lang="he" dir="rtl">' in page.text and f'href="/admin/audit/programme/{programme.id}"' in page.text
    mine = client.get("/admin/audit?who=Chief@School.example").text
    assert mine.count("data-event=") == 1 and "title_en" in mine
    assert client.get("/admin/audit?entity_type=programme&action=create").text.count("data-event=") == 1
    assert client.get(f"/admin/audit?entity_type=programme&entity_id={programme.id}").text.count("data-event=") == 2
    day = today().isoformat()
    assert client.get(f"/admin/audit?entity_type=programme&since={day}&until={day}").text.count("data-event=") == 2
    tomorrow = (today() + timedelta(days=1)).isoformat()
    empty = client.get(f"/admin/audit?since={tomorrow}").text
    assert "data-event=" not in empty and "אין שינויים שמתאימים לסינון." in empty
    english = client.get("/admin/audit?entity_type=programme&lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "Audit trail" in english and "Training programme" in english


def test_a_day_is_the_schools_day_not_utcs(db: Session, client: TestClient) -> None:
    """An event at 23:30 UTC on 10 March is at 01:30 on 11 March in Jerusalem: it is found under the 11th."""
    _admin(db, client)
    make_programme(db, code="AUD-3", kind="advanced")
    db.execute(update(AuditEvent).values(at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC)))
    db.commit()
    on = client.get("/admin/audit?entity_type=programme&since=2026-03-11&until=2026-03-11").text
    assert on.count("data-event=") == 1 and "01:30" in on
    assert "data-event=" not in client.get("/admin/audit?entity_type=programme&until=2026-03-10").text


def test_filters_that_cannot_be_read_are_named_at_their_fields(db: Session, client: TestClient) -> None:
    _admin(db, client)
    r = client.get("/admin/audit?who=nobody@x.example&since=2026-02-30")
    assert r.status_code == 422
    assert 'href="#who"' in r.text and 'href="#since"' in r.text and 'value="nobody@x.example"' in r.text
    r = client.get("/admin/audit?since=2026-03-02&until=2026-03-01")
    assert r.status_code == 422 and 'href="#until"' in r.text


def test_a_records_history_shows_each_change_before_and_after(db: Session, client: TestClient) -> None:
    actor = _admin(db, client)
    programme = make_programme(db, code="AUD-2", kind="advanced")
    update_programme(db, code="AUD-2", data=ProgrammeUpdate(title_en="Renamed", hours=40), actor=actor)
    page = client.get(f"/admin/audit/programme/{programme.id}")
    assert page.status_code == 200, page.text
    create, change = page.text.split('class="history__item"')[1:3]
    assert 'data-action="create"' in create and 'data-field="code"' in create
    assert 'data-action="update"' in change and "chief@school.example" in change
    row = change.split('data-field="title_en"')[1].split("</tr>")[0]
    assert "Treasurers&#39; entry training" in row and "Renamed" in row
    assert 'data-field="hours"' in change and 'data-field="code"' not in change  # only what changed
    english = client.get(f"/admin/audit/programme/{programme.id}?lang=en").text
    assert "Before" in english and "After" in english
    assert "אין ביומן שינויים" in client.get("/admin/audit/programme/999999?lang=he").text


def test_the_trail_answers_in_the_same_number_of_statements_for_1_or_10_events(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    actor = _admin(db, client)
    make_programme(db, code="AUD-3", kind="advanced")
    with counting_statements(db) as one:
        assert client.get("/admin/audit?entity_type=programme").text.count("data-event=") == 1
    for i in range(9):
        update_programme(db, code="AUD-3", data=ProgrammeUpdate(title_en=f"Title {i}"), actor=actor)
    db.flush()
    with counting_statements(db) as ten:
        assert client.get("/admin/audit?entity_type=programme").text.count("data-event=") == 10
    assert len(ten) == len(one)
