"""modules/lambda-function and modules/daily-schedule (issue 17): every Lambda function and every
EventBridge Scheduler schedule of the project is built by them, and what they build is right in the
resolved offline apply of the root module (tests/offline_plan: every name, ARN and policy rendered as
AWS would have them in the emulator's account and region).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest

from local.hcl import parse_dir, resources
from local.terraform import MODULES_DIR
from tests.iam.model import all_resources
from tests.offline_plan.plan import PlanResult

LAMBDA_FUNCTION = MODULES_DIR / "lambda-function"
DAILY_SCHEDULE = MODULES_DIR / "daily-schedule"
# module.<caller>.module.function[<key>] / module.<caller>.module.schedule
FUNCTION_INSTANCE = re.compile(r'^(module\.[a-z_]+\.module\.function(?:\["[a-z_]+"\])?)\.')
SCHEDULE_INSTANCE = re.compile(r"^(module\.[a-z_]+\.module\.schedule)\.")
FUNCTION_TYPES = ("aws_lambda_function", "aws_lambda_alias", "aws_iam_role", "aws_iam_role_policy")


@pytest.fixture(scope="module")
def deployed(offline_plans: dict[str, PlanResult]) -> list[dict[str, Any]]:
    resolved = offline_plans["root-resolved"]
    assert resolved.ok, resolved.report
    return [r for r in all_resources(resolved.plan) if r.get("mode") == "managed"]


def _instances(deployed: list[dict[str, Any]], pattern: re.Pattern[str]) -> dict[str, dict[str, Any]]:
    """Module instance address -> {resource type + name: values}."""
    found: dict[str, dict[str, Any]] = defaultdict(dict)
    for resource in deployed:
        match = pattern.match(resource["address"])
        if match:
            found[match.group(1)][f"{resource['type']}.{resource['name']}"] = resource["values"]
    return dict(found)


def _statements(policy: str) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in json.loads(policy)["Statement"]}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_function_and_schedule_comes_from_the_modules(deployed: list[dict[str, Any]]) -> None:
    functions = [r["address"] for r in deployed if r["type"] == "aws_lambda_function"]
    schedules = [r["address"] for r in deployed if r["type"] == "aws_scheduler_schedule"]
    assert len(functions) >= 3 and len(schedules) >= 2, (functions, schedules)
    outside = [a for a in functions if not FUNCTION_INSTANCE.match(a)] + [
        a for a in schedules if not SCHEDULE_INSTANCE.match(a)
    ]
    assert not outside, f"built outside modules/lambda-function and modules/daily-schedule: {outside}"
    assert len(_instances(deployed, FUNCTION_INSTANCE)) == len(functions)
    assert len(_instances(deployed, SCHEDULE_INSTANCE)) == len(schedules)


def test_each_function_logs_to_its_own_group_runs_under_its_own_role_and_is_invoked_through_live(
    deployed: list[dict[str, Any]],
) -> None:
    for address, parts in _instances(deployed, FUNCTION_INSTANCE).items():
        function = parts["aws_lambda_function.this"]
        name = function["function_name"]
        group, role = parts["aws_cloudwatch_log_group.this"], parts["aws_iam_role.this"]
        policy, alias = parts["aws_iam_role_policy.this"], parts["aws_lambda_alias.live"]
        assert group["name"] == f"/aws/lambda/{name}", address
        assert function["logging_config"][0]["log_group"] == group["name"], address
        assert function["logging_config"][0]["log_format"] == "JSON", address
        assert function["tracing_config"][0]["mode"] == "Active", address
        assert function["role"] == role["arn"] and role["name"] == name == policy["name"], address
        assert policy["role"] == role["name"], address
        trust = json.loads(role["assume_role_policy"])["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}], address
        granted = _statements(policy["policy"])
        assert _as_list(granted["WriteOwnLogs"]["Resource"]) == [f"{group['arn']}:*"], (
            f"{address}: writes only its own log group"
        )
        assert function["publish"] is True, address
        assert (alias["name"], alias["function_name"]) == ("live", name), address
        assert alias["function_version"] == function["version"], (
            f"{address}: live follows the published version"
        )


def test_each_schedule_may_call_only_its_target_alias(deployed: list[dict[str, Any]]) -> None:
    kinds = set()
    for address, parts in _instances(deployed, SCHEDULE_INSTANCE).items():
        schedule, role = parts["aws_scheduler_schedule.this"], parts["aws_iam_role.this"]
        policy = parts["aws_iam_role_policy.this"]
        target = schedule["target"][0]
        assert target["role_arn"] == role["arn"] and role["name"] == schedule["name"], address
        assert target["arn"].endswith(":live"), f"{address}: starts or invokes the live alias"
        trust = json.loads(role["assume_role_policy"])["Statement"][0]
        assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}, address
        assert "aws:SourceAccount" in trust["Condition"]["StringEquals"], address
        granted = {
            (action, resource): statement.get("Condition")
            for statement in json.loads(policy["policy"])["Statement"]
            for action in _as_list(statement["Action"])
            for resource in _as_list(statement["Resource"])
        }
        queues = [config["arn"] for config in target.get("dead_letter_config") or []]
        expected: dict[tuple[str, str], Any] = {("sqs:SendMessage", queue): None for queue in queues}
        if ":states:" in target["arn"]:
            kinds.add("state machine")
            machine = target["arn"].rsplit(":", 1)[0]
            condition = {"StringEquals": {"states:StateMachineQualifier": "live"}}
            expected[("states:StartExecution", machine)] = condition
        else:
            kinds.add("lambda")
            expected[("lambda:InvokeFunction", target["arn"])] = None
        assert granted == expected, f"{address}: {granted}"
    assert kinds == {"state machine", "lambda"}


def test_an_undelivered_start_raises_the_dead_letter_alarm(deployed: list[dict[str, Any]]) -> None:
    with_queue = 0
    for address, parts in _instances(deployed, SCHEDULE_INSTANCE).items():
        queue = parts.get("aws_sqs_queue.dead_letter")
        alarm = parts.get("aws_cloudwatch_metric_alarm.dead_letter")
        assert (queue is None) == (alarm is None), f"{address}: a dead-letter queue always has its alarm"
        if queue is None:
            continue
        with_queue += 1
        schedule = parts["aws_scheduler_schedule.this"]
        assert schedule["target"][0]["dead_letter_config"][0]["arn"] == queue["arn"], address
        assert queue["sqs_managed_sse_enabled"] is True, f"{address}: the queue is encrypted"
        assert alarm["dimensions"] == {"QueueName": queue["name"]}, address
        assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        # One message in the queue within a 5-minute period is enough; an idle queue is not an alarm.
        assert alarm["statistic"] == "Maximum" and (alarm["period"], alarm["evaluation_periods"]) == (300, 1)
        assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["alarm_actions"] == alarm["ok_actions"] and len(alarm["alarm_actions"]) == 1, address
        assert alarm["treat_missing_data"] == "ignore", address
    assert with_queue >= 1, "the pipeline's schedule has a dead-letter queue"


def test_dead_letter_alarm_stays_in_alarm_while_the_undelivered_start_waits() -> None:
    """SQS stops reporting an inactive queue's metrics after about six hours; a message waiting in the
    dead-letter queue is no activity. Missing data must keep the alarm's state ("ignore"), not turn it
    back to OK with an OK message ("notBreaching") while the start is still undelivered."""
    alarm = next(
        body
        for rtype, name, body in resources(parse_dir(DAILY_SCHEDULE))
        if (rtype, name) == ("aws_cloudwatch_metric_alarm", "dead_letter")
    )
    assert alarm["treat_missing_data"] == "ignore"
    source = (DAILY_SCHEDULE / "main.tf").read_text(encoding="utf-8")
    comment = source[: source.index('resource "aws_cloudwatch_metric_alarm" "dead_letter"')]
    comment = comment[comment.rindex("\n\n") :]
    assert 'treat_missing_data = "ignore"' in comment and "six hours" in comment, (
        "the comment above the alarm explains why missing data is ignored"
    )


def test_no_other_module_writes_function_or_schedule_pieces_itself() -> None:
    """One way to build a function and a schedule: only the internal modules declare these types."""
    owners = {"lambda-function": set(FUNCTION_TYPES), "daily-schedule": {"aws_scheduler_schedule"}}
    found = []
    for module in sorted(p for p in MODULES_DIR.iterdir() if p.is_dir()):
        for rtype, name, _ in resources(parse_dir(module)):
            built_here = rtype in owners.get(module.name, set())
            if (
                rtype in ("aws_lambda_function", "aws_lambda_alias", "aws_scheduler_schedule")
                and not built_here
            ):
                found.append(f"modules/{module.name}: {rtype}.{name}")
    assert not found, found
