"""Rules of surveys: the kinds of items, what an answer may be, the report's arithmetic, and the network's measures.

Pure: values in, figures out. The report's figures are those of an evaluation report: per item, the number who
answered it (N), the distribution, the mean, and the share of high agreement (4 or 5 of those who answered).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import networkx as nx


class ItemKind(StrEnum):
    """What an item asks for: agreement on a 5-point scale, one option, several, free text, or people."""

    SCALE5 = "scale5"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"
    PEOPLE = "people"


class ResponseSource(StrEnum):
    """How a response came in: answered by a one-time link, or imported from a research partner's file."""

    LINK = "link"
    IMPORT = "import"


CHOICE_KINDS = frozenset({ItemKind.SINGLE, ItemKind.MULTIPLE})
SCALE = (1, 2, 3, 4, 5)
# The points of high agreement on the 5-point scale (1 = not at all ... 5 = very much).
HIGH_AGREEMENT = frozenset({4, 5})
# Separates the codes of a multiple choice (or the people named) in one cell of an imported file.
MULTI_SEPARATOR = ";"
MAX_TEXT_LENGTH = 4000


# --- what a survey may hold ------------------------------------------------------------------------------


def item_problem(
    *, kind: ItemKind, option_codes: Sequence[str], max_choices: int | None, anonymous: bool
) -> tuple[str, str] | None:
    """Why an item cannot be part of a survey, as (field, sentence); None when it can."""
    if kind is ItemKind.PEOPLE and anonymous:
        return "kind", "a 'people' item names who the respondent consults, so it cannot be in an anonymous survey"
    if kind in CHOICE_KINDS:
        if len(option_codes) < 2:
            return "options", "a choice needs at least two options"
        if len(set(option_codes)) != len(option_codes):
            return "options", "two options have the same code"
    elif option_codes:
        return "options", f"a {kind} item has no options"
    if max_choices is not None:
        if kind is not ItemKind.MULTIPLE:
            return "max_choices", "only a multiple choice has a 'choose up to'"
        if not 1 <= max_choices <= len(option_codes):
            return "max_choices", f"must be between 1 and the {len(option_codes)} options"
    return None


# --- answers -------------------------------------------------------------------------------------------

Answer = int | str | tuple[str, ...] | tuple[int, ...]


def parse_answer(
    *, kind: ItemKind, text: str, option_codes: Sequence[str], max_choices: int | None, people: Iterable[int] = ()
) -> Answer | None:
    """An answer as written in a cell or a form (None: no answer); ValueError says why it is refused.

    Scales take 1-5; a single choice an option code; a multiple choice codes separated by `;` (at most
    `max_choices`); people their ids separated by `;`, each one of `people`; free text anything up to its length."""
    text = text.strip()
    if not text:
        return None
    if kind is ItemKind.SCALE5:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number from 1 to 5") from None
        if not value.is_integer() or int(value) not in SCALE:
            raise ValueError(f"{text!r} is not a whole number from 1 to 5")
        return int(value)
    if kind is ItemKind.TEXT:
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"is longer than {MAX_TEXT_LENGTH} characters")
        return text
    parts = [p.strip() for p in text.split(MULTI_SEPARATOR)]
    parts = [p for p in parts if p]
    if kind is ItemKind.PEOPLE:
        known = set(people)
        chosen: list[int] = []
        for part in parts:
            if not part.isdigit() or int(part) not in known:
                raise ValueError(f"{part!r} is not one of the people this survey asks about")
            if int(part) not in chosen:
                chosen.append(int(part))
        return tuple(chosen) or None
    unknown = [p for p in parts if p not in option_codes]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not an option; the options are {', '.join(option_codes)}")
    codes = tuple(dict.fromkeys(parts))
    if kind is ItemKind.SINGLE:
        if len(codes) != 1:
            raise ValueError("choose one option only")
        return codes[0]
    if max_choices is not None and len(codes) > max_choices:
        raise ValueError(f"{len(codes)} options chosen; at most {max_choices}")
    return codes or None


# --- the report ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionShare:
    """The share of an item's respondents who chose an option, 0-100."""

    code: str
    count: int
    pct: float


@dataclass(frozen=True)
class ItemFigures:
    """The figures of one item: N (those who answered it), the distribution, and by kind the mean and the share of
    high agreement (scales), the share choosing each option (choices), or the texts (free text)."""

    kind: ItemKind
    n: int
    distribution: dict[str, int]
    mean: float | None = None
    high_agreement_pct: float | None = None
    options: list[OptionShare] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def share(part: int, whole: int) -> float | None:
    """part of whole, 0-100, not rounded; None of nobody."""
    return 100 * part / whole if whole else None


