"""The compliance benchmark in its CI-sized form: it runs end to end and produces every measurement.

No speed is asserted here (timings belong to `make bench` and docs/benchmarks.md): it holds the script to
what a run must show as the schema and the reports change: the dataset it was asked for, every measurement
timed, each report answering what the dataset holds, the export, the plans and the table.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, bindparam, create_engine, inspect, text

from app.authorities import service as authorities
from app.compliance.exports import EXPORT_COLUMNS
from app.db import get_engine
from bench import compliance, dataset

MEASUREMENTS = {
    "summary_by_authority",
    "summary_by_authority_past",
    "drill_down_authority",
    "export_xlsx_seconds",
    "export_xlsx_peak_rss",
}


@pytest.fixture
def bench_url(database, tmp_path) -> str:
    """A database of the same kind as the test database, named for the benchmark (which creates and drops it)."""
    url = get_engine().url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'lms_bench.sqlite3'}"
    return url.set(database=f"lms_bench_{uuid.uuid4().hex[:10]}").render_as_string(hide_password=False)


# The same seed, scale and date give the same rows (bench/dataset.py): a fixed date makes the run reproducible.
AS_OF = date(2026, 6, 30)
SCALE = 0.005


@pytest.fixture
def made(monkeypatch) -> dict[str, Any]:
    """What the benchmark's dataset generator wrote, and the requirements that exist as of the reports' date, by
    authority (rule 3: an appointment that has started), read from the dataset's own connection as it was made."""
    seen: dict[str, Any] = {}
    generate = dataset.generate

    def spy(conn: Connection, **kw: Any) -> dict[str, int]:
        counts = generate(conn, **kw)
        seen["counts"] = counts
        seen["as_of"] = kw["as_of"]
        by_authority = (
            "SELECT a.authority_code, count(*) FROM requirements r JOIN appointments a ON a.id = r.appointment_id "
            "WHERE a.start_date <= :until GROUP BY a.authority_code"
        )
        seen["existing"] = {code: n for code, n in conn.execute(text(by_authority), {"until": kw["as_of"]})}
        seen["by_authority"] = {code: n for code, n in conn.execute(text(by_authority), {"until": date.max})}
        seen["mandatory_appointments"] = conn.scalar(
            text("SELECT count(*) FROM appointments WHERE role_code IN :roles").bindparams(
                bindparam("roles", expanding=True)
            ),
            {"roles": list(dataset.MANDATORY_ROLES)},
        )
        return counts

    monkeypatch.setattr(dataset, "generate", spy)
    return seen


def test_the_benchmark_runs_end_to_end_at_ci_size(bench_url, tmp_path, capsys, made):
    out_json, out_xlsx, plans = tmp_path / "bench.json", tmp_path / "export.xlsx", tmp_path / "plans"
    report = compliance.main(
        [
            "--database-url",
            bench_url,
            "--scale",
            str(SCALE),
            "--as-of",
            AS_OF.isoformat(),
            "--runs",
            "2",
            "--json",
            str(out_json),
            "--xlsx",
            str(out_xlsx),
            "--explain",
            str(plans),
        ]
    )

    assert json.loads(out_json.read_text())["results"] == json.loads(json.dumps(report["results"], default=str))
    assert made["as_of"] == AS_OF and report["as_of"] == AS_OF.isoformat() and report["build_seconds"] > 0

    # The database holds what the dataset made, in the sizes asked for.
    sizes, counts = report["sizes"], made["counts"]
    assert {t: sizes[t] for t in counts} == counts
    wanted = dataset.sizes(SCALE)
    assert sizes["authorities"] == len(authorities.read_cbs_file(authorities.BUNDLED_FILE))
    assert sizes["programmes"] == len(dataset.PROGRAMMES)
    assert sizes["officials"] == wanted["officials"] == 300
    assert sizes["appointments"] == wanted["appointments"] == 500
    assert sizes["cohorts"] == max(wanted["cohorts"], 2 * len(dataset.PROGRAMMES))
    assert sizes["attendance_records"] == wanted["attendance_records"] == 5000
    assert sizes["requirements"] == made["mandatory_appointments"] > 100  # rule 1: one per mandatory appointment
    assert sizes["cohort_sessions"] >= 8 * sizes["cohorts"]
    assert sizes["enrolments"] > 0 and sizes["completions"] > 0
    assert 0 < sizes["requirement_requests"] < sizes["requirements"]

    # Every measurement, each timed on every run, and each report answering what the dataset holds.
    results = {r["name"]: r for r in report["results"]}
    assert set(results) == MEASUREMENTS
    for r in results.values():
        assert r["runs"] == 2 and len(r["values"]) == 2 and 0 < r["min"] <= r["median"] <= r["p90"], r
        assert "target" not in r  # the national targets are not held against a CI-sized dataset
    existing = made["existing"]
    assert results["summary_by_authority"]["groups"] == len(existing)
    assert 0 < results["summary_by_authority_past"]["groups"] <= len(existing)
    drill = results["drill_down_authority"]
    # The drill-down is of the authority with the most requirements (started or not), the first by code on a tie.
    most = max(made["by_authority"].values())
    assert drill["authority"] == min(code for code, n in made["by_authority"].items() if n == most)
    assert drill["total"] == existing[drill["authority"]]
    assert drill["page_rows"] == min(50, drill["total"])

    rows = results["export_xlsx_seconds"]["rows"]
    assert rows == sum(existing.values())
    assert results["export_xlsx_seconds"]["bytes"] == out_xlsx.stat().st_size
    assert results["export_xlsx_peak_rss"]["min"] >= results["export_xlsx_peak_rss"]["base_rss_mib"] > 0
    book = load_workbook(out_xlsx, read_only=True)
    try:
        sheet = book.worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    header = next(i for i, row in enumerate(values) if row and row[0] == EXPORT_COLUMNS[0].header_he)
    assert [c for c in values[header] if c is not None] == [c.header_he for c in EXPORT_COLUMNS]
    assert len([row for row in values[header + 1 :] if any(v is not None for v in row)]) == rows

    # The plans of every report, and the table of every measurement.
    dialect = report["database"]
    assert {p.name.rsplit("-", 1)[0] for p in plans.iterdir()} == {
        f"{dialect}-summary",
        f"{dialect}-drill_down",
        f"{dialect}-export",
    }
    assert sorted(report["plans"]) == sorted(str(p) for p in plans.iterdir())
    printed = capsys.readouterr().out
    assert all(f"| {r['description']} | 2 |" in printed for r in results.values())

    # The benchmark's database is gone afterwards.
    if bench_url.startswith("sqlite"):
        assert not (tmp_path / "lms_bench.sqlite3").exists()
    else:
        admin = create_engine(get_engine().url.set(database="postgres"))
        try:
            with admin.connect() as conn:
                name = bench_url.rsplit("/", 1)[1]
                assert conn.scalar(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}) == 0
        finally:
            admin.dispose()
        assert inspect(get_engine()).get_table_names()  # the test database itself is untouched


