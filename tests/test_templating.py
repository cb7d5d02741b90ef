"""The Jinja2 environment of each language: shared by pages and PDFs, bidi isolation, both calendars and both
languages' dates, numbers, gettext in the template's language (fixed text translated when compiled), autoescaping
(not for plain-text emails), undefined names failing."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from jinja2 import UndefinedError

from app import pdf, templating
from app.templating import bdi, environment, ltr, render
from app.web.pages import templates
from tests.templates import added_templates


def _render(source: str, **context: object) -> str:
    return environment(str(context.get("lang", "he"))).from_string(source).render(**context)


def test_pages_and_pdfs_share_the_environment_of_each_language():
    for lang in ("he", "en"):
        assert templates.of[lang].env is environment(lang) is pdf.environment(lang)
        assert "jinja2.ext.InternationalizationExtension" in environment(lang).extensions
    assert environment("fr") is environment() is environment("he")


def test_bidi_isolation_escapes_and_isolates():
    assert str(ltr("2025-A-00123")) == '<span dir="ltr">2025-A-00123</span>'
    assert str(bdi("2025-A-00123")) == "<bdi>2025-A-00123</bdi>"
    assert str(bdi("<b>")) == "<bdi>&lt;b&gt;</bdi>" and str(ltr(None)) == '<span dir="ltr"></span>'
    assert _render("מספר {{ s|bdi }}.", s="MKM-2026-000001") == "מספר <bdi>MKM-2026-000001</bdi>."


@pytest.mark.parametrize(
    ("source", "lang", "out"),
    [
        ("{{ d|date }}", "he", "14 ביולי 2026"),
        ("{{ d|date }}", "en", "14 July 2026"),
        ("{{ d|date_he }}", "en", "14 ביולי 2026"),
        ("{{ d|date_en }}", "he", "14 July 2026"),
        ("{{ d|date_short }}", "he", "14/07/2026"),
        ("{{ d|date_short|bdi }}", "he", "<bdi>14/07/2026</bdi>"),
        ("{{ none|date_short }}{{ none|date }}", "he", ""),
        ("{{ j|hebrew_date }}", "he", "י״ב בטבת תשפ״ו"),
        ("{{ j|hebrew_year }}", "en", "תשפ״ו"),
        ("{{ 1234567|number }} {{ 0.75|percent }} {{ 1|percent(0) }}", "he", "1,234,567 75.0% 100%"),
    ],
)
def test_dates_and_numbers(source, lang, out):
    assert _render(source, d=date(2026, 7, 14), j=date(2026, 1, 1), none=None, lang=lang) == out


def test_moments_are_told_in_the_schools_timezone():
    late = datetime(2026, 7, 14, 22, 30, tzinfo=UTC)  # 01:30 on 15 July in Jerusalem (summer time, UTC+3)
    assert _render("{{ m|date_short }}", m=late) == "15/07/2026"
    assert _render("{{ m|datetime }}", m=late, lang="he") == "15 ביולי 2026 בשעה 1:30"
    assert _render("{{ m|datetime }}", m=late, lang="en") == "15 July 2026, 1:30"
    assert _render("{{ m|date }}", m=datetime(2026, 1, 1, 6, 5, tzinfo=UTC), lang="en") == "1 January 2026"


def test_gettext_is_installed_with_the_source_text_and_escapes():
    assert _render('{{ _("שלום %(name)s", name=n) }}', n="<דנה>") == "שלום &lt;דנה&gt;"
    assert _render("{% trans n=3 %}\n  שלום\n  {{ n }}\n{% endtrans %}") == "שלום 3"
    assert _render('{{ ngettext("קובץ אחד", "%(num)d קבצים", 2) }}') == "2 קבצים"
    assert _render('{{ pgettext("status", "באיחור") }}') == "באיחור"


class _English(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return {"שלום %(name)s": "Hello %(name)s", "שלום": "Hello", "<b>חדש</b> 100%%": "<b>New</b> 100%%"}.get(
            message, message
        )


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalogue for English, as the web-app's catalogues will be."""
    null = gettext.NullTranslations()
    monkeypatch.setattr(templating, "translations", lambda lang: _English() if lang == "en" else null)


def test_each_render_translates_into_its_own_language(english):
    source = '{{ _("שלום %(name)s", name="Dana") }}'
    assert _render(source, lang="en") == "Hello Dana"
    assert _render(source, lang="he") == "שלום Dana"
    assert _render(source) == "שלום Dana"  # no lang: Hebrew


def test_fixed_text_is_translated_when_compiled_as_gettext_translates_it_at_render(english):
    # In the template's language, marked safe where the page is escaped, "%%" formatted once, in any expression.
    source = '{{ _("<b>חדש</b> 100%%") }}|{{ _("שלום")|upper }}|{{ [_("שלום"), x]|join(" ") }}|{{ d._("שלום") }}'
    d = {"_": lambda text: "kept: " + text}  # an attribute named "_" is not gettext
    assert _render(source, lang="en", x="<i>", d=d) == "<b>New</b> 100%|HELLO|Hello &lt;i&gt;|kept: שלום"
    assert _render(source, lang="he", x="<i>", d=d) == "<b>חדש</b> 100%|שלום|שלום &lt;i&gt;|kept: שלום"
    # A compiled template holds its text: no call is made for it when rendering.
    code = environment("en").compile('{{ _("שלום") }}', raw=True)
    assert "Hello" in code and "_text_of" not in code and "context.call" not in code
    # Plain text (an email) is not HTML: the text is not marked safe, so what is joined to it is not escaped.
    with added_templates({"test/fixed.txt": '{{ _("שלום") ~ " " ~ name }}'}):
        assert render("test/fixed.txt", {"name": "<Dana>"}, lang="en") == "Hello <Dana>"


@pytest.fixture
def mail_templates() -> Iterator[None]:
    sources = {
        "test/mail.txt": "{{ lang }} {{ dir }}: {{ name }} <{{ email }}>",
        "test/mail.html": '<p dir="{{ dir }}">{{ name }}</p>',
    }
    with added_templates(sources):
        yield


def test_plain_text_is_not_escaped_html_is_and_render_sets_the_language(mail_templates):
    context = {"name": "דנה & <שות'>", "email": "dana@example.org", "lang": "ignored"}
    assert render("test/mail.txt", context, lang="en") == "en ltr: דנה & <שות'> <dana@example.org>"
    assert render("test/mail.html", context) == '<p dir="rtl">דנה &amp; &lt;שות&#39;&gt;</p>'


def test_an_undefined_name_fails_instead_of_printing_nothing():
    with pytest.raises(UndefinedError):
        _render("{{ missing }}")


def test_certificate_designs_load_by_their_prefix():
    source, filename, _ = environment().loader.get_source(environment(), "certificates/certificate.html")  # type: ignore[union-attr]
    assert "certificates" in filename and "{% for c in certificates %}" in source
