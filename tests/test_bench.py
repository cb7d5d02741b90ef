"""The compliance benchmark in its CI-sized form: it runs end to end and produces every measurement.

No timing is asserted here (timings belong to `make bench` and docs/benchmarks.md); this only keeps the
script working as the schema and the reports change.
"""

from __future__ import annotations

import json
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, inspect, text

from app.compliance.exports import EXPORT_COLUMNS
from app.db import get_engine
from bench import compliance

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


def test_the_benchmark_runs_end_to_end_at_ci_size(bench_url, tmp_path, capsys):
    out_json, out_xlsx = tmp_path / "bench.json", tmp_path / "export.xlsx"
    report = compliance.main(
        [
            "--database-url",
            bench_url,
            "--scale",
            "0.005",
            "--runs",
            "2",
            "--json",
            str(out_json),
            "--xlsx",
            str(out_xlsx),
            "--explain",
            str(tmp_path / "plans"),
        ]
    )

    assert json.loads(out_json.read_text())["results"] == json.loads(json.dumps(report["results"], default=str))
    sizes = report["sizes"]
    assert sizes["authorities"] > 250
    assert sizes["officials"] == 300 and sizes["appointments"] == 500
    assert sizes["attendance_records"] == 5000
    assert sizes["requirements"] > 100 and sizes["completions"] > 0 and sizes["requirement_requests"] >= 0

    results = {r["name"]: r for r in report["results"]}
    assert set(results) == MEASUREMENTS
    for r in results.values():
        assert r["runs"] == 2 and 0 < r["min"] <= r["median"] <= r["p90"]
    assert results["summary_by_authority"]["groups"] > 0
    drill = results["drill_down_authority"]
    assert 0 < drill["page_rows"] <= 50 and drill["total"] >= drill["page_rows"]

    rows = results["export_xlsx_seconds"]["rows"]
    assert rows >= results["drill_down_authority"]["total"]
    book = load_workbook(out_xlsx, read_only=True)
    try:
        sheet = book.worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    header = next(i for i, row in enumerate(values) if row and row[0] == EXPORT_COLUMNS[0].header_he)
    assert [c for c in values[header] if c is not None] == [c.header_he for c in EXPORT_COLUMNS]
    assert len([row for row in values[header + 1 :] if any(v is not None for v in row)]) == rows

    assert report["plans"], "the query plans were written"
    assert "measurement" in capsys.readouterr().out

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
