"""The contract: schemathesis over the OpenAPI document (no 500, no undocumented status), and the error shape.

Every operation of the document is fuzzed as an admin (who may call every route, so answers are about the
input, not about permissions: the permission grid is tests/test_permissions.py) inside a transaction that is
rolled back after the operation, each case in a savepoint of its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.main import create_app
from app.web.routing import get_db, request_unit_of_work
from tests.factories import headers, make_appointment, make_official, make_programme, make_user, national_id
from tests.test_permissions import GRID

app = create_app()
DOC: dict[str, Any] = app.openapi()

schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    app,
    config=schemathesis.Config.from_dict(
        {
            # Positive and negative cases, a few per operation, so the whole file stays well under 90 s;
            # LMS_FUZZ_EXAMPLES=200 digs deeper before a release.
            "generation": {"max-examples": int(os.environ.get("LMS_FUZZ_EXAMPLES", "10")), "mode": "all"},
            # The contract is about answers, not speed (that is the benchmarks'): no wall-clock limit of 10 s, which
            # a first, uncached computation on a loaded two-core machine has overrun once in a while. A request that
            # waits on a lock still fails, with the server's own error, after SQLite's busy timeout.
            "request-timeout": 300,
            "phases": {
                # The coverage phase draws every boundary of every field deterministically: over 3,000 cases
                # for this API, three quarters of the run time. What it found (405 without a full Allow
                # header, ids past the integer range) is pinned by the plain tests at the end of this file.
                "coverage": {"enabled": False},
            },
            "checks": {
                # Schema-valid input may still break a rule of the domain that JSON Schema cannot state (the
                # ID's check digit, an unknown authority or role code, an empty file): API.md answers 422.
                "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
            },
        }
    ),
)


def caller_of(method: str, path: str) -> str:
    """The role an operation is fuzzed as: the first of admin, auditor, liaison, official the grid allows.

    An auditor-only route (a decision) answers an admin 403 before it reads the input, so fuzzing it as an
    admin would test nothing.
    """
    for route in GRID:
        if (route.method, route.path) == (method.upper(), path):
            return next(role for role in ("admin", "auditor", "liaison", "official") if role in route.who)
    return "admin"  # not in the grid yet: tests/test_permissions.py fails on that


class Fuzz:
    """The operation's database state: the test's connection, and bearer headers of a user of each role."""

    def __init__(self, connection: Connection, auth: dict[str, dict[str, str]]) -> None:
        self.connection = connection
        self.auth = auth


@pytest.fixture
def fuzz(connection: Connection) -> Iterator[Fuzz]:
    """A user of each role and a few records (an official of Ofakim with an appointment, a programme).

    Function scope: Hypothesis runs every case of one operation inside one pytest test, so this is set up once
    per operation and rolled back after it (by conftest's `connection`); each case gets a savepoint besides.
    """
    setup = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    make_programme(setup, code="FUZZ-1")
    official = make_official(setup)
    make_appointment(setup, official, authority="0031")
    users = {
        "admin": make_user(setup, "admin"),
        "auditor": make_user(setup, "auditor"),
        "liaison": make_user(setup, "liaison", authority="0031"),
        "official": make_user(setup, "official", official=official),
    }
    setup.commit()
    setup.close()
    yield Fuzz(connection, {role: headers(user) for role, user in users.items()})
    app.dependency_overrides.clear()


def a_422_names_the_field(ctx: Any, response: Any, case: Any) -> None:
    """Every 422 says which field is wrong: `field`, or for a refused import, the rows with theirs."""
    if response.status_code == 422:
        body = response.json()
        assert body.get("field") or body.get("rows"), f"a 422 that names no field: {body}"
        assert body.get("detail"), f"a 422 that says nothing: {body}"


# Every operation of the document is tested; none is excluded.
@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_api_contract(case: Any, fuzz: Fuzz) -> None:
    """Whatever a client sends, the answer is documented, matches its schema, and is never a server error."""
    savepoint = fuzz.connection.begin_nested()
    db = Session(bind=fuzz.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    async def _session() -> AsyncIterator[Session]:
        async with request_unit_of_work(db):
            yield db

    app.dependency_overrides[get_db] = _session
    try:
        auth = fuzz.auth[caller_of(case.method, case.path)]
        case.call_and_validate(headers=auth, additional_checks=[a_422_names_the_field])
    finally:
        db.close()
        if savepoint.is_active:
            savepoint.rollback()


# --- the document itself ---------------------------------------------------------------------------------


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in DOC["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_every_error_is_documented_in_the_one_shape() -> None:
    """Each 4xx of each operation is the ErrorBody shape (or extends it); FastAPI's own 422 shape is gone."""
    assert "HTTPValidationError" not in str(DOC)
    for method, path, operation in _operations():
        for status, answer in operation["responses"].items():
            if not status.startswith("4"):
                continue
            content = answer.get("content", {}).get("application/json")
            assert content, f"{method} {path} documents {status} without its JSON body"
            ref = content["schema"]["$ref"]
            body = DOC["components"]["schemas"][ref.rsplit("/", 1)[1]]
            assert {"error", "detail"} <= set(body["properties"]), f"{method} {path} {status}: {ref}"


def test_every_operation_documents_its_input_errors() -> None:
    """A route that needs a login documents 401; one that takes input documents 422; one with a body, 400."""
    for method, path, operation in _operations():
        answers = set(operation["responses"])
        if operation.get("security"):
            assert "401" in answers, f"{method} {path} needs a login but does not document 401"
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in answers, f"{method} {path} takes input but does not document 422"
        if operation.get("requestBody"):
            assert "400" in answers, f"{method} {path} takes a body but does not document 400"


# --- plain tests of the error shape ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[TestClient]:
    """The module's app behind one client: FastAPI builds its routing on an app's first request (~0.1 s)."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(served: TestClient, db: Session) -> Iterator[TestClient]:
    """The module's client, its requests bound to this test's rolled-back transaction (as conftest's client)."""

    async def _session() -> AsyncIterator[Session]:
        db.commit()  # what the test set up stays; the request's unit of work has a savepoint of its own
        async with request_unit_of_work(db):
            yield db

    app.dependency_overrides[get_db] = _session
    yield served
    app.dependency_overrides.clear()


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    """Bearer headers of an admin."""
    return headers(make_user(db, "admin"))


def _official(**kw: Any) -> dict[str, Any]:
    return {"national_id": national_id(), "first_name_he": "דנה", "last_name_he": "לוי", **kw}


def _assert_error(response: Any, status: int, error: str | None = None, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    if error is not None:
        assert body["error"] == error, body
    if field is not None:
        assert body.get("field") == field, body
        assert field.split(".")[0] in body["detail"], body  # the sentence names the field too
    return body


def test_bad_check_digit_names_national_id(client: TestClient, admin: dict[str, str]) -> None:
    """A wrong check digit is a 422 on national_id that says why."""
    good = national_id()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    body = _assert_error(client.post("/api/v1/officials", json=_official(national_id=bad), headers=admin), 422)
    assert body == {**body, "error": "invalid", "field": "national_id"}
    assert "check digit" in body["detail"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"national_id": "12345678a"}, "national_id", "digits only"),
        ({"national_id": "0"}, "national_id", "all zeros"),
        ({"first_name_he": "Dana"}, "first_name_he", "Hebrew"),
        ({"first_name_he": "\u200f "}, "first_name_he", "empty"),
        ({"email": "not-an-email"}, "email", "email"),
        ({"nickname": "x"}, "nickname", "not permitted"),
        ({"national_id": None}, "national_id", ""),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_bad_field_is_named(
    client: TestClient, admin: dict[str, str], changes: dict[str, Any], field: str, words: str
) -> None:
    """Every field gets its own clear 422: `field` names it and `detail` says why."""
    body = _assert_error(
        client.post("/api/v1/officials", json=_official(**changes), headers=admin), 422, "invalid", field
    )
    assert words.lower() in body["detail"].lower(), body


def test_missing_field_is_named(client: TestClient, admin: dict[str, str]) -> None:
    """A required field left out is named."""
    data = _official()
    del data["last_name_he"]
    _assert_error(client.post("/api/v1/officials", json=data, headers=admin), 422, "invalid", "last_name_he")


def test_unknown_authority_code_is_named_with_the_code(client: TestClient, db: Session, admin: dict[str, str]) -> None:
    """An authority code that does not exist is a 422 on authority_code naming the code."""
    official = make_official(db)
    data = {"authority_code": "9999", "role_code": "treasurer", "start_date": "2025-01-01"}
    r = client.post(f"/api/v1/officials/{official.id}/appointments", json=data, headers=admin)
    body = _assert_error(r, 422, "unknown_authority", "authority_code")
    assert "9999" in body["detail"]


def test_date_must_be_written_as_a_date(client: TestClient, db: Session, admin: dict[str, str]) -> None:
    """0 is not read as 1 January 1970: a date is YYYY-MM-DD or a 422 on its field."""
    official = make_official(db)
    for value in (0, "0", "01/02/2025", "2025-02-30"):
        data = {"authority_code": "0031", "role_code": "treasurer", "start_date": value}
        r = client.post(f"/api/v1/officials/{official.id}/appointments", json=data, headers=admin)
        _assert_error(r, 422, "invalid", "start_date")
    r = client.get(f"/api/v1/officials/{official.id}/requirements", params={"as_of": "0"}, headers=admin)
    _assert_error(r, 422, "invalid", "as_of")


def test_duplicate_official_is_409(client: TestClient, admin: dict[str, str]) -> None:
    """The same person twice, however the ID is typed, is a 409 that points at the one registered."""
    data = _official(national_id="000000018")
    first = client.post("/api/v1/officials", json=data, headers=admin)
    assert first.status_code == 201, first.text
    r = client.post("/api/v1/officials", json={**data, "national_id": "18"}, headers=admin)
    body = _assert_error(r, 409, "duplicate_official", "national_id")
    assert body["existing_id"] == first.json()["id"]


def test_malformed_json_is_400(client: TestClient, admin: dict[str, str]) -> None:
    """A body that is not JSON is a malformed request (400), not a field error."""
    r = client.post(
        "/api/v1/officials", content=b'{"national_id": ', headers={**admin, "Content-Type": "application/json"}
    )
    _assert_error(r, 400, "bad_request", "body")


def test_query_parameters_are_named(client: TestClient, admin: dict[str, str]) -> None:
    """A bad limit or offset is a 422 naming it."""
    _assert_error(client.get("/api/v1/officials", params={"limit": 0}, headers=admin), 422, "invalid", "limit")
    _assert_error(client.get("/api/v1/officials", params={"limit": "x"}, headers=admin), 422, "invalid", "limit")
    r = client.get("/api/v1/officials", params={"offset": 2**63}, headers=admin)
    _assert_error(r, 422, "invalid", "offset")


def test_blank_authority_code_on_a_user_is_no_code(client: TestClient, admin: dict[str, str]) -> None:
    """An empty authority_code is no code (it once reached the database and failed there: a 500)."""
    data = {"email": "x@test.example", "password": "long-enough-password", "role": "admin", "authority_code": ""}
    assert client.post("/api/v1/users", json=data, headers=admin).status_code == 201
    data = {"email": "y@test.example", "password": "long-enough-password", "role": "liaison", "authority_code": " "}
    _assert_error(client.post("/api/v1/users", json=data, headers=admin), 422, "invalid")


def test_anonymous_and_missing_answers_have_the_shape(client: TestClient, admin: dict[str, str]) -> None:
    """401 says to log in (with WWW-Authenticate); 404 says what is missing."""
    r = client.get("/api/v1/officials")
    _assert_error(r, 401, "not_authenticated")
    assert r.headers["www-authenticate"] == "Bearer"
    _assert_error(client.get("/api/v1/officials/999999", headers=admin), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url", "send", "field"),
    [
        ("GET", "/api/v1/officials?authority=%00", {}, "authority"),
        ("GET", "/api/v1/authorities/00%0031", {}, "path"),
        ("POST", "/api/v1/officials", {"json": _official(first_name_en="Da\x00na")}, "first_name_en"),
        ("POST", "/api/v1/auth/token", {"data": {"username": "a\x00@b.c", "password": "x"}}, "username"),
    ],
    ids=["query", "path", "json", "form"],
)
def test_nul_character_is_422_naming_where(
    client: TestClient, admin: dict[str, str], method: str, url: str, send: dict[str, Any], field: str
) -> None:
    """No text may hold NUL: PostgreSQL cannot even compare one (found by the fuzz: a 500 on PostgreSQL)."""
    r = client.request(method, url, headers=admin, **send)
    _assert_error(r, 422, "invalid", field)
    assert "NUL" in r.json()["detail"]


def _path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


@pytest.mark.parametrize("path", sorted(DOC["paths"]))
def test_unsupported_method_is_405_listing_the_allowed(served: TestClient, path: str) -> None:
    """A method the path does not support is 405 in the error shape, and Allow lists every one it does."""
    documented = {m.upper() for m in DOC["paths"][path]}
    url = path.format(**{p: "1" for p in _path_params(path)})
    for method in ("OPTIONS", *sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - documented)):
        r = served.request(method, url)  # routing answers before any dependency: no database, no login
        _assert_error(r, 405, "method_not_allowed")
        assert set(r.headers["allow"].split(", ")) == documented, (method, r.headers.get("allow"))


def _path_parameters(method: str, path: str) -> list[dict[str, Any]]:
    operation = DOC["paths"][path][method.lower()]
    return [p for p in operation.get("parameters", []) if p["in"] == "path"]


_INTEGER_PARAMS = {
    (method, path): [p["name"] for p in _path_parameters(method, path) if p["schema"].get("type") == "integer"]
    for method, path, _ in _operations()
}
_INTEGER_IDS = sorted(k for k, names in _INTEGER_PARAMS.items() if names)


@pytest.mark.parametrize(("method", "path"), _INTEGER_IDS, ids=[f"{m} {p}" for m, p in _INTEGER_IDS])
@pytest.mark.parametrize("value", [0, 2**31, 2**63])
def test_id_out_of_range_is_422(client: TestClient, db: Session, method: str, path: str, value: int) -> None:
    """An id no record can have is a 422 naming the parameter, never an overflow in the driver (a 500)."""
    role = caller_of(method, path)
    caller = headers(make_user(db, role, authority="0031" if role == "liaison" else None))
    ids = _INTEGER_PARAMS[(method, path)]
    other = {p["name"]: (p["schema"].get("enum") or ["x"])[0] for p in _path_parameters(method, path)}
    r = client.request(method, path.format(**{**other, **{name: value for name in ids}}), headers=caller)
    assert r.status_code == 422, r.text
    assert r.json()["field"] in ids, r.text


# --- length limits ----------------------------------------------------------------------------------------


def _unbounded(schema: dict[str, Any], where: str) -> list[str]:
    """The places under a schema where a client can send text or a list of any length (a date or a time of day is
    read as one, never kept as text)."""
    if "$ref" in schema:
        schema = DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    found = [w for key in ("anyOf", "oneOf", "allOf") for sub in schema.get(key, []) for w in _unbounded(sub, where)]
    kind = schema.get("type")
    parsed = schema.get("format") in ("date", "time")
    if kind == "string" and not {"maxLength", "enum", "const"} & set(schema) and not parsed:
        found.append(where)
    if kind == "array":
        found += [] if "maxItems" in schema else [f"{where} (a list without maxItems)"]
        found += _unbounded(schema.get("items", {}), f"{where}[]")
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(sub, f"{where}.{name}")
    return found


def test_every_text_a_client_sends_has_a_length_limit() -> None:
    """Every path, query and body field that takes text or a list says its longest; files are bounded by the
    body limit (LMS_MAX_BODY_BYTES) and the import limit instead."""
    unbounded = []
    for method, path, operation in _operations():
        for param in operation.get("parameters", []):
            unbounded += _unbounded(param["schema"], f"{method} {path} {param['in']} {param['name']}")
        for kind, content in operation.get("requestBody", {}).get("content", {}).items():
            if kind != "multipart/form-data":
                unbounded += _unbounded(content["schema"], f"{method} {path} body")
    assert unbounded == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/authorities?q=" + "א" * 201, "q"),
        ("/api/v1/authorities/" + "9" * 300, "code"),
        ("/api/v1/programmes/" + "P" * 300, "code"),
        ("/api/v1/cohorts?programme=" + "P" * 300, "programme"),
        ("/api/v1/officials?role=" + "r" * 300, "role"),
        ("/api/v1/compliance/summary?group_by=" + ",role" * 300, "group_by"),
    ],
)
def test_over_long_text_in_a_path_or_query_is_422_naming_it(
    client: TestClient, admin: dict[str, str], path: str, field: str
) -> None:
    _assert_error(client.get(path, headers=admin), 422, "invalid", field)


def test_over_long_fields_of_a_body_and_of_the_login_form_are_422_naming_them(
    client: TestClient, admin: dict[str, str]
) -> None:
    long_email = "a" * 250 + "@example.org"
    r = client.post("/api/v1/officials", json=_official(email=long_email), headers=admin)
    _assert_error(r, 422, "invalid", "email")
    r = client.post("/api/v1/cohorts/1/enrolments/bulk", json={"national_ids": ["1" * 300]}, headers=admin)
    _assert_error(r, 422, "invalid", "national_ids.0")
    form = {"username": "someone@example.org", "password": "x", "scope": "s" * 201}
    _assert_error(client.post("/api/v1/auth/token", data=form), 422, "invalid", "scope")
