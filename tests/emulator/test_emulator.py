"""The embedded emulator behaves like AWS where the project's workflows depend on it."""

from __future__ import annotations

import json

import pytest

from local.emulator import Emulator, entered_states, run_execution

ROLE_ARN = "arn:aws:iam::123456789012:role/test-sfn"


def _state_machine(emulator: Emulator, definition: dict) -> str:
    return emulator.client("stepfunctions").create_state_machine(
        name="emulator-test", definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]


def test_lambda_task_runs_registered_handler_with_function_environment(emulator: Emulator) -> None:
    seen = {}

    def handler(event, context):
        import os

        seen["env"] = os.environ.get("GREETING")
        seen["name"] = context.function_name
        return {"doubled": event["n"] * 2}

    arn = emulator.create_function("echo", handler, {"GREETING": "hello"})
    machine = _state_machine(
        emulator,
        {
            "StartAt": "Echo",
            "States": {
                "Echo": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": arn, "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "TimeoutSeconds": 10,
                    "End": True,
                }
            },
        },
    )
    result = run_execution(emulator.client("stepfunctions"), machine, {"n": 21}, name="echo-1")
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"doubled": 42}
    assert seen == {"env": "hello", "name": "echo"}


def test_raising_handler_is_an_unhandled_function_error_that_catch_sees(emulator: Emulator) -> None:
    def handler(event, context):
        raise ValueError("bad input: endpoint https://x")

    arn = emulator.create_function("boom", handler)
    machine = _state_machine(
        emulator,
        {
            "StartAt": "Boom",
            "States": {
                "Boom": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": arn, "Payload.$": "$"},
                    "TimeoutSeconds": 10,
                    "Retry": [
                        {
                            "ErrorEquals": ["ValueError"],
                            "IntervalSeconds": 7,
                            "MaxAttempts": 2,
                            "BackoffRate": 2.0,
                        }
                    ],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                },
                "Failed": {"Type": "Fail", "Error": "Caught"},
            },
        },
    )
    sfn = emulator.client("stepfunctions")
    result = run_execution(sfn, machine, {}, name="boom-1")
    assert result["status"] == "FAILED"
    assert entered_states(sfn, result["executionArn"]) == ["Boom", "Failed"]
    # Retry intervals are recorded as asked (7 s, then 14 s), not slept.
    assert emulator.retry_intervals == [7, 14]
    assert len([name for name, _ in emulator.invocations if name == "boom"]) == 3


def test_wait_state_records_requested_seconds_without_sleeping(emulator: Emulator) -> None:
    machine = _state_machine(
        emulator,
        {
            "StartAt": "Wait",
            "States": {"Wait": {"Type": "Wait", "SecondsPath": "$.seconds", "End": True}},
        },
    )
    result = run_execution(emulator.client("stepfunctions"), machine, {"seconds": 3600}, timeout_seconds=10)
    assert result["status"] == "SUCCEEDED"
    assert emulator.wait_seconds == [3600]


@pytest.mark.parametrize("session_exists", [True, False])
def test_aws_sdk_errors_use_aws_service_prefix(emulator: Emulator, session_exists: bool) -> None:
    glue = emulator.client("glue")
    if session_exists:
        glue.create_session(Id="s1", Role="arn:aws:iam::123456789012:role/g", Command={"Name": "glueetl"})
        glue.stop_session(Id="s1")  # a second stop is an IllegalSessionStateException
    machine = _state_machine(
        emulator,
        {
            "StartAt": "Stop",
            "States": {
                "Stop": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:glue:stopSession",
                    "Parameters": {"Id": "s1"},
                    "TimeoutSeconds": 10,
                    "Catch": [
                        {
                            "ErrorEquals": [
                                "Glue.IllegalSessionStateException",
                                "Glue.EntityNotFoundException",
                            ],
                            "ResultPath": "$.error",
                            "Next": "Caught",
                        }
                    ],
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        },
    )
    result = run_execution(emulator.client("stepfunctions"), machine, {})
    assert result["status"] == "SUCCEEDED", result
    expected = "Glue.IllegalSessionStateException" if session_exists else "Glue.EntityNotFoundException"
    assert json.loads(result["output"])["error"]["Error"] == expected
