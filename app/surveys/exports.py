"""The columns and rows of a survey's report as a sheet, in Hebrew or English all through."""

from __future__ import annotations

from typing import Any

from app.surveys.rules import CHOICE_KINDS, SCALE, ItemKind
from app.surveys.schemas import SurveyRead, SurveyReport
from app.web.exports import Column

KIND_NAMES: dict[str, dict[str, str]] = {
    "he": {
        ItemKind.SCALE5: "סולם הסכמה 1–5",
        ItemKind.SINGLE: "בחירה אחת",
        ItemKind.MULTIPLE: "בחירה מרובה",
        ItemKind.TEXT: "טקסט חופשי",
        ItemKind.PEOPLE: "עם מי מתייעצים",
    },
    "en": {
        ItemKind.SCALE5: "agreement scale 1-5",
        ItemKind.SINGLE: "single choice",
        ItemKind.MULTIPLE: "multiple choice",
        ItemKind.TEXT: "free text",
        ItemKind.PEOPLE: "people consulted",
    },
}

REPORT_COLUMNS = [
    Column("code", "קוד שאלה", "Item code"),
    Column("question", "שאלה", "Question", 44),
    Column("kind", "סוג", "Kind", 18),
    Column("n", "N (ענו)", "N (answered)", 10),
    Column("mean", "ממוצע", "Mean", 10),
    Column("high_agreement_pct", "% הסכמה גבוהה (4–5)", "% high agreement (4-5)", 14),
    *[Column(f"v{v}", f"ענו {v}", f"Answered {v}", 9) for v in SCALE],
    Column("option_code", "קוד אפשרות", "Option code"),
    Column("option", "אפשרות", "Option", 28),
    Column("option_pct", "% בחרו", "% chose", 10),
    Column("text", "תשובה חופשית", "Free text", 60),
    Column("kind_code", "kind", "kind", 10),
]


def report_rows(survey: SurveyRead, report: SurveyReport, *, lang: str) -> list[dict[str, Any]]:
    """A row per scale or free-text question, a row per option of a choice, a row per text written."""
    he = lang == "he"
    kinds = KIND_NAMES["he" if he else "en"]
    items = {i.code: i for i in survey.items}
    rows: list[dict[str, Any]] = []
    for figures in report.items:
        item = items[figures.code]
        base = {
            "code": figures.code,
            "question": item.text_he if he or not item.text_en else item.text_en,
            "kind": kinds[figures.kind],
            "kind_code": str(figures.kind),
            "n": figures.n,
        }
        if figures.kind is ItemKind.SCALE5:
            rows.append(
                {
                    **base,
                    "mean": round(figures.mean, 2) if figures.mean is not None else None,
                    "high_agreement_pct": round(figures.high_agreement_pct, 1)
                    if figures.high_agreement_pct is not None
                    else None,
                    **{f"v{v}": figures.distribution.get(str(v), 0) for v in SCALE},
                }
            )
        elif figures.kind in CHOICE_KINDS:
            texts = {o.code: (o.text_he if he or not o.text_en else o.text_en) for o in item.options}
            for option in figures.options:
                rows.append(
                    {
                        **base,
                        "option_code": option.code,
                        "option": texts.get(option.code, option.code),
                        "option_pct": round(option.pct, 1),
                    }
                )
        elif figures.kind is ItemKind.TEXT:
            rows.extend({**base, "text": text} for text in figures.texts) if figures.texts else rows.append(base)
        else:
            rows.append(base)
    return rows
