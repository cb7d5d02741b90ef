"""Benchmark of every request's cost: the project served as in production against a bare app doing the same SQL.

    python -m bench.http --database-url URL [--scales 0.1,1.0] [--rounds 3] [--duration 8] [--connections 16]
                         [--driver wrk|python] [--only TEXT] [--json PATH] [--keep] [--reuse]

For each scale (0.1: today's national size, the demo school's shape; 1.0: ten times that, DESIGN.md's Scale) it
builds a database as bench/compliance.py does (the database named in the URL with `_x<scale>` added; created and
dropped unless --keep), adds the callers (an admin, an auditor, an official with requirements and enrolments,
each with a bearer token and a page session) and a certificate to verify, then:

1. records the SQL the project runs for each endpoint (the app in this process, its statements as the driver
   receives them), for the baseline (bench/baseline.py) to run the same;
2. serves the project as `lms serve` does (one uvicorn worker) and the baseline (one uvicorn worker, plain
   FastAPI over a pooled SQLAlchemy Core engine), both on this machine;
3. drives each endpoint on each app in turn with the load generator (`wrk -t1 -c16 -d8s --latency --timeout 60s`, or a
   Python one with --driver python), the two apps alternating (and which goes first), for --rounds rounds,
   after a warm-up of each; any answer but 200 fails the run;
4. prints, per endpoint, the median over the rounds of requests a second, p50 and p99 of the project and of the
   baseline, and the median of the rounds' ratios (project / baseline), beside the figures before this change
   (the issue's).

Endpoints are declared in ENDPOINTS, one line each; a page signed in by its session cookie is one more line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from psycopg.types.json import Json, Jsonb
from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT, get_settings
from app.db import make_engine
from bench import compliance

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_http"


@dataclass(frozen=True)
class Endpoint:
    """One request to measure: a name, its path (`{official}`, `{cohort}`, `{authority}`, `{code}` filled from the
    dataset), who calls it (`admin`, `auditor`, `official` by bearer token; `*_page` by page session; `public`), and
    the requests a second measured before this change (the issue's figures, where it gave them)."""

    name: str
    path: str
    caller: str
    before: str = ""
    html: bool = False


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("authorities", "/api/v1/authorities?limit=50", "admin", "172–187"),
    Endpoint("roles", "/api/v1/roles", "admin", "148–155"),
    Endpoint("official's requirements", "/api/v1/officials/{official}/requirements", "official", "71–81"),
    Endpoint("official's enrolments", "/api/v1/officials/{official}/enrolments", "official"),
    Endpoint("cohort", "/api/v1/cohorts/{cohort}", "admin"),
    Endpoint("cohort's enrolments", "/api/v1/cohorts/{cohort}/enrolments", "admin"),
    Endpoint("compliance of an authority", "/api/v1/compliance/summary?authority={authority}", "auditor"),
    Endpoint("verification page", "/verify/{code}", "public", html=True),
    Endpoint("my page", "/me", "official_page", html=True),
    # The compliance pages (issue 14): the country's dashboard, its trend included, and one authority. Their
    # baseline runs the SQL of a second request, as for every endpoint: with nothing written in between, the figures
    # kept by the data version (app/data_version.py) are found, as they are under this load; the cost of computing
    # them afresh after a write is timed by `python -m bench.trend`.
    Endpoint("compliance dashboard", "/compliance", "auditor_page", html=True),
    Endpoint("compliance of an authority, page", "/compliance/authorities/{authority}", "auditor_page", html=True),
)


# --- the dataset's callers and records -------------------------------------------------------------------------


@dataclass
class Fixtures:
    """What the endpoints' paths and callers need: ids from the dataset, and each caller's credentials."""

    ids: dict[str, Any]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def path(self, endpoint: Endpoint) -> str:
        return endpoint.path.format(**self.ids)


def _insert_user(db: Session, *, email: str, role: str, official_id: int | None = None) -> int:
    now = datetime.now(UTC)
    return int(
        db.execute(
            text(
                "INSERT INTO users (email, password_hash, role, official_id, active, created_at, token_version, "
                "token_key, must_change_password, totp_enrolled_at) VALUES (:email, '!', :role, :official, :yes, "
                ":now, 1, :key, :no, :enrolled) RETURNING id"
            ),
            {
                "email": email,
                "role": role,
                "official": official_id,
                "yes": True,
                "no": False,
                "now": now,
                "key": secrets.token_hex(16),
                "enrolled": now if role in ("admin", "auditor") else None,
            },
        ).scalar_one()
    )


