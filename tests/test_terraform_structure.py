"""Every Terraform configuration in the repository parses and its interfaces line up.

Covers the root module, bootstrap/, every directory under modules/ and any other directory with
.tf files, except tests/fixtures/ (fixtures may carry deliberate mistakes for other tests).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from local.hcl import labelled, parse_dir, parse_file
from local.terraform import MODULES_DIR, REPO_ROOT, terraform_files

FIXTURES = REPO_ROOT / "tests" / "fixtures"
MODULE_META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
ADDRESS_BLOCK_START = re.compile(r"^(moved|removed|import)\s*\{")


def project_tf_files() -> list[Path]:
    return [path for path in terraform_files(REPO_ROOT) if FIXTURES not in path.parents]


def configuration_dirs() -> list[Path]:
    return sorted({path.parent for path in project_tf_files()})


def rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def module_calls(config_dir: Path) -> dict[str, dict[str, Any]]:
    return labelled(parse_dir(config_dir).get("module", []))


def local_module_dir(config_dir: Path, call: dict[str, Any]) -> Path | None:
    source = call.get("source", "")
    if not isinstance(source, str) or not source.startswith(("./", "../")):
        return None  # registry or git modules are not part of this repository
    return (config_dir / source).resolve()


def test_there_is_something_to_check() -> None:
    dirs = {rel(path) for path in configuration_dirs()}
    assert {".", "bootstrap", "modules/lakehouse-buckets", "modules/alerting"} <= dirs


@pytest.mark.parametrize("path", project_tf_files(), ids=rel)
def test_tf_file_parses(path: Path) -> None:
    try:
        parse_file(path)
    except Exception as error:  # the parser raises lark errors of several kinds
        pytest.fail(f"{rel(path)} does not parse: {error}")


@pytest.mark.parametrize("config_dir", configuration_dirs(), ids=rel)
def test_module_calls_match_the_module_interface(config_dir: Path) -> None:
    problems: list[str] = []
    calls = module_calls(config_dir)
    for name, call in calls.items():
        module_dir = local_module_dir(config_dir, call)
        if module_dir is None:
            continue
        where = f'{rel(config_dir)}: module "{name}" ({call["source"]})'
        if not module_dir.is_dir() or not list(module_dir.glob("*.tf")):
            problems.append(f"{where}: source directory has no .tf files")
            continue
        variables = labelled(parse_dir(module_dir).get("variable", []))
        passed = set(call) - MODULE_META_ARGUMENTS
        required = {var for var, body in variables.items() if "default" not in body}
        problems += [f"{where}: passes undeclared variable {var}" for var in sorted(passed - set(variables))]
        problems += [f"{where}: misses required variable {var}" for var in sorted(required - passed)]
    problems += undeclared_module_outputs(config_dir, calls)
    assert not problems, "\n".join(problems)


def undeclared_module_outputs(config_dir: Path, calls: dict[str, dict[str, Any]]) -> list[str]:
    """`module.<call>.<output>` references in the calling configuration name declared outputs."""
    problems: list[str] = []
    reference = re.compile(r"\bmodule\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.([A-Za-z0-9_]+)")
    for tf in sorted(config_dir.glob("*.tf")):
        in_address_block = False
        for line_number, line in enumerate(tf.read_text(encoding="utf-8").splitlines(), start=1):
            # moved/removed/import blocks name resource addresses (module.x.aws_y.z), not outputs.
            if ADDRESS_BLOCK_START.match(line):
                in_address_block = True
            if in_address_block:
                in_address_block = line.rstrip() != "}"
                continue
            if line.lstrip().startswith(("#", "//")):
                continue
            for call_name, output_name in reference.findall(line):
                call = calls.get(call_name)
                module_dir = local_module_dir(config_dir, call) if call else None
                if call is None:
                    problems.append(f"{rel(tf)}:{line_number}: module.{call_name} is not declared")
                elif module_dir is not None and module_dir.is_dir():
                    outputs = labelled(parse_dir(module_dir).get("output", []))
                    if output_name not in outputs:
                        problems.append(
                            f"{rel(tf)}:{line_number}: module.{call_name}.{output_name} is not an output "
                            f"of {rel(module_dir)}"
                        )
    return problems


@pytest.mark.parametrize("config_dir", configuration_dirs(), ids=rel)
def test_variables_have_type_and_description(config_dir: Path) -> None:
    problems = []
    for name, body in labelled(parse_dir(config_dir).get("variable", [])).items():
        if not body.get("type"):
            problems.append(f'{rel(config_dir)}: variable "{name}" has no type')
        if not str(body.get("description") or "").strip():
            problems.append(f'{rel(config_dir)}: variable "{name}" has no description')
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("config_dir", configuration_dirs(), ids=rel)
def test_outputs_have_description(config_dir: Path) -> None:
    problems = [
        f'{rel(config_dir)}: output "{name}" has no description'
        for name, body in labelled(parse_dir(config_dir).get("output", [])).items()
        if not str(body.get("description") or "").strip()
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "module_dir", sorted(p for p in MODULES_DIR.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_module_has_standard_files(module_dir: Path) -> None:
    missing = [name for name in MODULE_FILES if not (module_dir / name).is_file()]
    assert not missing, f"{rel(module_dir)} lacks {', '.join(missing)}"


def test_structure_checks_catch_a_bad_module_call(tmp_path: Path) -> None:
    """The interface check fails on an unknown argument, a missing required variable and a bad output."""
    child = tmp_path / "child"
    child.mkdir()
    (child / "variables.tf").write_text(
        'variable "needed" {\n  type        = string\n  description = "d"\n}\n', encoding="utf-8"
    )
    (child / "outputs.tf").write_text(
        'output "real" {\n  description = "d"\n  value = 1\n}\n', encoding="utf-8"
    )
    (tmp_path / "main.tf").write_text(
        'module "child" {\n  source = "./child"\n  surprise = 1\n}\n'
        'output "o" {\n  description = "d"\n  value = module.child.imaginary\n}\n'
        "moved {\n  from = aws_sqs_queue.q\n  to   = module.child.aws_sqs_queue.q\n}\n",
        encoding="utf-8",
    )
    calls = module_calls(tmp_path)
    variables = labelled(parse_dir(child)["variable"])
    assert set(calls["child"]) - MODULE_META_ARGUMENTS - set(variables) == {"surprise"}
    assert {v for v, b in variables.items() if "default" not in b} - set(calls["child"]) == {"needed"}
    problems = undeclared_module_outputs(tmp_path, calls)
    assert len(problems) == 1 and "module.child.imaginary" in problems[0]
