"""GlueSession-WaitAndStop in moto's Step Functions interpreter, from the definition rendered by real
Terraform templatefile, against sessions in moto's Glue. Executions get the input the EventBridge
target builds from a CloudTrail CreateSession record. The emulator records the Wait and Retry
intervals instead of sleeping them, and names Glue errors as AWS does (Glue.…).

The workflow looks before it stops (GetSession, then a Choice on the status). Tests steer a session's
status through moto's Glue backend objects (`FakeSession.state`) and count the GetSession ("looks")
and StopSession calls the state machine makes."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from moto.glue.exceptions import GlueClientError, IllegalSessionStateException
from moto.glue.models import GlueBackend, glue_backends
from moto.glue.responses import GlueResponse

from local.emulator import Emulator, execution_events, run_execution, sns_messages, wait_for_execution
from local.terraform import render_state_machine
from tests.glue_cost_control.module import (
    ACCOUNT_ID,
    MODULE_DIR,
    REGION,
    create_session_record,
    definition_variables,
    event_pattern,
    execution_input_template,
    input_transformer,
    new_session_id,
    transform,
    variable_default,
)

SUCCESS_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:success-stepfunction"
DURATION = 1800  # what a user deploys by default; the emulator does not sleep it
LOOK_SECONDS = variable_default("provisioning_look_seconds")
NOT_RUNNING = ["STOPPING", "STOPPED", "TIMEOUT", "FAILED"]

Hook = Callable[[str, int], None]


def _no_fault(session_id: str, attempt: int) -> None:
    return None


@pytest.fixture(scope="module")
def definition() -> str:
    return json.dumps(render_state_machine(MODULE_DIR, definition_variables(SUCCESS_TOPIC_ARN)))


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


@dataclass
class GlueCalls:
    """GetSession ("looks") and StopSession calls per session id. `on_look` / `on_stop` run as
    hook(session_id, attempt) before moto answers, to change the session's status or raise an error."""

    looks: Counter = field(default_factory=Counter)
    stops: Counter = field(default_factory=Counter)
    on_look: Hook = _no_fault
    on_stop: Hook = _no_fault
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, calls: Counter, session_id: str) -> int:
        with self._lock:
            calls[session_id] += 1
            return calls[session_id]


