"""Tests in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium, from `make system-deps`; never
`playwright install`) against the application served by uvicorn on 127.0.0.1 over a database of its own.

The database is fresh: on SQLite a new file; on PostgreSQL a scratch database beside the test database (made and
dropped as tests/test_migrations.py does), so the server's commits never meet the other tests' rolled-back
transactions. It is migrated, given the reference data and the people of these tests (`People`), and the server runs
in a process of its own. One browser serves every test of this package; each test gets a new context (no cookies).

`check_page(page, name)` runs axe-core in the page (no serious or critical violation), checks the page does not
scroll sideways at 390 px, and saves a screenshot at 1280 and at 390 px wide under
var/screenshots/<name>-<lang>-<width>.png."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.auth import operator
from app.certificates.models import Certificate
from app.cli import alembic_config
from app.clock import today
from app.cohorts.schemas import CohortCreate
from app.cohorts.service import create_cohort
from app.config import PROJECT_ROOT
from app.db import get_engine
from tests.factories import TEST_TOTP_SECRET, make_appointment, make_certified, make_official, make_programme, make_user

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
WIDTHS = (1280, 390)


@dataclass(frozen=True)
class Person:
    email: str
    name_he: str = ""


@dataclass(frozen=True)
class People:
    """Who the browser tests sign in as (every password is tests.factories.PASSWORD)."""

    official: Person  # an official with a certificate
    other_official: Person  # a second official, for journeys that change things
    admin: Person  # an admin with the second factor TEST_TOTP_SECRET
    auditor: Person  # an auditor without a second factor yet (must enrol one)
    temporary: Person  # an official with a temporary password (must change it)
    reset_token: str  # a one-time password-reset link's token, of `reset_user`
    reset_user: Person
    verification_code: str  # of the official's certificate
    serial: str
    cohorts: CohortsPeople | None = None  # the school's cohorts journey (tests/browser/test_admin_cohorts.py)


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    people: People


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def browser_database(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database of the suite's kind, migrated to head with the reference data."""
    url = get_engine().url
    admin_engine = None
    if url.get_backend_name() == "sqlite":
        db_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.db'}"
    else:
        name = f"lms_browser_{uuid.uuid4().hex[:10]}"
        admin_engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        db_url = url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(make_url(db_url))
    try:
        cfg = alembic_config()
        cfg.attributes["configure_logger"] = False
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with Session(engine) as db, db.begin():
            from app.authorities import service as authorities
            from app.roles import service as roles

            rows = authorities.read_cbs_file(authorities.BUNDLED_FILE)
            authorities.load_authorities(db, rows=rows, source="test", actor=operator("test"), as_of=today())
            roles.load_roles(db, path=roles.BUNDLED_FILE, actor=operator("test"))
        yield db_url
    finally:
        engine.dispose()
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(db_url).database}" WITH (FORCE)'))
            admin_engine.dispose()


def _seed(db_url: str) -> People:
    engine = create_engine(make_url(db_url))
    try:
        with Session(engine) as db, db.begin():
            noa = make_official(db, first_name_he="נועה", last_name_he="ברק", first_name_en="Noa", last_name_en="Barak")
            official = make_user(db, "official", official=noa, email="noa@browser.example")
            certified = make_certified(db, noa, start=date(2026, 3, 1))
            # Noa is Ofakim's treasurer and owes the treasurers' entry training; its next cohort is open.
            treasurers = make_programme(db)
            make_appointment(db, noa, start=today() - timedelta(days=400))
            start = today() + timedelta(days=20)
            create_cohort(
                db,
                data=CohortCreate(
                    programme_code=treasurers.code,
                    code="TREAS-NEXT",
                    start_date=start,
                    end_date=start + timedelta(days=60),
                    capacity=10,
                ),
                actor=operator("test"),
            )
            code = db.query(Certificate.verification_code).filter_by(serial=certified.serial).scalar()
            other = make_user(db, "official", email="dan@browser.example")
            admin = make_user(db, "admin", email="admin@browser.example", totp_secret=TEST_TOTP_SECRET)
            auditor = make_user(db, "auditor", email="auditor@browser.example", totp_secret="")
            temporary = make_user(db, "official", email="temp@browser.example")
            temporary.must_change_password = True
            reset_user = make_user(db, "official", email="reset@browser.example")
            reset = accounts.reset_password(db, user_id=reset_user.id, method="link", actor=operator("test"))
            assert reset.reset_token is not None
            cohorts_people = _seed_cohorts(db)
            return People(
                official=Person(official.email, "נועה ברק"),
                other_official=Person(other.email),
                admin=Person(admin.email),
                auditor=Person(auditor.email),
                temporary=Person(temporary.email),
                reset_token=reset.reset_token,
                reset_user=Person(reset_user.email),
                verification_code=code,
                serial=certified.serial,
                cohorts=cohorts_people,
            )
    finally:
        engine.dispose()


