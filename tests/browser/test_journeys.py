"""Journeys in a real browser: signing in (with a second factor, a temporary password, a reset link), the language
switch, signing out, CSRF and Origin refusals, the public pages; every page checked by axe-core in both languages
and photographed at 1280 and 390 px (`check_page`)."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator

import pyotp
import pytest

from tests.browser.conftest import check_in_both_languages, check_page
from tests.factories import PASSWORD, TEST_TOTP_SECRET

pytestmark = pytest.mark.browser


def _submit(page) -> None:
    """Send the page's form and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def _click(page, locator) -> None:
    """Follow a link or press a button, and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()


def _sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.fill("#email", email)
    page.fill("#password", password)
    _submit(page)


def _html(page) -> tuple[str | None, str | None]:
    html = page.locator("html")
    return html.get_attribute("lang"), html.get_attribute("dir")


def test_someone_not_signed_in_reaching_me_signs_in_and_lands_on_me(page, server):
    page.goto("/me")
    assert re.search(r"/login\?next=/me$", page.url)
    assert _html(page) == ("he", "rtl")
    assert page.locator("h1").inner_text() == "כניסה למערכת"
    check_in_both_languages(page, "login")
    _sign_in(page, server.people.official.email)
    assert page.url == f"{server.url}/me"
    assert page.locator("h1").inner_text() == "הדף שלי"
    assert "נועה ברק" in page.locator("main").inner_text()
    assert server.people.official.email in page.locator("header").inner_text()
    check_in_both_languages(page, "me")


def test_a_wrong_password_shows_the_error_at_the_field_in_the_pages_language(page, server):
    page.goto("/login")
    page.fill("#email", server.people.other_official.email)
    page.fill("#password", "not-the-password-at-all")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login")) as answer:
        _submit(page)
    assert answer.value.status == 422
    summary = page.locator(".error-summary")
    assert "כתובת הדוא״ל או הסיסמה שגויות" in summary.inner_text()
    assert summary.locator("a").get_attribute("href") == "#email"
    assert page.input_value("#email") == server.people.other_official.email  # what was typed is kept
    assert page.input_value("#password") == ""  # but never the password
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    check_page(page, "login-error")
    page.goto("/login?lang=en")
    page.fill("#email", server.people.other_official.email)
    page.fill("#password", "not-the-password-at-all")
    _submit(page)
    assert _html(page) == ("en", "ltr")
    assert "The email address or the password is wrong" in page.locator(".error-summary").inner_text()
    check_page(page, "login-error")
    page.goto("/login?lang=he")


def test_an_admin_signs_in_with_the_second_factor(page, server):
    page.goto("/login")
    _sign_in(page, server.people.admin.email)
    # The password was right; the account has a second factor: the code is asked for, on the same form.
    assert page.locator("#totp").is_visible()
    assert "אימות דו־שלבי" in page.locator(".error-summary").inner_text()
    check_page(page, "login-totp")
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(TEST_TOTP_SECRET).now())
    _submit(page)
    assert page.url == f"{server.url}/admin"
    assert page.locator("h1").inner_text() == "ניהול בית הספר"
    check_in_both_languages(page, "admin-home")
    nav = page.get_by_role("navigation", name="ניווט ראשי")
    assert nav.locator("[aria-current=page]").inner_text() == "דף הבית"
    page.goto("/account/two-factor")
    assert page.locator(".tag").inner_text() == "מופעל"
    check_in_both_languages(page, "two-factor-enrolled")


def test_an_auditor_without_a_second_factor_enrols_one_with_the_qr_code(page, server):
    page.goto("/login")
    _sign_in(page, server.people.auditor.email)
    assert page.url == f"{server.url}/account/two-factor"
    check_in_both_languages(page, "two-factor-start")
    page.goto("/compliance")
    assert page.url == f"{server.url}/account/two-factor"  # nothing else opens until it is done
    _submit(page)
    assert page.locator(".qr svg").is_visible()
    secret = page.locator(".secret").inner_text().strip()
    check_page(page, "two-factor-scan")
    page.fill("#totp", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    _submit(page)
    assert "הקוד אינו תואם" in page.locator(".error-summary").inner_text()
    check_page(page, "two-factor-wrong-code")
    page.fill("#totp", pyotp.TOTP(secret).now())
    _submit(page)
    assert page.locator("h1").inner_text() == "קודי גיבוי"
    assert page.locator(".codes li").count() == 10
    check_page(page, "two-factor-recovery-codes")
    _click(page, page.locator("main a.button"))
    assert page.url == f"{server.url}/compliance"
    check_in_both_languages(page, "compliance-home")


def test_a_temporary_password_leads_to_changing_it_first(page, server):
    page.goto("/login")
    _sign_in(page, server.people.temporary.email)
    assert page.url == f"{server.url}/account/password"
    assert "הסיסמה שלך זמנית" in page.locator("main").inner_text()
    page.goto("/me")
    assert page.url == f"{server.url}/account/password"  # every page sends the browser here first
    check_in_both_languages(page, "change-password")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "short")
    _submit(page)
    assert page.locator("#new_password-error").is_visible()
    check_page(page, "change-password-error")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "a long sentence of my very own 42")
    _submit(page)
    assert page.url == f"{server.url}/me?notice=password_changed"
    assert page.locator(".notice").inner_text() == "הסיסמה הוחלפה."


def test_a_forgotten_password_is_set_again_from_the_one_time_link(page, server):
    page.goto("/login")
    _click(page, page.get_by_role("link", name="שכחתי את הסיסמה"))
    assert page.url == f"{server.url}/password-reset"
    check_in_both_languages(page, "forgotten-password")
    page.goto(f"/password-reset/{server.people.reset_token}")
    assert server.people.reset_user.email in page.locator("main").inner_text()
    check_in_both_languages(page, "reset-password")
    page.fill("#new_password", "password")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        _submit(page)
    assert answer.value.status == 422
    assert page.locator(".error-summary a").get_attribute("href") == "#new_password"
    check_page(page, "reset-password-error")
    page.fill("#new_password", "the new one I set from the link")
    _submit(page)
    assert page.url == f"{server.url}/login?notice=password_set"
    _sign_in(page, server.people.reset_user.email, "the new one I set from the link")
    assert page.url == f"{server.url}/me"
    page.goto(f"/password-reset/{server.people.reset_token}")  # used once: no more
    assert page.locator("h1").inner_text() == "הקישור אינו תקף"
    check_in_both_languages(page, "reset-link-invalid")


def test_switching_to_english_and_back_is_remembered_across_pages_and_browsers(page, browser, server):
    page.goto("/login")
    _sign_in(page, server.people.other_official.email)
    assert _html(page) == ("he", "rtl")
    _click(page, page.get_by_role("link", name="English"))
    assert _html(page) == ("en", "ltr")
    assert page.locator("h1").inner_text() == "My page"
    _click(page, page.get_by_role("link", name="Change your password"))
    assert _html(page) == ("en", "ltr") and page.locator("h1").inner_text() == "Change your password"
    # Another browser: English as soon as the same person signs in (their preference).
    other = browser.new_context(base_url=server.url)
    try:
        elsewhere = other.new_page()
        elsewhere.goto("/login")
        assert _html(elsewhere) == ("he", "rtl")
        _sign_in(elsewhere, server.people.other_official.email)
        assert _html(elsewhere) == ("en", "ltr")
        assert elsewhere.locator("h1").inner_text() == "My page"
    finally:
        other.close()
    _click(page, page.get_by_role("link", name="עברית"))
    assert _html(page) == ("he", "rtl") and page.locator("h1").inner_text() == "החלפת סיסמה"
    page.goto("/me")
    assert _html(page) == ("he", "rtl")


def test_after_signing_out_the_back_button_shows_nothing_personal(page, server):
    page.goto("/login")
    _sign_in(page, server.people.official.email)
    with page.expect_response(lambda r: r.url.endswith("/me")) as answer:
        page.goto("/me")
    assert answer.value.headers["cache-control"] == "no-store"
    assert "נועה ברק" in page.content()
    _click(page, page.get_by_role("button", name="יציאה"))
    assert page.url == f"{server.url}/login?notice=signed_out"
    assert page.locator(".notice").inner_text() == "יצאת מהמערכת."
    check_page(page, "signed-out")
    page.go_back(wait_until="load")
    content = page.content()
    assert "נועה ברק" not in content and server.people.official.email not in content
    assert "/login" in page.url
    page.goto("/me")
    assert "/login" in page.url


class _EvilSite:
    """A page of another origin with forms that post to the application."""

    def __init__(self, target: str) -> None:
        html = f"""<!doctype html><html lang="en"><title>Another site</title><main>