@pytest.fixture
def glue_calls(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> GlueCalls:
    """Count and steer the Glue calls of the state machine. GetSession is wrapped at the API (moto's
    StopSession reads the session through the backend's get_session, which is not a look)."""
    calls = GlueCalls()
    real_get_session = GlueResponse.get_session
    real_stop_session = GlueBackend.stop_session

    def get_session(response: GlueResponse) -> Any:
        session_id = response.parameters.get("Id")
        calls.on_look(session_id, calls._count(calls.looks, session_id))
        return real_get_session(response)

    def stop_session(backend: GlueBackend, session_id: str) -> None:
        calls.on_stop(session_id, calls._count(calls.stops, session_id))
        real_stop_session(backend, session_id)

    monkeypatch.setattr(GlueResponse, "get_session", get_session)
    monkeypatch.setattr(GlueBackend, "stop_session", stop_session)
    return calls


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


def session_status(session_id: str) -> str:
    """The session's status in moto's Glue backend (not a GetSession call, so not counted as a look)."""
    return glue_backends[ACCOUNT_ID][REGION].sessions[session_id].state


def set_session_status(session_id: str, status: str) -> None:
    """What Glue does on its own (provisioning, timing out) or a user does by hand (stopping)."""
    glue_backends[ACCOUNT_ID][REGION].sessions[session_id].state = status


def execution_input_for(session_id: str, input_template: str) -> dict[str, Any]:
    """What the EventBridge target passes for this session's CreateSession record."""
    return transform(create_session_record(session_id), input_transformer().input_paths, input_template)


def task_failures(emulator: Emulator, execution: dict[str, Any]) -> list[str]:
    return [
        event["taskFailedEventDetails"]["error"]
        for event in execution_events(emulator.client("stepfunctions"), execution["executionArn"])
        if event["type"] == "TaskFailed"
    ]


def access_denied(action: str) -> Hook:
    def raise_access_denied(session_id: str, attempt: int) -> None:
        raise GlueClientError(
            "AccessDeniedException",
            f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/GlueSession-WaitAndStop-states/x "
            f"is not authorized to perform: glue:{action} on resource: "
            f"arn:aws:glue:{REGION}:{ACCOUNT_ID}:session/{session_id}",
        )

    return raise_access_denied


def test_a_running_session_is_stopped_after_the_configured_wait_and_reported(
    emulator: Emulator, state_machine_arn: str, input_template: str, glue_calls: GlueCalls
) -> None:
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert session_status(session_id) == "STOPPING"
    assert glue_calls.looks == {session_id: 1}
    assert glue_calls.stops == {session_id: 1}
    assert emulator.wait_seconds == [DURATION]
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert session_id in report["message"]
    assert "has stopped" in report["message"]
    assert f"after {DURATION} seconds" in report["message"]


@pytest.mark.parametrize("status", NOT_RUNNING)
def test_a_session_stopped_by_hand_before_the_wait_ends_succeeds_without_a_failure(
    emulator: Emulator,
    state_machine_arn: str,
    input_template: str,
    glue_calls: GlueCalls,
    monkeypatch: pytest.MonkeyPatch,
    status: str,
) -> None:
    """Stopped by hand (STOPPING, then STOPPED), timed out or failed while the state machine waited:
    nothing to stop, so no StopSession, no task error, no FAILED execution (no message on
    failure-stepfunction)."""
    session_id = new_session_id()
    create_glue_session(emulator, session_id)
    real_wait = emulator._wait

    def session_ends_during_the_wait(wait_function: Any, env: Any, seconds: int) -> None:
        set_session_status(session_id, status)
        real_wait(wait_function, env, seconds)

    monkeypatch.setattr(emulator, "_wait", session_ends_during_the_wait)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert "error" not in execution
    assert task_failures(emulator, execution) == []
    assert glue_calls.looks == {session_id: 1}
    assert glue_calls.stops == {}
    assert emulator.wait_seconds == [DURATION]
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert session_id in report["message"]
    assert f"already stopped (status {status})" in report["message"]


def test_a_session_that_is_gone_is_reported_as_already_stopped(
    emulator: Emulator, state_machine_arn: str, input_template: str, glue_calls: GlueCalls
) -> None:
    session_id = new_session_id()  # never created: deleted before the wait ended

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert task_failures(emulator, execution) == ["Glue.EntityNotFoundException"]  # GetSession's, caught
    assert glue_calls.looks == {session_id: 1}
    assert glue_calls.stops == {}
    assert emulator.retry_intervals == []
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert session_id in report["message"]
    assert "already stopped and gone" in report["message"]


def test_a_session_provisioning_for_two_looks_is_stopped_once_ready(
    emulator: Emulator, state_machine_arn: str, input_template: str, glue_calls: GlueCalls
) -> None:
    def provisioning_for_two_looks(session_id: str, attempt: int) -> None:
        set_session_status(session_id, "PROVISIONING" if attempt <= 2 else "READY")

    glue_calls.on_look = provisioning_for_two_looks
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert session_status(session_id) == "STOPPING"
    assert glue_calls.looks == {session_id: 3}
    assert glue_calls.stops == {session_id: 1}  # never tried while provisioning
    assert emulator.wait_seconds == [DURATION, LOOK_SECONDS, LOOK_SECONDS]
    assert task_failures(emulator, execution) == []
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert session_id in report["message"]
    assert "has stopped" in report["message"]


def test_a_session_stuck_provisioning_ends_failed_after_the_configured_looks(
    emulator: Emulator, state_machine_arn: str, glue_calls: GlueCalls
) -> None:
    """With max_provisioning_looks = 4 and provisioning_look_seconds = 7 (the defaults' 21 looks take
    the same path, only longer)."""
    looks, look_seconds = 4, 7
    session_id = new_session_id()
    create_glue_session(emulator, session_id)
    set_session_status(session_id, "PROVISIONING")

    execution = run_execution(
        emulator.client("stepfunctions"),
        state_machine_arn,
        execution_input_for(session_id, execution_input_template(DURATION, looks, look_seconds)),
    )

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "GlueSessionStillProvisioning"
    assert glue_calls.looks == {session_id: looks}
    assert glue_calls.stops == {}
    assert emulator.wait_seconds == [DURATION] + [look_seconds] * (looks - 1)
    assert sns_messages(SUCCESS_TOPIC_ARN) == []


@pytest.mark.parametrize("missing", ["max_provisioning_looks", "provisioning_look_seconds", "both"])
def test_an_execution_started_by_hand_without_look_settings_uses_the_module_defaults(
    emulator: Emulator, state_machine_arn: str, glue_calls: GlueCalls, missing: str
) -> None:
    """Started by hand with only the session and the wait: the defaults rendered from the module's
    variables (21 looks 30 s apart) apply instead of the execution ending States.Runtime; a setting the
    input does carry still wins."""
    looks, look_seconds = variable_default("max_provisioning_looks"), LOOK_SECONDS
    given = {"max_provisioning_looks": 3, "provisioning_look_seconds": 7}
    if missing == "both":
        given = {}
    else:
        given.pop(missing)
    expected_looks = given.get("max_provisioning_looks", looks)
    expected_seconds = given.get("provisioning_look_seconds", look_seconds)
    session_id = new_session_id()
    create_glue_session(emulator, session_id)
    set_session_status(session_id, "PROVISIONING")

    execution = run_execution(
        emulator.client("stepfunctions"),
        state_machine_arn,
        {"session_id": session_id, "wait_seconds": DURATION, **given},
    )

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "GlueSessionStillProvisioning", execution
    assert glue_calls.looks == {session_id: expected_looks}
    assert emulator.wait_seconds == [DURATION] + [expected_seconds] * (expected_looks - 1)


@pytest.mark.parametrize("action", ["GetSession", "StopSession"])
def test_a_permission_error_ends_the_execution_failed(
    emulator: Emulator, state_machine_arn: str, input_template: str, glue_calls: GlueCalls, action: str
) -> None:
    if action == "GetSession":
        glue_calls.on_look = access_denied(action)
    else:
        glue_calls.on_stop = access_denied(action)
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "GlueSessionNotStopped"
    assert emulator.retry_intervals == []  # not a transient error: no retry
    assert glue_calls.looks == {session_id: 1}
    assert glue_calls.stops == ({session_id: 1} if action == "StopSession" else {})
    assert session_status(session_id) == "READY"
    assert task_failures(emulator, execution) == ["Glue.AccessDeniedException"]
    assert sns_messages(SUCCESS_TOPIC_ARN) == []


def test_a_session_stopped_by_hand_between_the_look_and_the_stop_is_looked_at_again(
    emulator: Emulator, state_machine_arn: str, input_template: str, glue_calls: GlueCalls
) -> None:
    def stopped_by_hand_first(session_id: str, attempt: int) -> None:
        if attempt == 1:
            set_session_status(session_id, "STOPPED")  # moto's StopSession then raises IllegalSessionState

    glue_calls.on_stop = stopped_by_hand_first
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert task_failures(emulator, execution) == ["Glue.IllegalSessionStateException"]
    assert glue_calls.looks == {session_id: 2}
    assert glue_calls.stops == {session_id: 1}
    assert emulator.wait_seconds == [DURATION, LOOK_SECONDS]
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert "already stopped (status STOPPED)" in report["message"]


def test_an_illegal_session_state_from_the_stop_of_a_running_session_is_looked_at_again_and_stopped(
    emulator: Emulator, state_machine_arn: str, input_template: str, glue_calls: GlueCalls
) -> None:
    def illegal_state_once(session_id: str, attempt: int) -> None:
        if attempt == 1:
            raise IllegalSessionStateException("Session is in STOPPING status")

    glue_calls.on_stop = illegal_state_once
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert glue_calls.looks == {session_id: 2}
    assert glue_calls.stops == {session_id: 2}
    assert session_status(session_id) == "STOPPING"
    [report] = sns_messages(SUCCESS_TOPIC_ARN)
    assert "has stopped" in report["message"]


def test_illegal_session_state_from_every_stop_ends_failed_after_the_configured_looks(
    emulator: Emulator, state_machine_arn: str, glue_calls: GlueCalls
) -> None:
    def always_illegal(session_id: str, attempt: int) -> None:
        raise IllegalSessionStateException("Session is in READY status")

    glue_calls.on_stop = always_illegal
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"),
        state_machine_arn,
        execution_input_for(session_id, execution_input_template(DURATION, 3, LOOK_SECONDS)),
    )

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "GlueSessionNotStopped"
    assert glue_calls.looks == {session_id: 3}
    assert glue_calls.stops == {session_id: 3}
    assert sns_messages(SUCCESS_TOPIC_ARN) == []


