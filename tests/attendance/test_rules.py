"""The rules of attendance and completion (rule 5), as tables of cases."""

from __future__ import annotations

import io
from datetime import date

import pytest
import xlsxwriter

from app.attendance import rules
from app.errors import Invalid, TooLarge


@pytest.mark.parametrize(
    ("status", "late_credit_pct", "credit"),
    [
        ("present", 50, 1.0),
        ("late", 50, 0.5),
        ("late", 0, 0.0),
        ("late", 100, 1.0),
        ("late", 75, 0.75),
        ("excused", 50, 0.0),
        ("absent", 50, 0.0),
    ],
)
def test_credit_of_a_status(status, late_credit_pct, credit):
    assert rules.credit(status, late_credit_pct=late_credit_pct) == credit


def test_unknown_status_has_no_credit():
    with pytest.raises(ValueError, match="unknown"):
        rules.credit("sleeping", late_credit_pct=50)


@pytest.mark.parametrize(
    ("records", "late_credit_pct", "hours"),
    [
        ([], 50, 0.0),
        ([(4, "present")] * 5, 50, 20.0),
        ([(4, "present")] * 4 + [(4, "late")], 50, 18.0),
        ([(4, "present")] * 4 + [(4, "late")], 25, 17.0),
        ([(4, "late")] * 5, 100, 20.0),
        ([(4, "present"), (4, "excused"), (4, "absent")], 50, 4.0),
        ([(1.5, "present"), (2.25, "late")], 50, 2.63),  # 1.5 + 1.125, to two decimals
        ([(0.1, "present")] * 3, 50, 0.3),  # 0.30000000000000004 in floats
    ],
)
def test_attended_hours(records, late_credit_pct, hours):
    assert rules.attended_hours(records, late_credit_pct=late_credit_pct) == hours


@pytest.mark.parametrize(
    ("scheduled", "attended", "pct", "required", "passed", "failed", "completed", "reasons"),
    [
        # Attendance alone.
        (100, 80, 80, [], [], [], True, []),
        (100, 79.99, 80, [], [], [], False, ["attended 79.99 of 100 hours, 80% (80 hours) needed"]),
        (100, 60, 80, [], [], [], False, ["attended 60 of 100 hours, 80% (80 hours) needed"]),
        (20, 16, 80, [], [], [], True, []),
        (20, 100, 80, [], [], [], True, []),
        # 0.1 * 3 hours of 0.375 at 80% (0.3): equal after rounding, so it is met.
        (0.375, 0.1 + 0.1 + 0.1, 80, [], [], [], True, []),
        (10, 10, 100, [], [], [], True, []),
        (10, 9.99, 100, [], [], [], False, ["attended 9.99 of 10 hours, 100% (10 hours) needed"]),
        # Assessments: every required one passed.
        (20, 20, 80, ["final_project"], ["final_project"], [], True, []),
        (20, 20, 80, ["final_project"], [], ["final_project"], False, ["assessment final_project not passed"]),
        (20, 20, 80, ["final_project"], [], [], False, ["assessment final_project has no result"]),
        (20, 20, 80, ["a", "b"], ["a", "x"], [], False, ["assessment b has no result"]),
        # Both reasons at once.
        (
            20,
            12,
            80,
            ["final_project"],
            [],
            ["final_project"],
            False,
            ["attended 12 of 20 hours, 80% (16 hours) needed", "assessment final_project not passed"],
        ),
    ],
)
def test_decide_completion(scheduled, attended, pct, required, passed, failed, completed, reasons):
    decision = rules.decide_completion(
        scheduled_hours=scheduled,
        attended=attended,
        min_attendance_pct=pct,
        required_assessments=required,
        passed=passed,
        failed=failed,
    )
    assert decision.completed is completed
    assert list(decision.reasons) == reasons


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("present", "present"),
        (" Late ", "late"),
        ("EXCUSED", "excused"),
        ("absent", "absent"),
        ("נוכח", "present"),
        ("נוכחת", "present"),
        ("נוכח / ת", "present"),
        ("איחור", "late"),
        ("מאחרת", "late"),
        ("מוצדק", "excused"),
        ("חיסור מוצדק", "excused"),
        ("נעדר", "absent"),
        ("נעדרת", "absent"),
        ("\u200fנעדר\u200f", "absent"),
    ],
)
def test_parse_status(raw, status):
    assert rules.parse_status(raw) == status


