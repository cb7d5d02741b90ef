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


# Marks that do not change which name is meant: Hebrew points and cantillation, Arabic harakat, the superscript alef
# and the tatweel; apostrophes and quotes (ג'מאל and גמאל, O'Brien and OBrien are typed both ways).
_NAME_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670\u0640'\"]")
# Arabic letters written in more than one way in names: the hamza forms of alef, alef maqsura, ta marbuta.
_ARABIC_LETTERS = str.maketrans(
    {
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0622": "\u0627",
        "\u0671": "\u0627",
        "\u0649": "\u064a",
        "\u0629": "\u0647",
    }
)


def name_key(value: str) -> str:
    """The form a person's name is stored and searched in (Hebrew, Arabic or Latin letters): `search_key`, then
    without points, harakat, tatweel, apostrophes and quotes, and one spelling of alef, ya and ta marbuta."""
    return _SPACES.sub(" ", _NAME_MARKS.sub("", search_key(value)).translate(_ARABIC_LETTERS)).strip()


def full_name(*parts: str | None) -> str | None:
    """A person's name from its parts (first, last), those given, with a space between; None when none is given."""
    return " ".join(p for p in parts if p) or None
