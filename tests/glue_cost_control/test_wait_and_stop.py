"""GlueSession-WaitAndStop in moto's Step Functions interpreter, from the definition rendered by real
Terraform templatefile, against sessions in moto's Glue. Executions get the input the EventBridge
target builds from a CloudTrail CreateSession record. The emulator records the Wait and Retry
intervals instead of sleeping them, and names Glue errors as AWS does (Glue.…)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.glue.exceptions import GlueClientError, IllegalSessionStateException
from moto.glue.models import GlueBackend

from local.emulator import Emulator, execution_events, run_execution, sns_messages, wait_for_execution
from local.terraform import render_state_machine
from tests.glue_cost_control.module import (
    ACCOUNT_ID,
    MODULE_DIR,
    REGION,
    create_session_record,
    event_pattern,
    execution_input_template,
    input_transformer,
    new_session_id,
    transform,
    variable_default,
)

SUCCESS_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:success-stepfunction"
DURATION = 1800  # what a user deploys by default; the emulator does not sleep it


@pytest.fixture(scope="module")
def definition() -> str:
    return json.dumps(render_state_machine(MODULE_DIR, {"success_topic_arn": SUCCESS_TOPIC_ARN}))


@pytest.fixture(scope="module")
def input_template() -> str:
    return execution_input_template(DURATION)


@pytest.fixture
def state_machine_arn(emulator: Emulator, definition: str) -> str:
    assert emulator.region == REGION and emulator.account_id == ACCOUNT_ID
    emulator.client("sns").create_topic(Name="success-stepfunction")
    role = emulator.client("iam").create_role(
        RoleName="GlueSession-WaitAndStop-states", AssumeRolePolicyDocument="{}"
    )
    return emulator.client("stepfunctions").create_state_machine(
        name="GlueSession-WaitAndStop", definition=definition, roleArn=role["Role"]["Arn"], type="STANDARD"
    )["stateMachineArn"]


def create_glue_session(emulator: Emulator, session_id: str) -> None:
    emulator.client("glue").create_session(
        Id=session_id,
        Role=f"arn:aws:iam::{ACCOUNT_ID}:role/service-role/AWSGlueServiceRole-wordpress_bronze",
        Command={"Name": "glueetl", "PythonVersion": "3"},
        IdleTimeout=30,
        MaxCapacity=2,
        GlueVersion="4.0",
        RequestOrigin="GlueStudioDataPreview",
    )


def session_status(emulator: Emulator, session_id: str) -> str:
    return emulator.client("glue").get_session(Id=session_id)["Session"]["Status"]


def execution_input_for(session_id: str, input_template: str) -> dict[str, Any]:
    """What the EventBridge target passes for this session's CreateSession record."""
    return transform(create_session_record(session_id), input_transformer().input_paths, input_template)


@pytest.fixture
def stop_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[str, int], None]], Counter]]:
    """Count glue:StopSession per session id; `inject(fault)` runs fault(session_id, attempt) first."""

    def install(fault: Callable[[str, int], None] = lambda session_id, attempt: None) -> Counter:
        calls: Counter = Counter()
        lock = threading.Lock()
        real_stop_session = GlueBackend.stop_session

        def stop_session(backend: GlueBackend, session_id: str) -> None:
            with lock:
                calls[session_id] += 1
                attempt = calls[session_id]
            fault(session_id, attempt)
            real_stop_session(backend, session_id)

        monkeypatch.setattr(GlueBackend, "stop_session", stop_session)
        return calls

    yield install


def test_a_session_is_stopped_after_the_configured_wait_and_reported(
    emulator: Emulator, state_machine_arn: str, input_template: str, stop_calls: Callable[..., Counter]
) -> None:
    calls = stop_calls()
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert session_status(emulator, session_id) == "STOPPING"
    assert calls == {session_id: 1}
    assert emulator.wait_seconds == [DURATION]
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert session_id in report["message"]
    assert "has stopped" in report["message"]
    assert f"after {DURATION} seconds" in report["message"]


def test_a_session_still_provisioning_is_retried_until_it_stops(
    emulator: Emulator, state_machine_arn: str, input_template: str, stop_calls: Callable[..., Counter]
) -> None:
    def provisioning_for_two_attempts(session_id: str, attempt: int) -> None:
        if attempt <= 2:
            raise IllegalSessionStateException("Session is in PROVISIONING status")

    calls = stop_calls(provisioning_for_two_attempts)
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert session_status(emulator, session_id) == "STOPPING"
    assert calls == {session_id: 3}
    assert emulator.retry_intervals == [10, 20]  # 10 s, then backed off
    failures = [
        event["taskFailedEventDetails"]["error"]
        for event in execution_events(emulator.client("stepfunctions"), execution["executionArn"])
        if event["type"] == "TaskFailed"
    ]
    assert failures == ["Glue.IllegalSessionStateException"] * 2
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert session_id in report["message"]


