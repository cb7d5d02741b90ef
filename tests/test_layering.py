"""The layering of the code (import-linter's contracts in pyproject.toml) holds, and a break of it is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the copy's `app`, not the installed one
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "app", tree / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_keeps_its_contracts(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # A service that reaches for the web layer.
        ("app/cohorts/service.py", "from fastapi import Request", "Domain code never imports the web layer"),
        # A rule that opens a session.
        ("app/compliance/rules.py", "from sqlalchemy.orm import Session", "Rules are pure"),
        # A lower domain that calls a higher one: officials would depend on compliance, which reads officials.
        ("app/officials/service.py", "from app.compliance import selectors", "No cycle between domain packages"),
    ],
)
def test_a_break_of_the_layering_fails_the_check(tmp_path: Path, module: str, line: str, broken: str) -> None:
    tree = _copy(tmp_path)
    path = tree / module
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "  # noqa\n" + rest, encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout.split(broken, 1)[1].splitlines()[0]
