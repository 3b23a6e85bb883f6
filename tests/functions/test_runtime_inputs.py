"""Issue 9 item 5: the pipeline module rejects at plan what the code cannot run with.

- `log_level`: every value the variable's validation accepts (evaluated by real Terraform) is set as
  Lambda sets it (`AWS_LAMBDA_LOG_LEVEL`) and a real handler runs with it. Lambda's six levels
  include TRACE, which Python's logging does not know; lakehouse_common maps them.
- `lambda_runtime`: the lowest runtime the validation accepts must run the code. Method: every
  Python file the functions ship (`functions/*/src`, `functions/common`) is parsed with that
  version's grammar (`ast.parse(..., feature_version=(3, N))`), and every standard-library name it
  imports (`from m import a`, and `m.a` after `import m`) is looked up in an interpreter of exactly
  that version. The same check run on the version below must fail, so the bound is tight.
"""

from __future__ import annotations

import ast
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local.functions import FUNCTIONS_DIR
from local.terraform import MODULES_DIR
from tests.tf_eval import accepted_values

from .conftest import Aws

PIPELINE = MODULES_DIR / "pipeline"
LAMBDA_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
EXPECTED_PYTHON_LEVEL = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}
# Python versions the AWS SDK for pandas managed layer is published for (layers page of the
# 3.16.x releases: py3.10 to py3.14; the module looks the layer up by runtime).
PANDAS_LAYER_PYTHONS = {"3.10", "3.11", "3.12", "3.13", "3.14"}


@pytest.fixture(scope="module")
def accepted_log_levels() -> list[str]:
    candidates = [*LAMBDA_LOG_LEVELS, "WARNING", "CRITICAL", "NOTSET", "verbose", ""]
    return accepted_values(PIPELINE, "log_level", candidates)


@pytest.fixture(scope="module")
def accepted_runtimes() -> list[str]:
    candidates = [f"python3.{minor}" for minor in range(6, 16)] + ["python3", "nodejs22.x", "python3.1"]
    return accepted_values(PIPELINE, "lambda_runtime", candidates)


def test_log_level_accepts_lambdas_levels(accepted_log_levels: list[str]) -> None:
    assert accepted_log_levels == LAMBDA_LOG_LEVELS


@pytest.mark.parametrize("level", LAMBDA_LOG_LEVELS)
def test_handler_runs_with_every_accepted_log_level(
    level: str,
    accepted_log_levels: list[str],
    aws: Aws,
    wordpress,
    raw_function,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert level in accepted_log_levels, f"{level} is not accepted by the module any more"
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", level)
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)  # restored after the test
    aws.set_endpoints([wordpress.url("categories")])

    summary = raw_function.lambda_handler({}, None)

    assert [endpoint["name"] for endpoint in summary["endpoints"]] == ["categories"]
    assert root.level == EXPECTED_PYTHON_LEVEL[level]


def test_lambda_runtime_accepts_only_what_the_code_and_the_pandas_layer_support(
    accepted_runtimes: list[str],
) -> None:
    assert accepted_runtimes == ["python3.11", "python3.12", "python3.13"]
    assert {runtime.removeprefix("python") for runtime in accepted_runtimes} <= PANDAS_LAYER_PYTHONS


def _sources() -> list[Path]:
    roots = [FUNCTIONS_DIR / "common", *sorted(FUNCTIONS_DIR.glob("*/src"))]
    files = sorted(path for root in roots for path in root.rglob("*.py") if "__pycache__" not in path.parts)
    assert files, "no function sources found"
    return files


def _stdlib_names(tree: ast.AST) -> set[tuple[str, str]]:
    """(module, name) of every standard-library name the code imports or reads off an imported module."""
    names: set[tuple[str, str]] = set()
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in sys.stdlib_module_names:
                names.update((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in sys.stdlib_module_names:
                    names.add((alias.name, ""))
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            names.add((aliases[node.value.id], node.attr))
    return names


_CHECK = """
import importlib, json, sys
missing = []
for module, name in json.loads(sys.argv[1]):
    try:
        imported = importlib.import_module(module)
    except ImportError:
        missing.append(module)
        continue
    if name and not hasattr(imported, name):
        try:
            importlib.import_module(f"{module}.{name}")
        except ImportError:
            missing.append(f"{module}.{name}")
print(json.dumps({"version": list(sys.version_info[:2]), "missing": missing}))
"""


def _interpreters(minor: int) -> list[str]:
    """Interpreters that may be Python 3.<minor>: this one, python3.<minor> on PATH, pyenv's builds."""
    found = [sys.executable] if sys.version_info[:2] == (3, minor) else []
    on_path = shutil.which(f"python3.{minor}")
    if on_path:
        found.append(on_path)
    found += [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/3.{minor}.*/bin/python3.{minor}"))]
    return found


def _missing_in(minor: int, names: set[tuple[str, str]]) -> list[str] | None:
    """Names absent from Python 3.<minor>'s standard library; None when no such interpreter exists."""
    for interpreter in _interpreters(minor):
        run = subprocess.run(
            [interpreter, "-I", "-c", _CHECK, json.dumps(sorted(names))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if run.returncode != 0 or not run.stdout.strip():
            continue  # e.g. a pyenv shim for a version that is not selected
        report = json.loads(run.stdout.strip().splitlines()[-1])
        if report["version"] == [3, minor]:
            return report["missing"]
    return None


def _compile_errors(minor: int) -> list[str]:
    errors = []
    for path in _sources():
        try:
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, minor))
        except SyntaxError as error:
            errors.append(f"{path.relative_to(FUNCTIONS_DIR)}:{error.lineno}: {error.msg}")
    return errors


def test_the_lowest_accepted_runtime_runs_the_function_code(accepted_runtimes: list[str]) -> None:
    lowest = min(int(runtime.removeprefix("python3.")) for runtime in accepted_runtimes)
    assert not _compile_errors(lowest), f"Python 3.{lowest} grammar rejects: {_compile_errors(lowest)}"
    names = set().union(*(_stdlib_names(ast.parse(path.read_text(encoding="utf-8"))) for path in _sources()))
    assert ("datetime", "UTC") in names, "the name scan found the import that sets the lower bound"
    missing = _missing_in(lowest, names)
    if missing is None:
        pytest.skip(f"no Python 3.{lowest} interpreter here to look the standard-library names up in")
    assert not missing, f"Python 3.{lowest} lacks {missing}, which the function code imports"


def test_the_runtime_below_the_lowest_accepted_one_cannot_run_the_code(accepted_runtimes: list[str]) -> None:
    """The bound is tight, and the check above can fail: one version lower lacks a name the code uses."""
    below = min(int(runtime.removeprefix("python3.")) for runtime in accepted_runtimes) - 1
    names = set().union(*(_stdlib_names(ast.parse(path.read_text(encoding="utf-8"))) for path in _sources()))
    missing = _missing_in(below, names)
    if missing is None:
        pytest.skip(f"no Python 3.{below} interpreter here")
    assert "datetime.UTC" in missing or _compile_errors(below)
