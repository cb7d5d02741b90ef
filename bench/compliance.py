"""Benchmark of the compliance reports over a national dataset (ten times today's size at --scale 1.0).

    python -m bench.compliance --database-url URL --scale 1.0 --runs 7 [--json PATH] [--explain DIR] [--keep]

It makes a fresh database (PostgreSQL: the database named in the URL, created and dropped unless --keep;
SQLite: the file in the URL), migrates it to head, loads the reference data and generates the dataset
(bench/dataset.py), then measures, each over --runs runs after one warm-up run:

- the national summary by authority, as of the date and as of a year earlier (selectors.summary);
- the drill-down of the authority with the most requirements, first page of 50 (selectors.drill_down);
- the full XLSX export of every requirement (selectors.stream_drill_down into app.web.exports.write_xlsx), each run in
  a child process of its own (bench/export.py) whose peak resident memory is read.

It prints the median, p90 and minimum of each against the targets of the issue, and with --explain writes the
plans of the queries each report runs (EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite). The database must be named for the purpose: its name has to contain "bench", since it is dropped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.auth import operator
from app.compliance import selectors
from app.config import PROJECT_ROOT
from app.db import make_engine
from bench import dataset

DEFAULT_URL = "sqlite:////tmp/lms_bench.sqlite3"
ACTOR = operator("bench")
DRILL_DOWN_PAGE = 50


@dataclass(frozen=True)
class Target:
    """What the issue asks of a measurement (on PostgreSQL)."""

    limit: float
    unit: str

    def met(self, value: float) -> bool:
        return value < self.limit


TARGETS = {
    "summary_by_authority": Target(150, "ms"),
    "drill_down_authority": Target(50, "ms"),
    "export_xlsx_seconds": Target(15, "s"),
    "export_xlsx_peak_rss": Target(300, "MiB"),
}


@dataclass
class Measurement:
    """The runs of one measurement, in its unit."""

    name: str
    description: str
    unit: str
    values: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def stats(self, *, against_targets: bool = True) -> dict[str, Any]:
        ordered = sorted(self.values)
        p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "unit": self.unit,
            "runs": len(ordered),
            "min": ordered[0],
            "median": statistics.median(ordered),
            "p90": p90,
            "max": ordered[-1],
            "values": self.values,
            **self.extra,
        }
        target = TARGETS.get(self.name)
        if target is not None and against_targets:
            out["target"] = f"< {target.limit:g} {target.unit}"
            out["target_met"] = target.met(out["median"])
        return out


# --- the database ----------------------------------------------------------------------------------------


def _check_name(url: URL) -> None:
    name = Path(url.database or "").name if url.get_backend_name() == "sqlite" else url.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to use {name!r}: the benchmark drops its database, whose name must contain 'bench'")


def _on_server(url: URL, statement: str) -> None:
    """Run a statement on the PostgreSQL server of the URL, outside any database's transaction."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def drop_database(url: URL) -> None:
    """Remove the benchmark's database (PostgreSQL) or file (SQLite)."""
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
        return
    _on_server(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def create_database(url: URL) -> None:
    """An empty database (dropping any left from a previous run)."""
    drop_database(url)
    if url.get_backend_name() == "sqlite":
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        return
    _on_server(url, f'CREATE DATABASE "{url.database}"')


def migrate(engine: Engine) -> None:
    """The schema, made by the migrations as in production."""
    from alembic import command

    from app.cli import alembic_config

    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def populated(engine: Engine) -> bool:
    """Whether the database already holds a benchmark dataset (for --reuse)."""
    if "officials" not in inspect(engine).get_table_names():
        return False
    with engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM attendance_records")))


@contextmanager
def bench_database(
    url: URL, *, scale: float, seed: int, as_of: date, reuse: bool, keep: bool, log: Callable[[str], None]
) -> Iterator[tuple[Engine, bool]]:
    """An engine on the benchmark's database (its name must say `bench`) holding a dataset, and whether it was
    there already: with `reuse`, the one the database holds (migrated to head), otherwise one built afresh into a
    new database, which is dropped afterwards unless `keep` (or `reuse`) is asked."""
    _check_name(url)
    url_text = url.render_as_string(hide_password=False)
    probe = make_engine(url_text)
    try:
        found = reuse and populated(probe)
    except Exception:  # no such database yet
        found = False
    probe.dispose()
    if not found:
        create_database(url)
    engine = make_engine(url_text)
    try:
        if found:
            migrate(engine)  # a dataset built before the latest migrations
        else:
            build(engine, scale=scale, seed=seed, as_of=as_of, log=log)
        yield engine, found
    finally:
        engine.dispose()
        if not (keep or reuse):
            drop_database(url)


def table_sizes(engine: Engine) -> dict[str, int]:
    tables = (
        "authorities",
        "programmes",
        "officials",
        "appointments",
        "requirements",
        "completions",
        "cohorts",
        "cohort_sessions",
        "enrolments",
        "attendance_records",
        "requirement_requests",
    )
    with engine.connect() as conn:
        return {t: int(conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in tables}


def build(engine: Engine, *, scale: float, seed: int, as_of: date, log: Callable[[str], None]) -> float:
    """Migrate, load the reference data and generate the dataset; the seconds it took."""
    started = time.perf_counter()
    log("migrating")
    migrate(engine)
    with engine.begin() as conn:
        log("loading authorities and roles")
        dataset.load_reference(conn)
        dataset.generate(conn, scale=scale, seed=seed, as_of=as_of, progress=log)
    if engine.dialect.name == "postgresql":
        log("VACUUM ANALYZE")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


# --- the measurements ------------------------------------------------------------------------------------


def largest_authority(engine: Engine) -> tuple[str, int]:
    """The authority with the most requirements, and how many it has."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.authority_code, count(*) FROM requirements r JOIN appointments a ON a.id = r.appointment_id "
                "GROUP BY a.authority_code ORDER BY count(*) DESC, a.authority_code LIMIT 1"
            )
        ).one()
    return str(row[0]), int(row[1])


def timed(engine: Engine, work: Callable[[Session], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of each of `runs` runs (each in a fresh session), after one warm-up run; the last result."""
    values: list[float] = []
    result = None
    for i in range(runs + 1):
        with Session(bind=engine) as db:
            started = time.perf_counter()
            result = work(db)
            elapsed = (time.perf_counter() - started) * 1000
        if i:
            values.append(elapsed)
    return values, result


def export_runs(url: str, as_of: date, runs: int, keep_xlsx: str | None) -> list[dict[str, Any]]:
    """Run the XLSX export `runs` times, each in a child process; the figures of each run."""
    out = []
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp:
        path = os.path.join(tmp, "export.xlsx")
        for _ in range(runs):
            proc = subprocess.run(
                [sys.executable, "-m", "bench.export", url, as_of.isoformat(), path],
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode:
                raise RuntimeError(f"the export failed:\n{proc.stderr}")
            figures = json.loads(proc.stdout.strip().splitlines()[-1])
            figures["bytes"] = os.path.getsize(path)
            out.append(figures)
        if keep_xlsx:
            Path(keep_xlsx).write_bytes(Path(path).read_bytes())
    return out


def measure(
    engine: Engine, url: str, *, as_of: date, runs: int, export_runs_n: int, keep_xlsx: str | None
) -> list[Measurement]:
    """Every measurement of the benchmark."""
    authority, authority_rows = largest_authority(engine)
    past = as_of - timedelta(days=365)
    results = []

    def summary_at(day: date) -> Callable[[Session], Any]:
        everything = selectors.Filters()
        return lambda s: selectors.summary(s, as_of=day, group_by=["authority"], filters=everything, actor=ACTOR)

    for name, description, work in (
        ("summary_by_authority", f"national summary by authority as of {as_of}", summary_at(as_of)),
        ("summary_by_authority_past", f"national summary by authority as of {past}", summary_at(past)),
    ):
        values, rows = timed(engine, work, runs)
        results.append(Measurement(name, description, "ms", values, {"groups": len(rows)}))

    def drill(s: Session) -> Any:
        return selectors.drill_down(
            s,
            as_of=as_of,
            filters=selectors.Filters(authority=authority),
            actor=ACTOR,
            sort="due_date",
            limit=DRILL_DOWN_PAGE,
            offset=0,
        )

    values, drilled = timed(engine, drill, runs)
    results.append(
        Measurement(
            "drill_down_authority",
            f"drill-down of authority {authority} ({authority_rows} requirements), first page of {DRILL_DOWN_PAGE}",
            "ms",
            values,
            {"authority": authority, "page_rows": len(drilled.items), "total": drilled.total},
        )
    )

    figures = export_runs(url, as_of, export_runs_n, keep_xlsx)
    common = {"rows": figures[-1]["rows"], "bytes": figures[-1]["bytes"]}
    results.append(
        Measurement(
            "export_xlsx_seconds", "full XLSX export of every requirement", "s", [f["seconds"] for f in figures], common
        )
    )
    results.append(
        Measurement(
            "export_xlsx_peak_rss",
            "peak resident memory of the export process",
            "MiB",
            [f["peak_rss_mib"] for f in figures],
            {"base_rss_mib": statistics.median(f["base_rss_mib"] for f in figures)},
        )
    )
    return results


# --- query plans -----------------------------------------------------------------------------------------


@contextmanager
def captured(engine: Engine) -> Iterator[list[dict[str, Any]]]:
    """The statements run on the engine meanwhile, with their parameters and milliseconds."""
    seen: list[dict[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        ms = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        seen.append({"statement": statement, "parameters": parameters, "ms": ms})

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def explain(engine: Engine, statement: str, parameters: Any, *, cursor: bool = False) -> str:
    """The plan of a statement: executed, with buffers, on PostgreSQL (as a cursor's, when it is read through
    one: the planner then aims at the first rows); the query plan on SQLite."""
    postgresql = engine.dialect.name == "postgresql"
    if postgresql:
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " + ("DECLARE bench_plan CURSOR FOR " if cursor else "")
    else:
        prefix = "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        cur = raw.cursor()
        try:
            cur.execute(prefix + statement, parameters)
            rows = cur.fetchall()
        finally:
            cur.close()
            raw.rollback()
    if postgresql:
        return "\n".join(r[0] for r in rows)
    return "\n".join(" | ".join(str(v) for v in r) for r in rows)


def write_plans(engine: Engine, directory: Path, *, as_of: date, authority: str) -> list[Path]:
    """The plans of the statements of the summary, the drill-down and the export, slowest first per report."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{engine.dialect.name}-*.txt"):
        old.unlink()  # plans of an earlier run, which may have had more statements
    works: dict[str, Callable[[Session], Any]] = {
        "summary": lambda s: selectors.summary(
            s, as_of=as_of, group_by=["authority"], filters=selectors.Filters(), actor=ACTOR
        ),
        "drill_down": lambda s: selectors.drill_down(
            s,
            as_of=as_of,
            filters=selectors.Filters(authority=authority),
            actor=ACTOR,
            sort="due_date",
            limit=DRILL_DOWN_PAGE,
            offset=0,
        ),
        "export": lambda s: sum(
            1 for _ in selectors.stream_drill_down(s, as_of=as_of, filters=selectors.Filters(), actor=ACTOR)
        ),
    }
    written = []
    for name, work in works.items():
        with captured(engine) as seen, Session(bind=engine) as db:
            work(db)
        heavy = [s for s in seen if s["ms"] >= 1.0 or "requirements" in s["statement"]]
        for i, s in enumerate(sorted(heavy, key=lambda s: -s["ms"]), start=1):
            path = directory / f"{engine.dialect.name}-{name}-{i}.txt"
            # The export reads its rows through a server-side cursor (yield_per), so its plan is a cursor's.
            plan = explain(engine, s["statement"], s["parameters"], cursor=name == "export")
            path.write_text(
                f"-- {s['ms']:.1f} ms when run\n{s['statement']}\n-- parameters: {s['parameters']}\n\n{plan}\n"
            )
            written.append(path)
    return written


# --- the machine -----------------------------------------------------------------------------------------


def calibration_ms() -> float:
    """The median milliseconds of a fixed pure-Python loop: how fast (and how busy) this machine was, so that
    figures taken on different machines, or on a shared one, can be compared."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal:")).split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": sys.version.split()[0],
        "platform": sys.platform,
    }


# --- the command -----------------------------------------------------------------------------------------


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.1f}" if unit != "s" else f"{value:,.2f}"


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| measurement | runs | median | p90 | min | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        unit = r["unit"]
        met = "" if "target_met" not in r else ("yes" if r["target_met"] else "**no**")
        lines.append(
            f"| {r['description']} | {r['runs']} | {_fmt(r['median'], unit)} {unit} | {_fmt(r['p90'], unit)} {unit} "
            f"| {_fmt(r['min'], unit)} {unit} | {r.get('target', '')} | {met} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.compliance", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"a database whose name contains 'bench' ({DEFAULT_URL})"
    )
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = the national dataset; 0.01 = CI-sized")
    p.add_argument("--runs", type=int, default=7, help="timed runs of each query (after one warm-up)")
    p.add_argument("--export-runs", type=int, default=None, help="runs of the XLSX export (default: --runs)")
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="the reports' date (default: today)")
    p.add_argument("--json", dest="json_path", default=None, help="write the results as JSON to this file")
    p.add_argument("--explain", default=None, help="write the query plans to this directory")
    p.add_argument("--xlsx", default=None, help="keep the last export at this path")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", action="store_true", help="use the database as it is when it holds a dataset (keeps it)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from app.clock import today

    as_of = args.as_of or today()
    url = make_url(args.database_url)
    _check_name(url)
    url_text = url.render_as_string(hide_password=False)

    def log(message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    reuse = False
    if args.reuse:
        try:
            probe = make_engine(url_text)
            reuse = populated(probe)
            probe.dispose()
        except Exception:
            reuse = False
    if not reuse:
        create_database(url)
    engine = make_engine(url_text)
    try:
        build_seconds = None
        if reuse:
            log("reusing the dataset in the database")
        else:
            build_seconds = build(engine, scale=args.scale, seed=args.seed, as_of=as_of, log=log)
            log(f"dataset built in {build_seconds:.0f} s")
        sizes = table_sizes(engine)
        log("sizes: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        log(f"measuring ({args.runs} runs each)")
        load_before, calibration_before = os.getloadavg()[0], calibration_ms()
        measurements = measure(
            engine,
            url_text,
            as_of=as_of,
            runs=args.runs,
            export_runs_n=args.export_runs or args.runs,
            keep_xlsx=args.xlsx,
        )
        load_after, calibration_after = os.getloadavg()[0], calibration_ms()
        # The targets are those of the national dataset; a smaller one is not held to them.
        results = [m.stats(against_targets=args.scale >= 1.0) for m in measurements]
        plans = []
        if args.explain:
            authority = next(r["authority"] for r in results if r["name"] == "drill_down_authority")
            plans = [str(p) for p in write_plans(engine, Path(args.explain), as_of=as_of, authority=authority)]
        report = {
            "database": engine.dialect.name,
            "server_version": ".".join(str(v) for v in engine.dialect.server_version_info or ()),
            "machine": machine(),
            "load_average": [load_before, load_after],
            "calibration_ms": [calibration_before, calibration_after],
            "scale": args.scale,
            "seed": args.seed,
            "as_of": as_of.isoformat(),
            "build_seconds": build_seconds,
            "sizes": sizes,
            "results": results,
            "plans": plans,
        }
    finally:
        engine.dispose()
        if not (args.keep or args.reuse):
            drop_database(url)
    print(
        f"\n{engine.dialect.name} {report['server_version']}, scale {args.scale}, as of {as_of}; "
        f"load average {load_before:.1f} -> {load_after:.1f}, "
        f"calibration loop {calibration_before:.0f} -> {calibration_after:.0f} ms\n"
    )
    print(table(report["results"]))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2, default=str))
    return report


if __name__ == "__main__":
    main()
