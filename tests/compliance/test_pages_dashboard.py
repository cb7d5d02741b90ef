"""The compliance dashboard, /compliance: the headline figures of a small seeded world as of a past date (the same
whenever asked) and their change since an earlier one; the filters (district, type of authority, role, programme);
the heatmap's cells and links; the ranked table worst first, sorted, paged and searched (a geresh typed either way);
the exports' content and right-to-left sheet; the PDF report stamped with who printed it; a liaison limited to
their authority; a date that cannot be read named at its field (422); and the same number of statements for 1 or 10
authorities."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.compliance.rules import on_time_rate
from tests.factories import (
    counting_statements,
    make_appointment,
    make_completion,
    make_official,
    make_programme,
    make_user,
    sign_in,
)

AS_OF = "2026-01-01"
BEFORE = "2025-01-01"  # a year before: the default comparison


@pytest.fixture
def world(db: Session) -> dict[str, object]:
    """Ofakim (0031, Southern, a city): one completed on time, one completed late, one overdue, one not started,
    one whose appointment ended. Nahal Soreq (31, Central, a regional council): one overdue, one appointed in June
    2025. Sakhnin (7500, Northern, a city, written with a geresh): one city engineer, overdue."""
    treasurers = make_programme(db, code="TREAS")
    engineers = make_programme(db, code="ENG", roles=["city_engineer"])
    people: dict[str, object] = {}

    def person(key, authority, start, *, end=None, done=None, role="treasurer", programme=treasurers):
        o = make_official(db)
        make_appointment(db, o, authority=authority, start=start, end=end, role=role)
        if done:
            make_completion(db, o, programme, done)
        people[key] = o

    person("on_time", "0031", date(2023, 1, 1), done=date(2024, 6, 1))
    person("late", "0031", date(2023, 1, 1), done=date(2025, 6, 1))
    person("overdue", "0031", date(2023, 6, 1))
    person("soon", "0031", date(2024, 2, 15))
    person("closed", "0031", date(2023, 1, 1), end=date(2024, 1, 1))
    person("soreq_overdue", "31", date(2023, 2, 1))
    person("soreq_new", "31", date(2025, 6, 1))
    person("sakhnin", "7500", date(2022, 1, 1), role="city_engineer", programme=engineers)
    return people


def _auditor(db: Session, client: TestClient) -> None:
    sign_in(db, client, make_user(db, "auditor", email="auditor@dash.example"))


def _page(client: TestClient, query: str = "", status: int = 200) -> str:
    r = client.get(f"/compliance?as_of={AS_OF}{query}")
    assert r.status_code == status, r.text[:2000]
    return r.text


def _figure(text: str, key: str) -> tuple[str, str]:
    """A headline figure's value and its change, as shown."""
    block = text.split(f'data-figure="{key}"', 1)[1].split("</li>", 1)[0]
    value = re.search(r'figure__value"><bdi>([^<]*)</bdi>', block)
    change = re.search(r'data-change="([^"]*)"', block)
    assert value and change, block
    return value.group(1), change.group(1)


def _ranked(text: str) -> list[str]:
    """The CBS codes of the ranked table's rows, in order."""
    if 'class="table ranking"' not in text:
        return []
    table = text.split('class="table ranking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-authority="([^"]+)"', table)


def test_the_on_time_rate_is_completed_on_time_over_requirements_in_force_not_exempt() -> None:
    counts = {"required": 10, "exempt": 2, "completed_on_time": 6}
    assert on_time_rate(counts) == 0.75
    assert on_time_rate({"required": 2, "exempt": 2, "completed_on_time": 0}) is None


