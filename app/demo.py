"""A believable demo school: the catalogue, about 150 officials in every district, four years of
appointments and completions, and one login of each kind.

Everything goes through the services, so the demo has the audit trail and the requirements real use
would have. It is deterministic (a fixed seed; dates relative to today) and idempotent: when the demo
admin already exists, nothing is done.

Statuses as of today: completed (on time and late), overdue, closed and not_started (some due within
90 days). Then a school year: a closed cohort, a running cohort per entry programme (in_progress), and
requests with the auditor's decisions (exempt, an extension, one pending).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, pdf
from app.accounts.models import User
from app.accounts.schemas import UserCreate
from app.accounts.service import create_user, enrol_totp_with_secret
from app.auth import Principal, operator
from app.authorities.models import Authority
from app.completions.models import Completion
from app.completions.rules import completion_counts
from app.completions.schemas import CompletionCreate
from app.completions.service import record_completion_by_decision
from app.compliance.rules import RequirementStatus
from app.config import get_settings
from app.notifications.service import choose_mail_language
from app.officials.models import Appointment, Official
from app.officials.rules import add_months, check_digit, due_date_for
from app.officials.schemas import AppointmentCreate, AppointmentUpdate, OfficialCreate
from app.officials.service import (
    add_requirements_for_programme,
    create_appointment,
    create_official,
    update_appointment,
)
from app.programmes.models import Programme
from app.programmes.schemas import ProgrammeCreate
from app.programmes.service import create_programme

DOMAIN = "demo.mekomot.org.il"
ADMIN_EMAIL = f"admin@{DOMAIN}"
OFFICIAL_EMAIL = f"official@{DOMAIN}"

DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", ADMIN_EMAIL, "demo-admin-2021"),
    ("auditor", f"auditor@{DOMAIN}", "demo-auditor-2021"),
    ("liaison", f"liaison@{DOMAIN}", "demo-liaison-2021"),
    ("official", OFFICIAL_EMAIL, "demo-official-2021"),
]

# The demo admin's and auditor's second factor (their roles must have one): fixed, printed by `lms demo`. Base32.
DEMO_TOTP_SECRETS: dict[str, str] = {
    ADMIN_EMAIL: "MEKOMOTDEMOADMINSECRETAAAAAAAAAA",
    f"auditor@{DOMAIN}": "MEKOMOTDEMOAUDITORSECRETAAAAAAAA",
}

SEED = 5568
ACTOR = operator("demo")

# Be'er Sheva: its liaison sees a full staff; its treasurer (the demo official) moved there from Ofakim.
LIAISON_AUTHORITY = "9000"
FEATURED_PREVIOUS_AUTHORITY = "0031"

MANDATORY_ROLES = ("director_general", "treasurer", "city_engineer", "hr_manager", "town_appearance_manager")
OTHER_ROLES = ("legal_adviser", "internal_auditor", "education_head", "economic_development_manager", "digital_lead")


@dataclass(frozen=True)
class _ProgrammeSpec:
    code: str
    kind: str
    title_he: str
    title_en: str
    hours: float
    role_codes: tuple[str, ...]
    validity_years: int | None = None


PROGRAMMES: tuple[_ProgrammeSpec, ...] = (
    _ProgrammeSpec(
        "DG-ENTRY",
        "mandatory",
        'הכשרת מנכ"לים ברשויות המקומיות',
        "Entry training for directors general of local authorities",
        180,
        ("director_general",),
    ),
    _ProgrammeSpec(
        "TREAS-ENTRY",
        "mandatory",
        "הכשרת גזברים ברשויות המקומיות",
        "Entry training for local authority treasurers",
        240,
        ("treasurer",),
        validity_years=6,
    ),
    _ProgrammeSpec(
        "ENG-ENTRY",
        "mandatory",
        "הכשרת מהנדסי רשויות מקומיות",
        "Entry training for municipal engineers",
        140,
        ("city_engineer",),
        validity_years=5,
    ),
    _ProgrammeSpec(
        "HR-ENTRY",
        "mandatory",
        "הכשרת מנהלי משאבי אנוש ברשויות המקומיות",
        "Entry training for human resources managers",
        120,
        ("hr_manager",),
    ),
    _ProgrammeSpec(
        "SPA-ENTRY",
        "mandatory",
        'הכשרת מנהלי שיפור פני העיר (שפ"ע)',
        "Entry training for town appearance and sanitation managers",
        100,
        ("town_appearance_manager",),
        validity_years=4,
    ),
    _ProgrammeSpec(
        "ADV-BUDGET",
        "advanced",
        "תקצוב ובקרה פיננסית מתקדמים",
        "Advanced budgeting and financial control",
        40,
        ("treasurer", "director_general"),
    ),
    _ProgrammeSpec(
        "ADV-EMERGENCY",
        "advanced",
        "ניהול הרשות המקומית בשעת חירום",
        "Running a local authority in an emergency",
        30,
        ("director_general", "city_engineer", "town_appearance_manager"),
    ),
    _ProgrammeSpec(
        "ADV-DIGITAL",
        "advanced",
        "חדשנות ושירות דיגיטלי לתושב",
        "Digital innovation and service to residents",
        24,
        ("digital_lead", "hr_manager", "economic_development_manager"),
    ),
)
ENTRY_PROGRAMME = {s.role_codes[0]: s for s in PROGRAMMES if s.kind == "mandatory"}
ADVANCED = tuple(s for s in PROGRAMMES if s.kind == "advanced")

# Authorities of the demo, with the communities their officials come from (weights).
J, A, D, B = "jewish", "arab", "druze", "bedouin"
AUTHORITIES: tuple[tuple[str, dict[str, float]], ...] = (
    # Jerusalem
    ("3000", {J: 0.85, A: 0.15}),
    ("2610", {J: 1}),
    ("0472", {A: 1}),
    ("1015", {J: 1}),
    ("26", {J: 1}),
    # Northern
    ("7300", {A: 1}),
    ("7500", {A: 1}),
    ("0481", {D: 0.6, A: 0.4}),
    ("0480", {D: 1}),
    ("0502", {D: 1}),
    ("6700", {J: 1}),
    ("1139", {J: 1}),
    ("2800", {J: 1}),
    ("56", {J: 1}),
    ("7600", {J: 0.65, A: 0.35}),
    ("8800", {A: 0.7, D: 0.3}),
    # Haifa
    ("4000", {J: 0.8, A: 0.2}),
    ("2710", {A: 1}),
    ("6500", {J: 1}),
    ("0494", {D: 1}),
    ("0534", {D: 1}),
    # Central
    ("8300", {J: 1}),
    ("7900", {J: 1}),
    ("7000", {J: 0.7, A: 0.3}),
    ("2730", {A: 1}),
    ("0634", {A: 1}),
    ("16", {J: 1}),
    # Tel Aviv
    ("5000", {J: 0.9, A: 0.1}),
    ("6600", {J: 1}),
    ("6100", {J: 1}),
    ("8600", {J: 1}),
    # Southern
    (LIAISON_AUTHORITY, {J: 0.9, B: 0.1}),
    (FEATURED_PREVIOUS_AUTHORITY, {J: 1}),
    ("1161", {B: 1}),
    ("2600", {J: 1}),
    ("1031", {J: 1}),
    ("37", {J: 1}),
    # Judea and Samaria Area
    ("3570", {J: 1}),
    ("3616", {J: 1}),
    ("3797", {J: 1}),
    ("3650", {J: 1}),
)

# (Hebrew, English) names, niqqud-free as written in Israeli records; a geresh is the ASCII apostrophe.
FIRST_NAMES: dict[str, dict[bool, tuple[tuple[str, str], ...]]] = {
    J: {
        False: (
            ("יוסי", "Yossi"),
            ("אבי", "Avi"),
            ("דוד", "David"),
            ("אליהו", "Eliyahu"),
            ("משה", "Moshe"),
            ("חיים", "Haim"),
            ("עמית", "Amit"),
            ("איתן", "Eitan"),
            ("שמעון", "Shimon"),
            ("גלעד", "Gilad"),
            ("אהרון", "Aharon"),
            ("יבגני", "Yevgeni"),
            ("ולדימיר", "Vladimir"),
            ("שלמה", "Shlomo"),
            ("ניר", "Nir"),
            ("אורי", "Uri"),
            ("יעקב", "Yaakov"),
            ("מרדכי", "Mordechai"),
            ("ז'ק", "Jacques"),
            ("ערן", "Eran"),
        ),
        True: (
            ("מיכל", "Michal"),
            ("רונית", "Ronit"),
            ("שירה", "Shira"),
            ("אורית", "Orit"),
            ("יעל", "Yael"),
            ("אסתר", "Esther"),
            ("נועה", "Noa"),
            ("תמר", "Tamar"),
            ("הדס", "Hadas"),
            ("ליאת", "Liat"),
            ("סיגל", "Sigal"),
            ("עדי", "Adi"),
            ("ז'אנה", "Zhanna"),
            ("אירנה", "Irena"),
            ("מירב", "Merav"),
            ("ענת", "Anat"),
        ),
    },
    A: {
        False: (
            ("ג'מאל", "Jamal"),
            ("מוחמד", "Mohammad"),
            ("אחמד", "Ahmad"),
            ("ח'אלד", "Khaled"),
            ("מחמוד", "Mahmoud"),
            ("עלי", "Ali"),
            ("סאמי", "Sami"),
            ("ע'סאן", "Ghassan"),
            ("יוסף", "Yousef"),
            ("באסל", "Basel"),
            ("עומר", "Omar"),
            ("ואיל", "Wael"),
            ("נביל", "Nabil"),
            ("ג'ורג'", "George"),
            ("אליאס", "Elias"),
            ("חוסאם", "Hussam"),
            ("מאג'ד", "Majed"),
            ("פאדי", "Fadi"),
        ),
        True: (
            ("ג'ומאנה", "Jumana"),
            ("רנא", "Rana"),
            ("סמאח", "Samah"),
            ("נסרין", "Nisreen"),
            ("הבה", "Hiba"),
            ("לינא", "Lina"),
            ("מונא", "Muna"),
            ("עביר", "Abeer"),
            ("רים", "Reem"),
            ("סוהא", "Suha"),
            ("אמאני", "Amani"),
        ),
    },
    D: {
        False: (
            ("סלמאן", "Salman"),
            ("כמאל", "Kamal"),
            ("ריאד", "Riad"),
            ("ואג'די", "Wajdi"),
            ("נביה", "Nabih"),
            ("אכרם", "Akram"),
            ("סאמר", "Samer"),
            ("ג'בר", "Jaber"),
            ("עאטף", "Atef"),
            ("מופיד", "Mufid"),
            ("רפיק", "Rafik"),
        ),
        True: (
            ("סועאד", "Suad"),
            ("נוהא", "Noha"),
            ("ריהאם", "Riham"),
            ("אמל", "Amal"),
            ("נג'לא", "Najla"),
            ("סמר", "Samar"),
            ("ג'יהאן", "Jihan"),
        ),
    },
}
FIRST_NAMES[B] = FIRST_NAMES[A]

LAST_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    J: (
        ("כהן", "Cohen"),
        ("לוי", "Levi"),
        ("מזרחי", "Mizrahi"),
        ("פרץ", "Peretz"),
        ("ביטון", "Biton"),
        ("דהן", "Dahan"),
        ("אברהם", "Avraham"),
        ("פרידמן", "Friedman"),
        ("אזולאי", "Azoulay"),
        ("מלכה", "Malka"),
        ("גבאי", "Gabay"),
        ("שפירא", "Shapira"),
        ("בן דוד", "Ben David"),
        ("אוחיון", "Ohayon"),
        ("קליין", "Klein"),
        ("רוזנברג", "Rosenberg"),
        ("חדד", "Hadad"),
        ("אלמוג", "Almog"),
        ("בר-און", "Bar-On"),
        ("גולדשטיין", "Goldstein"),
        ("שטרן", "Stern"),
        ("נחום", "Nahum"),
        ("ג'רבי", "Jerbi"),
        ("צ'רניאק", "Cherniak"),
        ("אדמסו", "Admasu"),
        ("סויסה", "Swissa"),
        ("אלקיים", "Elkayam"),
        ("וקנין", "Vaknin"),
        ("ויסמן", "Weissman"),
        ("טל", "Tal"),
    ),
    A: (
        ("מחאמיד", "Mahamid"),
        ("ג'בארין", "Jabareen"),
        ("אגבאריה", "Ighbariya"),
        ("אבו ראס", "Abu Ras"),
        ("ח'ורי", "Khoury"),
        ("עודה", "Odeh"),
        ("חביב", "Habib"),
        ("נסאר", "Nassar"),
        ("טאהא", "Taha"),
        ("מסארווה", "Masarwa"),
        ("ח'טיב", "Khatib"),
        ("עאזם", "Azem"),
        ("בדראן", "Badran"),
        ("זועבי", "Zoabi"),
        ("סלאמה", "Salameh"),
        ("דראושה", "Darawshe"),
        ("בשארה", "Bishara"),
        ("ג'ראיסי", "Jaraisy"),
    ),
    D: (
        ("חלבי", "Halabi"),
        ("טריף", "Tarif"),
        ("עאמר", "Amer"),
        ("חסון", "Hasson"),
        ("מנסור", "Mansour"),
        ("קבלאן", "Kablan"),
        ("נסר א-דין", "Nasr a-Din"),
        ("ח'יר", "Khair"),
        ("אסעד", "Asad"),
        ("פלאח", "Falah"),
        ("זידאן", "Zidan"),
    ),
    B: (
        ("אלקרינאוי", "Alkrenawi"),
        ("אבו רביעה", "Abu Rabia"),
        ("אלהוזייל", "Alhuzail"),
        ("אלעטאונה", "Alatawneh"),
        ("אבו עסא", "Abu Asa"),
    ),
}

# Scenarios of a seat's current holder, and how many of every hundred seats get each. Predecessors who left
# untrained make `closed`. `in_progress` (an enrolment in a running cohort) and `exempt` (an approved request)
# come when cohorts and decisions exist: add them here then.
SCENARIO_WEIGHTS = {"on_time": 34, "late": 10, "overdue": 16, "not_started": 30, "due_soon": 10}


@dataclass
class _Holding:
    authority_code: str
    role_code: str
    start: date
    end: date | None = None


@dataclass(eq=False)
class _Person:
    community: str
    female: bool
    holdings: list[_Holding] = field(default_factory=list)
    completions: list[tuple[str, date, str]] = field(default_factory=list)
    login: bool = False


@dataclass
class _Seat:
    authority_code: str
    role_code: str
    scenario: str
    start: date
    holder: _Person | None = None
    predecessor: _Person | None = None


@dataclass(frozen=True)
class _DemoAuthority:
    code: str
    district: str
    type: str
    weights: dict[str, float]


class _Planner:
    """Plans the school's last four years from a seeded generator; nothing touches the database here."""

    def __init__(self, rng: random.Random, today: date, authorities: list[_DemoAuthority]) -> None:
        self.rng = rng
        self.today = today
        self.authorities = authorities
        self.by_code = {a.code: a for a in authorities}
        self.earliest = today - relativedelta(months=47)
        self.cohort_ends = {s.code: self._cohort_ends(i) for i, s in enumerate(PROGRAMMES)}

    def _cohort_ends(self, index: int) -> list[date]:
        # Each programme ends about three cohorts a year, on dates of its own.
        months = [1 + (index + k * 4) % 12 for k in range(3)]
        days = 8 + 3 * index
        return sorted(date(y, m, days) for y in range(self.today.year - 6, self.today.year + 1) for m in months)

    def date_between(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days))

    def months_ago(self, months: int) -> date:
        return self.today - relativedelta(months=months)

    def completion(self, person: _Person, code: str, lo: date, hi: date) -> None:
        """Plan a completion on the last day of a cohort between lo and hi (a plain date when none fits)."""
        hi = min(hi, self.today)
        if hi < lo:
            return
        ends = [d for d in self.cohort_ends[code] if lo <= d <= hi]
        if ends:
            on = self.rng.choice(ends)
            number = self.cohort_ends[code].index(on) % 3 + 1
            reason = f"מרישומי בית הספר (מאז 2021): סיום מחזור {on.year}/{number} של התוכנית בהצלחה"
        else:
            on = self.date_between(lo, hi)
            reason = "הוכרה הכשרה מקבילה (לימודי מינהל ציבורי) בהחלטת ועדת ההכשרה של בית הספר"
        person.completions.append((code, on, reason))

    def new_person(self, authority_code: str) -> _Person:
        weights = self.by_code[authority_code].weights
        community = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return _Person(community=community, female=self.rng.random() < 0.36)

    def start_for(self, scenario: str) -> date:
        t = self.today
        if scenario == "on_time":
            return self.date_between(self.earliest, self.months_ago(5))
        if scenario == "late":
            return self.date_between(self.earliest, self.months_ago(27))
        if scenario == "overdue":
            return self.date_between(self.earliest, self.months_ago(24) - timedelta(days=10))
        if scenario == "due_soon":
            due = t + timedelta(days=self.rng.randint(10, 80))
            return due - relativedelta(months=24)
        return self.date_between(self.months_ago(20), t - timedelta(days=7))

    def plan(self) -> list[_Person]:
        rng = self.rng
        liaison = self.by_code[LIAISON_AUTHORITY] if LIAISON_AUTHORITY in self.by_code else self.authorities[0]
        previous = next(
            a for a in (self.by_code.get(FEATURED_PREVIOUS_AUTHORITY), *self.authorities) if a and a != liaison
        )
        seats: list[_Seat] = []
        for authority in self.authorities:
            if authority is liaison:
                roles = [r for r in MANDATORY_ROLES if r != "treasurer"]
            else:
                roles = rng.sample(MANDATORY_ROLES, rng.choice((2, 2, 3, 3, 4)))
                if authority is previous and "treasurer" in roles:
                    roles.remove("treasurer")
            seats.extend(_Seat(authority.code, role, "", self.today) for role in roles)

        scenarios: list[str] = []
        for name, weight in SCENARIO_WEIGHTS.items():
            scenarios += [name] * max(2, round(len(seats) * weight / 100))
        scenarios = (scenarios * 2)[: len(seats)]
        rng.shuffle(scenarios)
        people: list[_Person] = []
        for seat, scenario in zip(seats, scenarios, strict=True):
            seat.scenario, seat.start = scenario, self.start_for(scenario)
            seat.holder = self.new_person(seat.authority_code)
            # A seat filled in the last three years or so had someone in it before.
            if seat.start >= self.earliest + relativedelta(months=10) and rng.random() < 0.4:
                pred = self.new_person(seat.authority_code)
                p_start = self.date_between(self.earliest, seat.start - relativedelta(months=10))
                p_end = seat.start - timedelta(days=rng.randint(1, 45))
                pred.holdings.append(_Holding(seat.authority_code, seat.role_code, p_start, p_end))
                if rng.random() < 0.4:
                    lo = p_start + relativedelta(months=3)
                    self.completion(pred, ENTRY_PROGRAMME[seat.role_code].code, lo, p_end)
                seat.predecessor = pred
                people.append(pred)

        self._move_some(seats)
        for seat in seats:
            assert seat.holder is not None
            holder = seat.holder
            holder.holdings.append(_Holding(seat.authority_code, seat.role_code, seat.start))
            if holder not in people:
                people.append(holder)
            self._complete_current(holder, seat)

        people += self._featured(liaison, previous)
        people += self._other_roles()
        self._advanced(people)
        return people

    def _move_some(self, seats: list[_Seat]) -> None:
        """Some who left a seat took the same role (or a director general's) in another authority."""
        rng = self.rng
        taken: set[int] = set()
        movers = [s for s in seats if s.predecessor is not None]
        rng.shuffle(movers)
        for source in movers[: max(3, len(movers) // 3)]:
            mover = source.predecessor
            assert mover is not None
            left = mover.holdings[-1].end
            assert left is not None
            role = "director_general" if rng.random() < 0.2 else source.role_code
            targets = [
                (t.start - left, i)
                for i, t in enumerate(seats)
                if i not in taken
                and t.role_code == role
                and t.authority_code != source.authority_code
                and t.scenario in ("on_time", "not_started", "overdue")
                and t.start > left
                and self.by_code[t.authority_code].weights.get(mover.community, 0) >= 0.3
            ]
            if targets:
                _, i = min(targets)
                taken.add(i)
                seats[i].holder = mover

    def _complete_current(self, holder: _Person, seat: _Seat) -> None:
        programme = ENTRY_PROGRAMME[seat.role_code]
        carried = any(
            code == programme.code
            and completion_counts(
                on, appointment_start=seat.start, appointment_end=None, validity_years=programme.validity_years
            )
            for code, on, _ in holder.completions
        )
        if carried:
            return
        due = due_date_for(seat.start)
        if seat.scenario == "on_time":
            self.completion(holder, programme.code, seat.start + relativedelta(months=4), due)
        elif seat.scenario == "late":
            self.completion(holder, programme.code, due + timedelta(days=1), due + relativedelta(months=10))

    def _featured(self, liaison: _DemoAuthority, previous: _DemoAuthority) -> list[_Person]:
        """The demo official: treasurer of the liaison's authority, due soon; earlier treasurer elsewhere; and, for
        eight months, also the authority's HR manager (the school year enrols her in that entry training)."""
        start = self.today + timedelta(days=45) - relativedelta(months=24)
        earlier = start - relativedelta(months=20)
        person = _Person(community=J, female=True, login=True)
        person.holdings = [
            _Holding(previous.code, "treasurer", earlier, start - timedelta(days=16)),
            _Holding(liaison.code, "treasurer", start),
            _Holding(liaison.code, "hr_manager", self.today - relativedelta(months=8)),
        ]
        successor = self.new_person(previous.code)
        s_start = start + timedelta(days=self.rng.randint(20, 60))
        successor.holdings.append(_Holding(previous.code, "treasurer", s_start))
        self.completion(successor, "TREAS-ENTRY", s_start + relativedelta(months=4), due_date_for(s_start))
        return [person, successor]

    def _other_roles(self) -> list[_Person]:
        """Legal advisers, auditors and others: no entry training, some advanced."""
        people = []
        for authority in self.rng.sample(self.authorities, 10):
            roles = list(OTHER_ROLES)
            if authority.type != "city":
                roles.append("council_secretary")
            person = self.new_person(authority.code)
            start = self.date_between(self.earliest, self.months_ago(1))
            person.holdings.append(_Holding(authority.code, self.rng.choice(roles), start))
            people.append(person)
        return people

    def _advanced(self, people: list[_Person]) -> None:
        for person in people:
            held = person.holdings[-1]
            for spec in ADVANCED:
                if held.role_code in spec.role_codes and self.rng.random() < 0.25:
                    self.completion(person, spec.code, held.start + relativedelta(months=6), held.end or self.today)


def _ascii(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalpha())


def _demo_authorities(db: Session) -> list[_DemoAuthority]:
    """The chosen authorities that exist and are active, and more for any district they leave empty."""
    active = list(db.scalars(select(Authority).where(Authority.active.is_(True)).order_by(Authority.code)))
    if not active:
        raise RuntimeError("no authorities: run `lms load-reference` before `lms demo`")
    by_code = {a.code: a for a in active}
    chosen = [
        _DemoAuthority(code, by_code[code].district, by_code[code].type, weights)
        for code, weights in AUTHORITIES
        if code in by_code
    ]
    covered = {a.district for a in chosen}
    for district in sorted({a.district for a in active} - covered):
        biggest = sorted((a for a in active if a.district == district), key=lambda a: (-(a.population or 0), a.code))
        chosen += [_DemoAuthority(a.code, a.district, a.type, {J: 0.8, A: 0.2}) for a in biggest[:2]]
    return chosen


def _ensure_programmes(db: Session) -> None:
    for spec in PROGRAMMES:
        if db.scalar(select(Programme.id).where(Programme.code == spec.code)) is not None:
            continue
        data = ProgrammeCreate(
            code=spec.code,
            kind=spec.kind,
            title_he=spec.title_he,
            title_en=spec.title_en,
            hours=spec.hours,
            role_codes=list(spec.role_codes),
            validity_years=spec.validity_years,
        )
        programme = create_programme(db, data=data, actor=ACTOR)
        add_requirements_for_programme(db, programme_id=programme.id, actor=ACTOR)


def load_demo(db: Session) -> bool:
    """Fill the demo school through the services; False (and nothing done) when the demo is already there."""
    if db.scalar(select(User.id).where(User.email == ADMIN_EMAIL)) is not None:
        return False
    rng = random.Random(SEED)
    authorities = _demo_authorities(db)
    _ensure_programmes(db)
    people = _Planner(rng, clock.today(), authorities).plan()

    used_ids = set(db.scalars(select(Official.national_id)))
    used_names: set[tuple[str, str]] = set()
    used_emails: set[str] = set()
    login_official: Official | None = None
    for n, person in enumerate(people):
        while True:
            eight = f"{rng.randrange(1_000_000, 34_000_000):08d}"
            national_id = eight + check_digit(eight)
            if national_id not in used_ids:
                used_ids.add(national_id)
                break
        for _ in range(20):
            first = rng.choice(FIRST_NAMES[person.community][person.female])
            last = rng.choice(LAST_NAMES[person.community])
            if (first[0], last[0]) not in used_names:
                break
        used_names.add((first[0], last[0]))
        if person.login:
            email: str | None = OFFICIAL_EMAIL
        elif rng.random() < 0.85:
            local = f"{_ascii(first[1])}.{_ascii(last[1])}"
            local += str(n) if local in used_emails else ""
            used_emails.add(local)
            email = f"{local}@{DOMAIN}"
        else:
            email = None
        official = create_official(
            db,
            data=OfficialCreate(
                national_id=national_id,
                first_name_he=first[0],
                last_name_he=last[0],
                first_name_en=first[1],
                last_name_en=last[1],
                email=email,
            ),
            actor=ACTOR,
        )
        if person.login:
            login_official = official
        elif email is not None and int(national_id) % 4 == 0:
            # Some officials read their mail in English: their reminders are written in it.
            choose_mail_language(db, email=email, language="en")
        for holding in sorted(person.holdings, key=lambda h: h.start):
            appointment = create_appointment(
                db,
                official_id=official.id,
                data=AppointmentCreate(
                    authority_code=holding.authority_code, role_code=holding.role_code, start_date=holding.start
                ),
                actor=ACTOR,
            )
            if holding.end is not None:
                # Ended the way an admin ends one: a change of the appointment, in the audit trail.
                update_appointment(
                    db, appointment_id=appointment.id, data=AppointmentUpdate(end_date=holding.end), actor=ACTOR
                )
        for code, on, reason in sorted(person.completions, key=lambda c: c[1]):
            record_completion_by_decision(
                db,
                official_id=official.id,
                data=CompletionCreate(programme_code=code, completed_on=on, reason=reason),
                actor=ACTOR,
            )

    assert login_official is not None
    _school_year(db, rng, clock.today(), featured=login_official.id)
    _communities(db, rng, clock.today(), featured=login_official.id, authorities=authorities)
    _demo_knowledge(db)
    # A generator of its own, so that the surveys leave the rest of the demo as it was.
    _surveys(db, random.Random(SEED + 1))
    _demo_coordsurveys(db, random.Random(SEED + 2))
    liaison_code = LIAISON_AUTHORITY if any(a.code == LIAISON_AUTHORITY for a in authorities) else authorities[0].code
    for role, email, password in DEMO_LOGINS:
        user = create_user(
            db,
            data=UserCreate(
                email=email,
                password=password,
                role=role,
                authority_code=liaison_code if role == "liaison" else None,
                official_national_id=login_official.national_id if role == "official" else None,
            ),
            actor=ACTOR,
        )
        if email in DEMO_TOTP_SECRETS:
            enrol_totp_with_secret(db, user=user, secret=DEMO_TOTP_SECRETS[email], actor=ACTOR)
        if role == "official":
            _ask_for_more_time(db, Principal(user_id=user.id, label=email, role=role, official_id=login_official.id))
    return True


def _ask_for_more_time(db: Session, official: Principal) -> None:
    """The featured official asks for three more months on the treasurers' entry training that is due soon."""
    from app.compliance.selectors import official_requirements
    from app.compliance.service import request_extension

    assert official.official_id is not None
    rows = official_requirements(db, official_id=official.official_id, as_of=clock.today(), actor=official)
    due = next(r for r in rows if r.programme_code == "TREAS-ENTRY" and r.status == RequirementStatus.NOT_STARTED)
    request_extension(
        db,
        requirement_id=due.id,
        requested_due_date=add_months(due.due_date, 3),
        reason="הקורס הקרוב נפתח אחרי המועד; מבקשת להירשם למחזור הבא",
        actor=official,
    )


def _school_year(db: Session, rng: random.Random, today: date, *, featured: int) -> None:
    """The school at work: closed cohorts with their certificates, a running cohort per entry programme, and
    auditors' decisions. The featured official (the demo's official login) has one of each: a certificate of an
    advanced programme, the HR entry training in progress with sessions to come, and the treasurers' entry
    training not started and due soon, with an extension asked for and waiting for an auditor."""
    from app.attendance.schemas import AttendanceIn
    from app.attendance.service import close_cohort, record_attendance
    from app.certificates.service import issue_cohort_certificates
    from app.cohorts.schemas import CohortCreate, SessionCreate
    from app.cohorts.service import add_session, create_cohort, enrol_official
    from app.compliance.selectors import requirement_rows
    from app.compliance.service import decide_request, request_exemption, request_extension

    rows = requirement_rows(db, as_of=today)

    def owing(code: str, status: str) -> list[int]:
        return sorted({r.official_id for r in rows if r.programme_code == code and r.status == status})

    def run_cohort(
        code: str, programme: str, start: date, officials: list[int], *, absent: int | None, taken_until: date = today
    ) -> int:
        """Six sessions over twelve weeks; attendance taken at those held up to `taken_until` (`absent` misses
        half)."""
        cohort = create_cohort(
            db,
            data=CohortCreate(
                programme_code=programme,
                code=code,
                start_date=start,
                end_date=start + timedelta(weeks=12),
                capacity=12,
                location="בית הספר, ירושלים",
            ),
            actor=ACTOR,
        )
        for o in officials:
            enrol_official(db, cohort_id=cohort.id, official_id=o, actor=ACTOR)
        for i in range(6):
            item = add_session(
                db,
                cohort_id=cohort.id,
                data=SessionCreate(date=start + timedelta(weeks=2 * i), hours=6, title=f"מפגש {i + 1}"),
                actor=ACTOR,
            )
            if item.date > taken_until or not officials:
                continue
            records = [
                AttendanceIn(
                    official_id=o,
                    status="absent"
                    if o == absent and i % 2
                    else rng.choices(("present", "late", "excused"), weights=(90, 7, 3))[0],
                )
                for o in officials
            ]
            record_attendance(db, session_id=item.id, records=records, actor=ACTOR)
        return cohort.id

    # Last year's treasurers' cohort, taken and closed: its graduates complete late, one falls short.
    overdue = owing("TREAS-ENTRY", "overdue")[:6]
    if overdue:
        past = run_cohort("TREAS-DEMO-1", "TREAS-ENTRY", today - timedelta(weeks=30), overdue, absent=overdue[0])
        close_cohort(db, cohort_id=past, actor=ACTOR)
        issue_cohort_certificates(db, cohort_id=past, actor=ACTOR)
    # Last spring's advanced budgeting course, with the featured official and treasurers who finished theirs.
    took_it = set(
        db.scalars(
            select(Completion.official_id)
            .join(Programme, Programme.id == Completion.programme_id)
            .where(Programme.code == "ADV-BUDGET")
        )
    )
    budgeting = [featured, *[o for o in owing("TREAS-ENTRY", "completed") if o not in took_it | {featured}][:7]]
    course = run_cohort("ADV-BUDGET-DEMO-1", "ADV-BUDGET", today - timedelta(weeks=36), budgeting, absent=None)
    close_cohort(db, cohort_id=course, actor=ACTOR)
    issue_cohort_certificates(db, cohort_id=course, actor=ACTOR)
    # A running cohort of every entry programme: its officials are in progress, and the attendance of its session of
    # four days ago is still to be taken (the school's home lists it).
    for spec in PROGRAMMES:
        officials = owing(spec.code, "not_started")[:8] if spec.kind == "mandatory" else []
        if spec.code == "HR-ENTRY":
            officials = [featured, *[o for o in officials if o != featured][:7]]
        if officials:
            start = today - timedelta(days=32)
            run_cohort(
                f"{spec.code}-{today.year}",
                spec.code,
                start,
                officials,
                absent=None,
                taken_until=today - timedelta(days=7),
            )
    # The next treasurers' cohort opens for enrolment, starting after the featured official's due date.
    run_cohort(f"TREAS-ENTRY-{today.year + 1}", "TREAS-ENTRY", today + timedelta(weeks=10), [], absent=None)
    # Requests and an auditor's decisions: an exemption, an extension, and one waiting in the queue.
    auditor = operator("demo auditor")
    late = [r for r in rows if r.status == RequirementStatus.OVERDUE and r.programme_code in ("DG-ENTRY", "ENG-ENTRY")]
    # The most recently overdue first: an extension moves a due date at most LMS_MAX_EXTENSION_MONTHS.
    late.sort(key=lambda r: (r.due_date, r.id), reverse=True)
    for row, kind in zip(late, ("exemption", "extension", "pending"), strict=False):
        if kind == "exemption":
            req = request_exemption(
                db,
                requirement_id=row.id,
                reason_code="equivalent_prior_training",
                reason="תואר שני במינהל ציבורי הכולל את תכני ההכשרה",
                actor=ACTOR,
            )
            decide_request(
                db,
                request_id=req.id,
                approve=True,
                note="אושר לפי מסמכי התואר",
                decided_on=today,
                actor=auditor,
            )
            continue
        ext = request_extension(
            db,
            requirement_id=row.id,
            requested_due_date=min(
                today + timedelta(days=150), add_months(row.due_date, get_settings().max_extension_months)
            ),
            reason="חופשת לידה ארוכה",
            actor=ACTOR,
        )
        if kind == "extension":
            decide_request(
                db, request_id=ext.id, approve=True, note="אושר עד סוף החופשה", decided_on=today, actor=auditor
            )


# --- communities of practice ---------------------------------------------------------------------------------------

COORDINATOR_EMAIL = f"coordinator@{DOMAIN}"
# Logins beside DEMO_LOGINS: the coordinator of the heads of education departments' community (an official).
COMMUNITY_LOGINS: list[tuple[str, str, str]] = [("official", COORDINATOR_EMAIL, "demo-coordinator-2021")]

# The pilot's four communities: (code, Hebrew name, English name, field, the post its members hold).
COMMUNITIES = (
    ("EDU-HEADS", "ראשי מחלקות חינוך", "Heads of education departments", "חינוך", "education_head"),
    ("ECO-DEV", "מובילי פיתוח כלכלי", "Economic development leads", "פיתוח כלכלי", "economic_development_manager"),
    ("OD-CHANGE", "פיתוח ארגוני ושינוי", "Organisational development and change", "פיתוח ארגוני", "strategy_manager"),
    ("DIGITAL", "מובילי דיגיטל", "Digital leads", "דיגיטל וחדשנות", "digital_lead"),
)
# A year of meetings: (months from today, kind, Hebrew title, days it lasts), then a week's offset in days.
MEETINGS = (
    (-10, "in_person", "מפגש פתיחה: היכרות ותיאום ציפיות", 1),
    (-9, "online", "מפגש זום: אתגרים משותפים", 1),
    (-7, "seminar", "סמינר דו־יומי: למידת עמיתים", 2),
    (-5, "online", "מפגש זום: כלים לעבודה עם מועצת הרשות", 1),
    (-4, "field_tour", "סיור לימודי ברשות מארחת", 1),
    (-2, "in_person", "מפגש: תוכנית העבודה לשנה הבאה", 1),
    (-1, "online", "מפגש זום: הצגת תוצרים", 1),
    (0, "in_person", "מפגש: סיכום שנה ראשונה", 1),
    (2, "seminar", "סמינר דו־יומי: שנה שנייה", 2),
)
AGENDA = "09:30 התכנסות\n10:00 הצגת מקרה מרשות חברה\n11:30 עבודה בקבוצות\n13:00 סיכום ומשימות"
MINUTES = "השתתפו חברי הליבה. הוצגו שני מקרים מהשטח; סוכם להקים צוות משותף שיכין מסמך המלצות עד המפגש הבא."


def _communities(
    db: Session, rng: random.Random, today: date, *, featured: int, authorities: list[_DemoAuthority]
) -> None:
    """The four pilot communities (30-40 core members each from authorities across the country and a wider circle, a
    coordinator and a leading team, a year of meetings with attendance, requests to join) and a network of cities
    and regional councils with representative teams, the featured official on their authority's."""
    from app.communities.models import CommunityMeeting
    from app.communities.schemas import (
        AuthorityLinkCreate,
        CommunityCreate,
        JoinRequestDecision,
        MeetingAttendanceIn,
        MeetingAttendanceSheet,
        MeetingCreate,
        MeetingUpdate,
        MemberCreate,
    )
    from app.communities.service import (
        add_authority,
        add_member,
        create_community,
        current_membership,
        decide_join_request,
        end_membership,
        record_meeting_attendance,
        request_to_join,
        schedule_meeting,
        update_meeting,
    )

    active = list(db.scalars(select(Authority).where(Authority.active.is_(True)).order_by(Authority.code)))
    weights = {a.code: a.weights for a in authorities}
    used_ids = set(db.scalars(select(Official.national_id)))
    year_start = today - relativedelta(months=11)

    def new_official(authority: Authority, role: str) -> Official:
        while True:
            eight = f"{rng.randrange(1_000_000, 34_000_000):08d}"
            if (national_id := eight + check_digit(eight)) not in used_ids:
                used_ids.add(national_id)
                break
        w = weights.get(authority.code, {J: 1.0})
        community = rng.choices(list(w), weights=list(w.values()))[0]
        first = rng.choice(FIRST_NAMES[community][rng.random() < 0.55])
        last = rng.choice(LAST_NAMES[community])
        official = create_official(
            db,
            data=OfficialCreate(
                national_id=national_id,
                first_name_he=first[0],
                last_name_he=last[0],
                first_name_en=first[1],
                last_name_en=last[1],
            ),
            actor=ACTOR,
        )
        start = today - timedelta(days=rng.randrange(400, 3000))
        create_appointment(
            db,
            official_id=official.id,
            data=AppointmentCreate(authority_code=authority.code, role_code=role, start_date=start),
            actor=ACTOR,
        )
        return official

    def as_official(official: Official) -> Principal:
        return Principal(user_id=None, label="demo", role="official", official_id=official.id)

    def meetings(community_id: int, plan: tuple[tuple[int, str, str, int], ...], places: list[str]) -> list[int]:
        made = []
        for months, kind, title, days in plan:
            on = today + relativedelta(months=months) + timedelta(days=12 if months == 0 else rng.randrange(-6, 6))
            online = kind == "online"
            meeting = schedule_meeting(
                db,
                community_id=community_id,
                data=MeetingCreate(
                    title=title,
                    kind=kind,
                    date=on,
                    end_date=on + timedelta(days=days - 1) if days > 1 else None,
                    starts_at=time(9, 30) if not online else time(16, 0),
                    ends_at=time(15, 0) if not online else time(17, 30),
                    place=None if online else rng.choice(places),
                    link="https://zoom.us/j/5568" + f"{rng.randrange(100000, 999999)}" if online else None,
                    agenda=AGENDA,
                ),
                actor=ACTOR,
            )
            if on < today:
                update_meeting(
                    db,
                    meeting_id=meeting.id,
                    data=MeetingUpdate(minutes=MINUTES, products="מסמך סיכום המפגש\nמצגת המקרים שהוצגו"),
                    actor=ACTOR,
                )
            made.append(meeting.id)
        return made

    def take_attendance(meeting_ids: list[int], people: list[Official]) -> None:
        for meeting_id in meeting_ids:
            meeting = db.get(CommunityMeeting, meeting_id)
            assert meeting is not None
            if meeting.date >= today:
                continue
            records = []
            for o in people:
                roll = rng.random()
                status = "present" if roll < 0.74 else "late" if roll < 0.82 else "excused" if roll < 0.9 else "absent"
                records.append(MeetingAttendanceIn(official_id=o.id, status=status))
            record_meeting_attendance(
                db, meeting_id=meeting_id, sheet=MeetingAttendanceSheet(records=records), actor=ACTOR
            )

    places = ["בית הספר לבכירים, ירושלים", "מרכז הכנסים, תל אביב", "היכל התרבות, באר שבע", "בית העירייה, חיפה"]
    for n, (code, name_he, name_en, subject, role) in enumerate(COMMUNITIES):
        community = create_community(
            db,
            data=CommunityCreate(
                code=code,
                name_he=name_he,
                name_en=name_en,
                field=subject,
                description=f"קהילת למידה של {name_he} ברשויות המקומיות, בשיתוף משרד הפנים: "
                "מפגשים, סיורים וכלים משותפים.",
            ),
            actor=ACTOR,
        )
        chosen = rng.sample(active, min(len(active), rng.randrange(30, 41) + rng.randrange(12, 21) + 1))
        core_size = min(len(chosen) - 13, rng.randrange(32, 40))  # 30-40 in the core after two leave
        people = [new_official(a, role) for a in chosen]
        coordinator, core, wider = people[0], people[1 : core_size + 1], people[core_size + 1 :]
        add_member(
            db,
            community_id=community.id,
            data=MemberCreate(official_id=coordinator.id, role="coordinator", joined_on=year_start),
            actor=ACTOR,
        )
        for i, o in enumerate(core):
            joined = year_start if i < core_size - 4 else year_start + relativedelta(months=3)
            add_member(
                db,
                community_id=community.id,
                data=MemberCreate(official_id=o.id, role="leading_team" if i < 4 else "member", joined_on=joined),
                actor=ACTOR,
            )
        for o in wider:
            joined = year_start + timedelta(days=rng.randrange(0, 250))
            add_member(
                db,
                community_id=community.id,
                data=MemberCreate(official_id=o.id, circle="wider", joined_on=joined),
                actor=ACTOR,
            )
        made = meetings(community.id, MEETINGS, places)
        take_attendance(made, [coordinator, *core])
        # History: two left the core in the year, one of them came back in the wider circle.
        for o in core[-2:]:
            member = current_membership(db, community_id=community.id, official_id=o.id)
            assert member is not None
            end_membership(
                db, community_id=community.id, member_id=member.id, left_on=today - relativedelta(months=1), actor=ACTOR
            )
        add_member(
            db,
            community_id=community.id,
            data=MemberCreate(official_id=core[-1].id, circle="wider", joined_on=today - timedelta(days=10)),
            actor=ACTOR,
        )
        # Requests to join: two waiting, one refused.
        askers = [new_official(a, role) for a in rng.sample(active, 3)]
        for o in askers[:2]:
            request_to_join(
                db, community_id=community.id, message="אשמח להצטרף לקהילה וללמוד מעמיתים", actor=as_official(o)
            )
        refused = request_to_join(db, community_id=community.id, message=None, actor=as_official(askers[2]))
        decide_join_request(
            db,
            community_id=community.id,
            join_request_id=refused.id,
            data=JoinRequestDecision(
                accept=False, reason="הקהילה מיועדת לבעלי התפקיד; אפשר להצטרף למעגל הרחב בשנה הבאה"
            ),
            actor=ACTOR,
        )
        if n == 0:
            create_user(
                db,
                data=UserCreate(
                    email=COORDINATOR_EMAIL,
                    password=COMMUNITY_LOGINS[0][2],
                    role="official",
                    official_national_id=coordinator.national_id,
                ),
                actor=ACTOR,
            )

    # A network of cities and regional councils, each with a representative team of its officials.
    network = create_community(
        db,
        data=CommunityCreate(
            code="NET-CITIES",
            name_he="רשת ערים ומועצות אזוריות לומדות",
            name_en="Learning network of cities and regional councils",
            field="ניהול רשויות",
            kind="network",
            description="רשויות לומדות יחד: מפגשי יום ויומיים בשנה ומסעות למידה, כל רשות עם צוות מייצג.",
        ),
        actor=ACTOR,
    )
    serving = {
        a.official_id: a.authority_code
        for a in db.scalars(select(Appointment).where(Appointment.end_date.is_(None)).order_by(Appointment.start_date))
    }
    featured_authority = serving.get(featured)
    by_authority: dict[str, list[int]] = {}
    for official_id, code in serving.items():
        by_authority.setdefault(code, []).append(official_id)
    types = {a.code: a.type for a in active}
    members = [c for c in by_authority if types.get(c) in ("city", "regional_council") and len(by_authority[c]) >= 2]
    members = sorted(
        set(rng.sample(members, min(7, len(members))) + ([featured_authority] if featured_authority else []))
    )
    first_day = year_start
    add_member(
        db,
        community_id=network.id,
        data=MemberCreate(
            official_id=new_official(active[0], "strategy_manager").id, role="coordinator", joined_on=first_day
        ),
        actor=ACTOR,
    )
    team: list[Official] = []
    for code in members:
        add_authority(
            db, community_id=network.id, data=AuthorityLinkCreate(authority_code=code, joined_on=first_day), actor=ACTOR
        )
        chosen_ids = sorted(by_authority[code])[:3]
        if code == featured_authority and featured not in chosen_ids:
            chosen_ids = [featured, *chosen_ids[:2]]
        for official_id in chosen_ids:
            add_member(
                db,
                community_id=network.id,
                data=MemberCreate(official_id=official_id, authority_code=code, joined_on=first_day),
                actor=ACTOR,
            )
            person = db.get(Official, official_id)
            assert person is not None
            team.append(person)
    plan = (
        (-8, "in_person", "יום למידה: שירות לתושב", 1),
        (-3, "field_tour", "מסע למידה: רשויות בצפון", 1),
        (1, "seminar", "סמינר רשויות דו־יומי", 2),
    )
    take_attendance(meetings(network.id, plan, places), team)
    _demo_graduates(db, today, featured=featured)
    _demo_meetings(db, rng, today, new_official=new_official)


# --- surveys -------------------------------------------------------------------------------------------------

# The trust series of the communities' evaluation: three waves, fewer answering each time (as in the pilot), the
# share of high agreement rising. Per wave: (name, N, weights of 1..5 on the scale items).
TRUST_WAVES = (
    ("תחילת הדרך", 90, (6, 12, 30, 32, 20)),
    ("סוף שנה א'", 65, (3, 8, 24, 38, 27)),
    ("סוף שנה ב'", 40, (2, 5, 18, 40, 35)),
)
TRUST_ITEMS = (
    ("trust1", "אני סומך/ת על חברי הקהילה", "I trust the members of the community"),
    ("trust2", "אני יכול/ה לפנות לחברי הקהילה בשאלה מקצועית", "I can turn to members with a professional question"),
    ("belong", "אני מרגיש/ה חלק מהקהילה", "I feel part of the community"),
)
GAINS = (
    ("tools", "כלים מקצועיים", "Professional tools"),
    ("contacts", "קשרים עם עמיתים", "Contacts with peers"),
    ("ideas", "רעיונות ליישום ברשות", "Ideas to apply in my authority"),
    ("support", "תמיכה ועידוד", "Support and encouragement"),
)
REMARKS = (
    "הסיור בשטח היה החלק הכי מועיל",
    "כדאי לקצר את מפגשי הזום",
    "הייתי רוצה יותר זמן לשיחות בין עמיתים",
    "הכלים לתכנון תקציב כבר בשימוש אצלנו",
)


def _survey_file(rows: list[dict[str, str]], columns: list[str]) -> bytes:
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _surveys(db: Session, rng: random.Random) -> None:
    """The evaluation's surveys: a trust series of three waves imported from the research partner's files, a
    satisfaction survey after a meeting, and two waves of the network of who consults whom, answered by link.
    (They name no community yet: the communities attach them by their code.)"""
    from app.surveys.schemas import InvitationCreate, ItemIn, OptionIn, SurveyCreate
    from app.surveys.service import answer_by_link, create_survey, import_responses, invite

    scale = [ItemIn(code=c, kind="scale5", text_he=he, text_en=en) for c, he, en in TRUST_ITEMS]
    gains = [OptionIn(code=c, text_he=he, text_en=en) for c, he, en in GAINS]
    for order, (wave, n, weights) in enumerate(TRUST_WAVES, start=1):
        survey = create_survey(
            db,
            data=SurveyCreate(
                series_code="trust",
                wave=wave,
                wave_order=order,
                title_he="אמון ותחושת קהילה",
                title_en="Trust and sense of community",
                anonymous=True,
                items=[
                    *scale,
                    ItemIn(
                        code="gain",
                        kind="multiple",
                        text_he="מה קיבלת מהקהילה?",
                        text_en="What did you gain?",
                        options=gains,
                        max_choices=2,
                    ),
                    ItemIn(code="note", kind="text", text_he="הערות", text_en="Remarks"),
                ],
            ),
            actor=ACTOR,
        )
        rows = []
        for _ in range(n):
            row = {c: str(rng.choices(range(1, 6), weights)[0]) for c, _he, _en in TRUST_ITEMS if rng.random() > 0.04}
            row["gain"] = ";".join(sorted(rng.sample([c for c, _he, _en in GAINS], rng.choice((0, 1, 2, 2)))))
            row["note"] = rng.choice(REMARKS) if rng.random() < 0.12 else ""
            rows.append(row)
        content = _survey_file(rows, [c for c, _he, _en in TRUST_ITEMS] + ["gain", "note"])
        import_responses(db, survey_id=survey.id, content=content, filename=f"trust-{order}.csv", actor=ACTOR)

    meeting = create_survey(
        db,
        data=SurveyCreate(
            series_code="satisfaction",
            wave="מפגש פתיחה",
            wave_order=1,
            title_he="שביעות רצון מהמפגש",
            title_en="Satisfaction with the meeting",
            anonymous=True,
            items=[
                ItemIn(
                    code="useful", kind="scale5", text_he="המפגש היה מועיל לעבודתי", text_en="The meeting was useful"
                ),
                ItemIn(
                    code="format",
                    kind="single",
                    text_he="איזה סוג מפגש מתאים לך?",
                    text_en="Which format suits you?",
                    options=[
                        OptionIn(code="in_person", text_he="פנים אל פנים", text_en="In person"),
                        OptionIn(code="zoom", text_he="זום", text_en="Zoom"),
                        OptionIn(code="tour", text_he="סיור בשטח", text_en="Field tour"),
                    ],
                ),
                ItemIn(code="note", kind="text", text_he="מה כדאי לשפר?", text_en="What should improve?"),
            ],
        ),
        actor=ACTOR,
    )
    rows = [
        {
            "useful": str(rng.choices(range(1, 6), (1, 3, 8, 14, 10))[0]),
            "format": rng.choices(("in_person", "zoom", "tour"), (5, 2, 3))[0],
            "note": rng.choice(REMARKS) if rng.random() < 0.15 else "",
        }
        for _ in range(32)
    ]
    import_responses(
        db,
        survey_id=meeting.id,
        content=_survey_file(rows, ["useful", "format", "note"]),
        filename="m1.csv",
        actor=ACTOR,
    )

    # The network: thirty members, each naming a few colleagues they consult; more ties a year on.
    members = list(db.scalars(select(Official.id).order_by(Official.id).limit(30)))
    for order, (wave, ties) in enumerate((("תחילת הדרך", 2), ("סוף שנה א'", 4)), start=1):
        survey = create_survey(
            db,
            data=SurveyCreate(
                series_code="network",
                wave=wave,
                wave_order=order,
                title_he="עם מי מתייעצים",
                title_en="Who consults whom",
                anonymous=False,
                items=[
                    ItemIn(
                        code="consult",
                        kind="people",
                        text_he="עם מי את/ה מתייעץ/ת בעבודה?",
                        text_en="Whom do you consult at work?",
                    ),
                    ItemIn(code="trust1", kind="scale5", text_he=TRUST_ITEMS[0][1], text_en=TRUST_ITEMS[0][2]),
                ],
            ),
            actor=ACTOR,
        )
        links = invite(db, survey_id=survey.id, data=InvitationCreate(official_ids=members), actor=ACTOR)
        hubs = members[:5]
        for link in links:
            if link.official_id is None or rng.random() < 0.2:
                continue  # did not answer
            pool = [m for m in members if m != link.official_id]
            chosen = {rng.choice([h for h in hubs if h != link.official_id])}
            chosen.update(rng.sample(pool, rng.randint(0, ties)))
            given = {"consult": ";".join(str(c) for c in sorted(chosen)), "trust1": str(rng.randint(3, 5))}
            answer_by_link(db, token=link.path.removeprefix("/s/"), given=given)


# --- the graduates network -----------------------------------------------------------------------------------------

# The graduates' events: (months from today, kind, Hebrew title, days it lasts, place or None for a link).
GRADUATES_EVENTS = (
    (-6, "online", "מפגש זום: חדשנות בשירות לתושב", 1, None),
    (-3, "in_person", "ערב בוגרים: עשור לבית הספר", 1, "בית הספר לבכירים, ירושלים"),
    (1, "seminar", "כנס הבוגרים השנתי", 2, "מלון הנסיכה, אילת"),
    (2, "online", "מפגש זום: ניהול תקציב בשנת בחירות", 1, None),
    (4, "field_tour", "סיור לימודי: התחדשות עירונית בבת ים", 1, "עיריית בת ים"),
)
GRADUATES_ABOUT = (
    "תקציב ורכש ברשויות קטנות",
    "התחדשות עירונית ותכנון",
    "ניהול הון אנושי ומשא ומתן קיבוצי",
    "חינוך בלתי פורמלי ותוכניות נוער",
    "מכרזים והתקשרויות",
    "שירות דיגיטלי לתושב",
    "בקרה פנימית וניהול סיכונים",
    "חירום ומוכנות ברשות",
)


def _demo_graduates(db: Session, today: date, *, featured: int) -> None:
    """The school graduates network: its community (a coordinator and a leading team from among the graduates,
    events past and to come), and a few dozen graduates who joined the directory through its own service (joining
    it makes them members of the community), some showing an email or a phone. The demo official is left to join."""
    from app.communities.schemas import CommunityCreate, MeetingCreate, MeetingUpdate, MemberCreate
    from app.communities.service import add_member, create_community, schedule_meeting, update_meeting
    from app.graduates.rules import normalise_phone
    from app.graduates.schemas import GraduateProfileUpdate
    from app.graduates.service import save_profile

    rng = random.Random(SEED + 2)
    network = create_community(
        db,
        data=CommunityCreate(
            code="GRADUATES",
            name_he="רשת בוגרי בית הספר",
            name_en="School graduates network",
            field="בוגרים",
            kind="graduates",
            description="בוגרי התוכניות של בית הספר נשארים בקשר: מדריך בוגרים, כנס שנתי, מפגשי זום וסיורים.",
        ),
        actor=ACTOR,
    )
    serving = select(Appointment.official_id).where(Appointment.end_date.is_(None))
    graduates = sorted(
        set(db.scalars(select(Completion.official_id).where(Completion.official_id.in_(serving)))) - {featured}
    )
    chosen = rng.sample(graduates, min(len(graduates), 40))
    leaders = chosen[:3]
    for n, official_id in enumerate(leaders):
        add_member(
            db,
            community_id=network.id,
            data=MemberCreate(
                official_id=official_id,
                role="coordinator" if n == 0 else "leading_team",
                joined_on=today - relativedelta(months=8),
            ),
            actor=ACTOR,
        )
    for months, kind, title, days, place in GRADUATES_EVENTS:
        on = today + relativedelta(months=months)
        meeting = schedule_meeting(
            db,
            community_id=network.id,
            data=MeetingCreate(
                title=title,
                kind=kind,
                date=on,
                end_date=on + timedelta(days=days - 1) if days > 1 else None,
                starts_at=time(17, 0) if kind == "online" else time(10, 0),
                ends_at=time(18, 30) if kind == "online" else time(16, 0),
                place=place,
                link=f"https://zoom.us/j/7785{rng.randrange(100000, 999999)}" if place is None else None,
                agenda="פתיחה והיכרות\nהרצאה מרכזית\nשיחה בקבוצות לפי תחומי עיסוק",
            ),
            actor=ACTOR,
        )
        if on < today:
            update_meeting(db, meeting_id=meeting.id, data=MeetingUpdate(minutes=MINUTES), actor=ACTOR)
    emails = dict(db.execute(select(Official.id, Official.email).where(Official.id.in_(chosen))).all())
    for official_id in chosen:
        mobile = f"05{rng.choice('0234')}-{rng.randrange(2_000_000, 9_999_999)}"
        phone = normalise_phone(mobile) if rng.random() < 0.35 else None
        save_profile(
            db,
            data=GraduateProfileUpdate(
                opted_in=True,
                show_email=bool(emails.get(official_id)) and rng.random() < 0.55,
                show_phone=phone is not None,
                phone=phone,
                about=rng.choice(GRADUATES_ABOUT) if rng.random() < 0.6 else None,
            ),
            actor=Principal(user_id=None, label="demo", role="official", official_id=official_id),
        )


# --- the communities at full size: their wider circles, and a meeting called off ----------------------------------

# How many officials each pilot community's wider circle holds (the pilot's "wider circle of hundreds"), and how many
# of them left in the year (their rows stay, as history).
WIDER_CIRCLE = (180, 260)
WIDER_LEFT = 0.06


def _demo_meetings(
    db: Session, rng: random.Random, today: date, *, new_official: Callable[[Authority, str], Official]
) -> None:
    """The four pilot communities at full size: a wider circle of a few hundred officials in the community's post, from
    authorities in every district, who joined through the year (a few left); and in each, one meeting of the year
    that was cancelled, with its reason (it stays listed as cancelled). The officials made here have no email address
    and the meeting cancelled is in the past, so the demo's load queues no mail for them."""
    from app.communities.models import Community
    from app.communities.schemas import MeetingCancel, MeetingCreate, MemberCreate
    from app.communities.service import (
        add_member,
        cancel_meeting,
        current_membership,
        end_membership,
        schedule_meeting,
    )

    active = list(db.scalars(select(Authority).where(Authority.active.is_(True)).order_by(Authority.code)))
    by_district: dict[str, list[Authority]] = {}
    for authority in active:
        by_district.setdefault(authority.district, []).append(authority)
    districts = sorted(by_district)
    year_start = today - relativedelta(months=11)
    for code, *_, role in COMMUNITIES:
        community = db.scalars(select(Community).where(Community.code == code)).one()
        for i in range(rng.randrange(*WIDER_CIRCLE)):
            # Every district in turn, then an authority of it: the wider circle spans the country.
            authority = rng.choice(by_district[districts[i % len(districts)]])
            official = new_official(authority, role)
            joined = year_start + timedelta(days=rng.randrange(0, 330))
            add_member(
                db,
                community_id=community.id,
                data=MemberCreate(official_id=official.id, circle="wider", joined_on=joined),
                actor=ACTOR,
            )
            if rng.random() < WIDER_LEFT and joined < today - timedelta(days=30):
                member = current_membership(db, community_id=community.id, official_id=official.id)
                assert member is not None
                left = joined + timedelta(days=rng.randrange(1, (today - joined).days))
                end_membership(db, community_id=community.id, member_id=member.id, left_on=left, actor=ACTOR)
        # An online meeting six months ago did not take place: called off, with why.
        on = today - relativedelta(months=6) + timedelta(days=rng.randrange(-5, 5))
        called_off = schedule_meeting(
            db,
            community_id=community.id,
            data=MeetingCreate(
                title="מפגש זום: עדכוני חקיקה",
                kind="online",
                date=on,
                starts_at=time(16, 0),
                ends_at=time(17, 30),
                link=f"https://zoom.us/j/5568{rng.randrange(100000, 999999)}",
                agenda=AGENDA,
            ),
            actor=ACTOR,
        )
        cancel_meeting(
            db,
            meeting_id=called_off.id,
            data=MeetingCancel(reason="בוטל בשל מצב החירום; הנושא נדון במפגש שאחריו"),
            actor=ACTOR,
        )


def _demo_knowledge(db: Session) -> None:
    """The knowledge centre: the minutes of the communities' past meetings filed as notes; for each pilot community a
    few documents (a small PDF, a text file), links and notes, some public, some for the wider circle, some for the
    core; and a public guide of the school's, of no community."""
    from app.communities.models import Community, CommunityMeeting
    from app.knowledge.schemas import DocumentCreate, ItemCreate
    from app.knowledge.service import file_document, file_item, file_minutes

    def work_plan(title: str) -> bytes:
        """A one-page PDF laid out by WeasyPrint with the project's fonts (app.pdf)."""
        from weasyprint import HTML

        html = f'<html lang="he" dir="rtl"><body><h1>{title}</h1><p>{MINUTES}</p></body></html>'
        data = HTML(string=html).write_pdf(stylesheets=[pdf.base_stylesheet()], font_config=pdf.font_configuration())
        assert isinstance(data, bytes)
        return data

    with_minutes = select(CommunityMeeting.id, CommunityMeeting.community_id).where(
        CommunityMeeting.minutes.is_not(None)
    )
    filed: dict[int, list[int]] = {}
    for meeting_id, community_id in db.execute(with_minutes.order_by(CommunityMeeting.date)):
        file_minutes(db, meeting_id=meeting_id, actor=ACTOR)
        filed.setdefault(community_id, []).append(meeting_id)
    codes = [c[0] for c in COMMUNITIES]
    communities = db.scalars(select(Community).where(Community.code.in_(codes)).order_by(Community.id)).all()
    for community in communities:
        past = filed.get(community.id, [])
        where = {"community_id": community.id, "field": community.field}
        title = f"תוכנית העבודה השנתית: {community.name_he}"
        file_document(
            db,
            data=DocumentCreate(title_he=title, title_en=f"Annual work plan: {community.name_en}", **where),
            content=work_plan(title),
            filename=f"תוכנית עבודה {community.code}.pdf",
            actor=ACTOR,
        )
        if past:
            file_document(
                db,
                data=DocumentCreate(
                    title_he="מצגת המקרים שהוצגו במפגש הפתיחה",
                    meeting_id=past[0],
                    visibility="core",
                    **where,
                ),
                content="מקרה 1: תכנון תקציב רב־שנתי\nמקרה 2: עבודה עם מועצת הרשות\n".encode(),
                filename="מקרים.txt",
                actor=ACTOR,
            )
        file_item(
            db,
            data=ItemCreate(
                kind="link",
                title_he="כלים ומדריכים של משרד הפנים",
                title_en="Tools and guides of the Ministry of the Interior",
                url="https://www.gov.il/he/departments/ministry_of_interior",
                visibility="wider",
                **where,
            ),
            actor=ACTOR,
        )
        file_item(
            db,
            data=ItemCreate(
                kind="note",
                title_he="תובנות הגרעין המוביל",
                description="מה למדנו השנה, ומה נמשיך בשנה הבאה",
                body=MINUTES,
                visibility="core",
                **where,
            ),
            actor=ACTOR,
        )
    file_item(
        db,
        data=ItemCreate(
            kind="note",
            title_he="מדריך מנכ״ל חדש/ה ברשות",
            title_en="A guide for a new director general",
            description="הצעדים הראשונים בתפקיד: הכשרת החובה, התקציב, המועצה",
            body="חודש ראשון: פגישה עם הגזבר/ית, היכרות עם המועצה, הרשמה להכשרת החובה.",
            role_code="director_general",
            field="ניהול",
        ),
        actor=ACTOR,
    )


# --- the short survey after each meeting ---------------------------------------------------------------------------


def _demo_coordsurveys(db: Session, rng: random.Random) -> None:
    """The heads of education departments' community asks a short survey after each meeting, since its first: the
    daily job run the day after each past meeting, and most of those asked answer by their link (as members do
    from their home page), more satisfied as the year goes on."""
    from app.communities.models import Community, CommunityMeeting
    from app.surveys.models import Survey, SurveyInvitation
    from app.surveys.schemas import AfterMeetingSettings
    from app.surveys.service import answer_by_link, renew_my_link, send_after_meeting_surveys, set_after_meeting

    community = db.scalar(select(Community).where(Community.code == COMMUNITIES[0][0]))
    if community is None:
        return
    today = clock.today()
    meetings = db.scalars(select(CommunityMeeting).where(CommunityMeeting.community_id == community.id))
    ended = sorted({m.end_date or m.date for m in meetings if (m.end_date or m.date) < today})
    if not ended:
        return
    set_after_meeting(db, community_id=community.id, data=AfterMeetingSettings(enabled=True), actor=ACTOR, on=ended[0])
    for last_day in ended:
        send_after_meeting_surveys(db, as_of=last_day + timedelta(days=1))
    asked = db.execute(
        select(Survey.id, Survey.wave_order, SurveyInvitation.official_id)
        .join(SurveyInvitation, SurveyInvitation.survey_id == Survey.id)
        .where(Survey.community_id == community.id, Survey.meeting_id.is_not(None))
        .order_by(Survey.wave_order, SurveyInvitation.official_id)
    ).all()
    for survey_id, order, official_id in asked:
        if official_id is None or rng.random() < 0.25:
            continue  # did not answer
        shift = min(order, 4)
        weights = (2, 4, 10 - shift, 14 + shift, 8 + shift)
        respondent = Principal(user_id=None, label="demo member", role="official", official_id=official_id)
        path = renew_my_link(db, survey_id=survey_id, actor=respondent)
        given = {
            "satisfaction": str(rng.choices(range(1, 6), weights)[0]),
            "useful": str(rng.choices(range(1, 6), weights)[0]),
            "comments": rng.choice(REMARKS) if rng.random() < 0.15 else "",
        }
        answer_by_link(db, token=path.removeprefix("/s/"), given=given)
