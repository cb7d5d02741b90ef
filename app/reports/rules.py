"""Pure rules of the records people look at: continuing professional development hours per year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date


def cpd_hours_by_year(completions: Iterable[tuple[date, float, str]]) -> list[tuple[int, float, list[str]]]:
    """Hours of completed advanced programmes per calendar year of completion, with the programmes, newest first."""
    hours: dict[int, float] = defaultdict(float)
    programmes: dict[int, list[str]] = defaultdict(list)
    for completed_on, programme_hours, code in completions:
        hours[completed_on.year] += programme_hours
        programmes[completed_on.year].append(code)
    return [(year, round(hours[year], 2), sorted(programmes[year])) for year in sorted(hours, reverse=True)]