def item_figures(kind: ItemKind, answers: Sequence[Answer], *, option_codes: Sequence[str] = ()) -> ItemFigures:
    """The figures of an item from the answers of those who answered it (one per respondent; no answer left out)."""
    n = len(answers)
    if kind is ItemKind.SCALE5:
        counts = Counter(a for a in answers if isinstance(a, int))
        high = sum(counts[v] for v in HIGH_AGREEMENT)
        mean = sum(v * c for v, c in counts.items()) / n if n else None
        distribution = {str(v): counts[v] for v in SCALE}
        return ItemFigures(kind, n, distribution, mean=mean, high_agreement_pct=share(high, n))
    if kind in CHOICE_KINDS:
        chosen: Counter[str] = Counter()
        for a in answers:
            if isinstance(a, str):
                chosen[a] += 1
            elif isinstance(a, tuple):
                chosen.update(str(c) for c in a)
        options = [OptionShare(code, chosen[code], share(chosen[code], n) or 0.0) for code in option_codes]
        return ItemFigures(kind, n, {code: chosen[code] for code in option_codes}, options=options)
    if kind is ItemKind.TEXT:
        return ItemFigures(kind, n, {}, texts=[a for a in answers if isinstance(a, str)])
    return ItemFigures(kind, n, {})


# --- the network -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a member serves: the authority's code and its district (None where unknown)."""

    authority: str | None
    district: str | None


@dataclass(frozen=True)
class Centrality:
    """A member's place in the network: how many consult them (in), how many they consult (out), and betweenness
    (the share of shortest paths between two others that pass through them, 0-1)."""

    member: int
    consulted_by: int
    consults: int
    degree: int
    betweenness: float


@dataclass(frozen=True)
class NetworkFigures:
    """The measures of one wave's network of who consults whom."""

    members: int
    ties: int
    density: float | None
    centrality: list[Centrality]
    central: list[Centrality]
    isolated: list[int]
    cross_authority_pct: float | None
    cross_district_pct: float | None
    edges: list[tuple[int, int]]


def network_figures(
    members: Iterable[int], ties: Iterable[tuple[int, int]], places: Mapping[int, Place], *, top: int = 5
) -> NetworkFigures:
    """The network of a wave: members (nodes) and ties (who consults whom, directed; a tie to oneself or outside the
    members is left out), with

    - density: the ties over the ties possible, n(n-1) of a directed network;
    - degree (those who consult a member, and those a member consults) and betweenness (networkx, normalised);
    - the most central: by those who consult them, then betweenness, then total degree;
    - the share of ties across authorities (districts): of the ties whose both ends are known;
    - isolated members: no tie in or out."""
    graph: nx.DiGraph[int] = nx.DiGraph()
    graph.add_nodes_from(sorted(set(members)))
    edges = sorted({(a, b) for a, b in ties if a != b and a in graph and b in graph})
    graph.add_edges_from(edges)
    n = graph.number_of_nodes()
    density = len(edges) / (n * (n - 1)) if n > 1 else None
    between = nx.betweenness_centrality(graph, normalized=True) if n else {}
    centrality = [
        Centrality(
            member=m,
            consulted_by=graph.in_degree(m),
            consults=graph.out_degree(m),
            degree=graph.in_degree(m) + graph.out_degree(m),
            betweenness=float(between.get(m, 0.0)),
        )
        for m in graph.nodes
    ]
    ranked = sorted(centrality, key=lambda c: (-c.consulted_by, -c.betweenness, -c.degree, c.member))
    central = [c for c in ranked if c.degree][:top]
    isolated = [c.member for c in centrality if c.degree == 0]
    return NetworkFigures(
        members=n,
        ties=len(edges),
        density=density,
        centrality=ranked,
        central=central,
        isolated=isolated,
        cross_authority_pct=_cross_share(edges, {m: p.authority for m, p in places.items()}),
        cross_district_pct=_cross_share(edges, {m: p.district for m, p in places.items()}),
        edges=edges,
    )


def _cross_share(edges: Sequence[tuple[int, int]], where: Mapping[int, str | None]) -> float | None:
    known = [(where.get(a), where.get(b)) for a, b in edges]
    known = [(x, y) for x, y in known if x is not None and y is not None]
    return share(sum(1 for x, y in known if x != y), len(known))


