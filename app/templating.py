"""The Jinja2 environment of each language (`environment(lang)`): web pages, PDFs (certificates, reports) and
emails render from the one of their language. The environments are alike but for their language.

Each loads the top-level templates/ folder, and the certificate designs under certificates/ by names starting with
"certificates/" (a name found in templates/ wins). Templates are autoescaped (plain-text `.txt` ones, for
emails, are not) and an undefined name fails instead of printing nothing.

Filters for text in Hebrew, right to left:
- `ltr`: the value in `<span dir="ltr">`, for ids, dates and numbers in PDFs (WeasyPrint ignores `<bdi>`);
- `bdi`: the value in `<bdi>`, the same isolation for web pages;
- dates: `date` (prose in the template's language: "14 ביולי 2026" or "14 July 2026"), `date_he`, `date_en`,
  `date_short` (dd/mm/yyyy, for tables), `datetime` (in the school's timezone), `datetime_he`, `hebrew_date`
  ("י״ב בטבת תשפ״ו"), `hebrew_year`;
- `number` ("1,234") and `percent` ("75.0%").

Text goes through gettext (jinja2.ext.i18n, new style: `{{ _("...%(name)s", name=x) }}` and `{% trans %}`), in
the language named by the template's `lang` variable ("he" when there is none), which is the environment's: a
fixed text, `_("...")` without variables, is translated when the template is compiled (`FixedText`), so a render
makes no call for it. The Hebrew text is the source (the
msgid); the catalogues are app/locale/<lang>/LC_MESSAGES/messages.po, compiled to .mo beside them by
`make messages` (which also extracts the text, babel.cfg), and the compiled files are committed.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.config import PROJECT_ROOT, get_settings
from app.hebrew_dates import datetime_he, gregorian_date_he, hebrew_date, hebrew_year

__all__ = [
    "DEFAULT_LANGUAGE",
    "DESIGNS_DIR",
    "LANGUAGES",
    "TEMPLATES_DIR",
    "Language",
    "bdi",
    "date_en",
    "date_short",
    "direction",
    "environment",
    "environments",
    "ltr",
    "month_name",
    "number",
    "percent",
    "render",
    "translations",
]

TEMPLATES_DIR = PROJECT_ROOT / "templates"
DESIGNS_DIR = PROJECT_ROOT / "certificates"
LOCALE_DIR = Path(__file__).parent / "locale"
# The project's fonts under the family names app.pdf registers them by: Hebrew first, then Latin letters and digits.
FONT_STACK = '"LMS Hebrew", "LMS Latin", sans-serif'

Language = Literal["he", "en"]
LANGUAGES: tuple[Language, ...] = ("he", "en")
DEFAULT_LANGUAGE: Language = "he"
_DIRECTIONS = {"he": "rtl", "en": "ltr"}


def direction(lang: str) -> str:
    """The writing direction of a language: "rtl" for Hebrew, "ltr" for English."""
    return _DIRECTIONS.get(lang, "rtl")


def _language_of(context: Context) -> str:
    lang = context.get("lang")
    return lang if lang in _DIRECTIONS else DEFAULT_LANGUAGE


# --- bidi isolation --------------------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else value


def ltr(value: Any) -> Markup:
    """The value (escaped) in `<span dir="ltr">`, so that ids, dates and numbers keep their order in Hebrew (PDFs)."""
    return Markup(f'<span dir="ltr">{escape(_text(value))}</span>')


def bdi(value: Any) -> Markup:
    """The value (escaped) in `<bdi>`: isolated from the Hebrew around it, in its own direction (web pages)."""
    return Markup(f"<bdi>{escape(_text(value))}</bdi>")


# --- dates -----------------------------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    """The moment in the school's timezone (Asia/Jerusalem)."""
    return moment.astimezone(ZoneInfo(get_settings().timezone))


def _day(value: date | datetime) -> date:
    return _local(value).date() if isinstance(value, datetime) else value


def date_en(day: date | datetime) -> str:
    """The Gregorian date in English prose, e.g. "14 July 2026"."""
    return _date_en(_day(day))


@lru_cache(maxsize=4096)
def _date_en(day: date) -> str:
    return str(format_date(day, "d MMMM y", locale="en"))


def date_short(day: date | datetime | None) -> str:
    """The date as dd/mm/yyyy, for tables ("14/07/2026"); empty for none."""
    return "" if day is None else _day(day).strftime("%d/%m/%Y")


@pass_context
def _date(context: Context, day: date | datetime | None) -> str:
    """The date in prose in the template's language; empty for none."""
    if day is None:
        return ""
    return gregorian_date_he(_day(day)) if _language_of(context) == "he" else date_en(day)


@pass_context
def _localized(context: Context, value: Any) -> Any:
    """A text given in both languages ({"he": ..., "en": ...}) in the template's language; any other value as it
    is (a name, a code)."""
    if isinstance(value, Mapping) and "he" in value:
        return value.get(_language_of(context)) or value["he"]
    return value


@pass_context
def _datetime(context: Context, moment: datetime | None) -> str:
    """A moment in the school's timezone, in the template's language ("14 ביולי 2026 בשעה 9:05", "14 July 2026,
    9:05"); empty for none."""
    if moment is None:
        return ""
    local = _local(moment)
    if _language_of(context) == "he":
        return datetime_he(local)
    return f"{date_en(local.date())}, {format_time(local, 'H:mm', locale='en')}"


@pass_context
def _month(context: Context, day: date | datetime | None, short: bool = False) -> str:
    """The day's month and year in the template's language: "ינואר 2026" / "January 2026", or short for a chart's
    axis, "ינו׳ 26" / "Jan 26"; empty for none."""
    if day is None:
        return ""
    return month_name(_day(day), _language_of(context), short=short)


