"""The surveys' pages as a browser sees them: creating a survey, links made and answered once, the import with its
refusals, the report (page, XLSX, PDF), the waves side by side, and the network with names only for admins."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.auth import ADMIN, AUDITOR
from app.surveys.schemas import InvitationCreate
from app.surveys.service import answer_by_link, import_responses, invite
from tests.factories import ACTOR, counting_statements, make_appointment, make_official, make_user, sign_in
from tests.surveys.factories import make_people_survey, make_survey

ORIGIN = {"Origin": "http://testserver"}


def _as(db: Session, client: TestClient, role: str) -> str:
    return sign_in(db, client, make_user(db, role)).csrf_token


def test_an_admin_creates_a_survey_with_its_questions(db: Session, client: TestClient) -> None:
    csrf = _as(db, client, ADMIN)
    assert client.get("/surveys/new").status_code == 200
    form = {
        "csrf_token": csrf,
        "series_code": "satisfaction",
        "wave": "מפגש 1",
        "wave_order": "1",
        "title_he": "שביעות רצון מהמפגש",
        "title_en": "Satisfaction with the meeting",
        "anonymous": "true",
        "items[0].code": "useful",
        "items[0].kind": "scale5",
        "items[0].text_he": "המפגש היה מועיל",
        "items[2].code": "best",
        "items[2].kind": "multiple",
        "items[2].text_he": "מה היה הכי טוב",
        "items[2].options": "talk | ההרצאה | The talk\ntour | הסיור\n",
        "items[2].max_choices": "1",
    }
    r = client.post("/surveys", data=form, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "שביעות רצון מהמפגש" in page.text and 'data-item="best"' in page.text
    assert 'data-anonymous="true"' in page.text
    # A people question in an anonymous survey is refused at its field, and what was typed is kept.
    bad = {**form, "series_code": "other", "items[1].code": "who", "items[1].kind": "people", "items[1].text_he": "מי"}
    refused = client.post("/surveys", data=bad, headers=ORIGIN)
    assert refused.status_code == 422
    assert 'href="#items-1-kind"' in refused.text and 'id="items-1-kind-error"' in refused.text
    assert 'value="other"' in refused.text
    missing = client.post("/surveys", data={"csrf_token": csrf}, headers=ORIGIN)
    assert missing.status_code == 422 and 'href="#series_code"' in missing.text


def test_links_are_shown_once_and_answer_once(db: Session, client: TestClient) -> None:
    survey = make_survey(db)
    official = make_official(db)
    csrf = _as(db, client, ADMIN)
    r = client.post(
        f"/surveys/{survey.id}/invitations",
        data={"csrf_token": csrf, "official_ids": str(official.id), "anonymous_links": "1"},
        headers=ORIGIN,
    )
    assert r.status_code == 200 and 'data-links="2"' in r.text
    paths = re.findall(r"http://testserver(/s/[\w-]+)", r.text)
    assert len(paths) == 2
    client.cookies.clear()  # the respondent is not signed in
    form = client.get(paths[0] + "?lang=en")
    assert form.status_code == 200 and 'lang="en"' in form.text and 'name="trust1"' in form.text
    wrong = client.post(paths[0], data={"trust1": "9"}, headers=ORIGIN)
    assert wrong.status_code == 422 and 'href="#q-trust1"' in wrong.text
    done = client.post(paths[0], data={"trust1": "4", "gain": ["tools", "ideas"], "note": "תודה"}, headers=ORIGIN)
    assert done.status_code == 200 and 'data-answered="true"' in done.text
    again = client.get(paths[0])
    assert again.status_code == 409 and 'data-link-state="used"' in again.text
    assert client.post(paths[0], data={"trust1": "5"}, headers=ORIGIN).status_code == 409
    unknown = client.get("/s/not-a-real-link")
    assert unknown.status_code == 404 and 'data-link-state="unknown"' in unknown.text
    assert client.post(paths[1], data={"trust1": "5"}, headers={"Origin": "https://evil.example"}).status_code == 403


def test_the_import_form_shows_refused_rows_and_imports_every_row(db: Session, client: TestClient) -> None:
    survey = make_survey(db)
    csrf = _as(db, client, ADMIN)
    bad = {"file": ("partner.csv", b"trust1,role\n4,core\n8,core\n", "text/csv")}
    r = client.post(f"/surveys/{survey.id}/import", data={"csrf_token": csrf}, files=bad, headers=ORIGIN)
    assert r.status_code == 422 and 'data-row="3" data-field="trust1"' in r.text
    good = {"file": ("partner.csv", b"trust1,role\n4,core\n5,wider\n", "text/csv")}
    ok = client.post(f"/surveys/{survey.id}/import", data={"csrf_token": csrf}, files=good, headers=ORIGIN)
    assert ok.status_code == 200 and 'data-import-state="imported"' in ok.text and 'data-responses="2"' in ok.text
    unreadable = {"file": ("partner.csv", b"colour\nred\n", "text/csv")}
    no = client.post(f"/surveys/{survey.id}/import", data={"csrf_token": csrf}, files=unreadable, headers=ORIGIN)
    assert no.status_code == 422 and 'id="file-error"' in no.text


@pytest.fixture
def answered(db: Session) -> int:
    survey = make_survey(db)
    text = "trust1,role,gain,note\n5,core,tools;ideas,יותר סיורים\n4,core,tools,\n2,wider,,\n,,contacts,\n"
    import_responses(db, survey_id=survey.id, content=text.encode(), filename="p.csv", actor=ACTOR)
    return survey.id


def test_the_report_page_and_its_files(db: Session, client: TestClient, answered: int) -> None:
    _as(db, client, AUDITOR)
    page = client.get(f"/surveys/{answered}/report")
    assert page.status_code == 200
    # trust1: 3 answered (5, 4, 2): 2 of 3 agree highly.
    section = page.text.split('data-item="trust1"')[1].split("</section>")[0]
    assert 'data-n="3"' in page.text and "66.7%" in section and "<svg" in section
    assert "יותר סיורים" in page.text
    sheet = client.get(f"/surveys/{answered}/report.xlsx?lang=en")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    header = rows[2]
    trust = next(r for r in rows if r[0] == "trust1")
    assert trust[header.index("% high agreement (4-5)")] == 66.7 and trust[header.index("N (answered)")] == 3
    assert any(r[0] == "gain" and r[header.index("Option code")] == "tools" for r in rows)
    document = client.get(f"/surveys/{answered}/report.pdf")
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages)
    assert "trust1" in text and "66.7%" in text


def test_the_series_page_prints_each_wave_with_its_n(db: Session, client: TestClient) -> None:
    for order, wave, text in ((1, "start", "trust1\n5\n4\n1\n2\n"), (2, "end of year 1", "trust1\n5\n4\n")):
        survey = make_survey(db, wave=wave, order=order)
        import_responses(db, survey_id=survey.id, content=text.encode(), filename="p.csv", actor=ACTOR)
    _as(db, client, ADMIN)
    page = client.get("/survey-series/trust/report?lang=en")
    assert page.status_code == 200
    assert re.search(r"start <bdi>N=4</bdi>.*end of year 1 <bdi>N=2</bdi>", page.text, re.S)
    assert 'data-high-agreement="50.0"' in page.text and 'data-high-agreement="100.0"' in page.text


def test_the_network_page_shows_names_only_to_those_who_run_it(db: Session, client: TestClient) -> None:
    first = make_people_survey(db)
    second = make_people_survey(db, wave="end of year 1", order=2)
    people = [make_official(db, first_name_he=name) for name in ("אורית", "בני", "גלית")]
    for p in people:
        make_appointment(db, p)
    for survey, ties in ((first, {0: [1]}), (second, {0: [1, 2], 1: [2]})):
        data = InvitationCreate(official_ids=[p.id for p in people])
        links = {link.official_id: link.path[3:] for link in invite(db, survey_id=survey.id, data=data, actor=ACTOR)}
        for who, whom in ties.items():
            given = {"consult": ";".join(str(people[k].id) for k in whom)}
            answer_by_link(db, token=links[people[who].id], given=given)
    _as(db, client, ADMIN)
    page = client.get(f"/surveys/{second.id}/network?compare={first.id}")
    assert page.status_code == 200
    assert 'data-members="3"' in page.text and 'data-ties="3"' in page.text and "גלית" in page.text
    assert f'data-compare="{first.id}"' in page.text and "<svg" in page.text
    assert re.search(r"data-tie-changes>[^<]*1[^<]*2[^<]*0", page.text)
    client.cookies.clear()
    _as(db, client, AUDITOR)
    numbers = client.get(f"/surveys/{second.id}/network")
    assert numbers.status_code == 200 and 'data-names="hidden"' in numbers.text
    assert "גלית" not in numbers.text and "אורית" not in numbers.text
    assert client.get(f"/surveys/{second.id}/network?compare=999999").status_code == 404


def test_reports_and_networks_cost_the_same_queries_whatever_their_size(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    """The series page and the network page read in a fixed number of statements: more waves, responses and
    members add none."""
    _as(db, client, ADMIN)

    def series_page_statements(code: str, waves: int, per_wave: int) -> int:
        for order in range(1, waves + 1):
            survey = make_survey(db, series=code, wave=f"w{order}", order=order)
            text = "trust1,gain\n" + "".join(f"{1 + k % 5},tools\n" for k in range(per_wave))
            import_responses(db, survey_id=survey.id, content=text.encode(), filename="p.csv", actor=ACTOR)
        with counting_statements(db) as statements:
            assert client.get(f"/survey-series/{code}/report").status_code == 200
        return len(statements)

    assert series_page_statements("small", 1, 3) == series_page_statements("large", 3, 40)

    def network_page_statements(members: int) -> int:
        survey = make_people_survey(db, wave=f"m{members}", order=members)
        people = [make_official(db) for _ in range(members)]
        for p in people:
            make_appointment(db, p)
        data = InvitationCreate(official_ids=[p.id for p in people])
        for n, link in enumerate(invite(db, survey_id=survey.id, data=data, actor=ACTOR)):
            answer_by_link(db, token=link.path[3:], given={"consult": str(people[(n + 1) % members].id)})
        with counting_statements(db) as statements:
            assert client.get(f"/surveys/{survey.id}/network").status_code == 200
        return len(statements)

    assert network_page_statements(2) == network_page_statements(12)


def test_a_network_survey_refuses_links_that_name_no_one(db: Session, client: TestClient) -> None:
    survey = make_people_survey(db)
    csrf = _as(db, client, ADMIN)
    r = client.post(
        f"/surveys/{survey.id}/invitations", data={"csrf_token": csrf, "anonymous_links": "3"}, headers=ORIGIN
    )
    assert r.status_code == 422 and 'id="anonymous_links-error"' in r.text and "data-links" not in r.text
