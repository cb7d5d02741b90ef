"""A national dataset for the benchmarks, at any scale of ten times today's size.

Scale 1.0 is the national dataset of DESIGN.md (section Scale): the 255 authorities of the CBS file, 60,000
officials, 100,000 appointments over ten years, 3,000 cohorts of about ten sessions each and 1,000,000
attendance rows. Scale 0.01 is a CI-sized copy with the same shape.

The rows are written in bulk (COPY on PostgreSQL, executemany on SQLite), never through the services: the
services audit every row and would take hours over a million. Reference data (authorities, roles) does go
through its services, as `lms load-reference` does. The same seed, scale and date give the same rows.

The shape, as of the benchmark's date:
- 5 mandatory programmes, one per mandatory role, some with a validity period, and 3 advanced ones;
- appointments spread over ten years (a few start later), authorities weighted by the square root of their
  population, about 40% to mandatory roles, older ones mostly ended; 40,000 officials hold more than one;
- a requirement per appointment to a mandatory role, due 24 months after its start (rule 1);
- about 60% of the requirements completed (most in a cohort, some by decision, some late), 5% not completed
  in a cohort, 8% enrolled in a running or future cohort, and the rest nothing yet;
- cohorts over ten years (closed, running, open), filled with other officials up to the attendance target;
- attendance for every past session of every seated enrolment;
- extension (3%) and exemption (1.5%) requests: mostly approved with a decision date, some refused or pending.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from app.auth import operator
from app.officials.rules import due_date_for
from app.officials.service import search_text_of

# Ten times today's size (DESIGN.md, section Scale); the authorities are those of the CBS file at any scale.
FULL_SIZE = {"officials": 60_000, "appointments": 100_000, "cohorts": 3_000, "attendance_records": 1_000_000}


@dataclass(frozen=True)
class ProgrammeSpec:
    code: str
    kind: str
    title_he: str
    title_en: str
    hours: float
    roles: tuple[str, ...]
    validity_years: int | None = None


PROGRAMMES: tuple[ProgrammeSpec, ...] = (
    ProgrammeSpec(
        "DG-ENTRY", "mandatory", 'הכשרת מנכ"לים', "Entry training for directors general", 180, ("director_general",)
    ),
    ProgrammeSpec("TREAS-ENTRY", "mandatory", "הכשרת גזברים", "Entry training for treasurers", 240, ("treasurer",), 6),
    ProgrammeSpec(
        "ENG-ENTRY", "mandatory", "הכשרת מהנדסים", "Entry training for engineers", 140, ("city_engineer",), 5
    ),
    ProgrammeSpec("HR-ENTRY", "mandatory", 'הכשרת מנהלי מש"א', "Entry training for HR managers", 120, ("hr_manager",)),
    ProgrammeSpec(
        "SPA-ENTRY",
        "mandatory",
        'הכשרת מנהלי שפ"ע',
        "Entry training for town appearance",
        100,
        ("town_appearance_manager",),
        4,
    ),
    ProgrammeSpec("ADV-BUDGET", "advanced", "תקצוב מתקדם", "Advanced budgeting", 40, ("treasurer", "director_general")),
    ProgrammeSpec("ADV-EMERGENCY", "advanced", "ניהול בחירום", "Emergency management", 30, ("director_general",)),
    ProgrammeSpec(
        "ADV-DIGITAL", "advanced", "חדשנות דיגיטלית", "Digital innovation", 24, ("digital_lead", "hr_manager")
    ),
)
MANDATORY_ROLES = tuple(p.roles[0] for p in PROGRAMMES if p.kind == "mandatory")
OTHER_ROLES = (
    "council_secretary",
    "legal_adviser",
    "internal_auditor",
    "education_head",
    "economic_development_manager",
    "strategy_manager",
    "digital_lead",
)
MANDATORY_SHARE = 0.40
CAPACITY = 50
SESSION_HOURS = 6.0

FIRST_NAMES = (
    ("אברהם", "Avraham"),
    ("יעל", "Yael"),
    ("מוחמד", "Mohammad"),
    ("נועה", "Noa"),
    ("דוד", "David"),
    ("מרים", "Miriam"),
    ("סלים", "Salim"),
    ("רונית", "Ronit"),
    ("יוסף", "Yosef"),
    ("עביר", "Abir"),
    ("איתי", "Itai"),
    ("שרה", "Sarah"),
)
LAST_NAMES = (
    ("כהן", "Cohen"),
    ("לוי", "Levi"),
    ("מזרחי", "Mizrahi"),
    ("חלבי", "Halabi"),
    ("פרץ", "Peretz"),
    ("אבו-ריא", "Abu-Ria"),
    ("ביטון", "Biton"),
    ("גרוס", "Gross"),
    ("עזאם", "Azzam"),
    ("שפירא", "Shapira"),
)

Row = tuple[Any, ...]


def sizes(scale: float) -> dict[str, int]:
    """The number of officials, appointments, cohorts and attendance rows at a scale (1.0 = national)."""
    return {k: max(1, round(v * scale)) for k, v in FULL_SIZE.items()}


def _at(d: date, hour: int = 9) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=UTC)


class BulkLoader:
    """Writes rows fast inside the connection's transaction: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgresql = conn.dialect.name == "postgresql"

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
        raw = self.conn.connection.driver_connection
        assert raw is not None
        n = 0
        if self.postgresql:
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cur = raw.cursor()
        try:
            for batch in _batched(rows, 10_000):
                cur.executemany(sql, [tuple(_sqlite(v) for v in row) for row in batch])
                n += len(batch)
        finally:
            cur.close()
        return n


