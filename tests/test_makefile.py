"""The Makefile as a newcomer meets it: `make help` lists every target with what it does, the
interpreter is checked before anything is installed, and a venv made by another (or too old)
Python is rebuilt rather than reused. Each test works on a temporary VENV, never on .venv."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from local import check_python

REPO_ROOT = Path(__file__).resolve().parents[1]


def make(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def phony_targets() -> list[str]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    declared = re.search(r"^\.PHONY:(.*)$", text, re.MULTILINE)
    assert declared is not None
    return [target for target in declared.group(1).split() if target != "FORCE"]


def test_make_help_lists_every_target_with_what_it_does() -> None:
    result = make("help")
    assert result.returncode == 0, result.stderr
    described = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^make ([a-z-]+)\s+(\S.*)$", result.stdout, re.MULTILINE)
    }
    assert sorted(described) == sorted(phony_targets()), result.stdout
    assert "raw -> bronze -> silver" in described["run-local"]
    assert make().stdout == result.stdout, "help is the default goal"


def _fake_venv(root: Path, version: str) -> Path:
    venv = root / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {version}\n", encoding="utf-8")
    stamp = venv / ".installed"
    stamp.touch()
    newer = (REPO_ROOT / "requirements-test.txt").stat().st_mtime + 60
    os.utime(stamp, (newer, newer))
    return venv


def test_a_too_old_python_gets_a_clear_message_and_nothing_is_created(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # MIN_PYTHON above this interpreter stands for an interpreter below 3.11.
    result = make(
        f"VENV={venv}", f"CHECKOV_VENV={tmp_path / 'checkov'}", "MIN_PYTHON=99.0", f"{venv}/.installed"
    )

    assert result.returncode != 0
    assert "Python 99.0 or later is needed" in result.stderr
    assert "make PYTHON=python99.0" in result.stderr, "says how to pick another interpreter"
    assert "No matching distribution" not in result.stdout + result.stderr
    assert not venv.exists()


def test_a_venv_made_by_another_python_is_rebuilt_from_scratch(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, "3.10.13")  # left by `make` with Python 3.10

    result = make("-n", f"VENV={venv}", f"{venv}/.installed")

    assert result.returncode == 0, result.stderr
    assert f"Rebuilding {venv}: {venv} was made by Python 3.10.13" in result.stdout
    assert re.search(rf"-m venv --clear {re.escape(str(venv))}\n", result.stdout), result.stdout


def test_a_venv_of_the_python_asked_for_is_kept(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, ".".join(map(str, sys.version_info[:3])))

    result = make("-q", f"VENV={venv}", f"{venv}/.installed")

    assert result.returncode == 0, "up to date: nothing to rebuild"


@pytest.mark.parametrize(
    ("made_by", "asked_for", "problem"),
    [
        ((3, 10, 13), (3, 11, 7), "made by Python 3.10.13, older than 3.11"),
        ((3, 11, 7), (3, 12, 1), "made by Python 3.11.7, not by the Python 3.12 asked for"),
        ((3, 11, 2), (3, 11, 7), None),
    ],
)
def test_venv_problem(tmp_path: Path, made_by, asked_for, problem) -> None:
    venv = _fake_venv(tmp_path, ".".join(map(str, made_by)))
    found = check_python.venv_problem(str(venv), "3.11", asked_for)
    assert found == (None if problem is None else f"{venv} was {problem}")


def test_python_3_13_0_exit_traceback_is_announced_and_documented() -> None:
    note = check_python.exit_noise_note((3, 13, 0))
    assert note is not None and "_DeleteDummyThreadOnDel" in note and "harmless" in note
    assert check_python.exit_noise_note((3, 13, 1)) is None
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "_DeleteDummyThreadOnDel" in readme, "the README explains the 3.13.0 exit traceback"
