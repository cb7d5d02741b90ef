"""Authorities and roles: the CBS file, search in any spelling, and refreshing from a newer file."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import operator
from app.authorities import service
from app.authorities.models import Authority
from tests.factories import headers, make_user


@pytest.fixture
def h(db):
    return headers(make_user(db, "official"))


def _codes(client, h, **params):
    r = client.get("/api/v1/authorities", params={"limit": 500, **params}, headers=h)
    assert r.status_code == 200, r.text
    return [a["code"] for a in r.json()["items"]]


def test_all_255_authorities_with_codes_as_strings(client, h):
    r = client.get("/api/v1/authorities", params={"limit": 500}, headers=h).json()
    assert r["total"] == 255
    by_type = {}
    for a in r["items"]:
        by_type[a["type"]] = by_type.get(a["type"], 0) + 1
    assert by_type == {"city": 79, "local_council": 122, "regional_council": 54}
    assert set(r["items"][0]) >= {"code", "name_he", "name_en", "type", "district"}


def test_31_and_0031_are_different(client, h):
    ofakim = client.get("/api/v1/authorities/0031", headers=h).json()
    soreq = client.get("/api/v1/authorities/31", headers=h).json()
    assert (ofakim["name_he"], ofakim["type"], ofakim["district"]) == ("אופקים", "city", "Southern")
    assert (soreq["name_he"], soreq["type"]) == ("נחל שורק", "regional_council")
    assert client.get("/api/v1/authorities/9999", headers=h).status_code == 404


@pytest.mark.parametrize("q", ['בני עי"ש', "בני עי\u05f4ש", "בני עי”ש"])
def test_search_matches_either_quotes(client, h, q):
    assert _codes(client, h, q=q) == ["1066"]


@pytest.mark.parametrize("q", ["ג'ת", "ג\u05f3ת"])
def test_search_matches_geresh_and_apostrophe(client, h, q):
    assert "0628" in _codes(client, h, q=q)


@pytest.mark.parametrize("q", ["תל אביב-יפו", "תל אביב - יפו", "תל אביב -יפו", "תל אביב־יפו", "tel aviv-yafo"])
def test_search_matches_any_spacing_around_hyphens(client, h, q):
    assert _codes(client, h, q=q) == ["5000"]


def test_filters_by_type_and_district(client, h):
    codes = _codes(client, h, type="regional_council", district="Central")
    assert "31" in codes and "0031" not in codes
    assert client.get("/api/v1/authorities", params={"type": "village"}, headers=h).status_code == 422


def test_pagination_envelope(client, h):
    page = client.get("/api/v1/authorities", params={"limit": 10, "offset": 250}, headers=h).json()
    assert page["total"] == 255 and len(page["items"]) == 5
    assert client.get("/api/v1/authorities", params={"limit": 501}, headers=h).status_code == 422


def test_roles_list(client, h):
    roles = client.get("/api/v1/roles", headers=h).json()
    assert roles["total"] == 12
    assert {"director_general", "treasurer", "city_engineer", "hr_manager", "town_appearance_manager"} <= {
        r["code"] for r in roles["items"]
    }


def test_refresh_from_newer_file_renames_and_deactivates_keeping_history(db):
    rows = service.read_cbs_file(service.BUNDLED_FILE)
    newer = []
    for row in rows:
        if row["cbs_code"] == "40":
            row = {**row, "name_he": "עמק לוד", "name_en_cbs": "EMEQ LOD"}
        if row["cbs_code"] == "0628":
            continue  # gone from the newer file
        newer.append(row)
    newer.append({**rows[0], "cbs_code": "9001", "name_he": "רשות חדשה", "name_en_cbs": "NEW TOWN"})
    counts = service.load_authorities(
        db, rows=newer, source="cbs-2025.csv", actor=operator("test"), as_of=date(2026, 1, 1)
    )
    assert counts == {"created": 1, "updated": 1, "unchanged": 253, "deactivated": 1}
    renamed = db.get(Authority, "40")
    assert renamed.name_he == "עמק לוד" and renamed.active
    gone = db.get(Authority, "0628")
    assert not gone.active and gone.inactive_since == date(2026, 1, 1) and gone.name_he == "ג'ת"
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "authority", AuditEvent.entity_id == "40")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.before["name_he"] == "שדות דן" and event.after["name_he"] == "עמק לוד"
    again = service.load_authorities(
        db, rows=newer, source="cbs-2025.csv", actor=operator("test"), as_of=date(2026, 1, 2)
    )
    assert again == {"created": 0, "updated": 0, "unchanged": 255, "deactivated": 0}


def test_bundled_file_has_the_traps_of_the_reference_data():
    with service.BUNDLED_FILE.open(encoding="utf-8-sig") as fh:
        codes = [r["cbs_code"] for r in csv.DictReader(fh)]
    assert len(codes) == len(set(codes)) == 255
    assert "31" in codes and "0031" in codes
