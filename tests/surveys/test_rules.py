"""The report's arithmetic and the network's measures, against figures worked by hand."""

from __future__ import annotations

import pytest

from app.surveys.rules import (
    ItemKind,
    Place,
    TieChanges,
    circle_layout,
    item_figures,
    item_problem,
    network_figures,
    parse_answer,
    tie_changes,
)


def _scale(counts: dict[int, int]) -> list[int]:
    return [v for v, c in counts.items() for _ in range(c)]


# An evaluation's trust item over three waves: the distribution of 1..5 and what the report must print.
# (counts, N, mean, share of high agreement)
SCALE_CASES = [
    ({1: 4, 2: 8, 3: 21, 4: 35, 5: 22}, 90, 333 / 90, 100 * 57 / 90),  # start: 63.3% high, mean 3.70
    ({1: 1, 2: 4, 3: 12, 4: 28, 5: 20}, 65, 257 / 65, 100 * 48 / 65),  # end of year 1: 73.8% high
    ({1: 0, 2: 2, 3: 6, 4: 17, 5: 15}, 40, 165 / 40, 100 * 32 / 40),  # end of year 2: 80% high
    ({3: 1}, 1, 3.0, 0.0),
    ({5: 2}, 2, 5.0, 100.0),
    ({}, 0, None, None),  # nobody answered: no mean, no share (never a division by zero)
]


@pytest.mark.parametrize(("counts", "n", "mean", "high"), SCALE_CASES)
def test_scale_figures(counts: dict[int, int], n: int, mean: float | None, high: float | None) -> None:
    f = item_figures(ItemKind.SCALE5, _scale(counts))
    assert f.n == n
    assert f.distribution == {str(v): counts.get(v, 0) for v in range(1, 6)}
    assert f.mean == pytest.approx(mean) if mean is not None else f.mean is None
    assert f.high_agreement_pct == pytest.approx(high) if high is not None else f.high_agreement_pct is None


def test_choice_shares_are_of_the_items_respondents() -> None:
    # 8 answered a multiple choice (up to 2): A by 6, B by 3, C by 1 (shares add up past 100%).
    answers = [("A", "B"), ("A",), ("A", "C"), ("A",), ("B",), ("A", "B"), ("A",), ()]
    answers = [a for a in answers if a]  # an empty choice is no answer: 7 answered
    f = item_figures(ItemKind.MULTIPLE, answers, option_codes=["A", "B", "C", "D"])
    assert f.n == 7
    assert [(o.code, o.count) for o in f.options] == [("A", 6), ("B", 3), ("C", 1), ("D", 0)]
    assert f.options[0].pct == pytest.approx(100 * 6 / 7)
    assert f.options[3].pct == 0
    single = item_figures(ItemKind.SINGLE, ["yes", "no", "yes", "yes"], option_codes=["yes", "no"])
    assert [o.pct for o in single.options] == [75.0, 25.0]
    assert single.distribution == {"yes": 3, "no": 1}
    assert single.mean is None and single.high_agreement_pct is None


def test_free_text_is_listed() -> None:
    f = item_figures(ItemKind.TEXT, ["more field tours", "shorter meetings"])
    assert f.n == 2 and f.texts == ["more field tours", "shorter meetings"]


PARSE_CASES = [
    (ItemKind.SCALE5, "4", None, 4),
    (ItemKind.SCALE5, "4.0", None, 4),  # as Excel writes a number
    (ItemKind.SCALE5, " ", None, None),  # an empty cell is no answer
    (ItemKind.SCALE5, "6", None, ValueError),
    (ItemKind.SCALE5, "3.5", None, ValueError),
    (ItemKind.SCALE5, "agree", None, ValueError),
    (ItemKind.SINGLE, "B", None, "B"),
    (ItemKind.SINGLE, "A;B", None, ValueError),
    (ItemKind.SINGLE, "Z", None, ValueError),
    (ItemKind.MULTIPLE, "A; C", None, ("A", "C")),
    (ItemKind.MULTIPLE, "A;C;B", 2, ValueError),  # choose up to 2
    (ItemKind.MULTIPLE, "A;A", 1, ("A",)),
    (ItemKind.TEXT, "שיתוף ידע", None, "שיתוף ידע"),
    (ItemKind.PEOPLE, "7;9", None, (7, 9)),
    (ItemKind.PEOPLE, "7;8", None, ValueError),  # 8 is not one of the people asked about
]


