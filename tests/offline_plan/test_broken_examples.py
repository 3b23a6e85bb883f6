"""The offline plan's checks reject deliberately broken copies, so they cannot silently stop working.

Each defect is applied to a temporary copy of the project (runs.py BROKEN) or to a copy of a plan's
configuration, and the check that must catch it is asserted to fail, naming the defect.
"""

from __future__ import annotations

import copy

from tests.offline_plan.plan import PlanResult
from tests.offline_plan.reference_kinds import mismatches


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
