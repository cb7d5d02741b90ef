"""The knowledge centre's rules as tables: the one normal form of search, who sees an item, and file types by
content."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.knowledge.rules import may_see, normalise, query_words, search_text, visibility_problem


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("תכנון עירוני", "תכנונ עירוני"),  # final letters folded
        ('מנכ"ל', "מנכל"),  # ASCII gershayim
        ("מנכ״ל", "מנכל"),  # Hebrew gershayim
        ("צ׳ק", "צק"),  # geresh
        ("שָׁלוֹם", "שלומ"),  # niqqud
        ("בְּרֵאשִׁ֖ית", "בראשית"),  # niqqud and cantillation
        ("Urban Planning, 2026!", "urban planning 2026"),
        ("Café-Society", "cafe society"),
        ("חינוך־מיוחד", "חינוכ מיוחד"),  # maqaf is punctuation
    ],
)
def test_normal_form(text: str, normal: str) -> None:
    assert normalise(text) == normal


def _matches(query: str, text: str) -> bool:
    """What the search's LIKE does: each query word begins some word of the item."""
    stored = search_text(text)
    return all(f" {w}" in stored for w in query_words(query))


@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("תכנ", "תכנון עירוני", True),
        ('מנכ"ל', "מדריך למנכ״ל החדש", False),  # a prefix of a word, not its middle
        ('מנכ"ל', "מדריך מנכ״ל חדש", True),
        ("מנכ״ל", "כנס מנכלים", True),
        ("מנכל", 'כנס מנכ"לים', True),
        ("שלום", "שָׁלוֹם עליכם", True),
        ("שָׁלוֹם", "שלום עליכם", True),
        ("עיר", "ערים", False),  # only prefixes
        ("ערי", "ערים", True),  # thanks to the final letter's fold
        ("ערים", "איגוד ערים", True),
        ("plan urb", "Urban planning", True),
        ("plan rural", "Urban planning", False),
        ("", "anything", True),
    ],
)
def test_prefix_search(query: str, text: str, found: bool) -> None:
    assert _matches(query, text) is found


@pytest.mark.parametrize(
    ("visibility", "user_role", "circle", "community_role", "sees"),
    [
        ("public", None, None, None, True),
        ("wider", None, None, None, False),
        ("core", None, None, None, False),
        ("wider", "official", None, None, False),
        ("wider", "official", "wider", "member", True),
        ("core", "official", "wider", "member", False),
        ("core", "official", "core", "member", True),
        ("core", "official", "wider", "coordinator", True),
        ("core", "auditor", None, None, True),
        ("core", "admin", None, None, True),
        ("wider", "liaison", None, None, False),
    ],
)
def test_who_sees_an_item(
    visibility: str, user_role: str | None, circle: str | None, community_role: str | None, sees: bool
) -> None:
    assert may_see(visibility, user_role=user_role, circle=circle, community_role=community_role) is sees


def test_a_circle_needs_a_community() -> None:
    assert visibility_problem("public", None) is None
    assert visibility_problem("core", None) is not None
    assert visibility_problem("wider", 3) is None


def _office(inner: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(inner, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "mime"),
    [
        (b"%PDF-1.7\n...", "report.pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "chart.png", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "photo.JPG", "image/jpeg"),
        (
            _office("word/document.xml"),
            "סיכום.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (_office("xl/workbook.xml"), "data.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("שלום, עולם\n".encode(), "notes.txt", "text/plain"),
        (b"a,b\n1,2\n", "table.csv", "text/csv"),
    ],
)
def test_file_types_by_content(content: bytes, name: str, mime: str) -> None:
    from app.knowledge.rules import file_type

    assert file_type(content, name) == mime


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text", "fake.pdf"),  # a .pdf name with bytes that are no PDF
        (b"%PDF-1.7\n...", "report.docx"),  # a PDF named as another type
        (b"MZ\x90\x00" + b"\0" * 60, "setup.pdf"),  # an executable
        (b"\x00\x01\x02binary", "data.txt"),
        (b"", "empty.txt"),
        (b"GIF89a" + b"\0" * 10, "anim.gif"),  # a type not filed
    ],
)
def test_refused_files(content: bytes, name: str) -> None:
    from app.knowledge.rules import file_type

    with pytest.raises(ValueError):
        file_type(content, name)