@pytest.mark.parametrize(
    "action, error",
    [
        ("GetSession", "ThrottlingException"),
        ("StopSession", "InternalServiceException"),
    ],
)
def test_a_transient_error_is_retried(
    emulator: Emulator,
    state_machine_arn: str,
    input_template: str,
    glue_calls: GlueCalls,
    action: str,
    error: str,
) -> None:
    def transient_twice(session_id: str, attempt: int) -> None:
        if attempt <= 2:
            raise GlueClientError(error, f"{error} from {action}")

    if action == "GetSession":
        glue_calls.on_look = transient_twice
    else:
        glue_calls.on_stop = transient_twice
    session_id = new_session_id()
    create_glue_session(emulator, session_id)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert task_failures(emulator, execution) == [f"Glue.{error}"] * 2
    assert emulator.retry_intervals == [5, 10]
    assert (glue_calls.looks if action == "GetSession" else glue_calls.stops) == {session_id: 3}
    assert session_status(session_id) == "STOPPING"


def test_fifty_sessions_created_at_once_are_each_stopped_exactly_once(
    emulator: Emulator, state_machine_arn: str, glue_calls: GlueCalls
) -> None:
    """The records go through moto's EventBridge with the module's own pattern and input transformer
    (to an SQS queue: moto cannot deliver to Step Functions), then one execution per delivered input,
    as the rule's Step Functions target starts them."""
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
    assert glue_calls.looks == dict.fromkeys(session_ids, 1)
    assert glue_calls.stops == dict.fromkeys(session_ids, 1)  # every session stopped, none twice
    assert {session_status(session_id) for session_id in session_ids} == {"STOPPING"}
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
    emulator: Emulator, state_machine_arn: str, glue_calls: GlueCalls
) -> None:
    """Changing session_max_duration_seconds changes the wait with the same ASL."""
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
    assert glue_calls.stops == {session_id: 1}


