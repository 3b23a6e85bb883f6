"""An offline `terraform plan` of the root module and bootstrap/, with default and custom inputs.

Real Terraform plans against the offline schema provider (provider_plan.py): resources are planned
as creates with unknown computed attributes, data sources read with plausible values, the backend
replaced by a local one in a temporary copy. Planning evaluates what `validate` cannot: every
variable default (and each custom input) against its own `validation`, every `count`/`for_each`
with the values known at plan, and expressions that fail only with known values. The plan's
configuration then shows which kind of value each ARN- or name-taking argument receives.
"""

from __future__ import annotations

import pytest

from tests.offline_plan.glue_logging import STREAMS, all_resources, log_groups_of, problems
from tests.offline_plan.plan import PlanResult
from tests.offline_plan.reference_kinds import mismatches
from tests.offline_plan.runs import PLANS


@pytest.mark.parametrize("label", [p.label for p in PLANS])
def test_plan_succeeds(offline_plans: dict[str, PlanResult], label: str) -> None:
    """Defaults and inputs satisfy their validations; counts and for_each are known at plan."""
    result = offline_plans[label]
    assert result.ok, f"terraform plan ({label}) failed:\n{result.report}"
    creates = [c for c in result.plan["resource_changes"] if c["change"]["actions"] == ["create"]]
    assert creates, f"{label}: the plan creates nothing"


@pytest.mark.parametrize("label", [p.label for p in PLANS])
def test_arn_arguments_get_arns_and_name_arguments_names(
    offline_plans: dict[str, PlanResult], label: str
) -> None:
    result = offline_plans[label]
    assert result.ok, result.report
    found = mismatches(result.plan, result.workdir)
    assert not found, "\n".join(str(m) for m in found)


def test_the_custom_inputs_change_what_is_planned(offline_plans: dict[str, PlanResult]) -> None:
    """The second input set is not a copy of the first: names, region and counts differ."""
    default, custom = offline_plans["root-defaults"], offline_plans["root-custom"]
    assert default.ok and custom.ok
    addresses = {c["address"] for c in default.plan["resource_changes"]}
    custom_addresses = {c["address"] for c in custom.plan["resource_changes"]}
    assert any(a.startswith("module.glue_cost_control") for a in addresses)
    assert not any(a.startswith("module.glue_cost_control") for a in custom_addresses)
    assert any("aws_sns_topic_subscription" in a for a in custom_addresses - addresses)


def test_glue_5_jobs_log_where_glue_5_writes_to_groups_with_retention(
    offline_plans: dict[str, PlanResult],
) -> None:
    """No Glue 4.0 continuous-logging argument on a 5.0 job, and every group the job writes to (by the
    Glue guide's rule, glue_logging.py) managed with a retention and the security configuration's key."""
    result = offline_plans["root-resolved"]
    assert result.ok, result.report
    assert not problems(result.plan), "\n".join(problems(result.plan))


def test_every_glue_job_logs_to_its_own_prefixed_groups(offline_plans: dict[str, PlanResult]) -> None:
    """The groups derived from each planned job carry the job's name (its role and security
    configuration are named after it): the WordPress silver and gold jobs and the landing zone's two jobs."""
    result = offline_plans["root-resolved"]
    assert result.ok, result.report
    resources = list(all_resources(result.plan))
    jobs = [r["values"] for r in resources if r["type"] == "aws_glue_job"]
    assert {job["name"] for job in jobs} == {
        "wordpress_bronze_to_silver",
        "wordpress_silver_to_gold",
        "landing_file_to_bronze",
        "landing_bronze_to_silver",
    }
    configurations = {
        r["values"]["name"]: r["values"] for r in resources if r["type"] == "aws_glue_security_configuration"
    }
    for job in jobs:
        name = job["name"]
        expected = {
            stream: f"/aws-glue/jobs/{name}/{name}-encrypted-role/{name}/{stream}" for stream in STREAMS
        }
        assert log_groups_of(job, configurations) == expected, name
