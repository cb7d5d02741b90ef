"""Surveys in a real browser: a one-time link answered without signing in, in Hebrew and in English (a refused answer
first, shown at its question), the clear page of a link used; the report with its charts, the waves side by side and
the network's picture, as an admin. Every page checked by axe-core in both languages and photographed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from app.auth import operator
from app.surveys.schemas import InvitationCreate, SurveyCreate
from app.surveys.service import answer_by_link, create_survey, import_responses, invite
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_admin_catalogue import _signed_in_as_admin
from tests.factories import make_appointment, make_official
from tests.surveys.factories import people_body, survey_body

pytestmark = pytest.mark.browser

ACTOR = operator("browser-test")


@dataclass(frozen=True)
class Surveys:
    trust_id: int
    network_id: int
    links: tuple[str, ...]  # paths of one-time links of the trust survey


def _surveys(server) -> Surveys:
    """A trust series of two waves (the first answered by the research partner's file), its second wave with three
    one-time links, and a network wave answered by five members of three authorities."""
    engine = create_engine(make_url(server.database_url))
    try:
        with Session(engine) as db, db.begin():
            start = create_survey(db, data=SurveyCreate.model_validate(survey_body(series="b-trust")), actor=ACTOR)
            partner = "trust1,role,gain,note\n5,core,tools;ideas,יותר סיורים\n4,core,tools,\n2,wider,contacts,\n3,,,\n"
            import_responses(db, survey_id=start.id, content=partner.encode(), filename="p.csv", actor=ACTOR)
            body = survey_body(series="b-trust", wave="end of year 1", order=2)
            later = create_survey(db, data=SurveyCreate.model_validate(body), actor=ACTOR)
            respondents = [make_official(db) for _ in range(3)]
            data = InvitationCreate(official_ids=[o.id for o in respondents])
            links = tuple(link.path for link in invite(db, survey_id=later.id, data=data, actor=ACTOR))
            network = create_survey(
                db, data=SurveyCreate.model_validate({**people_body(), "series_code": "b-network"}), actor=ACTOR
            )
            members = [
                make_official(db, first_name_he=he, last_name_he="לוי", first_name_en=en, last_name_en="Levi")
                for he, en in (("אלה", "Ella"), ("בועז", "Boaz"), ("גיל", "Gil"), ("דנה", "Dana"), ("הדס", "Hadas"))
            ]
            for member, authority in zip(members, ("0031", "0031", "0070", "4000", "0070"), strict=True):
                make_appointment(db, member, authority=authority)
            data = InvitationCreate(official_ids=[m.id for m in members])
            tokens = {x.official_id: x.path[3:] for x in invite(db, survey_id=network.id, data=data, actor=ACTOR)}
            for who, whom in ((0, [1, 2]), (1, [2]), (3, [2, 0])):
                given = {"consult": ";".join(str(members[k].id) for k in whom), "trust1": "4"}
                answer_by_link(db, token=tokens[members[who].id], given=given)
            return Surveys(trust_id=later.id, network_id=network.id, links=links)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def surveys(server) -> Surveys:
    return _surveys(server)


def _answer(page, path: str, lang: str) -> None:
    page.goto(f"{path}?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    check_page(page, "survey-answer")
    # A choice of three where two are allowed is refused at its question, and what was chosen is kept.
    for n in (1, 2, 3):
        page.locator(f"#q-gain-{n}").check()
    page.locator("#q-trust1-4").check()
    page.locator("button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#q-gain-error").is_visible()
    assert page.locator("#q-trust1-4").is_checked()
    check_page(page, "survey-answer-refused")
    page.locator("#q-gain-3").uncheck()
    page.locator("#q-role-1").check()
    page.locator("#q-note").fill("המפגשים עוזרים לי" if lang == "he" else "The meetings help")
    page.locator("button[type=submit]").click()
    assert page.locator("[data-answered=true]").is_visible()
    check_page(page, "survey-answered")


def test_a_link_is_answered_once_in_either_language(page, server, surveys: Surveys) -> None:
    _answer(page, surveys.links[0], "he")
    _answer(page, surveys.links[1], "en")
    page.goto(surveys.links[0])
    assert page.locator("[data-link-state=used]").is_visible()
    check_in_both_languages(page, "survey-link-used")
    page.goto("/s/no-such-link")
    assert page.locator("[data-link-state=unknown]").is_visible()


def test_the_reports_and_the_network_as_an_admin(page, server, surveys: Surveys) -> None:
    _signed_in_as_admin(page, server)
    page.goto("/surveys")
    assert page.locator(f"[data-survey='{surveys.trust_id}']").is_visible()
    check_in_both_languages(page, "surveys")
    page.goto(f"/surveys/{surveys.trust_id - 1}/report")
    trust = page.locator("[data-item=trust1]")
    assert trust.get_attribute("data-n") == "4"
    assert trust.locator("svg.survey-chart").get_attribute("role") == "img"
    assert "50" in (trust.locator("[data-high-agreement]").inner_text())
    check_in_both_languages(page, "survey-report")
    page.goto("/survey-series/b-trust/report")
    assert page.locator("[data-wave='1']").first.is_visible()
    check_in_both_languages(page, "survey-series")
    page.goto(f"/surveys/{surveys.network_id}/network")
    assert page.locator("[data-members]").get_attribute("data-members") == "5"
    assert page.locator("svg.network__chart .network__member").count() == 5
    assert page.locator("svg.network__chart").get_by_text("גיל לוי").is_visible()
    check_in_both_languages(page, "survey-network")
    page.goto(f"/surveys/{surveys.trust_id}")
    check_in_both_languages(page, "survey")
    page.goto("/surveys/new")
    page.locator("main button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    check_in_both_languages(page, "survey-new-refused")
