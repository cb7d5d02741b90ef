"""The pages of the shell, by HTTP: sign-in and its limits, `next`, the pre-session CSRF token, the language and
its memory, fingerprinted assets, the error pages in the page's language, the first steps an account must take,
and the catalogues being complete."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pyotp
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.accounts.models import User
from app.templating import LOCALE_DIR
from app.web import sessions
from app.web.models import WebSession
from app.web.pages import local_path
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_user, sign_in

OWN = {"Origin": "http://testserver"}


def _exists(db, record: WebSession) -> bool:
    return db.scalar(select(WebSession.id).where(WebSession.token_hash == record.token_hash)) is not None


def _form_token(web, path: str = "/login") -> str:
    page = web.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _log_in(web, email: str, password: str = PASSWORD, **extra: str):
    token = _form_token(web)
    data = {"email": email, "password": password, "csrf_token": token, **extra}
    return web.post("/login", data=data, headers=OWN, follow_redirects=False)


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/me", "/me"),
        ("/verify/abc?lang=en", "/verify/abc?lang=en"),
        ("//evil.example/me", None),
        ("https://evil.example/me", None),
        ("/\\evil.example", None),
        ("http:/me", None),
        ("me", None),
        ("/me\r\nSet-Cookie: x=1", None),
        ("", None),
    ],
)
def test_only_a_local_path_is_a_place_to_go_after_sign_in(target, kept):
    assert local_path(target) == kept


def test_signing_in_goes_to_next_or_home_with_a_new_session_id(web, db):
    user = make_user(db, "official")
    token = _form_token(web)
    planted = sign_in(db, web, make_user(db, "official"))  # some id this browser already held
    planted_id = web.cookies.get(sessions.cookie_name())
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "/verify"}
    r = web.post("/login", data=data, headers=OWN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/verify"
    new_id = r.cookies.get(sessions.cookie_name())
    assert new_id and new_id != planted_id
    assert not _exists(db, planted)  # the id held before sign-in is worth nothing now
    web.cookies.clear()
    r = _log_in(web, user.email, next="//evil.example/me")
    assert r.status_code == 303 and r.headers["location"] == "/me"


def test_a_wrong_password_is_a_422_form_that_keeps_the_email_and_not_the_password(web, db):
    user = make_user(db, "official")
    r = _log_in(web, user.email.upper(), "wrong password here")
    assert r.status_code == 422
    assert "כתובת הדוא״ל או הסיסמה שגויות" in r.text and 'href="#email"' in r.text
    assert f'value="{user.email.upper()}"' in r.text and "wrong password here" not in r.text
    assert sessions.cookie_name() not in r.cookies


def test_an_email_past_its_length_is_named_at_the_email_field(web):
    r = _log_in(web, "x" * 300 + "@school.example")
    assert r.status_code == 422 and 'href="#email"' in r.text and 'id="email-error"' in r.text


def test_the_apis_login_limits_apply_to_the_form(web, db):
    user = make_user(db, "official")
    statuses = [_log_in(web, user.email, "wrong password here").status_code for _ in range(5)]
    assert statuses == [422] * 5
    r = _log_in(web, user.email)  # the right password, but the pair must wait now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "יותר מדי ניסיונות" in r.text


def test_an_account_with_a_second_factor_is_asked_for_its_code(web, db):
    admin = make_user(db, "admin")
    r = _log_in(web, admin.email)
    assert r.status_code == 422 and 'name="totp"' in r.text and sessions.cookie_name() not in r.cookies
    r = _log_in(web, admin.email, totp="123456" if pyotp.TOTP(TEST_TOTP_SECRET).now() != "123456" else "654321")
    assert r.status_code == 422 and "הקוד שגוי" in r.text
    r = _log_in(web, admin.email, totp=pyotp.TOTP(TEST_TOTP_SECRET).now())
    assert r.status_code == 303 and r.headers["location"] == "/admin"


def test_the_sign_in_form_needs_its_token_and_our_origin(web, db):
    user = make_user(db, "official")
    token = _form_token(web)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    assert web.post("/login", data={**data, "csrf_token": "x" * 43}, headers=OWN).status_code == 403
    r = web.post("/login", data=data, headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert r.status_code == 403 and "<h1>אין לך הרשאה לדף הזה</h1>" in r.text
    assert web.post("/login", data=data, headers=OWN, follow_redirects=False).status_code == 303


def test_sign_out_is_a_post_with_the_sessions_token(web, db):
    record = sign_in(db, web, make_user(db, "official"))
    assert web.get("/logout").status_code == 405
    assert web.post("/logout", data={"csrf_token": "wrong"}, headers=OWN).status_code == 403
    r = web.post("/logout", data={"csrf_token": record.csrf_token}, headers=OWN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?notice=signed_out"
    assert not _exists(db, record)
    assert web.get("/me", follow_redirects=False).headers["location"] == "/login?next=/me"


def test_root_sends_each_role_home_and_others_to_sign_in(web, db):
    assert web.get("/", follow_redirects=False).headers["location"] == "/login"
    for role, home in (
        ("official", "/me"),
        ("admin", "/admin"),
        ("auditor", "/compliance"),
        ("liaison", "/compliance"),
    ):
        web.cookies.clear()
        sign_in(db, web, make_user(db, role))
        assert web.get("/", follow_redirects=False).headers["location"] == home
        assert web.get(home).status_code == 200


def test_a_temporary_password_or_a_missing_second_factor_sends_every_page_to_the_first_step(web, db):
    user = make_user(db, "official")
    user.must_change_password = True
    sign_in(db, web, user)
    for path in ("/", "/me"):
        assert web.get(path, follow_redirects=False).headers["location"] == "/account/password"
    assert web.get("/api/v1/auth/me").json()["error"] == "password_change_required"  # the API says so in JSON
    web.cookies.clear()
    sign_in(db, web, make_user(db, "admin", totp_secret=""))
    assert web.get("/admin", follow_redirects=False).headers["location"] == "/account/two-factor"


def test_changing_ones_password_in_the_page_keeps_this_browser_signed_in(web, db):
    user = make_user(db, "official")
    record = sign_in(db, web, user)
    data = {"csrf_token": record.csrf_token, "current_password": "not it at all", "new_password": "x" * 20}
    r = web.post("/account/password", data=data, headers=OWN)
    assert r.status_code == 422 and "הסיסמה הנוכחית שגויה" in r.text
    data = {**data, "current_password": PASSWORD, "new_password": "my own long sentence of a password"}
    r = web.post("/account/password", data=data, headers=OWN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me?notice=password_changed"
    assert not _exists(db, record)  # the old session ended with the old password
    assert web.get("/me").status_code == 200  # and this browser has a new one


def test_choosing_a_language_is_remembered_in_a_cookie_and_as_the_users_preference(web, db):
    page = web.get("/accessibility")
    assert '<html lang="he" dir="rtl">' in page.text and "lms_lang" not in page.cookies
    page = web.get("/accessibility", params={"lang": "en"})
    assert '<html lang="en" dir="ltr">' in page.text and page.cookies.get("lms_lang") == "en"
    assert '<html lang="en" dir="ltr">' in web.get("/verify").text  # remembered
    assert 'href="/verify?lang=he"' in web.get("/verify").text  # the switch back
    user = make_user(db, "official")
    web.cookies.clear()
    sign_in(db, web, user)
    assert '<html lang="en"' in web.get("/me", params={"lang": "en"}).text
    assert db.scalar(select(User.preferred_language).where(User.id == user.id)) == "en"
    web.cookies.clear()  # another browser: the preference holds
    sign_in(db, web, user)
    assert '<html lang="en"' in web.get("/me").text


def test_error_pages_speak_the_pages_language(web):
    r = web.get("/no/such/page")
    assert r.status_code == 404 and "<h1>הדף לא נמצא</h1>" in r.text
    r = web.get("/no/such/page", params={"lang": "en"})
    assert r.status_code == 404 and "<h1>Page not found</h1>" in r.text and 'dir="ltr"' in r.text
    r = web.get("/test-pages/boom")
    assert r.status_code == 500 and '<html lang="en"' in r.text and "secret internals" not in r.text


def test_assets_are_fingerprinted_and_cached_for_a_year(web):
    page = web.get("/login").text
    url = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    r = web.get(url)
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith("text/css")
    plain = web.get("/static/css/site.css")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    stale = web.get("/static/css/site.000000000000.css")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert web.get("/static/css/nothing.0123456789ab.css").status_code == 404


def _text(value: object) -> object:
    """A message's id or string as a dict key: a plural's parts as a tuple (babel gives a list or a tuple)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _translated(string: object) -> bool:
    """Whether a message has its translation: every part of a plural."""
    return all(string) if isinstance(string, (list, tuple)) else bool(string)