@pytest.mark.parametrize("raw", ["", "maybe", "נוכחחח", "1"])
def test_parse_status_refuses(raw):
    with pytest.raises(ValueError, match="not an attendance status"):
        rules.parse_status(raw)


@pytest.mark.parametrize(
    ("raw", "day"),
    [("2025-03-10", date(2025, 3, 10)), ("10/03/2025", date(2025, 3, 10)), ("1.4.2025", date(2025, 4, 1))],
)
def test_parse_session_date(raw, day):
    assert rules.parse_session_date(raw) == day


@pytest.mark.parametrize("raw", ["31/02/2025", "2025/13/01", "yesterday"])
def test_parse_session_date_refuses(raw):
    with pytest.raises(ValueError):
        rules.parse_session_date(raw)


def test_read_sheet_in_windows_1255_with_semicolons_and_hebrew_headers():
    text = 'ת"ז;תאריך;נוכחות;הערה\r\n12345678;10/03/2025;נוכח;\r\n;;;\r\n000000018;2025-03-17;איחור;הגיע ב-10:00\r\n'
    rows = rules.read_sheet(text.encode("cp1255"))
    assert [(r.row, r.national_id, r.session_date, r.status, r.note) for r in rows] == [
        (2, "12345678", "10/03/2025", "נוכח", ""),
        (4, "000000018", "2025-03-17", "איחור", "הגיע ב-10:00"),
    ]


def test_read_sheet_in_utf8_with_bom_and_session_ids():
    rows = rules.read_sheet("\ufeffnational_id,session_id,status\n18,7,present\n".encode())
    assert [(r.national_id, r.session_id, r.session_date, r.status) for r in rows] == [("18", "7", "", "present")]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"national_id,session_date,status\n", "empty_file"),
        (b"national_id,status\n18,present\n", "missing_column"),
        (b"national_id,session_date,status,colour\n18,2025-01-01,present,red\n", "unknown_column"),
        (b"national_id,date,session_date,status\n", "duplicate_column"),
    ],
)
def test_read_sheet_refuses_files_it_cannot_use(content, code):
    with pytest.raises(Invalid) as caught:
        rules.read_sheet(content)
    assert caught.value.code == code and caught.value.field == "file"


def _workbook(rows):
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return buf.getvalue()


def test_read_sheet_from_xlsx_with_numbers_as_ids_and_real_date_cells():
    content = _workbook(
        [
            ['ת"ז', "תאריך", "נוכחות", "הערה"],
            [12345678, date(2025, 3, 10), "נוכח", None],
            [None, None, None, None],
            ["000000018", "17/03/2025", "איחור", "הגיע ב-10:00"],
        ]
    )
    rows = rules.read_sheet(content, filename="attendance.xlsx", max_uncompressed=10**7)
    assert [(r.row, r.national_id, r.session_date, r.status, r.note) for r in rows] == [
        (2, "12345678", "2025-03-10", "נוכח", ""),
        (4, "000000018", "17/03/2025", "איחור", "הגיע ב-10:00"),
    ]
    assert rules.parse_session_date(rows[0].session_date) == date(2025, 3, 10)


def test_read_sheet_refuses_a_workbook_that_unpacks_too_large_or_an_old_xls():
    content = _workbook([["national_id", "session_id", "status"], [18, 7, "present"]])
    with pytest.raises(TooLarge):
        rules.read_sheet(content, max_uncompressed=1000)
    with pytest.raises(Invalid) as caught:
        rules.read_sheet(b"\xd0\xcf\x11\xe0rest", filename="attendance.xls")
    assert caught.value.code == "unsupported_format"


# --- minutes late ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "status", "minutes_late", "late_credit_pct", "credit_hours"),
    [
        # Without minutes: the cohort's late share, as before.
        (4, "late", None, 50, 2.0),
        (4, "late", None, 0, 0.0),
        # With minutes: the time attended, whatever the share.
        (4, "late", 180, 50, 1.0),
        (4, "late", 30, 50, 3.5),
        (4, "late", 30, 100, 3.5),
        (4, "late", 30, 0, 3.5),
        (4, "late", 1, 50, 4 - 1 / 60),
        (4, "late", 240, 50, 0.0),  # the whole session late: nothing attended
        (2.5, "late", 300, 50, 0.0),  # never below 0
        # Only a late arrival counts its minutes.
        (4, "present", None, 50, 4.0),
        (4, "absent", None, 50, 0.0),
    ],
)
def test_a_late_arrival_counts_for_the_time_attended_when_its_minutes_are_known(
    hours, status, minutes_late, late_credit_pct, credit_hours
):
    got = rules.session_credit_hours(hours, status, late_credit_pct=late_credit_pct, minutes_late=minutes_late)
    assert got == pytest.approx(credit_hours)