def _insert_certificate(db: Session) -> str:
    """A valid certificate of a completed enrolment (the row only: no PDF, no signature is looked at by /verify)."""
    row = db.execute(
        text(
            "SELECT e.id, e.official_id, e.cohort_id, c.programme_id, c.code, e.completed_on, p.code, p.title_he, "
            "p.title_en, p.hours, o.first_name_he || ' ' || o.last_name_he, o.first_name_en || ' ' || o.last_name_en "
            "FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id JOIN programmes p ON p.id = c.programme_id "
            "JOIN officials o ON o.id = e.official_id WHERE e.status = 'completed' ORDER BY e.id LIMIT 1"
        )
    ).one()
    code = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    db.execute(
        text(
            "INSERT INTO certificates (serial, verification_code, enrolment_id, official_id, cohort_id, programme_id, "
            "status, issued_on, issued_at, holder_name_he, holder_name_en, programme_code, programme_title_he, "
            "programme_title_en, cohort_code, hours, completed_on, credential_jws, signing_kid, created_at, "
            "updated_at) VALUES ('BENCH-00001', :code, :e, :o, :c, :p, 'valid', :day, :now, :he, :en, :pcode, :phe, "
            ":pen, :ccode, :hours, :done, 'jws', 'bench', :now, :now)"
        ),
        {
            "code": code,
            "e": row[0],
            "o": row[1],
            "c": row[2],
            "p": row[3],
            "ccode": row[4],
            "done": row[5],
            "pcode": row[6],
            "phe": row[7],
            "pen": row[8],
            "hours": row[9],
            "he": row[10],
            "en": row[11],
            "day": row[5],
            "now": now,
        },
    )
    return code


def prepare(engine: Engine) -> Fixtures:
    """The callers and the records the endpoints read: the official with the most requirements (then enrolments),
    the fullest cohort, the authority with the most requirements, and a certificate; bearer tokens and page
    sessions for an admin, an auditor and that official."""
    from app.accounts.models import User
    from app.accounts.service import issue_token
    from app.web.sessions import cookie_name, start_session

    authority, _ = compliance.largest_authority(engine)
    with Session(bind=engine) as db:
        db.execute(text("DELETE FROM web_sessions"))
        db.execute(text("DELETE FROM certificates WHERE serial = 'BENCH-00001'"))
        bench_users = "SELECT id FROM users WHERE email LIKE '%@bench.invalid'"
        db.execute(text(f"DELETE FROM access_log WHERE actor_user_id IN ({bench_users})"))  # an earlier run's reads
        db.execute(text("DELETE FROM users WHERE email LIKE '%@bench.invalid'"))
        official = db.execute(
            text(
                "SELECT a.official_id FROM requirements r JOIN appointments a ON a.id = r.appointment_id "
                "GROUP BY a.official_id ORDER BY count(*) DESC, "
                "(SELECT count(*) FROM enrolments e WHERE e.official_id = a.official_id) DESC, a.official_id LIMIT 1"
            )
        ).scalar_one()
        cohort = db.execute(
            text("SELECT cohort_id FROM enrolments GROUP BY cohort_id ORDER BY count(*) DESC, cohort_id LIMIT 1")
        ).scalar_one()
        code = _insert_certificate(db)
        users = {
            "admin": _insert_user(db, email="admin@bench.invalid", role="admin"),
            "auditor": _insert_user(db, email="auditor@bench.invalid", role="auditor"),
            "official": _insert_user(db, email="official@bench.invalid", role="official", official_id=official),
        }
        headers: dict[str, dict[str, str]] = {"public": {}}
        for caller, user_id in users.items():
            user = db.get(User, user_id)
            assert user is not None
            headers[caller] = {"Authorization": f"Bearer {issue_token(user)}"}
            token, _record = start_session(db, user_id=user_id)
            headers[f"{caller}_page"] = {"Cookie": f"{cookie_name()}={token}"}
        db.commit()
    return Fixtures(ids={"official": official, "cohort": cohort, "authority": authority, "code": code}, headers=headers)


# --- the SQL of each endpoint ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _recorded(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Json | Jsonb):  # a JSON column's value (the access log's detail): its text, cast by the server
        return json.dumps(value.obj)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_TRANSACTION = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