@pytest.mark.parametrize("session", ["running", "stopped by hand", "gone"])
def test_a_report_that_cannot_be_published_ends_failed_report_not_sent_after_the_session_is_dealt_with(
    emulator: Emulator, state_machine_arn: str, input_template: str, glue_calls: GlueCalls, session: str
) -> None:
    """README: "GlueSessionReportNotSent when only the report could not be published". The success
    topic is gone (deleted by hand, say), so every publish fails: the session is still stopped (or
    left alone when it is not running), and the execution fails with its own error, not
    GlueSessionNotStopped, so the failure message says the session is not the problem."""
    session_id = new_session_id()
    if session != "gone":
        create_glue_session(emulator, session_id)
    if session == "stopped by hand":
        set_session_status(session_id, "STOPPED")
    emulator.client("sns").delete_topic(TopicArn=SUCCESS_TOPIC_ARN)

    execution = run_execution(
        emulator.client("stepfunctions"), state_machine_arn, execution_input_for(session_id, input_template)
    )

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "GlueSessionReportNotSent"
    assert glue_calls.looks == {session_id: 1}
    if session == "running":
        assert glue_calls.stops == {session_id: 1}
        assert session_status(session_id) == "STOPPING", "stopped although the report failed"
    else:
        assert glue_calls.stops == {}
    # The publish failed and was retried like any failed report (3 retries), then caught.
    sns_failures = [error for error in task_failures(emulator, execution) if not error.startswith("Glue.")]
    assert sns_failures == ["SNS.NotFoundException"] * 4
    assert emulator.retry_intervals == [5, 10, 20]
