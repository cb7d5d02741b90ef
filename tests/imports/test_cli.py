"""`lms import officials FILE [--dry-run]` on files with refused rows (the CLI commits on its own session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import get_sessionmaker
from app.officials.models import Official
from tests.factories import national_id

HEADER = "national_id;first_name_he;last_name_he;authority_code;role_code;start_date"


@pytest.fixture
def sheet(database: str, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A Windows-1255 CSV: one good row, then one with an unknown role."""
    good = national_id()
    path = tmp_path / "officials.csv"
    lines = [HEADER, f"{good};דנה;לוי;0031;treasurer;01/01/2024", f"{national_id()};משה;כהן;0031;nope;01/01/2024"]
    path.write_bytes("\r\n".join(lines).encode("cp1255"))
    yield path, good


def _officials_with(nid: str) -> int:
    with get_sessionmaker()() as db:
        return db.scalar(select(func.count()).where(Official.national_id == nid)) or 0


@pytest.mark.parametrize("args", [["--dry-run"], []])
def test_refused_rows_are_printed_exit_1_and_nothing_is_written(sheet: tuple[Path, str], args: list[str]) -> None:
    path, good = sheet
    result = CliRunner().invoke(cli, ["import", "officials", str(path), *args])
    assert result.exit_code == 1, result.output
    assert "role_code: there is no role with code 'nope'" in result.output
    assert "rows: 2, officials created: 1" in result.output and "refused: 1" in result.output
    assert "nothing was written" in result.output
    assert _officials_with(good) == 0


def test_a_file_over_the_limit_is_refused(sheet: tuple[Path, str]) -> None:
    settings = get_settings()
    saved = settings.upload_max_bytes
    settings.upload_max_bytes = 10
    try:
        result = CliRunner().invoke(cli, ["import", "officials", str(sheet[0]), "--dry-run"])
    finally:
        settings.upload_max_bytes = saved
    assert result.exit_code == 1
    assert "larger than the limit" in result.output
