"""Settings the README discusses are root variables (typed, described, validated), passed to the
module that uses them with the module's own default, and shown in terraform.tfvars.example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.hcl import labelled, parse_dir, parse_file

from .tf_eval import accepted_values

REPO_ROOT = Path(__file__).resolve().parents[1]

# root variable -> (module call, module input, module directory, good values, bad values)
SETTINGS: dict[str, tuple[str, str, str, list[Any], list[Any]]] = {
    "silver_job_worker_type": (
        "pipeline",
        "silver_job_worker_type",
        "pipeline",
        ["G.1X", "G.2X"],
        ["G.9X", "g.1x", "Standard", ""],
    ),
    "silver_job_number_of_workers": (
        "pipeline",
        "silver_job_number_of_workers",
        "pipeline",
        [2, 10, 100],
        [1, 0, 2.5, 101],
    ),
    "bronze_function_memory_size": (
        "pipeline",
        "bronze_function_memory_size",
        "pipeline",
        [128, 1769, 3538, 10240],
        [127, 10241, 1769.5, 0],
    ),
    # Incremental loads (modules/pipeline/README.md, "Incremental loads").
    "full_reload_days": ("pipeline", "full_reload_days", "pipeline", [0, 7, 3650], [-1, 1.5, 3651]),
    "lookback_minutes": ("pipeline", "lookback_minutes", "pipeline", [0, 60, 10080], [-1, 0.5, 10081]),
    "raw_run_expiration_days": (
        "lakehouse_buckets",
        "raw_run_expiration_days",
        "lakehouse-buckets",
        [1, 30, 3650],
        [0, 1.5, 3651],
    ),
    # Gold and Athena (issue 20).
    "gold_bucket_name": (
        "lakehouse_buckets",
        "gold_bucket_name",
        "lakehouse-buckets",
        [None, "my-gold-bucket", "lake.gold.2026"],
        ["My_Gold", "ab", "-gold", "a" * 64],
    ),
    "athena_bytes_scanned_cutoff_per_query": (
        "athena",
        "bytes_scanned_cutoff_per_query",
        "athena",
        [10485760, 1073741824],
        [10485759, 0, 1.5e7 + 0.5],
    ),
    "athena_results_expiration_days": (
        "athena",
        "results_expiration_days",
        "athena",
        [1, 7, 3650],
        [0, 1.5, 3651],
    ),
    "silver_bucket_name": (
        "lakehouse_buckets",
        "silver_bucket_name",
        "lakehouse-buckets",
        [None, "my-silver-bucket", "lake.silver.2026"],
        ["My_Silver", "ab", "-silver", "a" * 64],
    ),
}


def root_variables() -> dict[str, dict[str, Any]]:
    return labelled(parse_dir(REPO_ROOT)["variable"])


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_is_a_typed_described_root_variable_with_the_module_default(name: str) -> None:
    _, module_input, module_dir, _, _ = SETTINGS[name]
    variable = root_variables().get(name)
    assert variable is not None, f"variables.tf declares no root variable {name}"
    assert variable.get("type") and variable.get("description"), name
    module_variable = labelled(parse_dir(REPO_ROOT / "modules" / module_dir)["variable"])[module_input]
    assert variable.get("default") == module_variable.get("default"), "the default deployment is unchanged"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_is_passed_to_its_module(name: str) -> None:
    module_call, module_input, _, _, _ = SETTINGS[name]
    call = labelled(parse_dir(REPO_ROOT)["module"])[module_call]
    assert call.get(module_input) == f"${{var.{name}}}", f"module {module_call}: {module_input} = var.{name}"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_validation_rejects_bad_values(name: str) -> None:
    _, _, _, good, bad = SETTINGS[name]
    assert accepted_values(REPO_ROOT, name, good + bad) == good


def test_tfvars_example_shows_every_setting_and_the_users_endpoint() -> None:
    example_path = REPO_ROOT / "terraform.tfvars.example"
    text = example_path.read_text(encoding="utf-8")
    example = parse_file(example_path)
    declared = root_variables()
    assert set(example) <= set(declared), "the example sets only declared variables"
    for name in SETTINGS:
        assert name in text, f"terraform.tfvars.example does not mention {name}"
    endpoints = example["wordpress_endpoints"]
    assert any(url.rstrip("/").endswith("/wp/v2/users") for url in endpoints), (
        "the silver author rule needs the users endpoint"
    )
