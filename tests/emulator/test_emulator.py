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


def test_start_execution_sync2_returns_the_child_output_and_fails_with_its_description(
    emulator: Emulator,
) -> None:
    sfn = emulator.client("stepfunctions")
    child = sfn.create_state_machine(
        name="child",
        roleArn=ROLE_ARN,
        definition=json.dumps(
            {
                "StartAt": "Fail?",
                "States": {
                    "Fail?": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Failed"}],
                        "Default": "Done",
                    },
                    "Failed": {"Type": "Fail", "Error": "ChildFailed", "Cause": "as asked"},
                    "Done": {
                        "Type": "Pass",
                        "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
                        "End": True,
                    },
                },
            }
        ),
    )["stateMachineArn"]
    parent = _state_machine(
        emulator,
        {
            "StartAt": "Child",
            "States": {
                "Child": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "Parameters": {"StateMachineArn": child, "Name.$": "$$.Execution.Name", "Input.$": "$"},
                    "ResultSelector": {"arn.$": "$.ExecutionArn", "output.$": "$.Output"},
                    "TimeoutSeconds": 60,
                    "Catch": [
                        {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Caught"}
                    ],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        },
    )

    succeeded = run_execution(sfn, parent, {"n": 21, "fail": False}, name="ok")
    failed = run_execution(sfn, parent, {"n": 1, "fail": True}, name="ko")

    assert succeeded["status"] == "SUCCEEDED", succeeded.get("cause")
    output = json.loads(succeeded["output"])
    assert output == {
        "arn": f"{child.replace(':stateMachine:', ':execution:')}:ok",
        "output": {"doubled": 42},
    }
    failure = json.loads(failed["output"])["failure"]
    assert failure["Error"] == "States.TaskFailed"
    description = json.loads(failure["Cause"])
    assert (description["Status"], description["Error"], description["Cause"]) == (
        "FAILED",
        "ChildFailed",
        "as asked",
    )


def test_s3_get_object_task_returns_the_body_as_text(emulator: Emulator) -> None:
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket="results", CreateBucketConfiguration={"LocationConstraint": emulator.region})
    s3.put_object(Bucket="results", Key="run/result.json", Body=b'{"published": ["posts"]}')
    machine = _state_machine(
        emulator,
        {
            "StartAt": "Read",
            "States": {
                "Read": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket": "results", "Key": "run/result.json"},
                    "ResultSelector": {
                        "result.$": "States.StringToJson($.Body)",
                        "modified.$": "$.LastModified",
                    },
                    "TimeoutSeconds": 30,
                    "End": True,
                }
            },
        },
    )

    execution = run_execution(emulator.client("stepfunctions"), machine, {}, name="read")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert output["result"] == {"published": ["posts"]}
    assert isinstance(output["modified"], str), "datetimes become ISO 8601 strings"


GLUE_SCRIPT = """
import argparse, pathlib
parser = argparse.ArgumentParser()
parser.add_argument("--source_bucket")
parser.add_argument("--target_bucket")
parser.add_argument("--local_s3_root")
args, _ = parser.parse_known_args()
root = pathlib.Path(args.local_s3_root)
text = (root / args.source_bucket / "in" / "data.txt").read_text()
if text == "boom":
    raise RuntimeError("dataset data: cannot read in/data.txt")
(root / args.target_bucket / "out").mkdir(parents=True, exist_ok=True)
(root / args.target_bucket / "out" / "data.txt").write_text(text.upper())
(root / args.target_bucket / "old.txt").unlink()
"""


@pytest.mark.parametrize("content", ["hello", "boom"])
def test_glue_start_job_run_sync_runs_the_script_on_mirrored_buckets(
    emulator: Emulator, content: str
) -> None:
    s3, glue = emulator.client("s3"), emulator.client("glue")
    for bucket in ("scripts", "source", "target"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    s3.put_object(Bucket="scripts", Key="job.py", Body=GLUE_SCRIPT.encode())
    s3.put_object(Bucket="source", Key="in/data.txt", Body=content.encode())
    s3.put_object(Bucket="target", Key="old.txt", Body=b"stale")
    glue.create_job(
        Name="copy",
        Role=ROLE_ARN,
        Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/job.py"},
        DefaultArguments={"--source_bucket": "source", "--target_bucket": "target"},
    )
    machine = _state_machine(
        emulator,
        {
            "StartAt": "Job",
            "States": {
                "Job": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::glue:startJobRun.sync",
                    "Parameters": {"JobName": "copy", "Arguments": {"--run_id": "r1"}},
                    "ResultSelector": {"state.$": "$.JobRunState"},
                    "TimeoutSeconds": 60,
                    "Catch": [
                        {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Failed"}
                    ],
                    "End": True,
                },
                "Failed": {"Type": "Pass", "End": True},
            },
        },
    )

    execution = run_execution(emulator.client("stepfunctions"), machine, {}, name=f"job-{content}")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    (run,) = emulator.job_runs
    assert run["arguments"] == {"--source_bucket": "source", "--target_bucket": "target", "--run_id": "r1"}
    if content == "hello":
        assert output == {"state": "SUCCEEDED"}, run.get("error")
        assert s3.get_object(Bucket="target", Key="out/data.txt")["Body"].read() == b"HELLO"
        assert [item["Key"] for item in s3.list_objects_v2(Bucket="target")["Contents"]] == ["out/data.txt"]
    else:
        job_run = json.loads(output["failure"]["Cause"])
        assert job_run["JobRunState"] == "FAILED"
        assert job_run["ErrorMessage"] == "RuntimeError: dataset data: cannot read in/data.txt"
        assert "out/data.txt" not in [item["Key"] for item in s3.list_objects_v2(Bucket="target")["Contents"]]


def test_is_present_choice_on_a_missing_path_logs_nothing_at_error_level(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # The silver workflow asks `IsPresent` of `$.outcome.result.quarantined[0]`: a path that is
    # absent on every good run must not be logged as an error (moto's interpreter did).
    machine = _state_machine(
        emulator,
        {
            "StartAt": "Quarantined?",
            "States": {
                "Quarantined?": {
                    "Type": "Choice",
                    "Choices": [
                        {"Variable": "$.result.quarantined[0]", "IsPresent": True, "Next": "Some"},
                    ],
                    "Default": "None",
                },
                "Some": {"Type": "Pass", "Result": {"branch": "some"}, "End": True},
                "None": {"Type": "Pass", "Result": {"branch": "none"}, "End": True},
            },
        },
    )
    sfn = emulator.client("stepfunctions")

    with caplog.at_level("DEBUG"):
        absent = run_execution(sfn, machine, {"result": {"quarantined": []}}, name="absent")
        present = run_execution(sfn, machine, {"result": {"quarantined": ["posts"]}}, name="present")

    assert (absent["status"], json.loads(absent["output"])) == ("SUCCEEDED", {"branch": "none"})
    assert (present["status"], json.loads(present["output"])) == ("SUCCEEDED", {"branch": "some"})
    errors = [record.getMessage() for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
    assert errors == []


def test_a_received_message_is_visible_again_once_the_sqs_clock_passes_its_visibility_timeout(
    emulator: Emulator,
) -> None:
    sqs = emulator.client("sqs")
    queue = sqs.create_queue(QueueName="emulator-clock", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="kept")
    assert len(sqs.receive_message(QueueUrl=queue).get("Messages", [])) == 1

    emulator.advance_sqs_clock(29)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == [], "still in flight"
    emulator.advance_sqs_clock(2)
    [message] = sqs.receive_message(QueueUrl=queue, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert (message["Body"], message["Attributes"]["ApproximateReceiveCount"]) == ("kept", "2")
