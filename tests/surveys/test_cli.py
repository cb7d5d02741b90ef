"""`lms surveys after-meetings --as-of DATE`: does what the daily job does on that day (its figures are tested in
tests/surveys/test_coordinators.py), and refuses a day that is none."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli


def test_the_command_runs_the_days_job_and_refuses_a_bad_date(database: str) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["surveys", "after-meetings", "--as-of", "2020-01-01"])
    assert done.exit_code == 0, done.output
    assert "after-meeting surveys as of 2020-01-01: 0 made" in done.output
    bad = runner.invoke(cli, ["surveys", "after-meetings", "--as-of", "yesterday"])
    assert bad.exit_code == 2