@pytest.mark.parametrize(
    ("records", "late_credit_pct", "hours"),
    [
        # 3 sessions x 4 h, late once: 180 minutes late is 1 h attended (9 h), the 50% share 2 h (10 h).
        ([(4, "present", None), (4, "present", None), (4, "late", 180)], 50, 9.0),
        ([(4, "present", None), (4, "present", None), (4, "late", None)], 50, 10.0),
        # Two- and three-part records mix.
        ([(4, "present"), (4, "late", 60), (4, "late")], 50, 9.0),
        # Rounded once, over the total, to two decimals halves up: 4 - 7/60 = 3.8833.. and 3 - 10/60 = 2.8333..
        ([(4, "late", 7)], 50, 3.88),
        ([(4, "late", 7), (3, "late", 10)], 50, 6.72),  # 6.7166.. not 3.88 + 2.83 = 6.71
        ([(1.5, "late", 45)], 50, 0.75),
        ([(2.25, "late", 1)], 50, 2.23),  # 2.2333..
        ([(4, "late", 500)], 50, 0.0),
    ],
)
def test_attended_hours_with_minutes_late(records, late_credit_pct, hours):
    assert rules.attended_hours(records, late_credit_pct=late_credit_pct) == hours


@pytest.mark.parametrize(
    ("hours", "minutes"), [(4, 240), (2.5, 150), (0.5, 30), (1.75, 105), (0.1, 6), (1 / 3, 20), (1.33, 80)]
)
def test_a_session_is_so_many_whole_minutes_long(hours, minutes):
    assert rules.session_minutes(hours) == minutes


@pytest.mark.parametrize(
    ("status", "minutes_late", "session_hours", "error"),
    [
        ("late", None, 4, None),
        ("present", None, 4, None),
        ("late", 1, 4, None),
        ("late", 240, 4, None),  # the session's whole length
        ("late", 241, 4, "241 minutes is longer than the session (240 minutes)"),
        ("late", 151, 2.5, "longer than the session (150 minutes)"),
        ("late", 0, 4, "0 is not a number of minutes late"),
        ("late", -5, 4, "not a number of minutes late"),
        ("late", 9999, None, None),  # no session to measure against: bounds below only
        ("present", 10, 4, "only a late arrival carries minutes late; this record is present"),
        ("excused", 10, 4, "this record is excused"),
        ("absent", 10, None, "this record is absent"),
    ],
)
def test_which_minutes_late_a_record_may_carry(status, minutes_late, session_hours, error):
    why = rules.minutes_late_error(status, minutes_late, session_hours=session_hours)
    if error is None:
        assert why is None
    else:
        assert why is not None and error in why


@pytest.mark.parametrize(("raw", "minutes"), [("", None), ("  ", None), ("15", 15), (" 007 ", 7), ("240", 240)])
def test_parse_minutes_late(raw, minutes):
    assert rules.parse_minutes_late(raw) == minutes


@pytest.mark.parametrize("raw", ["15.5", "רבע שעה", "-3", "10 min", "1e3", "1234567"])
def test_parse_minutes_late_refuses(raw):
    with pytest.raises(ValueError, match="whole number of minutes"):
        rules.parse_minutes_late(raw)


def test_read_sheet_with_a_minutes_late_column_in_hebrew_or_english():
    text = 'ת"ז,תאריך,נוכחות,דקות איחור\n18,10/03/2025,איחור,25\n26,10/03/2025,נוכח,\n'
    rows = rules.read_sheet(text.encode())
    assert [(r.national_id, r.status, r.minutes_late) for r in rows] == [("18", "איחור", "25"), ("26", "נוכח", "")]
    rows = rules.read_sheet(b"national_id,session_id,status,minutes_late\n18,7,late,40\n")
    assert rows[0].minutes_late == "40"
    # Without the column, as before.
    assert rules.read_sheet(b"national_id,session_id,status\n18,7,late\n")[0].minutes_late == ""


def test_read_sheet_reads_minutes_late_typed_as_numbers_in_xlsx():
    content = _workbook([["national_id", "session_date", "status", "minutes_late"], [18, "10/03/2025", "late", 25]])
    rows = rules.read_sheet(content, filename="attendance.xlsx", max_uncompressed=10**7)
    assert rows[0].minutes_late == "25" and rules.parse_minutes_late(rows[0].minutes_late) == 25
