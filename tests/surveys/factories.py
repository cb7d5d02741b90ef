"""Surveys for the tests: a trust survey with every kind of item, made through the service."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.surveys.models import Survey
from app.surveys.schemas import SurveyCreate
from app.surveys.service import create_survey
from tests.factories import ACTOR


def survey_body(
    *, series: str = "trust", wave: str = "start", order: int = 1, anonymous: bool = True
) -> dict[str, Any]:
    """A survey's body as the API takes it: a scale, a single and a multiple choice (up to 2), free text."""
    return {
        "series_code": series,
        "wave": wave,
        "wave_order": order,
        "title_he": "אמון בקהילה",
        "title_en": "Trust in the community",
        "anonymous": anonymous,
        "items": [
            {"code": "trust1", "kind": "scale5", "text_he": "אני סומך/ת על חברי הקהילה", "text_en": "I trust members"},
            {
                "code": "role",
                "kind": "single",
                "text_he": "תפקידך בקהילה",
                "options": [{"code": "core", "text_he": "ליבה"}, {"code": "wider", "text_he": "מעגל רחב"}],
            },
            {
                "code": "gain",
                "kind": "multiple",
                "text_he": "מה קיבלת מהקהילה",
                "max_choices": 2,
                "options": [
                    {"code": "tools", "text_he": "כלים"},
                    {"code": "contacts", "text_he": "קשרים"},
                    {"code": "ideas", "text_he": "רעיונות"},
                ],
            },
            {"code": "note", "kind": "text", "text_he": "הערות"},
        ],
    }


def people_body(*, wave: str = "start", order: int = 1) -> dict[str, Any]:
    """A named survey of the network: whom do you consult."""
    return {
        "series_code": "network",
        "wave": wave,
        "wave_order": order,
        "title_he": "מיפוי קשרים",
        "title_en": "Who consults whom",
        "anonymous": False,
        "items": [
            {"code": "consult", "kind": "people", "text_he": "עם מי את/ה מתייעץ/ת?"},
            {"code": "trust1", "kind": "scale5", "text_he": "אני סומך/ת על חברי הקהילה"},
        ],
    }


def make_survey(db: Session, **kw: Any) -> Survey:
    """A trust survey (anonymous unless told otherwise)."""
    return create_survey(db, data=SurveyCreate.model_validate(survey_body(**kw)), actor=ACTOR)


def make_people_survey(db: Session, **kw: Any) -> Survey:
    """A named network survey."""
    return create_survey(db, data=SurveyCreate.model_validate(people_body(**kw)), actor=ACTOR)