def test_the_headline_figures_of_a_past_date_and_their_change(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    text = _page(client)
    assert '<html lang="he" dir="rtl">' in text
    # As of 1 Jan 2026: in force 4 in Ofakim (one ended), 2 in Nahal Soreq, 1 in Sakhnin; a year before, 6
    # (Soreq's newcomer not yet appointed).
    assert _figure(text, "required") == ("7", "1")
    assert _figure(text, "completed_on_time") == ("1", "0")
    assert _figure(text, "completed_late") == ("1", "1")
    assert _figure(text, "overdue") == ("3", "2")  # Sakhnin's engineer was overdue already
    assert _figure(text, "not_started") == ("2", "-2")
    assert _figure(text, "in_progress") == ("0", "0")
    assert _figure(text, "exempt") == ("0", "0")
    assert _figure(text, "on_time_rate")[0] == "14.3%"  # 1 of 7
    assert _figure(text, "compliance_rate")[0] == "57.1%"  # 4 of 7 not overdue
    assert 'data-figure="overdue" data-status="overdue"' in text
    assert "עלייה מאז" in text and "ירידה מאז" in text and "ללא שינוי מאז" in text
    assert "שיעור ההשלמה בזמן" in text and "שלא ניתן עליהן פטור" in text  # what the rate means
    # The same answer whenever it is asked: the date is in every link.
    assert f'href="/compliance/authorities/0031?as_of={AS_OF}"' in text
    # The comparison date, left to its default, follows the date: the links do not pin it.
    trend = text.split('<section class="trend"', 1)[1].split("</section>", 1)[0]  # month ends, 31/12/2024 among them
    rest = text.replace(trend, "")
    assert "compare_to=" not in rest.split('class="table ranking"', 1)[1] and "31/12/2024" not in rest
    assert "(<bdi>01/01/2025</bdi>)" in text  # the default, said at its field
    english = client.get(f"/compliance?as_of={AS_OF}&lang=en").text
    assert '<html lang="en" dir="ltr">' in english
    assert "On-time rate" in english and "increase since" in english and "Ofaqim" in english


def test_a_chosen_comparison_date(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    text = _page(client, "&compare_to=2025-12-31")
    assert _figure(text, "required") == ("7", "0")
    assert _figure(text, "overdue") == ("3", "0")
    assert "31/12/2025" in text


def test_filters_district_authority_type_role_and_programme(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    south = _page(client, "&district=Southern")
    assert _figure(south, "required") == ("4", "0")
    assert 'data-heatmap-by="authority"' in south and 'data-row="0031"' in south  # the district's authorities
    assert _ranked(south) == ["0031"]
    councils = _page(client, "&authority_type=regional_council")
    assert _figure(councils, "required")[0] == "2" and _ranked(councils) == ["31"]
    cities = _page(client, "&authority_type=city")
    assert _ranked(cities) == ["7500", "0031"]
    engineers = _page(client, "&role=city_engineer")
    assert _figure(engineers, "required")[0] == "1" and _ranked(engineers) == ["7500"]
    assert _ranked(_page(client, "&programme=TREAS")) == ["31", "0031"]
    # The selects are filled from the reference data, in the page's language.
    assert '<option value="regional_council"' in cities and "מועצה אזורית" in cities
    english = client.get(f"/compliance?as_of={AS_OF}&lang=en").text
    assert ">Regional council</option>" in english and ">Southern</option>" in english


def test_the_heatmap_by_district_and_role_links_to_its_officials(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    text = _page(client, "&programme=TREAS")
    heat = text.split('class="table heatmap"', 1)[1].split("</table>", 1)[0]
    assert "<caption" in heat and '<th scope="col"' in heat and '<th scope="row"' in heat
    south = heat.split('data-row="Southern"', 1)[1].split("</tr>", 1)[0]
    assert "75.0%" in south  # 1 of Ofakim's 4 is overdue
    assert 'class="heat heat--2"' in south
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', heat)]
    assert f"/compliance/requirements?as_of={AS_OF}&district=Southern&programme=TREAS&role=treasurer" in hrefs
    # Within a district: its authorities, each cell with &authority=, the district kept.
    one = _page(client, "&district=Central")
    heat = one.split('class="table heatmap"', 1)[1].split("</table>", 1)[0]
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', heat)]
    assert f"/compliance/requirements?as_of={AS_OF}&district=Central&authority=31&role=treasurer" in hrefs


def test_the_ranked_table_worst_first_sorted_and_paged(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    text = _page(client)
    assert _ranked(text) == ["7500", "31", "0031"]  # 0%, 50%, 75%
    assert _ranked(_page(client, "&sort=rate&dir=desc")) == ["0031", "31", "7500"]
    assert _ranked(_page(client, "&sort=required&dir=desc")) == ["0031", "31", "7500"]
    assert _ranked(_page(client, "&sort=name&dir=asc")) == ["0031", "31", "7500"]  # אופקים, נחל שורק, סח'נין
    assert _ranked(client.get(f"/compliance?as_of={AS_OF}&sort=name&dir=asc&lang=en").text) == ["31", "0031", "7500"]
    assert 'aria-sort="ascending"' in text
    # The column's link sorts it the other way once it is the order.
    assert "sort=rate&amp;dir=desc" in text and "sort=overdue&amp;dir=desc" in text


def test_the_ranked_table_pages_by_fifty(db: Session, client: TestClient) -> None:
    _auditor(db, client)
    codes = [c for c in ("0031", "31", "7500", "2710")]
    make_programme(db, code="TREAS")
    from app.authorities.models import Authority

    more = [a.code for a in db.query(Authority).order_by(Authority.code).limit(60)]
    for code in {*codes, *more}:
        make_appointment(db, make_official(db), authority=code, start=date(2023, 1, 1))
    text = _page(client)
    first = _ranked(text)
    assert len(first) == 50 and 'rel="next"' in text
    second = _ranked(_page(client, "&offset=50"))
    assert second and not set(first) & set(second)


def test_a_search_by_name_with_a_geresh_typed_either_way(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    for q in ("סח'נין", "סח׳נין", "sakhnin", "SAKH"):
        text = client.get("/compliance", params={"as_of": AS_OF, "q": q}).text
        assert _ranked(text) == ["7500"], q
    # And the other way round: a name written with a geresh in English found with the typographic apostrophe.
    assert _ranked(client.get("/compliance", params={"as_of": AS_OF, "q": "nahal soreq"}).text) == ["31"]
    text = client.get("/compliance", params={"as_of": AS_OF, "q": "אין כזו"}).text
    assert _ranked(text) == [] and "אין רשות שמתאימה" in text


def test_the_tables_export_as_csv_and_xlsx_in_the_pages_language(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    r = client.get(f"/compliance/authorities.csv?as_of={AS_OF}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["מקום", "רשות", "סמל רשות", "מחוז"]
    assert [row[2] for row in rows[1:]] == ["7500", "31", "0031"]  # worst first
    ofakim = dict(zip(rows[0], rows[-1], strict=True))
    assert ofakim["רשות"] == "אופקים" and ofakim["מחוז"] == "הדרום" and ofakim["קוד מחוז"] == "Southern"
    assert ofakim["סוג רשות"] == "עירייה" and ofakim["קוד סוג רשות"] == "city"
    assert ofakim["באיחור"] == "1" and ofakim["שיעור עמידה"] == "0.75"
    r = client.get(f"/compliance/authorities.xlsx?as_of={AS_OF}&lang=en&q=ofaq")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.sheet_view.rightToLeft in (False, None)
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[2]
    assert header[:4] == ["Rank", "Authority", "Authority code", "District"]
    assert values[3][1:4] == ["Ofaqim", "0031", "Southern"] and len(values) == 4
    r = client.get(f"/compliance/heatmap.xlsx?as_of={AS_OF}&lang=he")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.sheet_view.rightToLeft is True
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[2][:5] == ["מחוז או רשות", "סוג השורה", "קוד", "תפקיד", "קוד תפקיד"]
    south = next(v for v in values[3:] if v[2] == "Southern")
    assert south[:5] == ["הדרום", "מחוז", "Southern", "גזבר/ית", "treasurer"] and south[5] == 4
    r = client.get(f"/compliance/heatmap.csv?as_of={AS_OF}&lang=en")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["District or authority", "Row kind"]
    assert rows[[r[2] for r in rows].index("Southern")][:5] == [
        "Southern",
        "district",
        "Southern",
        "Treasurer",
        "treasurer",
    ]
    page = _page(client)
    assert "/compliance/authorities.xlsx?" in page and "/compliance/heatmap.csv?" in page
    assert f"/compliance/report.pdf?as_of={AS_OF}" in page


def test_the_pdf_report_is_stamped_with_the_date_and_who_printed_it(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    r = client.get(f"/compliance/report.pdf?as_of={AS_OF}")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "2026-01-01" in text and "auditor@dash.example" in text and "הודפס בידי" in text
    # One authority's report, as its page links it.
    one = client.get(f"/compliance/report.pdf?authority=0031&as_of={AS_OF}")
    assert one.status_code == 200 and 'filename="compliance-0031-2026-01-01.pdf"' in one.headers["content-disposition"]


def test_a_liaison_sees_their_authority_only(db: Session, client: TestClient, world) -> None:
    sign_in(db, client, make_user(db, "liaison", authority="31"))
    text = _page(client)
    assert "נחל שורק" in text and _ranked(text) == ["31"]
    assert _figure(text, "required") == ("2", "1")
    assert 'name="district"' not in text and 'name="authority_type"' not in text  # not theirs to choose
    assert 'data-heatmap-by="authority"' in text and 'data-row="31"' in text and 'data-row="0031"' not in text
    # Another district asked for in the address changes nothing.
    assert _figure(_page(client, "&district=Southern"), "required") == ("2", "1")
    rows = list(
        csv.reader(io.StringIO(client.get(f"/compliance/authorities.csv?as_of={AS_OF}").content.decode("utf-8-sig")))
    )
    assert [row[2] for row in rows[1:]] == ["31"]
    pdf = client.get(f"/compliance/report.pdf?as_of={AS_OF}")
    assert pdf.status_code == 200 and 'filename="compliance-31-' in pdf.headers["content-disposition"]
    assert client.get(f"/compliance/report.pdf?authority=0031&as_of={AS_OF}").status_code == 404


def test_a_date_that_cannot_be_read_is_named_at_its_field(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    r = client.get("/compliance?as_of=2026-02-30")
    assert r.status_code == 422 and 'href="#as_of"' in r.text and 'value="2026-02-30"' in r.text
    assert "יש לכתוב תאריך אמיתי" in r.text
    r = client.get("/compliance?as_of=2026-01-01&compare_to=2026-06-01&lang=en")
    assert r.status_code == 422 and 'href="#compare_to"' in r.text and '<html lang="en"' in r.text
    assert "comparison date" in r.text
    assert client.get("/compliance/authorities.csv?as_of=nonsense").status_code == 422


def test_the_page_runs_the_same_statements_for_1_or_10_authorities(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    _auditor(db, client)
    make_programme(db, code="TREAS")
    from app.authorities.models import Authority

    codes = [a.code for a in db.query(Authority).order_by(Authority.code).limit(10)]
    make_appointment(db, make_official(db), authority=codes[0], start=date(2023, 1, 1))
    db.flush()
    with counting_statements(db) as one:
        assert len(_ranked(_page(client))) == 1
    for code in codes[1:]:
        make_appointment(db, make_official(db), authority=code, start=date(2023, 1, 1))
    db.flush()
    with counting_statements(db) as ten:
        assert len(_ranked(_page(client))) == 10
    assert len(ten) == len(one), "\n".join(ten)


def test_the_api_filters_by_type_of_authority_too(db: Session, client: TestClient, world) -> None:
    from tests.factories import headers

    h = headers(make_user(db, "auditor"))
    r = client.get(f"/api/v1/compliance/summary?as_of={AS_OF}&authority_type=regional_council", headers=h)
    assert r.status_code == 200 and [i["key"] for i in r.json()["items"]] == ["31"]
    assert client.get("/api/v1/compliance/summary?authority_type=village", headers=h).status_code == 422


def test_a_past_date_gives_the_same_answer_after_a_later_decision(db: Session, client: TestClient, world) -> None:
    from sqlalchemy import select

    from app.auth import Principal
    from app.clock import today
    from app.compliance.service import decide_request, request_exemption
    from app.officials.models import Appointment, Requirement

    _auditor(db, client)
    before = _page(client)
    overdue = world["overdue"]
    requirement_id = db.scalars(
        select(Requirement.id).join(Appointment).where(Appointment.official_id == overdue.id)
    ).one()
    asked = request_exemption(
        db, requirement_id=requirement_id, reason_code="other", reason="moved", actor=Principal(None, "t", "admin")
    )
    decider = make_user(db, "auditor")
    decide_request(
        db,
        request_id=asked.id,
        approve=True,
        note="ok",
        decided_on=today(),
        actor=Principal(decider.id, decider.email, "auditor"),
    )
    db.flush()
    after = _page(client)
    for key in ("required", "overdue", "exempt", "completed_on_time"):
        assert _figure(after, key) == _figure(before, key), key
    now = client.get(f"/compliance?as_of={today().isoformat()}").text
    assert _figure(now, "exempt")[0] == "1"


def _token(text: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', text)
    assert found, text[:500]
    return found.group(1)


def test_the_page_is_kept_until_the_data_changes_each_caller_seeing_their_own_name_and_token(
    db: Session, client: TestClient, world
) -> None:
    from app.web.pages import KEPT_PAGES

    first = sign_in(db, client, make_user(db, "auditor", email="first@dash.example"))
    mine = _page(client)
    assert "first@dash.example" in mine and _token(mine) == first.csrf_token
    second = sign_in(db, client, make_user(db, "auditor", email="second@dash.example"))
    hits = KEPT_PAGES.hits
    theirs = _page(client)
    assert KEPT_PAGES.hits == hits + 1  # the same page, not rendered again
    assert "second@dash.example" in theirs and "first@dash.example" not in theirs
    assert _token(theirs) == second.csrf_token != first.csrf_token
    assert f'name="csrf_token" value="{second.csrf_token}"' in theirs  # the sign-out form posts the caller's token
    assert theirs.replace("second@", "first@").replace(second.csrf_token, first.csrf_token) == mine
    # In English it is another page (the language chosen stays with the browser).
    assert '<html lang="en"' in _page(client, "&lang=en") and '<html lang="en"' in _page(client)
    assert '<html lang="he"' in _page(client, "&lang=he")
    # A change to the data is on the next answer.
    assert _figure(theirs, "required") == ("7", "1")
    make_appointment(db, make_official(db), authority="31", start=date(2024, 6, 1))
    assert _figure(_page(client), "required") == ("8", "1")


def test_a_kept_page_is_one_of_its_role_and_scope(db: Session, client: TestClient, world) -> None:
    _auditor(db, client)
    assert _ranked(_page(client)) != ["31"]
    sign_in(db, client, make_user(db, "liaison", authority="31"))
    assert _ranked(_page(client)) == ["31"]  # not the auditor's page, kept under the same address
    sign_in(db, client, make_user(db, "liaison", authority="7500"))
    assert _ranked(_page(client)) == ["7500"]
