"""The offline plans the suite makes, once per session (tests/conftest.py's `offline_plans`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.offline_plan.plan import (
    PlanInputs,
    PlanResult,
    copy_for_plans,
    plan_providers,
    run_plan,
    run_resolved_apply,
)
from tests.offline_validate.terraform_offline import _cli_config

ENDPOINTS = ["https://example.com/wp-json/wp/v2/posts"]

# Default inputs plus the required ones, and a second set that changes every input that changes counts,
# names or regions. "resolved" is the run the IAM tests read (provider_plan.py).
PLANS = (
    PlanInputs("root-defaults", ".", {"wordpress_endpoints": ENDPOINTS}),
    PlanInputs(
        "root-custom",
        ".",
        {
            "wordpress_endpoints": [*ENDPOINTS, "https://example.com/?rest_route=/wp/v2/tags"],
            "aws_region": "us-east-1",
            "name_prefix": "acme-dev",
            "tags": {"Team": "data"},
            "raw_bucket_name": "acme-dev-raw-bucket",
            "glue_database_name": "acme_bronze",
            "alert_email_addresses": {
                "failure_stepfunction": ["ops@example.com"],
                "raw": ["data@example.com"],
            },
            "enable_glue_cost_control": False,
            "log_retention_days": 30,
            "pandas_layer_arn": "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python313:3",
        },
        region="us-east-1",
    ),
    PlanInputs("bootstrap-defaults", "bootstrap", {}),
    PlanInputs(
        "bootstrap-custom",
        "bootstrap",
        {
            "aws_region": "us-east-1",
            "state_bucket_name": "acme-terraform-state",
            "lock_table_name": "acme-tfstate-lock",
            "noncurrent_version_expiration_days": 30,
        },
        region="us-east-1",
    ),
)
RESOLVED = PlanInputs("root-resolved", ".", {"wordpress_endpoints": ENDPOINTS}, resolve=True)


def _break_default(copy: Path) -> None:
    """A default that violates its own validation (DynamoDB names are 3-255 characters)."""
    variables = copy / "bootstrap" / "variables.tf"
    text = variables.read_text(encoding="utf-8")
    broken = text.replace('default     = "serverless-lakehouse-tfstate-lock"', 'default     = "x"')
    assert broken != text, "bootstrap/variables.tf: lock_table_name's default moved; update _break_default"
    variables.write_text(broken, encoding="utf-8")


def _break_count(copy: Path) -> None:
    """A count that depends on a value known only after apply."""
    (copy / "bootstrap" / "broken_count.tf").write_text(
        'resource "aws_sqs_queue" "per_bucket_arn_character" {\n'
        "  count = length(aws_s3_bucket.state.arn)\n"
        '  name  = "broken-${count.index}"\n'
        "}\n",
        encoding="utf-8",
    )


# Deliberately broken copies (tests/offline_plan/test_broken_examples.py): plan must fail on each.
BROKEN = (
    (PlanInputs("broken-default", "bootstrap", {}), _break_default),
    (PlanInputs("broken-count", "bootstrap", {}), _break_count),
)


def run_all(tmp: Path, plans: tuple[PlanInputs, ...] = PLANS, resolved: bool = True) -> dict[str, PlanResult]:
    """Every plan (and the resolved apply) in its own copy, two at a time."""
    with plan_providers() as setup, _cli_config(setup.cli_config), ThreadPoolExecutor(max_workers=2) as pool:
        futures = {}
        for inputs in plans:
            copy = copy_for_plans(tmp / inputs.label)
            futures[inputs.label] = pool.submit(run_plan, copy, inputs, setup, False)
        for inputs, edit in BROKEN:
            copy = copy_for_plans(tmp / inputs.label)
            edit(copy)
            futures[inputs.label] = pool.submit(run_plan, copy, inputs, setup, False)
        if resolved:
            copy = copy_for_plans(tmp / RESOLVED.label)
            futures[RESOLVED.label] = pool.submit(run_resolved_apply, copy, RESOLVED, setup, False)
        return {label: future.result() for label, future in futures.items()}
