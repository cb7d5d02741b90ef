"""Text hygiene for names and search: controls stripped, NFC, one spelling of quotes and hyphens."""

from __future__ import annotations

import re
import unicodedata

# Bidi marks and overrides, zero-width characters and the BOM: invisible, but they break equality.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
# Hebrew geresh/gershayim and the typographic quotes all mean the ASCII ones in a name.
_QUOTES = str.maketrans(
    {
        "\u05f3": "'",
        "\u05f4": '"',
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00b4": "'",
        "`": "'",
    }
)
_HYPHENS = re.compile(r"\s*[-\u05be\u2010-\u2015]\s*")


def clean_text(value: str) -> str:
    """Strip invisible controls, normalise to NFC, fold white space; what is stored and compared."""
    value = _INVISIBLE.sub("", value)
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cc" or ch in "\t\n ")
    value = unicodedata.normalize("NFC", value)
    return _SPACES.sub(" ", value).strip()


def search_key(value: str) -> str:
    """The form names are matched in: clean, ASCII quotes, no spaces around hyphens, lower case."""
    value = clean_text(value).translate(_QUOTES)
    value = _HYPHENS.sub("-", value)
    return value.casefold()