def test_a_session_that_is_already_gone_is_reported_as_already_stopped(
    emulator: Emulator, state_machine_arn: str, input_template: str, stop_calls: Callable[..., Counter]
) -> None:
    calls = stop_calls()
    session_id = new_session_id()  # never created: stopped, timed out or deleted before the wait ended

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert calls == {session_id: 1}
    assert emulator.retry_intervals == []
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert session_id in report["message"]
    assert "already stopped" in report["message"]


def test_a_permission_error_ends_the_execution_failed(
    emulator: Emulator, state_machine_arn: str, input_template: str, stop_calls: Callable[..., Counter]
) -> None:
    def access_denied(session_id: str, attempt: int) -> None:
        raise GlueClientError(
            "AccessDeniedException",
            f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/GlueSession-WaitAndStop-states/x "
            "is not authorized to perform: glue:StopSession on resource: "
            f"arn:aws:glue:{REGION}:{ACCOUNT_ID}:session/{session_id}",
        )

    calls = stop_calls(access_denied)
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "GlueSessionNotStopped"
    assert calls == {session_id: 1}  # not a "not yet" error: no retry
    assert session_status(emulator, session_id) == "READY"
    failures = [
        event["taskFailedEventDetails"]["error"]
        for event in execution_events(emulator.client("stepfunctions"), execution["executionArn"])
        if event["type"] == "TaskFailed"
    ]
    assert failures == ["Glue.AccessDeniedException"]
    assert sns_messages(SUCCESS_TOPIC_ARN) == []


def test_fifty_sessions_created_at_once_are_each_stopped_exactly_once(
    emulator: Emulator, state_machine_arn: str, stop_calls: Callable[..., Counter]
) -> None:
    """The records go through moto's EventBridge with the module's own pattern and input transformer
    (to an SQS queue: moto cannot deliver to Step Functions), then one execution per delivered input,
    as the rule's Step Functions target starts them."""
    calls = stop_calls()
    events, sqs, sfn = (emulator.client(name) for name in ("events", "sqs", "stepfunctions"))
    queue_url = sqs.create_queue(QueueName="glue-session-executions")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="GlueSession-WaitAndStop-Trigger", EventPattern=json.dumps(event_pattern()))
    transformer = input_transformer()
    events.put_targets(
        Rule="GlueSession-WaitAndStop-Trigger",
        Targets=[
            {
                "Id": "GlueSession-WaitAndStop",
                "Arn": queue_arn,
                "InputTransformer": {
                    "InputPathsMap": transformer.input_paths,
                    "InputTemplate": execution_input_template(DURATION),
                },
            }
        ],
    )

    session_ids = [new_session_id() for _ in range(50)]
    for session_id in session_ids:
        create_glue_session(emulator, session_id)
    records = [create_session_record(session_id) for session_id in session_ids]
    records += [  # traffic that must not start anything
        create_session_record(session_ids[0], event_name="DeleteSession"),
        create_session_record(new_session_id(), error_code="AccessDeniedException"),
    ]
    for batch_start in range(0, len(records), 10):
        response = events.put_events(
            Entries=[
                {
                    "Source": record["source"],
                    "DetailType": record["detail-type"],
                    "Detail": json.dumps(record["detail"]),
                }
                for record in records[batch_start : batch_start + 10]
            ]
        )
        assert response["FailedEntryCount"] == 0

    inputs = receive_all(sqs, queue_url)
    assert sorted(item["session_id"] for item in inputs) == sorted(session_ids)
    assert all(item["wait_seconds"] == DURATION for item in inputs)

    def start(index_and_input: tuple[int, dict[str, Any]]) -> str:
        index, execution_input = index_and_input
        return sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=f"create-session-{index:02d}",
            input=json.dumps(execution_input),
        )["executionArn"]

    with ThreadPoolExecutor(max_workers=10) as pool:
        execution_arns = list(pool.map(start, enumerate(inputs)))
    results = [wait_for_execution(sfn, arn, timeout_seconds=120) for arn in execution_arns]

    assert [result["status"] for result in results] == ["SUCCEEDED"] * 50
    assert calls == dict.fromkeys(session_ids, 1)  # every session stopped, none twice
    assert {session_status(emulator, session_id) for session_id in session_ids} == {"STOPPING"}
    assert sfn.list_executions(stateMachineArn=state_machine_arn, statusFilter="RUNNING")["executions"] == []
    reported = [message["message"] for message in sns_messages(SUCCESS_TOPIC_ARN)]
    assert len(reported) == 50
    assert all(sum(session_id in message for message in reported) == 1 for session_id in session_ids)


def receive_all(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_the_wait_comes_from_the_input_not_the_definition(
    emulator: Emulator, state_machine_arn: str, stop_calls: Callable[..., Counter]
) -> None:
    """Changing session_max_duration_seconds changes the wait with the same ASL."""
    stop_calls()
    seconds = variable_default("session_max_duration_seconds") + 600
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"),
        state_machine_arn,
        execution_input_for(session_id, execution_input_template(seconds)),
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert emulator.wait_seconds == [seconds]
