"""The API-constraint check rejects values AWS (or the provider) would reject, applied to a copy of a plan."""

from __future__ import annotations

import copy

import pytest

from tests.api_constraints.check import planned_resources, violations
from tests.offline_plan.plan import PlanResult

BROKEN = [
    # (resource type, argument, broken value, expected text in the report)
    ("aws_kms_alias", "name", "data-lakehouse-alerting", "must start with alias/"),
    ("aws_cloudwatch_log_group", "retention_in_days", 45, "must be one of"),
    ("aws_lambda_function", "runtime", "python3.99", "is not one of"),
    ("aws_lambda_function", "memory_size", 64, "below the minimum 128"),
    ("aws_sfn_state_machine", "name", "WordPress_Raw_To_Bronze_" + "x" * 60, "more than the maximum 80"),
    ("aws_scheduler_schedule", "name", "daily pipeline", "does not match the pattern"),
]


@pytest.mark.parametrize(("rtype", "argument", "value", "expected"), BROKEN)
def test_a_value_the_api_rejects_is_reported(
    offline_plans: dict[str, PlanResult], rtype: str, argument: str, value: object, expected: str
) -> None:
    plan = copy.deepcopy(offline_plans["root-defaults"].plan)
    resource = next(r for r in planned_resources(plan) if r["type"] == rtype)
    resource["values"][argument] = value
    found = [str(v) for v in violations(plan) if v.address == resource["address"] and v.argument == argument]
    assert any(expected in v for v in found), found
