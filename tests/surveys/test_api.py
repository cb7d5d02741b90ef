"""Surveys through the API: creating them as the contract writes it, importing responses (every row or none), the
reports' figures against hand computations, and the network."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import ADMIN, AUDITOR, LIAISON, OFFICIAL
from app.surveys import selectors
from app.surveys.models import SurveyAnswer, SurveyResponse
from app.surveys.schemas import InvitationCreate
from app.surveys.service import answer_by_link, invite
from tests.communities.test_service import seed_community
from tests.factories import ACTOR, headers, make_appointment, make_official, make_user
from tests.surveys.factories import make_people_survey, make_survey, people_body, survey_body


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return headers(make_user(db, ADMIN))


@pytest.fixture
def auditor(db: Session) -> dict[str, str]:
    return headers(make_user(db, AUDITOR))


def _csv(text: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("responses.csv", text.encode(), "text/csv")}


def test_create_a_survey_as_the_contract_writes_it(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/api/v1/surveys", json=survey_body(), headers=admin)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] >= 1 and body["series_code"] == "trust" and body["anonymous"] is True
    assert [i["code"] for i in body["items"]] == ["trust1", "role", "gain", "note"]
    assert [o["code"] for o in body["items"][2]["options"]] == ["tools", "contacts", "ideas"]
    assert body["items"][2]["max_choices"] == 2
    # The series was created with its first survey; the second wave joins it.
    second = client.post("/api/v1/surveys", json=survey_body(wave="end of year 1", order=2), headers=admin)
    assert second.status_code == 201, second.text
    listed = client.get("/api/v1/surveys?series=trust", headers=admin).json()
    assert [s["wave"] for s in listed["items"]] == ["start", "end of year 1"]
    again = client.post("/api/v1/surveys", json=survey_body(wave="start", order=3), headers=admin)
    assert again.status_code == 409 and again.json()["field"] == "wave"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"anonymous": True, "items": [{"code": "c", "kind": "people", "text_he": "עם מי"}]}, "items[0].kind"),
        ({"items": [{"code": "c", "kind": "single", "text_he": "א", "options": [{"code": "a", "text_he": "א"}]}]},
         "items[0].options"),
        ({"items": [{"code": "c", "kind": "scale5", "text_he": "א", "max_choices": 2}]}, "items[0].max_choices"),
        ({"items": [{"code": "c", "kind": "text", "text_he": "א"}, {"code": "c", "kind": "text", "text_he": "ב"}]},
         "items[1].code"),
    ],
)  # fmt: skip
def test_a_bad_item_is_refused_naming_it(
    client: TestClient, admin: dict[str, str], change: dict[str, object], field: str
) -> None:
    r = client.post("/api/v1/surveys", json={**survey_body(), **change}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_only_admins_create_surveys_and_staff_read_them(db: Session, client: TestClient) -> None:
    for role in (AUDITOR, LIAISON, OFFICIAL):
        r = client.post("/api/v1/surveys", json=survey_body(), headers=headers(make_user(db, role)))
        assert r.status_code == 403, role
    survey = make_survey(db)
    assert client.get(f"/api/v1/surveys/{survey.id}/report", headers=headers(make_user(db, AUDITOR))).status_code == 200
    assert client.get(f"/api/v1/surveys/{survey.id}/report", headers=headers(make_user(db, LIAISON))).status_code == 403


# Twelve respondents of the partner's file. trust1: 1,2,3,3,4,4,4,5,5,(empty),4,5 -> N=11.
GOOD = """trust1,role,gain,note
1,core,tools,
2,core,tools;contacts,
3,wider,,
3,wider,ideas,לקצר את המפגשים
4,core,contacts;ideas,
4,,tools,
4,core,,
5,wider,tools,
5,core,ideas,יותר סיורים
,core,,
4,wider,tools;ideas,
5,core,contacts,
"""


def test_import_and_the_report_against_hand_computations(
    db: Session, client: TestClient, admin: dict[str, str]
) -> None:
    survey = make_survey(db)
    r = client.post(f"/api/v1/surveys/{survey.id}/responses/import", files=_csv(GOOD), headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 12, "refused": []}
    report = client.get(f"/api/v1/surveys/{survey.id}/report", headers=admin).json()
    assert report["survey_id"] == survey.id and report["n"] == 12
    trust, role, gain, note = report["items"]
    # N counts those who answered the item: 11 of 12 answered trust1.
    assert trust["n"] == 11
    assert trust["distribution"] == {"1": 1, "2": 1, "3": 2, "4": 4, "5": 3}
    assert trust["mean"] == pytest.approx((1 + 2 + 3 + 3 + 4 * 4 + 5 * 3) / 11)
    assert trust["high_agreement_pct"] == pytest.approx(100 * 7 / 11)  # not rounded
    assert trust["options"] == []
    # 11 chose a role: core 7, wider 4.
    assert role["n"] == 11
    assert [(o["code"], o["pct"], o["text_he"]) for o in role["options"]] == [
        ("core", pytest.approx(100 * 7 / 11), "ליבה"),
        ("wider", pytest.approx(100 * 4 / 11), "מעגל רחב"),
    ]
    assert role["mean"] is None and role["high_agreement_pct"] is None
    # 9 named a gain: tools 5, contacts 3, ideas 4 (shares of the 9, adding up past 100).
    assert gain["n"] == 9
    assert {o["code"]: o["pct"] for o in gain["options"]} == pytest.approx(
        {"tools": 100 * 5 / 9, "contacts": 100 * 3 / 9, "ideas": 100 * 4 / 9}
    )
    assert note["n"] == 2 and sorted(note["texts"]) == sorted(["לקצר את המפגשים", "יותר סיורים"])


def test_every_row_or_none(db: Session, client: TestClient, admin: dict[str, str]) -> None:
    survey = make_survey(db)
    bad = "trust1,role,gain\n4,core,tools\n6,core,tools\n3,chief,tools;contacts;ideas\n,,\n5,wider,\n"
    r = client.post(f"/api/v1/surveys/{survey.id}/responses/import", files=_csv(bad), headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["imported"] == 0
    refused = {(x["row"], x["field"]) for x in body["refused"]}
    # Row 3: a 6 on the scale; row 4: an unknown option and three choices where two are allowed. Row 5 is empty
    # (skipped, as a spreadsheet's blank line); the header is row 1.
    assert refused == {(3, "trust1"), (4, "role"), (4, "gain")}
    assert any("at most 2" in x["detail"] for x in body["refused"])
    assert db.scalar(select(func.count()).where(SurveyResponse.survey_id == survey.id)) == 0
    unknown = client.post(
        f"/api/v1/surveys/{survey.id}/responses/import", files=_csv("trust1,colour\n4,red\n"), headers=admin
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "file"
    named = client.post(
        f"/api/v1/surveys/{survey.id}/responses/import", files=_csv("respondent_id,trust1\n1,4\n"), headers=admin
    )
    assert named.status_code == 422 and "anonymous" in named.json()["detail"]


def test_import_xlsx(db: Session, client: TestClient, admin: dict[str, str]) -> None:
    survey = make_survey(db)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["trust1", "gain"], [5, "tools;ideas"], [4.0, None], [None, "contacts"]):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    files = {"file": ("partner.xlsx", buf.getvalue(), xlsx)}
    r = client.post(f"/api/v1/surveys/{survey.id}/responses/import", files=files, headers=admin)
    assert r.json() == {"imported": 3, "refused": []}
    report = client.get(f"/api/v1/surveys/{survey.id}/report", headers=admin).json()
    assert report["items"][0]["n"] == 2 and report["items"][0]["high_agreement_pct"] == 100.0


def test_series_report_side_by_side_in_wave_order(db: Session, client: TestClient, admin: dict[str, str]) -> None:
    late = make_survey(db, wave="end of year 1", order=2)
    early = make_survey(db, wave="start", order=1)
    for survey, text in ((early, "trust1\n5\n4\n2\n1\n"), (late, "trust1\n5\n4\n")):
        client.post(f"/api/v1/surveys/{survey.id}/responses/import", files=_csv(text), headers=admin)
    body = client.get("/api/v1/survey-series/trust/report", headers=admin).json()
    assert body["code"] == "trust"
    assert [(w["wave"], w["wave_order"], w["survey_id"], w["n"]) for w in body["waves"]] == [
        ("start", 1, early.id, 4),
        ("end of year 1", 2, late.id, 2),
    ]
    assert [w["items"][0]["high_agreement_pct"] for w in body["waves"]] == [50.0, 100.0]
    assert client.get("/api/v1/survey-series/nope/report", headers=admin).status_code == 404


def test_the_network_names_members_only_to_those_who_run_the_survey(
    db: Session, client: TestClient, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    survey = make_people_survey(db)
    a, b, c, d = (make_official(db) for _ in range(4))
    make_appointment(db, a, authority="0031")
    make_appointment(db, b, authority="0070")
    make_appointment(db, c, authority="0031")
    links = invite(db, survey_id=survey.id, data=InvitationCreate(official_ids=[a.id, b.id, c.id, d.id]), actor=ACTOR)
    token = {link.official_id: link.path.removeprefix("/s/") for link in links}
    answer_by_link(db, token=token[a.id], given={"consult": f"{b.id};{c.id}", "trust1": "4"})
    answer_by_link(db, token=token[b.id], given={"consult": f"{c.id}"})
    answer_by_link(db, token=token[c.id], given={"consult": ""})
    named = client.get(f"/api/v1/surveys/{survey.id}/network", headers=admin).json()
    assert named["members"] == 4 and named["ties"] == 3
    assert named["density"] == pytest.approx(3 / 12)
    assert named["isolated"] == 1  # d: invited, never answered, named by no one
    # a->b (Ofakim/Ashdod) and b->c cross authorities; a->c does not.
    assert named["cross_authority_pct"] == pytest.approx(100 * 2 / 3)
    assert named["cross_district_pct"] == 0.0  # both in the South
    assert named["names_shown"] is True
    assert named["central"][0]["official_id"] == c.id and named["central"][0]["consulted_by"] == 2
    assert named["central"][0]["name"] == f"{c.first_name_he} {c.last_name_he}"
    numbers = client.get(f"/api/v1/surveys/{survey.id}/network", headers=auditor).json()
    assert numbers["names_shown"] is False
    assert numbers["density"] == named["density"]
    assert all(m["official_id"] is None and m["name"] is None for m in numbers["central"])


def test_people_answers_are_stored_as_ties(db: Session, client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/api/v1/surveys", json=people_body(), headers=admin)
    assert r.status_code == 201
    survey_id = r.json()["id"]
    a, b = make_official(db), make_official(db)
    text = f"respondent_id,consult,trust1\n{a.id},{b.id},5\n{b.id},,4\n"
    imported = client.post(f"/api/v1/surveys/{survey_id}/responses/import", files=_csv(text), headers=admin)
    assert imported.json() == {"imported": 2, "refused": []}, imported.text
    persons = db.scalars(select(SurveyAnswer.person_official_id).where(SurveyAnswer.person_official_id.is_not(None)))
    assert list(persons) == [b.id]
    again = client.post(f"/api/v1/surveys/{survey_id}/responses/import", files=_csv(text), headers=admin).json()
    assert again["imported"] == 0
    assert {(x["row"], x["field"]) for x in again["refused"]} == {(2, "respondent_id"), (3, "respondent_id")}
    no_one = client.post(
        f"/api/v1/surveys/{survey_id}/responses/import", files=_csv(f"consult\n{a.id}\n"), headers=admin
    ).json()
    assert no_one["refused"] == [{"row": 2, "field": "consult", "detail": "people named need the respondent_id"}]


def test_links_of_a_network_survey_name_their_respondents(
    db: Session, client: TestClient, admin: dict[str, str]
) -> None:
    survey = make_people_survey(db)
    official = make_official(db)
    r = client.post(f"/api/v1/surveys/{survey.id}/invitations", json={"anonymous_links": 2}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "anonymous_links"
    made = client.post(f"/api/v1/surveys/{survey.id}/invitations", json={"official_ids": [official.id]}, headers=admin)
    assert made.status_code == 201 and made.json()["items"][0]["path"].startswith("/s/")
    again = client.post(f"/api/v1/surveys/{survey.id}/invitations", json={"official_ids": [official.id]}, headers=admin)
    assert again.status_code == 409 and again.json()["error"] == "already_invited"


def test_a_communitys_coordinator_runs_its_surveys_and_no_other(db: Session, client: TestClient) -> None:
    """A survey of a community: its coordinator creates it and sees the names of its network; its people are the
    community's current members; the coordinator of another community is refused, and a community that does not
    exist is named at its field."""
    mine, other = seed_community(db, members=3), seed_community(db, members=1)
    coordinator = headers(make_user(db, OFFICIAL, official=mine.coordinator))
    body = people_body() | {"community_id": mine.community.id}
    made = client.post("/api/v1/surveys", json=body, headers=coordinator)
    assert made.status_code == 201, made.text
    survey_id = made.json()["id"]
    network = client.get(f"/api/v1/surveys/{survey_id}/network", headers=headers(make_user(db, AUDITOR)))
    assert network.status_code == 200, network.text
    people = selectors.survey_people(db, survey_id=survey_id, community_id=mine.community.id)
    assert people == sorted(m.id for m in [*mine.members, mine.coordinator])
    elsewhere = people_body(wave="other") | {"community_id": other.community.id}
    assert client.post("/api/v1/surveys", json=elsewhere, headers=coordinator).status_code == 403
    missing = client.post(
        "/api/v1/surveys", json=people_body(wave="x") | {"community_id": 999_999}, headers=coordinator
    )
    assert missing.status_code == 422 and missing.json()["field"] == "community_id"
