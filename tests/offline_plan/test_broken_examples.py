"""The offline plan's checks reject deliberately broken copies, so they cannot silently stop working.

Each defect is applied to a temporary copy of the project (runs.py BROKEN) or to a copy of a plan's
configuration, and the check that must catch it is asserted to fail, naming the defect.
"""

from __future__ import annotations

import copy

from tests.offline_plan import glue_logging
from tests.offline_plan.plan import PlanResult
from tests.offline_plan.reference_kinds import mismatches
from tests.offline_validate.terraform_offline import copy_project


def test_a_default_that_violates_its_validation_fails_the_plan(offline_plans: dict[str, PlanResult]) -> None:
    result = offline_plans["broken-default"]
    assert not result.ok
    assert "Invalid value for variable" in result.report and "lock_table_name" in result.report, result.report


def test_a_count_unknown_at_plan_fails_the_plan(offline_plans: dict[str, PlanResult]) -> None:
    result = offline_plans["broken-count"]
    assert not result.ok
    assert "Invalid count argument" in result.report, result.report


def _state_machine_module(plan: dict) -> dict:
    calls = plan["configuration"]["root_module"]["module_calls"]
    return calls["pipeline"]["module"]["module_calls"]["state_machine"]["module"]


def test_a_name_given_where_an_arn_belongs_is_reported(offline_plans: dict[str, PlanResult]) -> None:
    plan = copy.deepcopy(offline_plans["root-defaults"].plan)
    machine = next(
        r for r in _state_machine_module(plan)["resources"] if r["type"] == "aws_sfn_state_machine"
    )
    machine["expressions"]["role_arn"] = {"references": ["aws_iam_role.this.name", "aws_iam_role.this"]}
    found = [str(m) for m in mismatches(plan)]
    assert any("role_arn takes an ARN but is given aws_iam_role.this.name" in m for m in found), found


def test_an_arn_given_where_a_name_belongs_is_reported(offline_plans: dict[str, PlanResult]) -> None:
    plan = copy.deepcopy(offline_plans["root-defaults"].plan)
    call = plan["configuration"]["root_module"]["module_calls"]["pipeline"]
    call["expressions"]["glue_database_name"] = {"references": ["module.lakehouse_buckets.raw_bucket_arn"]}
    found = [str(m) for m in mismatches(plan)]
    assert any(
        "glue_database_name takes an name but is given module.lakehouse_buckets.raw_bucket_arn" in m
        for m in found
    ), found


def test_a_name_through_a_for_each_index_is_reported(offline_plans: dict[str, PlanResult], tmp_path) -> None:
    """`aws_sns_topic.this[each.value.topic].name` as a subscription's topic: the JSON drops `.name`,
    the HCL has it."""
    copy_root = copy_project(tmp_path)
    main = copy_root / "modules" / "alerting" / "main.tf"
    text = main.read_text(encoding="utf-8")
    broken = text.replace(
        "topic_arn = aws_sns_topic.this[each.value.topic].arn",
        "topic_arn = aws_sns_topic.this[each.value.topic].name",
    )
    assert broken != text, (
        "modules/alerting/main.tf: the subscription's topic line moved; update this example"
    )
    main.write_text(broken, encoding="utf-8")
    found = [str(m) for m in mismatches(offline_plans["root-defaults"].plan, copy_root)]
    assert any(
        "aws_sns_topic_subscription.email: topic_arn takes an ARN but is given aws_sns_topic.this.name" in m
        for m in found
    ), found


def _silver_job(plan: dict) -> dict:
    # The WordPress silver job (the landing zone's jobs follow the same rule).
    address = "module.pipeline.aws_glue_job.silver"
    [job] = [r for r in glue_logging.all_resources(plan) if r["address"] == address]
    return job


def test_glue_4_continuous_logging_on_a_glue_5_job_is_reported(offline_plans: dict[str, PlanResult]) -> None:
    """The silver job as it was before issue 15: Glue 4.0's continuous-logging arguments and no
    --custom-logGroup-prefix, so Glue 5.0 wrote to /aws-glue/jobs/<security configuration>-role/<role>/
    {error,output}, groups nothing managed."""
    plan = copy.deepcopy(offline_plans["root-resolved"].plan)
    job = _silver_job(plan)
    arguments = job["values"]["default_arguments"]
    del arguments["--custom-logGroup-prefix"]
    arguments["--enable-continuous-cloudwatch-log"] = "true"
    arguments["--continuous-log-logGroup"] = f"/aws-glue/jobs/{job['values']['name']}"
    found = glue_logging.problems(plan)
    configuration = job["values"]["security_configuration"]
    expected = "with --enable-continuous-cloudwatch-log, a continuous-logging argument"
    assert any(expected in m for m in found), found
    assert any("with --continuous-log-logGroup" in m for m in found), found
    for stream in ("error", "output"):
        unmanaged = f"/aws-glue/jobs/{configuration}-role/{job['values']['name']}/{stream}, which no"
        assert any(unmanaged in m for m in found), found


def test_a_glue_log_group_without_retention_or_key_is_reported(offline_plans: dict[str, PlanResult]) -> None:
    plan = copy.deepcopy(offline_plans["root-resolved"].plan)
    groups = {
        r["values"]["name"]: r
        for r in glue_logging.all_resources(plan)
        if r["type"] == "aws_cloudwatch_log_group"
    }
    job = _silver_job(plan)["values"]
    written = glue_logging.log_groups_of(job, {job["security_configuration"]: _configuration(plan)})
    groups[written["output"]]["values"]["retention_in_days"] = None
    groups[written["error"]]["values"]["kms_key_id"] = None
    found = glue_logging.problems(plan)
    assert any(f"output log group {written['output']}" in m and "has no retention" in m for m in found), found
    assert any(f"error log group {written['error']}" in m and "not encrypted" in m for m in found), found


def _configuration(plan: dict) -> dict:
    address = "module.pipeline.aws_glue_security_configuration.silver"
    [configuration] = [r["values"] for r in glue_logging.all_resources(plan) if r["address"] == address]
    return configuration
