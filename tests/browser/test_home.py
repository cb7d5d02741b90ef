"""The official's journey in a real browser: the home with each requirement's status and due date, the certificate
downloaded as the PDF of the right certificate, the language switched and back, an extension asked for (refused
first, with the errors at their fields) and seen pending, signing out; each page checked by axe-core in both
languages and photographed (`check_page`)."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in, _submit

pytestmark = pytest.mark.browser


def test_an_official_sees_the_home_downloads_a_certificate_and_asks_for_an_extension(page, server):
    people = server.people
    page.goto("/login")
    _sign_in(page, people.official.email)
    assert page.url == f"{server.url}/me"
    card = page.locator("section.card", has_text="TREAS-NEXT")
    assert card.locator("[data-status]").get_attribute("data-status") == "not_started"
    assert "מועד אחרון" in card.inner_text() and "נותרו" in card.inner_text()
    assert page.locator("[data-certificate-status]").get_attribute("data-certificate-status") == "valid"
    check_in_both_languages(page, "me")

    # The certificate, as the PDF of this very certificate.
    with page.expect_download() as download:
        page.get_by_role("link", name="הורדת התעודה (PDF)").click()
    pdf = download.value
    assert people.serial in pdf.suggested_filename
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf.path()), "-"], capture_output=True, text=True, check=True).stdout
    assert people.serial in text

    # English and back, by the switch in the header.
    _click(page, page.locator("a.lang-switch"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("[data-status=not_started]").first.inner_text() == "Not started"
    _click(page, page.locator("a.lang-switch"))
    assert page.locator("html").get_attribute("lang") == "he"

    # An extension: sent empty, refused at each field; then sent, and pending on the home.
    _click(page, card.get_by_role("link", name="בקשת הארכת מועד"))
    check_in_both_languages(page, "ask-extension")
    form_url = page.url
    for lang in ("en", "he"):  # the refusal in each language (a refused form is a POST: sent again in each)
        page.goto(f"{form_url}?lang={lang}")
        _submit(page)
        summary = page.locator(".error-summary")
        assert summary.is_visible() and summary.locator("a").count() == 2
        check_page(page, "ask-extension-errors")
    page.fill("#requested_due_date", "2099-01-01")
    page.fill("#reason", "המחזור הקרוב מתחיל אחרי המועד שלי")
    _submit(page)
    assert "עד" in page.locator("#requested_due_date-error").inner_text()  # past the longest extension
    assert page.locator("#reason").input_value() == "המחזור הקרוב מתחיל אחרי המועד שלי"  # kept
    page.fill("#requested_due_date", _iso_in(page, days=30))
    _submit(page)
    assert page.url.endswith("/me?notice=request_sent")
    card = page.locator("section.card", has_text="TREAS-NEXT")
    assert card.locator("[data-request-state=pending]").is_visible()
    assert card.get_by_role("link", name="בקשת הארכת מועד").count() == 0
    check_in_both_languages(page, "me-request-pending")

    # Signed out: the back button shows nothing of the home.
    _click(page, page.get_by_role("button", name="יציאה"))
    page.go_back()
    assert "TREAS-NEXT" not in page.content()


def _iso_in(page, *, days: int) -> str:
    """The requirement's due date shown on the form, `days` later, as YYYY-MM-DD."""
    due = page.locator("main dl time").first.get_attribute("datetime")
    assert due is not None
    return (date.fromisoformat(due) + timedelta(days=days)).isoformat()
