"""PDF rendering shared by certificates and reports: templates of the application's Jinja2 environment of their
language (`app.templating`) turned into PDF by WeasyPrint, with the project's own fonts (certificates/fonts) so that
a document comes out the same on every machine.

Three traps of WeasyPrint are handled here once:
- a FontConfiguration per render leaks about 0.3 MiB each time, so one is made per process, lazily, and reused;
- a stylesheet linked from the HTML is fetched and parsed again at every render (a few milliseconds for a small
  design), so a design's CSS file is parsed once and passed as a stylesheet, parsed again only when it changes;
- in right-to-left text an id such as `2025-A-00123` is reordered unless it sits in `<span dir="ltr">`
  (`<bdi>` does not help in WeasyPrint): PDF templates use the `ltr` filter for ids, dates and numbers, not `bdi`.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import PROJECT_ROOT
from app.hebrew_dates import gregorian_date_he, hebrew_date, hebrew_year
from app.templating import DEFAULT_LANGUAGE, DESIGNS_DIR, FONT_STACK, TEMPLATES_DIR, environment, ltr, number, percent

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

__all__ = [
    "FONTS",
    "FONTS_DIR",
    "FONT_STACK",
    "TEMPLATES_DIR",
    "base_stylesheet",
    "environment",
    "file_stylesheet",
    "font_configuration",
    "font_face_css",
    "gregorian_date_he",
    "hebrew_date",
    "hebrew_year",
    "ltr",
    "number",
    "percent",
    "render_html",
    "render_pdf",
]

FONTS_DIR = DESIGNS_DIR / "fonts"


@dataclass(frozen=True)
class Font:
    """One font file of the project and the CSS family and weight it is registered under."""

    family: str
    file: str
    weight: int


# Family names of our own, so that a copy of Noto installed on the machine is never picked instead of these
# files (WeasyPrint adds @font-face fonts beside the system's, it does not mask them).
FONTS = (
    Font("LMS Hebrew", "NotoSansHebrew-Regular.ttf", 400),
    Font("LMS Hebrew", "NotoSansHebrew-Bold.ttf", 700),
    Font("LMS Latin", "NotoSans-Regular.ttf", 400),
    Font("LMS Latin", "NotoSans-Bold.ttf", 700),
)


def font_face_css(fonts_dir: Path = FONTS_DIR) -> str:
    """The @font-face rules of the project's fonts, by absolute file URL, and the font stack on the root."""
    rules = [
        f'@font-face {{ font-family: "{f.family}"; src: url("{(fonts_dir / f.file).as_uri()}"); '
        f"font-weight: {f.weight}; font-style: normal; }}"
        for f in FONTS
    ]
    return "\n".join([*rules, f"html {{ font-family: {FONT_STACK}; }}", ""])


# One render at a time per process: WeasyPrint's layout is Python (the GIL serialises it anyway), and the
# shared FontConfiguration (fontconfig and Pango underneath) is not documented as safe across threads.
_lock = threading.RLock()
_font_config: FontConfiguration | None = None


def font_configuration() -> FontConfiguration:
    """The process-wide FontConfiguration, made on first use and reused by every render."""
    global _font_config
    with _lock:
        if _font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            _font_config = FontConfiguration()
        return _font_config


@atexit.register
def _release_fonts() -> None:
    """Let the FontConfiguration go while Python is still whole: it deletes its temporary font folder when
    collected, which fails (noisily) if left to interpreter shutdown."""
    global _font_config
    base_stylesheet.cache_clear()
    _file_stylesheets.clear()
    _font_config = None


@lru_cache(maxsize=1)
def base_stylesheet() -> CSS:
    """The stylesheet every PDF gets: the project's fonts. A user stylesheet, so a design's own CSS overrides it."""
    from weasyprint import CSS

    with _lock:
        return CSS(string=font_face_css(), font_config=font_configuration())


# A parsed stylesheet by file, with the (modification time, size) it was parsed at.
_file_stylesheets: dict[Path, tuple[tuple[int, int], CSS]] = {}


def file_stylesheet(path: Path) -> CSS:
    """The CSS file parsed, once: kept for the process and parsed again when the file changes (an admin's edit is
    in the next render). Relative URLs in it resolve from the file, as when it is linked from the HTML."""
    from weasyprint import CSS

    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _file_stylesheets.get(path)
        if cached is None or cached[0] != version:
            css = CSS(filename=str(path), font_config=font_configuration())
            cached = _file_stylesheets[path] = (version, css)
        return cached[1]


def render_html(template_name: str, context: Mapping[str, Any]) -> str:
    """The template rendered to HTML (what render_pdf lays out; handy to look at in a browser)."""
    return environment(context.get("lang", DEFAULT_LANGUAGE)).get_template(template_name).render(**context)


def render_pdf(
    template_name: str,
    context: Mapping[str, Any],
    *,
    base_url: Path | str = PROJECT_ROOT,
    stylesheets: Iterable[CSS] = (),
) -> bytes:
    """The template rendered to PDF with the project's fonts; relative URLs (images, CSS) resolve from base_url."""
    from weasyprint import HTML

    html = render_html(template_name, context)
    with _lock:
        document = HTML(string=html, base_url=str(base_url))
        data = document.write_pdf(stylesheets=[base_stylesheet(), *stylesheets], font_config=font_configuration())
    if not isinstance(data, bytes):  # write_pdf returns the bytes when given no target
        raise TypeError("WeasyPrint returned no PDF")
    return data