def test_every_text_of_the_pages_has_its_english_and_the_compiled_catalogues_are_current():
    template = read_po((LOCALE_DIR / "messages.pot").open("rb"))
    ids = {_text(m.id) for m in template if m.id}
    assert len(ids) > 100
    assert any(isinstance(i, tuple) for i in ids)  # plurals (ngettext) are among them
    for lang in ("he", "en"):
        po = read_po((LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb"))
        mo = read_mo(io.BytesIO((LOCALE_DIR / lang / "LC_MESSAGES" / "messages.mo").read_bytes()))
        assert {_text(m.id) for m in po if m.id} == ids, f"{lang}: run `make messages`"
        written = {_text(m.id): _text(m.string) for m in po if m.id and _translated(m.string)}
        compiled = {_text(m.id): _text(m.string) for m in mo if m.id}
        # What the .mo adds beyond the .po is only a plural's own text, standing in for a translation not written.
        fallbacks = {i: t for i, t in compiled.items() if i not in written}
        assert all(isinstance(i, tuple) and set(t) <= set(i) for i, t in fallbacks.items()), fallbacks
        assert {i: compiled[i] for i in written if i in compiled} == written, (
            f"{lang}: the .mo is older than the .po: run `make messages`"
        )
        if lang == "en":
            untranslated = [m.id for m in po if m.id and (not _translated(m.string) or m.fuzzy)]
            assert untranslated == []


def test_the_templates_text_is_all_in_the_catalogue():
    """No template text is left out of messages.pot (it is extracted again here and compared)."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    method_map = [("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2"), ("certificates/**.html", "jinja2")]
    i18n = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    options = {"**.html": i18n, "**.txt": i18n}
    found = {msg[2] for msg in extract_from_dir(str(root), method_map, options_map=options)}
    template = {m.id for m in read_po((LOCALE_DIR / "messages.pot").open("rb")) if m.id}
    assert found == template, "run `make messages`"
