"""Rules of the knowledge centre: its vocabularies, who sees an item (its visibility and the caller's circle in its
community), the one normal form that items and queries are searched in (Hebrew and English, word prefixes), and which
files may be filed (their type told by their content, never by their name)."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

import filetype


class ItemKind(StrEnum):
    """What an item is: an uploaded file, a link to somewhere else, or a text written here."""

    DOCUMENT = "document"
    LINK = "link"
    NOTE = "note"


class Visibility(StrEnum):
    """Who sees an item: anyone (signed in or not), the members of its community of either circle, or its core."""

    PUBLIC = "public"
    WIDER = "wider"
    CORE = "core"


class Language(StrEnum):
    """The language an item is written in."""

    HE = "he"
    EN = "en"


# The roles of users and the circles and roles of members as app.auth and app.communities name them (rules import no
# session; the strings are the same).
_STAFF = frozenset({"admin", "auditor"})
_CORE, _WIDER, _COORDINATOR = "core", "wider", "coordinator"


def sees_everything(user_role: str | None) -> bool:
    """Admins and auditors see every item, whatever its visibility."""
    return user_role in _STAFF


def visible_levels(circle: str | None, community_role: str | None) -> frozenset[Visibility]:
    """The visibilities of a community's items that a caller sees, by their current circle and role in it: anyone the
    public ones, a member of the wider circle the wider ones too, a core member (and the coordinator, whatever their
    circle) all of them."""
    if community_role == _COORDINATOR or circle == _CORE:
        return frozenset(Visibility)
    if circle == _WIDER:
        return frozenset({Visibility.PUBLIC, Visibility.WIDER})
    return frozenset({Visibility.PUBLIC})


def may_see(visibility: str, *, user_role: str | None, circle: str | None, community_role: str | None) -> bool:
    """Whether a caller sees an item: staff every one; the others as `visible_levels` says for its community."""
    return sees_everything(user_role) or visibility in visible_levels(circle, community_role)


def visibility_problem(visibility: str, community_id: int | None) -> str | None:
    """Why an item cannot have this visibility, or None: only an item of a community is for its circles."""
    if visibility != Visibility.PUBLIC and community_id is None:
        return "an item for a community's circle needs its community (community_id)"
    return None


# --- search --------------------------------------------------------------------------------------------------------

# Final letters folded to their medial forms, so that a prefix typed in the middle of a word finds its end too.
_FINALS = str.maketrans("ךםןףץ", "כמנפצ")
# Geresh and gershayim (Hebrew and the ASCII and typographic quotes typed for them) are dropped, never spaces:
# מנכ"ל, מנכ״ל and מנכל are one word.
_QUOTES = re.compile("[\u05f3\u05f4'\"\u2018\u2019\u201c\u201d\u00b4`]")
# Anything but a letter or a digit separates words (underscore included).
_SEPARATORS = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """The form items and queries are searched in: compatibility-decomposed, without combining marks (Hebrew niqqud
    and cantillation, Latin accents), lower case, without geresh and gershayim, final letters as medial ones,
    punctuation as spaces; the words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = _QUOTES.sub("", bare).casefold().translate(_FINALS)
    return " ".join(_SEPARATORS.sub(" ", folded).split())


def search_text(*parts: str | None) -> str:
    """The stored search text of an item: its normalised parts, with a space before every word (and at the end), so
    that ` word` prefixes match at the start of any word with LIKE."""
    words = normalise(" ".join(p for p in parts if p))
    return f" {words} " if words else " "


def query_words(q: str | None) -> list[str]:
    """The words of a query, normalised as items are; each must begin some word of an item that it finds."""
    return normalise(q or "").split()[:10]


# --- files ---------------------------------------------------------------------------------------------------------

# The types of document that may be filed, by the media type their content shows: a short name, and the endings a
# file of the type may have.
FILE_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/pdf": ("PDF", (".pdf",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("DOCX", (".docx",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("XLSX", (".xlsx",)),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("PPTX", (".pptx",)),
    "application/vnd.oasis.opendocument.text": ("ODT", (".odt",)),
    "image/png": ("PNG", (".png",)),
    "image/jpeg": ("JPEG", (".jpg", ".jpeg")),
    "text/plain": ("TXT", (".txt", ".text", ".md")),
    "text/csv": ("CSV", (".csv",)),
}
ALLOWED = ", ".join(name for name, _ in FILE_TYPES.values())


def _is_text(content: bytes) -> bool:
    """Plain text: UTF-8 (with or without a BOM) and no control characters but tabs and line ends."""
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f" for ch in decoded)


def file_type(content: bytes, filename: str) -> str:
    """The media type of an upload as its content shows it (the `filetype` package reads the signatures); ValueError,
    saying why, when the content is none of FILE_TYPES or the file's name claims another type (a `.pdf` that is not a
    PDF). Text has no signature: UTF-8 without control characters is text, CSV when it is named so."""
    if not content:
        raise ValueError("the file is empty")
    guessed = filetype.guess(content)
    if guessed is not None:
        mime = str(guessed.mime)
    elif _is_text(content):
        mime = "text/csv" if filename.lower().endswith(".csv") else "text/plain"
    else:
        raise ValueError(f"the file's content is not of a type that may be filed ({ALLOWED})")
    if mime not in FILE_TYPES:
        raise ValueError(f"the file's content is {mime}, not of a type that may be filed ({ALLOWED})")
    name, endings = FILE_TYPES[mime]
    if not filename.lower().endswith(endings):
        raise ValueError(f"the file's content is {name}, but its name {filename!r} says otherwise")
    return mime
