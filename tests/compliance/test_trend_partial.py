"""The trend's partial (templates/compliance/_trend.html), drawn on a throw-away page of the test's own app in
both languages: the chart with its text alternative, and the same figures as a table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from app.compliance.trend import TrendPoint, trend_dates
from app.main import create_app
from app.web.pages import templates
from tests.templates import added_templates

PAGE = """{% extends "base.html" %}{% block title %}מגמה{% endblock %}{% block content %}
{% include "compliance/_trend.html" %}{% endblock %}"""


def sample(as_of: date = date(2026, 1, 15)) -> list[TrendPoint]:
    """24 points: nothing owed at first, then the rate rising from 13% to 80% and overdue falling from 1,240 to 360."""
    out = []
    for i, day in enumerate(trend_dates(as_of)):
        required = 0 if i == 0 else 2000 + 10 * i
        done = 0 if i == 0 else round(required * (0.1 + 0.7 * i / 23))
        rate = None if i == 0 else round(done / required, 4)
        out.append(TrendPoint(day, required, 0 if i == 0 else 1240 - 40 * (i - 1), done, 0, rate))
    return out


router = APIRouter(include_in_schema=False)


@router.get("/test-pages/trend", response_class=HTMLResponse)
def trend_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "test/trend.html", {"trend": sample()})


@router.get("/test-pages/trend-empty", response_class=HTMLResponse)
def empty_trend_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "test/trend.html", {"trend": []})


@pytest.fixture
def site(database: str) -> Iterator[TestClient]:
    app = create_app()
    app.include_router(router)
    with added_templates({"test/trend.html": PAGE}), TestClient(app) as c:
        yield c


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_chart_and_its_table_in_hebrew(site):
    r = site.get("/test-pages/trend?lang=he")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="he" dir="rtl">' in html
    assert 'role="img"' in html and 'aria-labelledby="trend-title trend-desc"' in html
    text = _text(html)
    assert "שיעור ההשלמה בזמן" in text and "באיחור" in text
    # The text alternative names the span and the first and last figures.
    desc = _text(re.search(r"<desc[^>]*>(.*?)</desc>", html, re.S).group(1))
    assert desc.startswith("מפברואר 2024 עד ינואר 2026.")
    assert "13.0% במרץ 2024, 80.0% בינואר 2026" in desc  # the first month with anything owed, and the last
    assert "והכי הרבה 1,240 במרץ 2024" in desc and "360 בינואר 2026" in desc
    # The table: one row per point, month names in Hebrew, dates as dd/mm/yyyy, rates and counts.
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", html, re.S)
    assert len(rows) == 24
    assert rows[0][0] == "פברואר 2024" and "29/02/2024" in rows[0][1] and "—" in rows[0][1]
    assert rows[-1][0] == "ינואר 2026" and "15/01/2026" in rows[-1][1] and "80.0%" in rows[-1][1]
    assert "360" in rows[-1][1]
    # The chart: 24 bars; a line through the 23 points that have a rate; the axis labels.
    assert html.count('class="trend__bar"') == 24 and html.count('class="trend__dot"') == 23
    assert ">100%<" in html and ">2,000<" in html  # the overdue axis rounded up to 2,000
    assert "ינו׳ 26" in html  # the last month's short label


def test_the_chart_and_its_table_in_english(site):
    html = site.get("/test-pages/trend?lang=en").text
    assert '<html lang="en" dir="ltr">' in html
    text = _text(html)
    assert "On-time" in text or "on time" in text
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>", html, re.S)
    assert rows[0] == "February 2024" and rows[-1] == "January 2026"
    assert "Jan 26" in html
    assert not re.search(r"[\u0590-\u05ff]", _text(re.search(r"<main.*</main>", html, re.S).group(0)))


def test_no_points_say_so(site):
    html = site.get("/test-pages/trend-empty?lang=he").text
    assert "אין נתונים להצגת מגמה." in html and "<svg" not in html.split("<main", 1)[1]