<form id="logout" method="post" action="{target}/logout"><input name="csrf_token" value="guess">
<button>Log out</button></form>
<form id="login" method="post" action="{target}/login"><input name="email" value="x@y.example">
<input name="password" value="whatever-password"><input name="csrf_token" value="guess"><button>Log in</button></form>
</main></html>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def evil_site(server) -> Iterator[_EvilSite]:
    site = _EvilSite(server.url)
    yield site
    site.httpd.shutdown()


def test_a_form_without_its_csrf_token_or_from_another_origin_is_refused_and_changes_nothing(page, server, evil_site):
    page.goto("/login")
    _sign_in(page, server.people.official.email)
    # Our own form, its CSRF token taken out: 403, in the page's language, and the password is not changed.
    page.goto("/account/password")
    page.evaluate("document.querySelector('main form input[name=csrf_token]').remove()")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "someone else's password 99")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        _submit(page)
    assert answer.value.status == 403
    assert page.locator("h1").inner_text() == "אין לך הרשאה לדף הזה"
    check_page(page, "forbidden")
    # Another site's form, with the browser's own cookie: 403 by its Origin, and the session goes on.
    page.goto(evil_site.url)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#logout button").click()
    assert answer.value.status == 403
    page.goto("/me")
    assert page.url == f"{server.url}/me"  # still signed in
    page.goto(evil_site.url)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#login button").click()
    assert answer.value.status == 403
    # Nothing changed: the password is still the old one.
    page.goto("/me")
    _click(page, page.get_by_role("button", name="יציאה"))
    _sign_in(page, server.people.official.email)
    assert page.url == f"{server.url}/me"