def record_sql(
    engine: Engine, fixtures: Fixtures, endpoints: tuple[Endpoint, ...] = ENDPOINTS
) -> dict[str, list[tuple[str, Any]]]:
    """The statements the project sends the database for each endpoint, read from the app in this process (a
    second request, so that nothing a first one does once is counted)."""
    from fastapi.testclient import TestClient

    from app.db import read_db_opener
    from app.main import create_app
    from app.web.routing import get_db, request_unit_of_work

    app = create_app()

    async def bench_db() -> AsyncIterator[Session]:
        with Session(bind=engine, expire_on_commit=False) as db:
            async with request_unit_of_work(db):
                yield db

    app.dependency_overrides[get_db] = bench_db
    app.dependency_overrides[read_db_opener] = lambda: lambda: Session(bind=engine)
    out: dict[str, list[tuple[str, Any]]] = {}
    with TestClient(app) as client:
        for endpoint in endpoints:
            path = fixtures.path(endpoint)
            for _ in range(2):
                with _recorded(engine) as statements:
                    answer = client.get(path, headers=fixtures.headers[endpoint.caller])
                if answer.status_code != 200:
                    raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")
            # The transaction's own statements (SQLite's BEGIN IMMEDIATE) are left to the baseline's engine.
            out[endpoint.name] = [(sql, _jsonable(params)) for sql, params in statements if not _TRANSACTION.match(sql)]
    return out


