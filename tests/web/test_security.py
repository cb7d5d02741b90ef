"""What every request and answer goes through: the body limit (413 before reading further and before sign-in), the
security headers on every answer, the pages without inline script or style, the API documentation from the
application's own assets."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

from app.config import get_settings
from tests.factories import headers, make_user

MiB = 1024 * 1024


def chunks(count: int, chunk: bytes = b"x" * 65536) -> Iterator[bytes]:
    """A streamed body (no Content-Length) of `count` chunks. The test client reads it whole before the app runs:
    that nothing past the limit is read from a real connection is tested on a served app (tests/test_server.py)."""
    for _ in range(count):
        yield chunk


# -- the body limit --------------------------------------------------------------------------------------------------


def test_a_body_announced_over_the_limit_is_refused_before_sign_in(web):
    size = get_settings().max_body_bytes + 1
    r = web.post(
        "/api/v1/officials", content=b"{" + b" " * (size - 2) + b"}", headers={"content-type": "application/json"}
    )
    assert r.status_code == 413, r.text  # not a 401: the body is refused before anyone is asked who they are
    assert r.json()["error"] == "too_large"
    assert str(get_settings().max_body_bytes) in r.json()["detail"]


def test_a_streamed_body_is_refused_once_past_the_limit_and_no_further_is_read(web):
    body = chunks(8 * MiB // 65536)  # 8 MiB, sent without Content-Length
    r = web.post("/api/v1/officials", content=body, headers={"content-type": "application/octet-stream"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_the_nul_check_reads_no_more_than_the_limit(web):
    # A JSON body is read whole to look for NUL characters: never past the limit.
    body = chunks(8 * MiB // 65536, b'"\\u0000' + b"x" * 65529)
    r = web.post("/api/v1/officials", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_a_page_refuses_a_large_form_with_its_error_page(web):
    body = chunks(8 * MiB // 65536)
    r = web.post("/test-pages/mine", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")


def test_the_import_routes_take_the_upload_limit(web, db, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "max_body_bytes", 1024)
    monkeypatch.setattr(settings, "upload_max_bytes", 64 * 1024)
    admin = headers(make_user(db, "admin"))
    csv = b"national_id,first_name_he,last_name_he\n" + b"".join(b"%d,x,y\n" % n for n in range(2000))
    assert 1024 < len(csv) < 64 * 1024
    r = web.post("/api/v1/imports/officials", files={"file": ("o.csv", csv, "text/csv")}, headers=admin)
    assert r.status_code != 413, r.text  # past the general limit, within the upload limit: read and reported on
    r = web.post("/api/v1/officials", json={"national_id": "18", "first_name_he": "x" * 2000}, headers=admin)
    assert r.status_code == 413
    big = csv * 40
    r = web.post("/api/v1/imports/officials", files={"file": ("o.csv", big, "text/csv")}, headers=admin)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    r = web.post("/api/v1/cohorts/1/attendance/import", files={"file": ("a.csv", big, "text/csv")}, headers=admin)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


# -- the security headers ----------------------------------------------------------------------------------------------


def _assert_security_headers(r, *, cached: bool = False) -> None:
    csp = r.headers["content-security-policy"]
    directives = {d.strip().split(" ")[0]: d.strip().partition(" ")[2] for d in csp.split(";")}
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "server" not in r.headers
    if not cached:
        assert r.headers["cache-control"] == "no-store"


def test_every_answer_carries_the_security_headers(web, db):
    auditor = headers(make_user(db, "auditor"))
    answers = [
        web.get("/api/v1/officials", headers=auditor),  # personal data
        web.get("/api/v1/officials"),  # 401
        web.get("/api/v1/nowhere"),  # 404 JSON
        web.get("/nowhere"),  # 404 page
        web.get("/verify/unknown-code"),  # a public page
        web.get("/test-pages/boom"),  # 500 page
        web.get("/api/v1/test-boom"),  # 500 JSON
        web.post("/api/v1/auth/token", data={"username": "nobody@x.example", "password": "wrong-password"}),
        web.get("/healthz"),
        web.get("/openapi.json"),
    ]
    for r in answers:
        _assert_security_headers(r)


def test_the_token_is_never_cached(web, db):
    from tests.factories import PASSWORD

    user = make_user(db, "liaison")
    r = web.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["access_token"]
    _assert_security_headers(r)


def test_pages_have_no_inline_script_or_style_and_their_stylesheets_are_served(web):
    for path in ("/verify/unknown-code", "/nowhere"):
        html = web.get(path).text
        assert "<script" not in html and "<style" not in html and " style=" not in html
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
        assert sheets and all(s.startswith("/static/") for s in sheets)
        for sheet in sheets:
            r = web.get(sheet)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/css") and "{" in r.text
            _assert_security_headers(r, cached=True)


def test_the_api_documentation_comes_from_the_applications_own_assets(web):
    r = web.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "cdn" not in html and "https://" not in html and "http://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert web.get(asset).status_code == 200, asset
    # The one inline script (Swagger UI's start) runs by its hash, and no other inline script would.
    [script] = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    script_src = next(d for d in r.headers["content-security-policy"].split(";") if "script-src" in d)
    assert script_src.split() == ["script-src", "'self'", f"'sha256-{digest}'"]
    _assert_security_headers(r)
    redirect = web.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200 and "'sha256-" in redirect.headers["content-security-policy"]
