"""What every web page is rendered with: the shared Jinja2 environment (`app.templating`) and the variables each
page gets whatever its route gives: `lang` and `dir` of the page, `school_name` in its language, and `csrf_token`
of the signed-in session (for the forms' hidden field and the X-CSRF-Token header of scripts; None when no one is
signed in)."""

from __future__ import annotations

from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from app.config import get_settings
from app.templating import DEFAULT_LANGUAGE, LANGUAGES, direction, environment


def page_language(request: Request) -> str:
    """The language of the page: what the request settled on (request.state.lang), else Hebrew."""
    lang = getattr(request.state, "lang", None)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def page_variables(request: Request) -> dict[str, Any]:
    """The variables every page gets."""
    lang = page_language(request)
    record = getattr(request.state, "web_session", None)
    settings = get_settings()
    return {
        "lang": lang,
        "dir": direction(lang),
        "school_name": settings.school_name_he if lang == "he" else settings.school_name_en,
        "csrf_token": record.csrf_token if record is not None else None,
    }


templates = Jinja2Templates(env=environment(), context_processors=[page_variables])