# --- the servers -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float | None:
    """The processor time a process has used (user and system), from /proc; None where there is no /proc."""
    try:
        fields_after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields_after_name[11]) + int(fields_after_name[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    port: int
    pid: int


@contextlib.contextmanager
def serving(url: str, spec_path: Path, var_dir: Path) -> Iterator[dict[str, Server]]:
    """The project (as `lms serve`: one uvicorn worker) and the baseline, each on a port of its own."""
    env = {
        **os.environ,
        "LMS_DATABASE_URL": url,
        "LMS_SECRET_KEY": get_settings().resolved_secret_key(),
        "LMS_VAR_DIR": str(var_dir),
        "LMS_VERIFY_MAX_PER_MINUTE": str(10**9),  # the benchmark is one address asking again and again
        "BENCH_BASELINE_SPEC": str(spec_path),
    }
    env.pop("LMS_SQL_ECHO", None)
    ports = {"project": _free_port(), "baseline": _free_port()}
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--proxy-headers", "--no-server-header"]
    commands = {
        "project": [*uvicorn, "--port", str(ports["project"]), "--factory", "app.main:create_app"],
        "baseline": [*uvicorn, "--port", str(ports["baseline"]), "--factory", "bench.baseline:create_app"],
    }
    # Their logs (uvicorn's access log among them, as `lms serve` writes it) go to files beside the spec.
    logs = {name: open(var_dir / f"{name}.log", "wb") for name in commands}  # noqa: SIM115
    procs = {
        name: subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
        for name, cmd in commands.items()
    }
    try:
        for name, proc in procs.items():
            _wait_until_up(ports[name], proc)
        yield {name: Server(ports[name], proc.pid) for name, proc in procs.items()}
    except BaseException:
        for name in commands:
            tail = (var_dir / f"{name}.log").read_text(errors="replace")[-3000:]
            print(f"--- the end of the {name} server's log:\n{tail}", file=sys.stderr)
        raise
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs.values():
            log.close()


# --- the load generators ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What one run of the load generator measured (and the server's processor time a request, when known)."""

    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    failures: int
    cpu_ms: float | None = None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(figure: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", figure.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(port: int, path: str, headers: dict[str, str], *, duration: float, connections: int) -> Load:
    """`wrk -t1 -c<connections> -d<duration>s --latency` against the path."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "60s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"wrk printed no latency distribution:\n{out}")
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        failures += sum(int(n) for n in errors.groups())
    return Load(
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        failures=failures,
    )


async def _python_load(port: int, path: str, headers: dict[str, str], duration: float, connections: int) -> Load:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    ).encode()
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + duration

    async def connection() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                if length is None:
                    raise RuntimeError(f"{path}: an answer without Content-Length")
                await reader.readexactly(int(length.group(1)))
                latencies.append(time.perf_counter() - started)
                if not head.startswith(b"HTTP/1.1 200 "):
                    failures += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def nearest(q: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))] * 1000

    return Load(len(ordered), len(ordered) / elapsed, nearest(0.5), nearest(0.99), failures)


def run_python(port: int, path: str, headers: dict[str, str], *, duration: float, connections: int) -> Load:
    """A load generator in Python (keep-alive connections, one request at a time on each), for machines
    without wrk and for the CI-sized run."""
    return asyncio.run(_python_load(port, path, headers, duration, connections))


DRIVERS = {"wrk": run_wrk, "python": run_python}


# --- the measurement -------------------------------------------------------------------------------------------


def measure(
    servers: dict[str, Server],
    fixtures: Fixtures,
    *,
    driver: str,
    rounds: int,
    duration: float,
    connections: int,
    log: Any,
    endpoints: tuple[Endpoint, ...] = ENDPOINTS,
) -> list[dict[str, Any]]:
    """Each endpoint on both apps, alternating, `rounds` times after a warm-up; the figures of every run."""
    load = DRIVERS[driver]
    runs: dict[str, dict[str, list[Load]]] = {e.name: {"project": [], "baseline": [], "alone": []} for e in endpoints}
    order = ["project", "baseline"]
    for round_no in range(rounds + 1):
        for endpoint in endpoints:
            path, headers = fixtures.path(endpoint), fixtures.headers[endpoint.caller]
            for app in order:
                cpu_before = cpu_seconds(servers[app].pid)
                figures = load(
                    servers[app].port,
                    path,
                    headers,
                    duration=duration if round_no else min(duration, max(2.0, duration / 4)),
                    connections=connections,
                )
                cpu_after = cpu_seconds(servers[app].pid)
                if cpu_before is not None and cpu_after is not None and figures.requests:
                    figures = replace(figures, cpu_ms=(cpu_after - cpu_before) * 1000 / figures.requests)
                if figures.failures or (round_no and not figures.requests):
                    raise RuntimeError(f"{app} {path}: {figures.failures} failed of {figures.requests} requests")
                if round_no:
                    runs[endpoint.name][app].append(figures)
            if round_no:  # the project with one client: a request's own time, without queueing behind others
                alone = load(servers["project"].port, path, headers, duration=duration / 4, connections=1)
                runs[endpoint.name]["alone"].append(alone)
            order.reverse()
        log("warm-up done" if not round_no else f"round {round_no} of {rounds} done")
    results = []
    for endpoint in endpoints:
        mine, base = runs[endpoint.name]["project"], runs[endpoint.name]["baseline"]
        results.append(
            {
                "endpoint": endpoint.name,
                "path": endpoint.path,
                "caller": endpoint.caller,
                "before": endpoint.before,
                "project": _summary(mine),
                "baseline": _summary(base),
                "alone_p50_ms": statistics.median(x.p50_ms for x in runs[endpoint.name]["alone"]),
                "ratio": statistics.median(m.per_second / b.per_second for m, b in zip(mine, base, strict=True)),
                "ratios": [m.per_second / b.per_second for m, b in zip(mine, base, strict=True)],
            }
        )
    return results


def _summary(loads: list[Load]) -> dict[str, Any]:
    return {
        "per_second": statistics.median(x.per_second for x in loads),
        "p50_ms": statistics.median(x.p50_ms for x in loads),
        "p99_ms": statistics.median(x.p99_ms for x in loads),
        "cpu_ms": statistics.median(x.cpu_ms for x in loads) if all(x.cpu_ms for x in loads) else None,
        "runs": [x.__dict__ for x in loads],
    }


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| endpoint | before, req/s | req/s | p50 | p99 | CPU a request | baseline req/s | baseline p50 | baseline CPU "
        "| ratio | ≥ 0.70 | p50, one client |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]

    def cpu(figures: dict[str, Any]) -> str:
        return "–" if figures["cpu_ms"] is None else f"{figures['cpu_ms']:.2f} ms"

    for r in results:
        p, b = r["project"], r["baseline"]
        lines.append(
            f"| {r['endpoint']} | {r['before'] or '–'} | {p['per_second']:,.0f} | {p['p50_ms']:.1f} ms "
            f"| {p['p99_ms']:.1f} ms | {cpu(p)} | {b['per_second']:,.0f} | {b['p50_ms']:.1f} ms | {cpu(b)} "
            f"| {r['ratio']:.2f} | {'yes' if r['ratio'] >= 0.70 else '**no**'} | {r['alone_p50_ms']:.1f} ms |"
        )
    return "\n".join(lines)


def _scaled_url(url: str, scale: float) -> str:
    """The URL of the database of one scale: `_x<scale>` added to the database's name (or the SQLite file's)."""
    parsed = make_url(url)
    suffix = f"_x{scale:g}".replace(".", "_")
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return parsed.set(database=str(path.with_name(f"{path.stem}{suffix}{path.suffix}"))).render_as_string(False)
    return parsed.set(database=f"{parsed.database}{suffix}").render_as_string(hide_password=False)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL, help=f"its name must contain 'bench' ({DEFAULT_URL})")
    p.add_argument("--scales", default="0.1,1.0", help="dataset scales, comma-separated (1.0 = ten times today)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (the ratio is their median)")
    p.add_argument("--duration", type=float, default=8.0, help="seconds of load per endpoint, app and round")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--driver", choices=sorted(DRIVERS), default=None, help="default: wrk when installed, else python")
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="the dataset's date (default: today)")
    p.add_argument("--json", dest="json_path", default=None, help="write the results as JSON to this file")
    p.add_argument("--only", default="", help="only the endpoints whose name holds this text (e.g. 'compliance')")
    p.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    p.add_argument("--reuse", action="store_true", help="use a database that already holds a dataset (keeps it)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from app.clock import today

    as_of = args.as_of or today()
    driver = args.driver or ("wrk" if shutil.which("wrk") else "python")
    endpoints = tuple(e for e in ENDPOINTS if args.only in e.name)
    if not endpoints:
        raise SystemExit(f"no endpoint's name holds {args.only!r}")

    def log(message: str) -> None:
        print(f"[bench-http {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    report: dict[str, Any] = {
        "machine": compliance.machine(),
        "driver": driver,
        "rounds": args.rounds,
        "duration": args.duration,
        "connections": args.connections,
        "scales": [],
    }
    for scale in (float(s) for s in args.scales.split(",")):
        url_text = _scaled_url(args.database_url, scale)
        url = make_url(url_text)
        compliance._check_name(url)
        reuse = False
        if args.reuse:
            with contextlib.suppress(Exception):
                probe = make_engine(url_text)
                reuse = compliance.populated(probe)
                probe.dispose()
        if not reuse:
            compliance.create_database(url)
        engine = make_engine(url_text)
        try:
            if reuse:
                log(f"scale {scale:g}: reusing the dataset in {url.database}")
            else:
                seconds = compliance.build(engine, scale=scale, seed=args.seed, as_of=as_of, log=log)
                log(f"scale {scale:g}: dataset built in {seconds:.0f} s")
            fixtures = prepare(engine)
            statements = record_sql(engine, fixtures, endpoints)
            with tempfile.TemporaryDirectory(prefix="lms-bench-http-") as tmp:
                spec_path = Path(tmp) / "baseline.json"
                spec = {
                    "database_url": url_text,
                    "endpoints": [
                        {"path": fixtures.path(e).split("?")[0], "html": e.html, "statements": statements[e.name]}
                        for e in endpoints
                    ],
                }
                spec_path.write_text(json.dumps(spec))
                log(f"scale {scale:g}: serving; {args.rounds} rounds of {args.duration:g} s per endpoint and app")
                load_before, calibration_before = os.getloadavg()[0], compliance.calibration_ms()
                with serving(url_text, spec_path, Path(tmp)) as servers:
                    results = measure(
                        servers,
                        fixtures,
                        driver=driver,
                        rounds=args.rounds,
                        duration=args.duration,
                        connections=args.connections,
                        log=log,
                        endpoints=endpoints,
                    )
                load_after, calibration_after = os.getloadavg()[0], compliance.calibration_ms()
            for r in results:
                r["queries"] = len(statements[r["endpoint"]])
            entry = {
                "scale": scale,
                "database": engine.dialect.name,
                "sizes": compliance.table_sizes(engine),
                "ids": fixtures.ids,
                "load_average": [load_before, load_after],
                "calibration_ms": [calibration_before, calibration_after],
                "results": results,
            }
        finally:
            engine.dispose()
            if not (args.keep or args.reuse):
                compliance.drop_database(url)
        report["scales"].append(entry)
        print(
            f"\n{entry['database']}, scale {scale:g} ({entry['sizes']['officials']:,} officials, "
            f"{entry['sizes']['requirements']:,} requirements), {driver} -c{args.connections} {args.duration:g} s, "
            f"median of {args.rounds} alternating rounds; load average {load_before:.1f} -> {load_after:.1f}, "
            f"calibration loop {calibration_before:.0f} -> {calibration_after:.0f} ms\n"
        )
        print(table(results), flush=True)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2, default=str))
    return report


if __name__ == "__main__":
    main()
