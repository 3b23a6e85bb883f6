"""Python style as pre-commit enforces it: `ruff check` and `ruff format --check` (pinned ruff,
configuration in pyproject.toml) over every Python file of the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from local.terraform import REPO_ROOT

RUFF = Path(sys.executable).parent / "ruff"


def ruff(*arguments: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUFF), *arguments, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ruff_check_is_clean() -> None:
    result = ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, (
        "ruff check found problems (`make lint`):\n" + result.stdout + result.stderr
    )


def test_ruff_format_is_clean() -> None:
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, "ruff format would rewrite (`.venv/bin/ruff format`):\n" + result.stdout


def test_ruff_reports_a_planted_problem(tmp_path: Path) -> None:
    """The checks above can fail: an unused import and a misformatted line are both reported."""
    (tmp_path / "pyproject.toml").write_text((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (tmp_path / "planted.py").write_text("import os\nx = {'a':1}\n", encoding="utf-8")
    check = ruff("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert check.returncode != 0 and "planted.py:1:8: F401" in check.stdout
    assert ruff("format", "--check", ".", cwd=tmp_path).returncode != 0