@dataclass(frozen=True)
class TieChanges:
    """How the ties of one wave became those of a later one."""

    kept: int
    new: int
    dropped: int


def tie_changes(earlier: Iterable[tuple[int, int]], later: Iterable[tuple[int, int]]) -> TieChanges:
    """Ties kept from one wave to the next, new ones, and those dropped."""
    a, b = set(earlier), set(later)
    return TieChanges(kept=len(a & b), new=len(b - a), dropped=len(a - b))


def circle_layout(members: Sequence[int], *, size: float, margin: float) -> dict[int, tuple[float, float]]:
    """Where each member is drawn: evenly on a circle, in the order given (the most central first, from the top)."""
    n = len(members)
    radius = size / 2 - margin
    centre = size / 2
    if n == 1:
        return {members[0]: (centre, centre)}
    return {
        m: (
            round(centre + radius * math.sin(2 * math.pi * i / n), 1),
            round(centre - radius * math.cos(2 * math.pi * i / n), 1),
        )
        for i, m in enumerate(members)
    }


def trimmed(start: tuple[float, float], end: tuple[float, float], *, by: float) -> tuple[float, float, float, float]:
    """The segment from one drawn member to another, shortened at both ends by a node's radius (so that an arrow's
    head touches the circle instead of hiding under it)."""
    (x1, y1), (x2, y2) = start, end
    length = math.hypot(x2 - x1, y2 - y1)
    if length <= 2 * by:
        return x1, y1, x2, y2
    dx, dy = (x2 - x1) / length * by, (y2 - y1) / length * by
    return round(x1 + dx, 1), round(y1 + dy, 1), round(x2 - dx, 1), round(y2 - dy, 1)


# --- the short survey after each meeting ----------------------------------------------------------------------

# The questions of the short survey after a meeting, the same for every meeting so that the series compares them.
AFTER_MEETING_ITEMS: tuple[dict[str, str], ...] = (
    {
        "code": "satisfaction",
        "kind": ItemKind.SCALE5,
        "text_he": "עד כמה היית מרוצה מהמפגש?",
        "text_en": "How satisfied were you with the meeting?",
    },
    {
        "code": "useful",
        "kind": ItemKind.SCALE5,
        "text_he": "עד כמה המפגש יועיל לעבודתך?",
        "text_en": "How useful will the meeting be in your work?",
    },
    {
        "code": "comments",
        "kind": ItemKind.TEXT,
        "text_he": "מה כדאי לשמר או לשפר במפגשים הבאים?",
        "text_en": "What should the next meetings keep or improve?",
    },
)
AFTER_MEETING_SUFFIX = "-after-meeting"
# A meeting is surveyed from the day after its last day, for this many days (a job that did not run catches up),
# and only if it ended at most a week before the survey was turned on.
AFTER_MEETING_WINDOW_DAYS = 30
AFTER_MEETING_GRACE_DAYS = 7


def after_meeting_series(community_code: str) -> str:
    """The series of a community's surveys after its meetings: `<community code>-after-meeting`, within 40 letters."""
    return community_code[: 40 - len(AFTER_MEETING_SUFFIX)].lower() + AFTER_MEETING_SUFFIX


def after_meeting_wave(on: date, title: str, taken: Collection[str], meeting_id: int) -> str:
    """A meeting's wave in the series: its date and title (and its id, when another meeting took the same)."""
    wave = f"{on.isoformat()} · {title}"[:100]
    if wave in taken:
        suffix = f" #{meeting_id}"
        wave = wave[: 100 - len(suffix)] + suffix
    return wave


def after_meeting_due(*, last_day: date, enabled_on: date, as_of: date) -> bool:
    """Whether a meeting's short survey is sent on `as_of`: its last day has passed (at most the window ago), and it
    ended no more than the grace days before the survey was turned on."""
    return (
        last_day < as_of
        and (as_of - last_day).days <= AFTER_MEETING_WINDOW_DAYS
        and last_day >= enabled_on - timedelta(days=AFTER_MEETING_GRACE_DAYS)
    )


def after_meeting_recipients(*, attended: Collection[int], marked: bool, core: Collection[int]) -> list[int]:
    """Who is asked about a meeting: those marked present or late; when no attendance was recorded at all, the core
    circle on the meeting's last day (whom the meeting was for)."""
    return sorted(set(attended) if marked else set(core))