@lru_cache(maxsize=1024)
def month_name(day: date, lang: str, *, short: bool = False) -> str:
    """The month and year of a day in a language, in full or short."""
    return str(format_date(day, "LLL yy" if short else "LLLL y", locale=lang))


# --- numbers ---------------------------------------------------------------------------------------------------


def number(value: int | float | None) -> str:
    """A count with thousands separators ("1,234"); empty for none."""
    return "" if value is None else _number(value)


@lru_cache(maxsize=4096)
def _number(value: int | float) -> str:
    return str(format_decimal(value, locale="he"))


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage ("75.0%"); "—" for none (nothing to divide by)."""
    return "—" if value is None else _percent(value, digits)


@lru_cache(maxsize=8192)  # the same rates come back on every page of a report (babel takes ~50 µs a figure)
def _percent(value: float, digits: int) -> str:
    return str(format_percent(value, format="#,##0." + "0" * digits + "%" if digits else "#,##0%", locale="he"))


# --- gettext ---------------------------------------------------------------------------------------------------


@cache
def translations(lang: str) -> gettext_module.NullTranslations:
    """The message catalogue of a language (app/locale); the source text as it is where a message has none."""
    return gettext_module.translation("messages", localedir=LOCALE_DIR, languages=[lang], fallback=True)


# Called through the template's context, so each render translates into its own `lang` whatever the other threads
# render at the same time. (jinja2.ext.i18n wraps `_gettext` too, but the templates' `_` and `gettext` are `_text_of`.)
@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(_language_of(context)).gettext(message)


@pass_context
def _text_of(context: Context, message: str, /, **variables: Any) -> str:
    """`_()` in a template, as jinja2.ext.i18n's new-style gettext does it (escaped for HTML, a format string always:
    "%%" is "%"), without its two calls through the context per message. A message without variables never comes
    here: it is translated when the template is compiled (`FixedText`)."""
    return _translated(_language_of(context), bool(context.eval_ctx.autoescape), message) % variables


def _translated(lang: str, escape: bool, message: str) -> str:
    text = translations(lang).gettext(message)
    return Markup(text) if escape else text


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_language_of(context)).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, msgctxt: str, message: str) -> str:
    return translations(_language_of(context)).pgettext(msgctxt, message)


@pass_context
def _npgettext(context: Context, msgctxt: str, singular: str, plural: str, n: int) -> str:
    return translations(_language_of(context)).npgettext(msgctxt, singular, plural, n)


# --- the environment -------------------------------------------------------------------------------------------


class FixedText(Extension):
    """A page's fixed text, `_("...")` with no variables, translated when the template is compiled: each language
    has its own environment (`environment(lang)`), whose compiled templates hold their text in that language, so a
    render makes no call for it. The text is what `_text_of` would answer: the catalogue's, formatted once ("%%" is
    "%"), marked safe where the template is escaped."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        language = getattr(self.environment, "language", DEFAULT_LANGUAGE)
        autoescape = self.environment.autoescape
        escape = bool(autoescape(stream.name) if callable(autoescape) else autoescape)
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            name, *call = tokens[i : i + 4]
            if (
                name.type == "name"
                and name.value in ("_", "gettext")
                and [t.type for t in call] == ["lparen", "string", "rparen"]
                and (i == 0 or tokens[i - 1].type != "dot")
            ):
                line = name.lineno
                yield Token(line, "lparen", "(")
                yield Token(line, "string", _translated(language, escape, call[1].value) % {})
                if escape:
                    yield Token(line, "pipe", "|")
                    yield Token(line, "name", "safe")
                yield Token(line, "rparen", ")")
                i += 4
            else:
                yield name
                i += 1


_LOADER = ChoiceLoader(
    [
        FileSystemLoader(TEMPLATES_DIR),
        PrefixLoader({"certificates": FileSystemLoader(DESIGNS_DIR)}),
    ]
)


def environment(lang: str = DEFAULT_LANGUAGE) -> Environment:
    """The process-wide Jinja2 environment of a language (see the module's docstring); a language it does not know
    is Hebrew's."""
    return _environment(lang if lang in _DIRECTIONS else DEFAULT_LANGUAGE)


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=_LOADER,
        # HTML, CSS and any other template escaped; a plain-text email (.txt) is not HTML and is not.
        autoescape=select_autoescape(disabled_extensions=("txt",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n", FixedText],
    )
    env.extend(language=lang)
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} text is one line in the catalogue, whatever its layout
    # The i18n extension adds install_gettext_callables to the environment.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext, newstyle=True
    )
    env.globals.update(_=_text_of, gettext=_text_of)
    env.filters.update(
        ltr=ltr,
        bdi=bdi,
        date=_date,
        date_he=gregorian_date_he,
        date_en=date_en,
        date_short=date_short,
        datetime=_datetime,
        localized=_localized,
        datetime_he=datetime_he,
        hebrew_date=hebrew_date,
        hebrew_year=hebrew_year,
        month=_month,
        number=number,
        percent=percent,
    )
    env.globals["font_stack"] = FONT_STACK
    return env


def environments() -> tuple[Environment, ...]:
    """The environments of every language."""
    return tuple(environment(lang) for lang in LANGUAGES)


def render(template_name: str, context: dict[str, Any], *, lang: str = DEFAULT_LANGUAGE) -> str:
    """The template rendered in a language (its `lang` and `dir` variables set), e.g. an email's body."""
    return environment(lang).get_template(template_name).render({**context, "lang": lang, "dir": direction(lang)})
