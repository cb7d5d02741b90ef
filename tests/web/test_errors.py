"""Errors answer by the path: JSON on the API and the other machine routes, an error page on the web pages."""

from __future__ import annotations

import pytest

from app.web.errors import is_page
from tests.factories import headers, make_user, sign_in


def _is_error_page(r, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="he" dir="rtl">' in page
    assert f"<bdi>{status}</bdi>" in page and "<h1>" in page
    assert "Traceback" not in page and 'File "' not in page
    return page


def _is_json_error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] == code and body["detail"]
    return body


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/api/v1/officials", False),
        ("/api", False),
        ("/api/", False),
        ("/.well-known/jwks.json", False),
        ("/healthz", False),
        ("/openapi.json", False),
        ("/docs", False),
        ("/redoc", False),
        ("/", True),
        ("/verify/abc", True),
        ("/admin/cohorts/1", True),
        ("/apiary", True),
        ("/healthz/more", True),
    ],
)
def test_one_place_decides_by_the_path(path, page):
    assert is_page(path) is page


def test_404_is_a_page_on_pages_and_json_on_the_api(web):
    page = _is_error_page(web.get("/no-such-page"), 404)
    assert "הדף לא נמצא" in page
    _is_json_error(web.get("/api/v1/no-such-thing"), 404, "not_found")
    _is_json_error(web.get("/.well-known/no-such-thing"), 404, "not_found")


def test_422_is_a_page_on_pages_and_json_on_the_api(web, db):
    page = _is_error_page(web.get("/test-pages/numbers/abc"), 422)
    assert "יש שגיאה בפרטים שנשלחו" in page
    admin = make_user(db, "admin")
    body = _is_json_error(web.get("/api/v1/officials?limit=abc", headers=headers(admin)), 422, "invalid")
    assert body["field"] == "limit"


def test_a_nul_character_is_refused_on_a_page_with_a_page(web):
    _is_error_page(web.get("/test-pages/numbers/1?q=a%00b"), 422)
    _is_json_error(web.get("/api/v1/roles?q=a%00b"), 422, "invalid")


def test_403_is_a_page_on_pages_and_json_on_the_api(web, db):
    official = make_user(db, "official")
    sign_in(db, web, official)
    page = _is_error_page(web.get("/test-pages/admin"), 403)
    assert "אין לך הרשאה" in page
    web.cookies.clear()
    _is_json_error(web.get("/api/v1/users", headers=headers(official)), 403, "forbidden")


def test_405_keeps_its_allow_header_on_both(web):
    r = web.post("/verify/some-code")
    _is_error_page(r, 405)
    assert r.headers["allow"] == "GET"
    r = web.post("/healthz")
    _is_json_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"


def test_an_unexpected_fault_is_a_500_page_or_the_json_shape_and_shows_nothing_of_itself(web):
    r = web.get("/test-pages/boom")
    page = _is_error_page(r, 500)
    assert "secret internals" not in page and "RuntimeError" not in page
    r = web.get("/api/v1/test-boom")
    body = _is_json_error(r, 500, "internal_error")
    assert "secret internals" not in r.text and set(body) == {"error", "detail"}


def test_a_page_that_needs_a_session_sends_the_browser_to_sign_in(web, db):
    r = web.get("/test-pages/mine?tab=2", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/test-pages/mine%3Ftab%3D2"
    # An unsafe request cannot be replayed after signing in: a plain 401 page.
    r = web.post("/test-pages/mine", data={"note": "x"})
    assert "יש להתחבר" in _is_error_page(r, 401)
    assert "www-authenticate" not in r.headers
    # The API still answers 401 in JSON, with its bearer challenge.
    r = web.get("/api/v1/auth/me")
    _is_json_error(r, 401, "not_authenticated")
    assert r.headers["www-authenticate"] == "Bearer"
