"""Every import of the functions' code is provided on Lambda: the standard library, the
python3.13 runtime, our own layer (lakehouse_common), the function's own modules, or the AWS
SDK for pandas managed layer. The managed layer's contents are computed from awswrangler's
installed metadata: its requirements with the extras the layer is built with, transitively,
minus the packages the layer removes (they come from the runtime)."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from pathlib import Path

import pytest

from local.functions import COMMON_LAYER_DIR, FUNCTIONS_DIR

PANDAS_LAYER_EXTRAS = {"redshift", "mysql", "postgres", "gremlin", "opensearch", "openpyxl"}
REMOVED_FROM_LAYER = {"boto3", "botocore", "urllib3", "s3transfer"}
# What the python3.13 Lambda runtime ships besides the standard library (boto3 and its dependencies).
LAMBDA_RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
# Standard library modules removed by Python 3.13 (PEP 594 and lib2to3): absent on the runtime.
REMOVED_IN_313 = {
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis", "nntplib",
    "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib", "lib2to3",
}  # fmt: skip
STDLIB = set(sys.stdlib_module_names) - REMOVED_IN_313


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pandas_layer_modules() -> set[str]:
    """Top-level import names of awswrangler and its dependencies with the layer's extras."""
    by_distribution: dict[str, set[str]] = {}
    for module, distributions in metadata.packages_distributions().items():
        for distribution in distributions:
            by_distribution.setdefault(_normalise(distribution), set()).add(module)
    seen: set[str] = set()
    pending = [("awswrangler", PANDAS_LAYER_EXTRAS)]
    while pending:
        name, extras = pending.pop()
        if _normalise(name) in seen:
            continue
        seen.add(_normalise(name))
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here: its own import name is still counted below
        for requirement in requirements:
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?[^;]*(?:;(.*))?", requirement)
            assert match, requirement
            dependency, marker = match.group(1), match.group(3) or ""
            wanted = re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
            if wanted and not set(wanted) & extras:
                continue
            pending.append((dependency, set()))
    modules = set()
    for distribution in seen - {_normalise(name) for name in REMOVED_FROM_LAYER}:
        modules |= by_distribution.get(distribution, {distribution.replace("-", "_")})
    return modules


def third_party_imports(source: Path, local_modules: set[str]) -> dict[str, str]:
    """Top-level imported module -> "file:line", for imports not from the stdlib or ``local_modules``."""
    found = {}
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in STDLIB and top not in local_modules and top != "__future__":
                found.setdefault(top, f"{source.parent.name}/{source.name}:{node.lineno}")
    return found


def unprovided_imports(source_dir: Path, provided: set[str]) -> dict[str, str]:
    """Imports under ``source_dir`` that nothing on Lambda provides."""
    local_modules = {path.stem for path in source_dir.glob("*.py")} | {
        path.name for path in source_dir.iterdir() if path.is_dir()
    }
    missing = {}
    for source in sorted(source_dir.rglob("*.py")):
        for module, where in third_party_imports(source, local_modules).items():
            if module not in provided:
                missing[module] = where
    return missing


PROVIDED = LAMBDA_RUNTIME | {"lakehouse_common"} | pandas_layer_modules()
SOURCE_DIRS = sorted(FUNCTIONS_DIR.glob("*/src")) + [COMMON_LAYER_DIR]


def test_pandas_layer_contents_are_computed() -> None:
    modules = pandas_layer_modules()
    assert {"awswrangler", "pandas", "pyarrow", "numpy", "requests"} <= modules
    assert not modules & REMOVED_FROM_LAYER  # those come from the runtime


def test_every_function_is_checked() -> None:
    assert {path.parent.name for path in SOURCE_DIRS if path.name == "src"} >= {
        "data_wordpressapi_raw",
        "data_wordpressapi_bronze",
    }


@pytest.mark.parametrize("source_dir", SOURCE_DIRS, ids=lambda path: str(path.relative_to(FUNCTIONS_DIR)))
def test_imports_are_provided_on_lambda(source_dir: Path) -> None:
    assert unprovided_imports(source_dir, PROVIDED) == {}


def test_common_layer_uses_only_the_runtime() -> None:
    # The own layer is imported by every function: no dependency on the pandas layer.
    assert unprovided_imports(COMMON_LAYER_DIR, LAMBDA_RUNTIME) == {}


def test_raw_function_does_not_need_pandas_layer() -> None:
    raw = FUNCTIONS_DIR / "data_wordpressapi_raw" / "src"
    assert unprovided_imports(raw, LAMBDA_RUNTIME | {"lakehouse_common"}) == {}


def test_checker_flags_an_import_nothing_provides(tmp_path: Path) -> None:
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    (source_dir / "lambda_function.py").write_text(
        "import json\nimport helper\nimport awswrangler as wr\nfrom orjson import dumps\nimport setuptools\n"
        "def f():\n    import yaml.constructor\n"
    )
    (source_dir / "helper.py").write_text("from . import lambda_function\n")

    assert unprovided_imports(source_dir, PROVIDED) == {
        "orjson": "src/lambda_function.py:4",
        "yaml": "src/lambda_function.py:7",
    }