def test_the_certificate_benchmark_runs_at_ci_size():
    import gc

    from bench import certificates

    try:
        result = certificates.measure(renders=10, runs=1)
    finally:
        gc.unfreeze()  # the warm-up freezes what exists, as a worker does; not for the rest of the tests
    assert result["renders"] == 10 and 0 < result["median_ms"] <= result["p90_ms"]
    assert result["per_second"] > 0 and len(result["rss_mib_every_tenth"]) == 10
    assert result["rss_growth_mib"] is not None and result["cohort_of_40_median_s"] > 0


def test_the_http_benchmark_runs_end_to_end_at_ci_size(bench_url, tmp_path, capsys):
    """Both apps served, every endpoint driven on each (any answer but 200 fails the run), the SQL the project ran
    replayed by the baseline, and the table printed; the database dropped after."""
    from bench import http

    out_json = tmp_path / "http.json"
    report = http.main(
        [
            "--database-url",
            bench_url,
            "--scales",
            str(SCALE),
            "--as-of",
            AS_OF.isoformat(),
            "--rounds",
            "1",
            "--duration",
            "0.3",
            "--connections",
            "2",
            "--driver",
            "python",
            "--json",
            str(out_json),
        ]
    )
    assert json.loads(out_json.read_text())["scales"][0]["scale"] == SCALE
    (entry,) = report["scales"]
    results = {r["endpoint"]: r for r in entry["results"]}
    assert list(results) == [e.name for e in http.ENDPOINTS]
    for r in results.values():
        for app in ("project", "baseline"):
            (run,) = r[app]["runs"]
            assert run["requests"] > 0 and run["failures"] == 0 and r[app]["per_second"] > 0, (r["endpoint"], app)
            assert 0 < r[app]["p50_ms"] <= r[app]["p99_ms"]
        assert r["ratio"] > 0 and r["queries"] >= 1
        assert r["alone_p50_ms"] > 0  # a request's own time, one client at a time
    # The official's own requirements, a second request (its caller kept from the first): the status query alone.
    assert results["official's requirements"]["queries"] == 1
    assert entry["sizes"]["officials"] == dataset.sizes(SCALE)["officials"]
    printed = capsys.readouterr().out
    assert all(f"| {name} |" in printed for name in results)

    scaled = http._scaled_url(bench_url, SCALE)
    if scaled.startswith("sqlite"):
        assert not any(tmp_path.glob("lms_bench_x*.sqlite3"))
    else:
        admin = create_engine(get_engine().url.set(database="postgres"))
        try:
            with admin.connect() as conn:
                name = scaled.rsplit("/", 1)[1]
                assert conn.scalar(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}) == 0
        finally:
            admin.dispose()


def test_the_trend_benchmark_runs_at_ci_size(bench_url, capsys):
    """The trend timed cold and warm over a dataset it builds (and drops), each point checked against the summary."""
    from bench import trend

    report = trend.main(
        ["--database-url", bench_url, "--scale", str(SCALE), "--as-of", AS_OF.isoformat(), "--runs", "1"]
    )
    assert report["agrees_with_summary"] is True
    for name in ("country", "district"):
        assert report[name]["points"] == 24
        assert report[name]["cold_ms"]["median"] > 0 and report[name]["warm_ms"]["median"] > 0
    assert "each point equals the summary as of its date: yes" in capsys.readouterr().out


def test_the_reminders_benchmark_runs_at_ci_size(bench_url, capsys):
    """The nightly reminder run timed as of a few dates over a dataset it builds (and drops); the rerun queues
    nothing new."""
    from bench import reminders

    report = reminders.main(
        ["--database-url", bench_url, "--scale", str(SCALE), "--as-of", AS_OF.isoformat(), "--dates", "2"]
    )
    assert report["requirements"] > 0 and len(report["runs"]) == 2
    assert sum(report["runs"][0]["queued"].values()) > 0
    assert report["runs"][0]["queued"]["deadline_liaison"] > 0
    assert sum(report["rerun"]["queued"].values()) == 0 and sum(report["rerun"]["due"].values()) > 0
    assert "median run:" in capsys.readouterr().out