def _batched(rows: Iterable[Row], size: int) -> Iterator[tuple[Row, ...]]:
    it = iter(rows)
    while batch := tuple(itertools.islice(it, size)):
        yield batch


def _sqlite(value: Any) -> Any:
    """A value as SQLAlchemy stores it on SQLite (dates and timestamps as ISO text, booleans as 0/1)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def load_reference(conn: Connection) -> None:
    """Authorities and roles through their services, as `lms load-reference` loads them."""
    from app.authorities import service as authorities
    from app.roles import service as roles

    db = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        rows = authorities.read_cbs_file(authorities.BUNDLED_FILE)
        actor = operator("bench")
        authorities.load_authorities(db, rows=rows, source="bench", actor=actor, as_of=date.today())
        roles.load_roles(db, path=roles.BUNDLED_FILE, actor=actor)
        db.commit()  # releases the savepoint; the connection's transaction commits the rest
    finally:
        db.close()


@dataclass
class _Cohort:
    id: int
    programme_id: int
    start: date
    end: date
    sessions: list[tuple[int, date]]
    seats: int = 0

    def past_sessions(self, as_of: date) -> list[tuple[int, date]]:
        return [s for s in self.sessions if s[1] <= as_of]


def generate(
    conn: Connection, *, scale: float, seed: int, as_of: date, progress: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Write the dataset into a migrated database holding the reference data; return the rows of each table."""
    rng = random.Random(seed)
    size = sizes(scale)
    loader = BulkLoader(conn)
    counts: dict[str, int] = {}
    stamp = _at(as_of - timedelta(days=3660))

    # Programmes and the roles they are for.
    prog_ids = {p.code: i for i, p in enumerate(PROGRAMMES, start=1)}
    counts["programmes"] = loader.load(
        "programmes",
        (
            "id",
            "code",
            "kind",
            "title_he",
            "title_en",
            "hours",
            "min_attendance_pct",
            "validity_years",
            "late_credit_pct",
            "created_at",
            "updated_at",
        ),
        [
            (prog_ids[p.code], p.code, p.kind, p.title_he, p.title_en, p.hours, 80, p.validity_years, 50, stamp, stamp)
            for p in PROGRAMMES
        ],
    )
    loader.load(
        "programme_roles", ("programme_id", "role_code"), [(prog_ids[p.code], r) for p in PROGRAMMES for r in p.roles]
    )
    mandatory_of_role = {p.roles[0]: prog_ids[p.code] for p in PROGRAMMES if p.kind == "mandatory"}
    hours_of = {prog_ids[p.code]: p.hours for p in PROGRAMMES}

    # Officials.
    progress(f"officials: {size['officials']:,}")
    n_off = size["officials"]

    def officials() -> Iterator[Row]:
        for i in range(1, n_off + 1):
            (fh, fe), (lh, le) = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            national_id = f"{100_000_000 + i * 7:09d}"
            search = search_text_of(national_id, fh, lh, fe, le)
            yield (i, national_id, fh, lh, fe, le, f"official{i}@example.gov.il", search, stamp, stamp)

    counts["officials"] = loader.load(
        "officials",
        (
            "id",
            "national_id",
            "first_name_he",
            "last_name_he",
            "first_name_en",
            "last_name_en",
            "email",
            "search_text",
            "created_at",
            "updated_at",
        ),
        officials(),
    )

    # Appointments: every official holds one; 40,000 (at full scale) hold a second or a third.
    progress(f"appointments: {size['appointments']:,}")
    authorities = conn.execute(text("SELECT code, population FROM authorities WHERE active ORDER BY code")).all()
    codes = [a[0] for a in authorities]
    weights = list(itertools.accumulate(math.sqrt(a[1] or 2_000) for a in authorities))
    n_app = size["appointments"]
    holders = list(range(1, n_off + 1))
    rng.shuffle(holders)
    holders += [rng.randint(1, n_off) for _ in range(max(0, n_app - n_off))]
    places = rng.choices(codes, cum_weights=weights, k=n_app)
    appointments: list[Row] = []
    seen: set[tuple[int, str, str, date]] = set()
    for i in range(n_app):
        role = rng.choice(MANDATORY_ROLES) if rng.random() < MANDATORY_SHARE else rng.choice(OTHER_ROLES)
        days_ago = rng.randint(-60, 3652)
        start = as_of - timedelta(days=days_ago)
        while (holders[i], places[i], role, start) in seen:
            start += timedelta(days=1)
        seen.add((holders[i], places[i], role, start))
        end = None
        if days_ago > 365 and rng.random() < min(0.75, days_ago / 3652):
            end = start + timedelta(days=rng.randint(90, days_ago - 1))
        appointments.append((i + 1, holders[i], places[i], role, start, end, _at(start)))
    counts["appointments"] = loader.load(
        "appointments",
        ("id", "official_id", "authority_code", "role_code", "start_date", "end_date", "created_at"),
        appointments,
    )

    # Requirements (rule 1): id, appointment, official, programme, appointment start, appointment end, due date.
    requirements: list[tuple[int, int, int, int, date, date | None, date]] = []
    for app_id, official, _place, role, start, end, _created in appointments:
        if role in mandatory_of_role:
            rid = len(requirements) + 1
            requirements.append((rid, app_id, official, mandatory_of_role[role], start, end, due_date_for(start)))
    progress(f"requirements: {len(requirements):,}")
    counts["requirements"] = loader.load(
        "requirements",
        ("id", "appointment_id", "programme_id", "due_date", "created_at"),
        [(r[0], r[1], r[3], r[6], _at(r[4])) for r in requirements],
    )

    # Cohorts and their sessions: one running cohort of each mandatory programme, the rest over ten years.
    n_coh = max(size["cohorts"], 2 * len(PROGRAMMES))
    progress(f"cohorts: {n_coh:,}")
    mandatory_ids = [prog_ids[p.code] for p in PROGRAMMES if p.kind == "mandatory"]
    advanced_ids = [prog_ids[p.code] for p in PROGRAMMES if p.kind == "advanced"]
    cohorts: list[_Cohort] = []
    cohort_rows: list[Row] = []
    session_rows: list[Row] = []
    for i in range(1, n_coh + 1):
        if i <= len(mandatory_ids):
            pid, start, length = mandatory_ids[i - 1], as_of - timedelta(days=30), 120
        else:
            pid = rng.choice(mandatory_ids) if rng.random() < 0.7 else rng.choice(advanced_ids)
            start, length = as_of - timedelta(days=rng.randint(-150, 3650)), rng.randint(60, 200)
        end = start + timedelta(days=length)
        k = rng.randint(8, 12)
        sessions = []
        for j in range(k):
            sessions.append((len(session_rows) + 1, start + timedelta(days=round(j * length / (k - 1)))))
            session_rows.append(
                (len(session_rows) + 1, i, sessions[-1][1], SESSION_HOURS, f"מפגש {j + 1}", "in_person", _at(start))
            )
        state = "closed" if end < as_of else "running" if start <= as_of else "open"
        code = f"{PROGRAMMES[pid - 1].code}-{start.year}-{i:05d}"
        closed_at = _at(end + timedelta(days=3)) if state == "closed" else None
        created = _at(start - timedelta(days=90))
        cohort_rows.append(
            (i, pid, code, start, end, CAPACITY, state, "ירושלים", False, 80, 50, closed_at, created, created)
        )
        cohorts.append(_Cohort(i, pid, start, end, sessions))
    counts["cohorts"] = loader.load(
        "cohorts",
        (
            "id",
            "programme_id",
            "code",
            "start_date",
            "end_date",
            "capacity",
            "state",
            "location",
            "online",
            "min_attendance_pct",
            "late_credit_pct",
            "closed_at",
            "created_at",
            "updated_at",
        ),
        cohort_rows,
    )
    counts["cohort_sessions"] = loader.load(
        "cohort_sessions", ("id", "cohort_id", "date", "hours", "title", "mode", "created_at"), session_rows
    )

    # Enrolments: first those of officials owing the programme, then others up to the attendance target.
    enrolments: list[list[Any]] = []
    members: dict[int, set[int]] = {c.id: set() for c in cohorts}
    completions: list[Row] = []

    def enrol(c: _Cohort, official: int, requirement: int | None, outcome: str) -> None:
        past = c.past_sessions(as_of)
        enrolled_on = min(as_of, c.start - timedelta(days=rng.randint(5, 45)))
        seated_on: date | None = enrolled_on
        ended_on = completed_on = None
        attended = None
        waitlist = None
        status = outcome
        if c.end < as_of:
            last = c.sessions[-1][1]
            if outcome == "withdrawn":
                ended_on = past[len(past) // 2][1]
            else:
                ended_on = last
                completed_on = last if outcome == "completed" else None
                attended = hours_of[c.programme_id] * (0.92 if outcome == "completed" else 0.55)
        elif outcome == "waitlisted":
            seated_on, waitlist = None, len(members[c.id]) + 1
        else:
            status = "enrolled"
        eid = len(enrolments) + 1
        members[c.id].add(official)
        c.seats += 1
        stamp_e = _at(enrolled_on)
        enrolments.append(
            [
                eid,
                c.id,
                official,
                requirement,
                status,
                waitlist,
                enrolled_on,
                seated_on,
                ended_on,
                attended,
                completed_on,
                None,
                None,
                stamp_e,
                _at(ended_on) if ended_on else stamp_e,
            ]
        )
        if completed_on is not None:
            completions.append(
                (
                    len(completions) + 1,
                    official,
                    c.programme_id,
                    completed_on,
                    "cohort",
                    None,
                    eid,
                    None,
                    _at(completed_on),
                )
            )

    by_programme: dict[int, list[_Cohort]] = {}
    for c in sorted(cohorts, key=lambda c: (c.start, c.id)):
        by_programme.setdefault(c.programme_id, []).append(c)
    starts = {pid: [c.start for c in cs] for pid, cs in by_programme.items()}

    def closed_cohort(pid: int, after: date, official: int) -> _Cohort | None:
        cs = by_programme.get(pid, [])
        for c in cs[bisect.bisect_left(starts[pid], after) :]:
            if c.end >= as_of:
                return None
            if c.seats < CAPACITY and official not in members[c.id]:
                return c
        return None

    def open_cohort(pid: int, official: int) -> _Cohort | None:
        options = [
            c
            for c in by_programme.get(pid, [])
            if c.end >= as_of and c.seats < CAPACITY and official not in members[c.id]
        ]
        return rng.choice(options) if options else None

    for rid, _app, official, pid, start, _end, _due in requirements:
        if start > as_of:
            continue
        r = rng.random()
        if r < 0.57:
            chosen = closed_cohort(pid, start + timedelta(days=rng.randint(-60, 900)), official)
            if chosen is not None:
                enrol(chosen, official, rid, "completed")
            elif (chosen := open_cohort(pid, official)) is not None:
                enrol(chosen, official, rid, "enrolled")
        elif r < 0.60:
            done = start + timedelta(days=rng.randint(0, 700))
            if done <= as_of:
                completions.append(
                    (len(completions) + 1, official, pid, done, "decision", "הכרה בהכשרה", None, None, _at(done))
                )
        elif r < 0.65:
            if (chosen := closed_cohort(pid, start + timedelta(days=rng.randint(0, 600)), official)) is not None:
                enrol(chosen, official, rid, "not_completed")
        elif r < 0.73 and (chosen := open_cohort(pid, official)) is not None:
            enrol(chosen, official, rid, "enrolled")

    # Fill each cohort up to a common level (with some spread) chosen so that attendance reaches the target.
    target = size["attendance_records"]
    spread = {c.id: rng.uniform(0.75, 1.25) for c in cohorts}
    past_n = {c.id: len(c.past_sessions(as_of)) for c in cohorts}

    def attendance_at(level: float) -> float:
        return sum(max(c.seats, min(CAPACITY, round(level * spread[c.id]))) * past_n[c.id] for c in cohorts)

    lo, hi = 0.0, float(CAPACITY * 2)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if attendance_at(mid) < target * 1.03 else (lo, mid)
    level = hi
    progress(f"filling cohorts to about {level:.1f} officials each")
    for c in cohorts:
        want = min(CAPACITY, round(level * spread[c.id])) if past_n[c.id] else round(level * spread[c.id] * 0.5)
        while c.seats < min(CAPACITY, want):
            official = rng.randint(1, n_off)
            if official in members[c.id]:
                continue
            if c.end < as_of:
                u = rng.random()
                outcome = "completed" if u < 0.85 else "not_completed" if u < 0.95 else "withdrawn"
            else:
                outcome = "waitlisted" if c.start > as_of and rng.random() < 0.05 else "enrolled"
            enrol(c, official, None, outcome)
    progress(f"enrolments: {len(enrolments):,}")
    counts["enrolments"] = loader.load(
        "enrolments",
        (
            "id",
            "cohort_id",
            "official_id",
            "requirement_id",
            "status",
            "waitlist_position",
            "enrolled_on",
            "seated_on",
            "ended_on",
            "attended_hours",
            "completed_on",
            "decision_reason",
            "moved_to_enrolment_id",
            "created_at",
            "updated_at",
        ),
        (tuple(e) for e in enrolments),
    )
    counts["completions"] = loader.load(
        "completions",
        (
            "id",
            "official_id",
            "programme_id",
            "completed_on",
            "source",
            "reason",
            "enrolment_id",
            "recorded_by_user_id",
            "created_at",
        ),
        completions,
    )

    # Attendance: every past session of every seated enrolment (to its end, for the withdrawn), up to the target.
    cohort_of = {c.id: c for c in cohorts}
    statuses = ("present", "late", "excused", "absent")
    status_weights = list(itertools.accumulate((0.85, 0.06, 0.04, 0.05)))

    def attendance() -> Iterator[Row]:
        n = 0
        for e in enrolments:
            if e[7] is None:
                continue
            c = cohort_of[e[1]]
            for session_id, day in c.sessions:
                if day > as_of or (e[8] is not None and day > e[8]):
                    break
                n += 1
                if n > target:
                    return
                status = statuses[bisect.bisect(status_weights, rng.random() * status_weights[-1])]
                yield (n, session_id, e[0], e[2], status, _at(day, 17))

    progress(f"attendance rows: up to {target:,}")
    counts["attendance_records"] = loader.load(
        "attendance_records", ("id", "session_id", "enrolment_id", "official_id", "status", "recorded_at"), attendance()
    )

    # Extension and exemption requests, mostly approved with a decision date.
    reasons = ("equivalent_prior_training", "acting_appointment", "short_tenure", "other")
    requests: list[Row] = []
    for rid, _app, _official, _pid, start, _end, due in requirements:
        if start > as_of:
            continue
        u = rng.random()
        if u >= 0.045:
            continue
        kind = "extension" if u < 0.03 else "exemption"
        asked = min(as_of, max(start, due - timedelta(days=rng.randint(10, 150))))
        v = rng.random()
        state = "approved" if v < 0.72 else "refused" if v < 0.84 else "pending"
        decided = min(as_of, asked + timedelta(days=rng.randint(3, 30))) if state != "pending" else None
        requests.append(
            (
                len(requests) + 1,
                rid,
                kind,
                due + timedelta(days=rng.randint(60, 365)) if kind == "extension" else None,
                rng.choice(reasons) if kind == "exemption" else None,
                "בקשה",
                state,
                "bench",
                _at(asked),
                decided,
                _at(decided, 12) if decided else None,
            )
        )
    counts["requirement_requests"] = loader.load(
        "requirement_requests",
        (
            "id",
            "requirement_id",
            "kind",
            "requested_due_date",
            "reason_code",
            "reason",
            "state",
            "requested_by_label",
            "requested_at",
            "decided_on",
            "decided_at",
        ),
        requests,
    )
    if loader.postgresql:
        for table in (
            "programmes",
            "officials",
            "appointments",
            "requirements",
            "cohorts",
            "cohort_sessions",
            "enrolments",
            "completions",
            "attendance_records",
            "requirement_requests",
        ):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    return counts
