"""The compliance trend's partial in a real browser: drawn on a throw-away page (the layout's stylesheet, the partial
in the page's language), checked by axe-core in Hebrew and English and seen at 1280 and 390 px. The dashboard that
includes it is checked in its own browser test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import PROJECT_ROOT
from app.templating import direction, environment
from tests.browser.conftest import check_page
from tests.compliance.test_trend_partial import sample

pytestmark = pytest.mark.browser

CSS = (PROJECT_ROOT / "app" / "web" / "static" / "css" / "site.css").read_text(encoding="utf-8")
PAGE = """<!doctype html><html lang="{{ lang }}" dir="{{ dir }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ _("המגמה: עמידה בזמנים וחריגות, חודש אחר חודש") }}</title>
<style>{{ css|safe }}</style></head><body><main class="main container" id="main">
<h1>{{ _("שיעור ההשלמה בזמן") }}</h1>{% include "compliance/_trend.html" %}</main></body></html>"""


@pytest.fixture
def blank(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("lang", ["he", "en"])
def test_the_trend_reads_in_both_languages_and_at_both_widths(blank, lang):
    html = environment(lang).from_string(PAGE).render(lang=lang, dir=direction(lang), css=CSS, trend=sample())
    blank.set_content(html)
    chart = blank.locator("svg.trend__chart")
    assert chart.get_attribute("role") == "img"
    box = chart.bounding_box()
    assert box is not None and 600 < box["width"] <= 1280
    blank.locator(".trend__data summary").click()  # the table opens
    rows = blank.locator(".trend-table tbody tr")
    assert rows.count() == 24
    check_page(blank, "compliance-trend")
    blank.set_viewport_size({"width": 390, "height": 900})
    narrow = chart.bounding_box()
    assert narrow is not None and narrow["width"] < 390  # the chart scales down with its box
