"""The record (modules/alerting) and the replay (modules/failure-replay), read from their HCL and
evaluated with real Terraform where they compute: the failure routing rule's SQS and Logs targets
and their resource policies, the replay function's package, environment, IAM and schedule, and the
root wiring (the pipeline's state machine only, the common layer built once)."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest

from local.hcl import blocks_of, labelled, parse_dir, resources
from local.terraform import MODULES_DIR, REPO_ROOT
from tests.pipeline.test_module import evaluate, hcl_source, module_locals

ALERTING = MODULES_DIR / "alerting"
REPLAY = MODULES_DIR / "failure-replay"
HANDLER = REPO_ROOT / "functions" / "replay_failed_executions" / "src" / "lambda_function.py"
RULE = "aws_cloudwatch_event_rule.state_machine_failed"


@pytest.fixture(scope="module")
def alerting() -> dict[str, list[Any]]:
    return parse_dir(ALERTING)


@pytest.fixture(scope="module")
def replay() -> dict[str, list[Any]]:
    return parse_dir(REPLAY)


def resource(tree: dict[str, list[Any]], rtype: str, name: str, kind: str = "resource") -> dict[str, Any]:
    for found_type, found_name, body in resources(tree, kind):
        if (found_type, found_name) == (rtype, name):
            return body
    raise AssertionError(f"no {kind} {rtype}.{name}")


def statements(tree: dict[str, list[Any]], document: str) -> dict[str, dict[str, Any]]:
    body = resource(tree, "aws_iam_policy_document", document, kind="data")
    return {statement["sid"]: statement for statement in blocks_of(body, "statement")}


# --------------------------------------------------------------------------- the record


def test_failure_rule_targets_the_queue_and_the_log_group_with_the_event_unchanged(alerting) -> None:
    targets = {
        body["arn"]: body for kind, _, body in resources(alerting) if kind == "aws_cloudwatch_event_target"
    }
    queue = targets["${aws_sqs_queue.failed_executions.arn}"]
    logs = targets["${aws_cloudwatch_log_group.failure_events.arn}"]
    for target in (queue, logs):
        assert target["rule"] == f"${{{RULE}[0].name}}"
        assert target["count"] == f"${{length({RULE})}}", "a target exists exactly when the rule does"
        assert "input_transformer" not in target and "input" not in target and "input_path" not in target
        assert "role_arn" not in target, "SQS and Logs targets use resource policies, not a role"
    # The readable message to failure-stepfunction is still there.
    assert '${aws_sns_topic.this["failure_stepfunction"].arn}' in targets


def test_queue_is_encrypted_keeps_14_days_and_dead_letters(alerting) -> None:
    for name in ("failed_executions", "failed_executions_dead_letter"):
        queue = resource(alerting, "aws_sqs_queue", name)
        assert queue["sqs_managed_sse_enabled"] is True
        assert queue["message_retention_seconds"] == 14 * 24 * 3600
    redrive = resource(alerting, "aws_sqs_queue", "failed_executions")["redrive_policy"]
    assert "deadLetterTargetArn = aws_sqs_queue.failed_executions_dead_letter.arn" in redrive
    assert "maxReceiveCount = var.failed_executions_max_receive_count" in redrive


def test_queue_policy_lets_only_the_failure_rule_send(alerting) -> None:
    policy = resource(alerting, "aws_sqs_queue_policy", "failed_executions")
    assert policy["queue_url"] == "${aws_sqs_queue.failed_executions.id}"
    assert policy["policy"] == "${data.aws_iam_policy_document.failed_executions_queue[0].json}"
    found = statements(alerting, "failed_executions_queue")
    allows = [s for s in found.values() if s.get("effect", "Allow") == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["actions"] == ["sqs:SendMessage"]
    assert allow["resources"] == ["${aws_sqs_queue.failed_executions.arn}"]
    assert allow["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert allow["condition"] == [
        {"test": "ArnEquals", "variable": "aws:SourceArn", "values": [f"${{{RULE}[0].arn}}"]}
    ]


def test_log_resource_policy_lets_eventbridge_write_only_the_failure_log_group(alerting) -> None:
    policy = resource(alerting, "aws_cloudwatch_log_resource_policy", "failure_events")
    assert policy["policy_document"] == "${data.aws_iam_policy_document.failure_events_log_group.json}"
    [statement] = statements(alerting, "failure_events_log_group").values()
    assert statement.get("effect", "Allow") == "Allow"
    assert sorted(statement["actions"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["resources"] == ["${aws_cloudwatch_log_group.failure_events.arn}:*"]
    [principal] = statement["principals"]
    assert principal["type"] == "Service"
    assert sorted(principal["identifiers"]) == ["delivery.logs.amazonaws.com", "events.amazonaws.com"]
    group = resource(alerting, "aws_cloudwatch_log_group", "failure_events")
    assert group["retention_in_days"] == "${var.log_retention_days}"


@pytest.mark.parametrize(
    ("prefix", "log_group", "queue"),
    [
        ("", "/aws/events/stepfunction-failures", "stepfunction-failed-executions"),
        ("dev", "/aws/events/dev-stepfunction-failures", "dev-stepfunction-failed-executions"),
    ],
)
def test_names_carry_the_prefix(alerting, prefix: str, log_group: str, queue: str) -> None:
    names = module_locals(alerting)
    value = evaluate(
        alerting,
        "["
        + ", ".join(
            hcl_source(names[key])
            for key in ("failure_events_log_group_name", "failed_executions_queue_name")
        )
        + "]",
        {"name_prefix": prefix},
    )
    assert value == [log_group, queue]


def test_root_passes_log_retention_to_alerting() -> None:
    calls = labelled(parse_dir(REPO_ROOT)["module"])
    assert calls["alerting"]["log_retention_days"] == "${var.log_retention_days}"


# --------------------------------------------------------------------------- the replay


def test_root_replays_the_pipeline_only_with_the_shared_common_layer() -> None:
    call = labelled(parse_dir(REPO_ROOT)["module"])["failure_replay"]
    assert call["source"] == "./modules/failure-replay"
    assert call["state_machine_arns"] == ["${module.pipeline.state_machine_alias_arn}"], (
        "only the pipeline, through its live alias: the Glue cost control's session is gone by replay time"
    )
    assert call["common_layer_arn"] == "${module.pipeline.common_layer_arn}", "the layer is built once"
    assert call["queue_url"] == "${module.alerting.failed_executions_queue_url}"
    assert call["dead_letter_queue_url"] == "${module.alerting.failed_executions_dead_letter_queue_url}"
    assert "aws_lambda_layer_version" not in {kind for kind, _, _ in resources(parse_dir(REPLAY))}


def test_function_is_packaged_from_its_source_with_the_handler_and_the_common_layer(replay) -> None:
    call = labelled(replay["module"])["function"]
    assert call["source"] == "../lambda-function"
    assert call["source_dir"] == "${path.module}/../../functions/replay_failed_executions/src"
    assert (REPO_ROOT / "functions/replay_failed_executions/src/lambda_function.py").is_file()
    assert "handler" not in call, "the module's default, lambda_function.lambda_handler"
    handler = labelled(parse_dir(MODULES_DIR / "lambda-function")["variable"])["handler"]["default"]
    assert handler == "lambda_function.lambda_handler"
    assert call["layers"] == ["${var.common_layer_arn}"]


def test_function_environment_sets_what_the_handler_reads(replay) -> None:
    environment = labelled(replay["module"])["function"]["environment"]
    assert environment["QUEUE_URL"] == "${var.queue_url}"
    assert environment["STATE_MACHINE_ARNS"] == '${join(",", var.state_machine_arns)}'
    assert environment["MAX_REPLAYS"] == "${tostring(var.max_replays)}"
    assert labelled(replay["variable"])["max_replays"]["default"] == 1
    tree = ast.parse(HANDLER.read_text(encoding="utf-8"))
    read = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and re.fullmatch(r"[A-Z_]+", node.args[0].value)
        and (getattr(node.func, "attr", "") == "get" or getattr(node.func, "id", "") == "env_int")
    }
    assert {"QUEUE_URL", "STATE_MACHINE_ARNS", "MAX_REPLAYS"} <= read
    assert read - set(environment) <= {"RECEIVE_WAIT_SECONDS"}, "every setting but a tuning default is set"


def test_function_role_grants_exactly_what_the_replay_needs(replay) -> None:
    grants = {
        action: statement["resources"]
        for statement in statements(replay, "function").values()
        for action in statement["actions"]
    }
    # Its own logs and X-Ray: modules/lambda-function adds them (tests/test_function_and_schedule_modules.py).
    assert (
        labelled(replay["module"])["function"]["policy_json"]
        == "${data.aws_iam_policy_document.function.json}"
    )
    assert grants == {
        "sqs:ReceiveMessage": ["${var.queue_arn}"],
        "sqs:DeleteMessage": ["${var.queue_arn}"],
        "sqs:SendMessage": ["${var.dead_letter_queue_arn}"],
        "states:DescribeExecution": "${local.execution_arns}",
        "states:ListExecutions": "${local.state_machine_arns}",
        # On the unqualified ARNs, narrowed to the alias by states:StateMachineQualifier.
        "states:StartExecution": "${local.state_machine_arns}",
        "sns:Publish": ["${var.success_stepfunction_topic_arn}", "${var.failure_stepfunction_topic_arn}"],
        "kms:GenerateDataKey": ["${var.sns_kms_key_arn}"],
        "kms:Decrypt": ["${var.sns_kms_key_arn}"],
    }


def test_execution_grants_cover_the_state_machines_and_their_alias(replay) -> None:
    names = module_locals(replay)
    base = "arn:aws:states:eu-west-2:123456789012:stateMachine:WordPress_Raw_To_Bronze"
    machines = hcl_source(names["state_machine_arns"])
    executions = hcl_source(names["execution_arns"]).replace("local.state_machine_arns", f"({machines})")
    value = evaluate(replay, f"[{machines}, {executions}]", {"state_machine_arns": [f"{base}:live"]})
    assert value == [[base], ["arn:aws:states:eu-west-2:123456789012:execution:WordPress_Raw_To_Bronze:*"]]
    # A start through the alias is authorized on the state machine, narrowed to the alias.
    condition = statements(replay, "function")["StartReplays"]["dynamic"][0]["condition"]["content"][0]
    assert condition["variable"] == "states:StateMachineQualifier"
    qualifiers = hcl_source(names["start_qualifiers"])
    assert evaluate(replay, qualifiers, {"state_machine_arns": [f"{base}:live"]}) == ["live"]


def test_schedule_invokes_the_function_daily_at_one_london_time(replay) -> None:
    schedule = labelled(replay["module"])["schedule"]
    defaults = {name: body.get("default") for name, body in labelled(replay["variable"]).items()}
    assert schedule["source"] == "../daily-schedule"
    assert schedule["schedule_expression"] == "${var.schedule_expression}"
    assert schedule["schedule_timezone"] == "${var.schedule_timezone}"
    assert defaults["schedule_expression"] == "cron(0 13 * * ? *)"
    assert defaults["schedule_timezone"] == "Europe/London"
    assert schedule["enabled"] == "${var.schedule_enabled}"
    # Releases: the schedule invokes the published version through the `live` alias, never $LATEST;
    # its role may invoke only that alias (rendered: tests/test_function_and_schedule_modules.py).
    assert schedule["target_kind"] == "lambda"
    assert schedule["target_arn"] == "${module.function.alias_arn}"
    assert "state_machine_arn" not in schedule
    root = {name: body.get("default") for name, body in labelled(parse_dir(REPO_ROOT)["variable"]).items()}
    assert root["failure_replay_schedule_expression"] == defaults["schedule_expression"]
    assert root["failure_replay_schedule_timezone"] == defaults["schedule_timezone"]
    assert root["failure_replay_schedule_enabled"] is True and root["failure_replay_max_replays"] == 1