def test_the_public_pages_in_both_languages(page, server):
    page.goto("/verify")
    check_in_both_languages(page, "verify-form")
    _submit(page)
    assert page.locator(".error-summary").is_visible()
    check_page(page, "verify-form-error")
    page.fill("#code", server.people.verification_code)
    _submit(page)
    assert page.url == f"{server.url}/verify/{server.people.verification_code}"
    assert page.locator("[data-certificate-status]").get_attribute("data-certificate-status") == "valid"
    assert page.locator("[data-certificate-status]").inner_text() == "התעודה תקפה"
    assert server.people.serial in page.locator("bdi").all_inner_texts()
    check_in_both_languages(page, "verify-valid")
    page.goto("/verify/no-such-code-at-all")
    assert page.locator("[data-certificate-status]").get_attribute("data-certificate-status") == "unknown"
    check_in_both_languages(page, "verify-unknown")
    page.goto("/accessibility")
    assert page.locator("h1").inner_text() == "הצהרת נגישות"
    assert "5568" in page.locator("main").inner_text()
    check_in_both_languages(page, "accessibility")
    page.goto("/accessibility?lang=en")
    assert page.locator("h1").inner_text() == "Accessibility statement"
    page.goto("/no/such/page?lang=he")
    assert page.locator("h1").inner_text() == "הדף לא נמצא"
    check_in_both_languages(page, "not-found")
    # A skip link first, leading to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_an_official_reaching_the_admin_home_gets_a_403_page_in_both_languages(page, server):
    page.goto("/login")
    _sign_in(page, server.people.official.email)
    answer = page.goto("/admin")
    assert answer is not None and answer.status == 403
    assert page.locator("h1").inner_text() == "אין לך הרשאה לדף הזה"
    check_in_both_languages(page, "forbidden-page")