# --- the school's cohorts journey (tests/browser/test_admin_cohorts.py) ----------------------------------------------


@dataclass(frozen=True)
class CohortsPeople:
    """An admin of their own (their own second factor's codes), a programme owed by city engineers, and six engineers
    who owe it: two to find by name, three by ID number, and one left owing."""

    admin: Person
    programme_code: str
    by_name: tuple[Person, ...]  # name_he; found by searching the name
    by_id: tuple[str, ...]  # national IDs, to paste (the first has a leading zero)
    left: Person


def _seed_cohorts(db: Session) -> CohortsPeople:
    from app.officials.rules import check_digit
    from app.officials.service import add_requirements_for_programme
    from app.programmes.schemas import ProgrammeCreate
    from app.programmes.service import create_programme

    admin = make_user(db, "admin", email="cohorts-admin@browser.example", totp_secret=TEST_TOTP_SECRET)
    data = ProgrammeCreate(
        code="ENG-ENTRY",
        kind="mandatory",  # type: ignore[arg-type]
        title_he="הכשרת מהנדסי רשויות",
        title_en="City engineers' entry training",
        hours=12,
        role_codes=["city_engineer"],
    )
    programme = create_programme(db, data=data, actor=operator("test"))
    add_requirements_for_programme(db, programme_id=programme.id, actor=operator("test"))
    names = [
        ("סמיר", "חורי", "Samir", "Khoury", None),
        ("מיכל", "אברהמי", "Michal", "Avrahami", None),
        ("יוסי", "דהן", "Yossi", "Dahan", "07654321" + check_digit("07654321")),
        ("רות", "שפירא", "Ruth", "Shapira", None),
        ("עומר", "נסאר", "Omar", "Nassar", None),
        ("תמר", "גולן", "Tamar", "Golan", None),
    ]
    people = []
    for first_he, last_he, first_en, last_en, nid in names:
        extra = {"national_id": nid} if nid else {}
        o = make_official(
            db, first_name_he=first_he, last_name_he=last_he, first_name_en=first_en, last_name_en=last_en, **extra
        )
        make_appointment(db, o, role="city_engineer", start=today() - timedelta(days=200))
        people.append(o)
    by_id = tuple(o.national_id for o in people[2:5])
    return CohortsPeople(
        admin=Person(admin.email),
        programme_code=programme.code,
        by_name=tuple(Person(o.email or "", f"{o.first_name_he} {o.last_name_he}") for o in people[:2]),
        by_id=by_id,
        left=Person("", f"{people[5].first_name_he} {people[5].last_name_he}"),
    )


@pytest.fixture(scope="package")
def server(browser_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The application served by uvicorn on 127.0.0.1 (a free port) over the browser tests' database."""
    people = _seed(browser_database)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    var_dir = tmp_path_factory.mktemp("browser-var")
    env = {
        **os.environ,
        "LMS_DATABASE_URL": browser_database,
        "LMS_VAR_DIR": str(var_dir),
        "LMS_PUBLIC_BASE_URL": url,
        "LMS_QUEUE_URL": "",
    }
    log = (var_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90  # a busy machine starts it slowly
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {(var_dir / 'server.log').read_text()}")
            time.sleep(0.1)
        yield Server(url=url, database_url=browser_database, people=people)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One headless Chromium for every browser test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server: Server) -> Iterator[object]:
    """A new browser context (no cookies) and a page in it, 1280 px wide, addressing the server."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


_axe = None


def _run_axe(page) -> list[dict]:
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    result = _axe.run(page)
    return [v for v in result.response["violations"] if v.get("impact") in ("serious", "critical")]


def check_page(page, name: str) -> None:
    """axe-core finds no serious or critical violation in the page; it does not scroll sideways at 390 px; a
    screenshot at 1280 and at 390 px wide under var/screenshots/<name>-<lang>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lang = page.locator("html").get_attribute("lang")
    violations = _run_axe(page)
    assert not violations, f"{name} ({lang}): " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
    height = page.viewport_size["height"] if page.viewport_size else 900
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} ({lang}, {width} px) scrolls sideways by {overflow} px"
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1280, "height": height})


def check_in_both_languages(page, name: str) -> None:
    """check_page on the page as it is, then in the other language and back (by `?lang=`)."""
    lang = page.locator("html").get_attribute("lang")
    other = "en" if lang == "he" else "he"
    url = page.url
    check_page(page, name)
    sep = "&" if "?" in url else "?"
    page.goto(f"{url}{sep}lang={other}")
    check_page(page, name)
    page.goto(f"{url}{sep}lang={lang}")