@pytest.mark.parametrize(("kind", "text", "max_choices", "expected"), PARSE_CASES)
def test_parse_answer(kind: ItemKind, text: str, max_choices: int | None, expected: object) -> None:
    def parse() -> object:
        return parse_answer(kind=kind, text=text, option_codes=["A", "B", "C"], max_choices=max_choices, people=[7, 9])

    if expected is ValueError:
        with pytest.raises(ValueError):
            parse()
    else:
        assert parse() == expected


ITEM_CASES = [
    (ItemKind.PEOPLE, [], None, True, "kind"),  # no way back from an answer to a person: no people when anonymous
    (ItemKind.PEOPLE, [], None, False, None),
    (ItemKind.SINGLE, ["A"], None, False, "options"),
    (ItemKind.MULTIPLE, ["A", "A"], None, False, "options"),
    (ItemKind.MULTIPLE, ["A", "B", "C"], 4, False, "max_choices"),
    (ItemKind.MULTIPLE, ["A", "B", "C"], 2, False, None),
    (ItemKind.SINGLE, ["A", "B"], 1, False, "max_choices"),
    (ItemKind.SCALE5, ["A"], None, False, "options"),
]


@pytest.mark.parametrize(("kind", "codes", "max_choices", "anonymous", "field"), ITEM_CASES)
def test_item_problems(kind: ItemKind, codes: list[str], max_choices: int | None, anonymous: bool, field: str) -> None:
    problem = item_problem(kind=kind, option_codes=codes, max_choices=max_choices, anonymous=anonymous)
    assert (problem[0] if problem else None) == field


def test_network_measures_by_hand() -> None:
    # Five members; 1, 2 and 3 consult 4; 4 consults 5; 5 consults nobody; 6 is isolated.
    # 1 and 4 serve in Ofakim (South), 2 in Ashdod (South), 3 and 5 in Haifa (Haifa district); 6 unknown.
    places = {
        1: Place("0031", "South"),
        2: Place("0070", "South"),
        3: Place("4000", "Haifa"),
        4: Place("0031", "South"),
        5: Place("4000", "Haifa"),
    }
    ties = [(1, 4), (2, 4), (3, 4), (4, 5), (4, 4), (1, 99)]  # a tie to oneself or outside is left out
    f = network_figures([1, 2, 3, 4, 5, 6], ties, places)
    assert f.members == 6 and f.ties == 4
    assert f.density == pytest.approx(4 / 30)
    assert f.isolated == [6]
    top = f.central[0]
    assert (top.member, top.consulted_by, top.consults) == (4, 3, 1)
    # Through 4 pass the shortest paths 1->5, 2->5, 3->5: 3 of the (6*5) ordered pairs of others, normalised by
    # (n-1)(n-2) = 20 for a directed graph.
    assert top.betweenness == pytest.approx(3 / 20)
    assert [c.member for c in f.central] == [4, 5, 1, 2, 3]
    # Across authorities: 2->4 (Ashdod/Ofakim), 3->4, 4->5; 1->4 is within Ofakim: 3 of 4.
    assert f.cross_authority_pct == pytest.approx(75.0)
    # Across districts: 3->4 and 4->5: 2 of 4.
    assert f.cross_district_pct == pytest.approx(50.0)


def test_network_of_nobody() -> None:
    f = network_figures([], [], {})
    assert f.members == 0 and f.density is None and f.cross_authority_pct is None and f.central == []


def test_tie_changes_and_layout() -> None:
    assert tie_changes([(1, 2), (2, 3)], [(1, 2), (3, 1), (3, 2)]) == TieChanges(kept=1, new=2, dropped=1)
    layout = circle_layout([1, 2, 3, 4], size=200, margin=20)
    assert layout[1] == (100.0, 20.0)  # the first at the top
    assert layout[3] == (100.0, 180.0)
    assert circle_layout([9], size=200, margin=20) == {9: (100.0, 100.0)}
