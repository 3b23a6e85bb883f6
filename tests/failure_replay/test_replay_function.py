"""replay_failed_executions end to end in the emulator: real SQS queues (with the redrive policy the
alerting module declares), real Step Functions executions in moto's interpreter, failure events
delivered to the queue by moto's EventBridge exactly as a rule without input transformer delivers
them, and the real handler loaded as Lambda loads it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.emulator import Emulator, run_execution, sns_messages, wait_for_execution
from local.functions import load_function_module
from tests.failure_replay.events import status_change_event

FAILING = json.dumps(
    {"StartAt": "Work", "States": {"Work": {"Type": "Fail", "Error": "PipelineFailed", "Cause": "site down"}}}
)
SUCCEEDING = json.dumps({"StartAt": "Work", "States": {"Work": {"Type": "Succeed"}}})
INPUT = {"trigger": "schedule"}


@pytest.fixture(scope="module")
def replay_module() -> Any:
    return load_function_module("replay_failed_executions")


@dataclass
class Setup:
    emulator: Emulator
    sfn: Any
    sqs: Any
    events: Any
    pipeline_arn: str
    other_arn: str
    queue_url: str
    dead_letter_queue_url: str
    success_topic: str
    failure_topic: str
    run_handler: Callable[[], dict[str, Any]]

    def fail(
        self, state_machine_arn: str, name: str, execution_input: dict[str, Any] = INPUT
    ) -> dict[str, Any]:
        """Run an execution that fails and deliver its status-change event through EventBridge."""
        self.sfn.update_state_machine(stateMachineArn=state_machine_arn, definition=FAILING)
        description = run_execution(self.sfn, state_machine_arn, execution_input, name=name)
        assert description["status"] == "FAILED"
        self.deliver(description)
        return description

    def succeed(self, state_machine_arn: str, name: str, execution_input: dict[str, Any] = INPUT) -> None:
        self.sfn.update_state_machine(stateMachineArn=state_machine_arn, definition=SUCCEEDING)
        assert run_execution(self.sfn, state_machine_arn, execution_input, name=name)["status"] == "SUCCEEDED"
        self.sfn.update_state_machine(stateMachineArn=state_machine_arn, definition=FAILING)

    def deliver(self, description: dict[str, Any]) -> None:
        event = status_change_event(description)
        response = self.events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Resources": event["resources"],
                    "Detail": json.dumps(event["detail"]),
                }
            ]
        )
        assert response["FailedEntryCount"] == 0

    def executions(self, state_machine_arn: str) -> dict[str, dict[str, Any]]:
        listed = self.sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
        return {item["name"]: item for item in listed}

    def queue_bodies(self, queue_url: str) -> list[str]:
        bodies = []
        while True:
            received = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not received.get("Messages"):
                return bodies
            bodies += [message["Body"] for message in received["Messages"]]


@pytest.fixture
def setup(emulator: Emulator, replay_module: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    sfn, sqs, events, sns = (emulator.client(name) for name in ("stepfunctions", "sqs", "events", "sns"))
    role = f"arn:aws:iam::{emulator.account_id}:role/states"  # moto does not look the role up
    # Published with a `live` alias, as modules/state-machine deploys it: the function is configured
    # with the alias ARN (what the root module passes) and replays start through it.
    pipeline = sfn.create_state_machine(
        name="WordPress_Raw_To_Bronze", definition=FAILING, roleArn=role, publish=True
    )
    pipeline_arn = pipeline["stateMachineArn"]
    pipeline_alias_arn = sfn.create_state_machine_alias(
        name="live",
        routingConfiguration=[{"stateMachineVersionArn": pipeline["stateMachineVersionArn"], "weight": 100}],
    )["stateMachineAliasArn"]
    other_arn = sfn.create_state_machine(name="GlueSession-WaitAndStop", definition=FAILING, roleArn=role)[
        "stateMachineArn"
    ]
    dead_letter_url = sqs.create_queue(QueueName="stepfunction-failed-executions-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName="stepfunction-failed-executions",
        Attributes={
            "MessageRetentionPeriod": "1209600",
            "VisibilityTimeout": "900",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 3}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="stepfunction-execution-failed",
        EventPattern=json.dumps(
            {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"]},
            }
        ),
    )
    # As the alerting module declares it: no input transformer, the event as EventBridge sends it.
    events.put_targets(Rule="stepfunction-execution-failed", Targets=[{"Id": "queue", "Arn": queue_arn}])
    success_topic = sns.create_topic(Name="success-stepfunction")["TopicArn"]
    failure_topic = sns.create_topic(Name="failure-stepfunction")["TopicArn"]
    environment = {
        "QUEUE_URL": queue_url,
        "DEAD_LETTER_QUEUE_URL": dead_letter_url,
        "STATE_MACHINE_ARNS": pipeline_alias_arn,
        "SUCCESS_TOPIC_ARN": success_topic,
        "FAILURE_TOPIC_ARN": failure_topic,
        "RECEIVE_WAIT_SECONDS": "0",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MAX_REPLAYS", raising=False)

    # The function runs through the emulator's Lambda (its `live` alias, as the schedule invokes it), so
    # its AWS calls are recorded for the IAM tests. Its settings stay in the process environment
    # (monkeypatch), which tests change per case.
    function_alias_arn = emulator.create_function(
        "replay_failed_executions", replay_module.lambda_handler, timeout=900, alias="live"
    )
    lambda_client = emulator.client("lambda")

    def run_handler() -> dict[str, Any]:
        response = lambda_client.invoke(FunctionName=function_alias_arn, Payload=b"{}")
        result = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, result
        for execution in sfn.list_executions(stateMachineArn=pipeline_arn)["executions"]:
            wait_for_execution(sfn, execution["executionArn"])
        return result

    yield Setup(
        emulator, sfn, sqs, events, pipeline_arn, other_arn, queue_url, dead_letter_url, success_topic,
        failure_topic, run_handler,
    )  # fmt: skip


def test_failed_execution_is_replayed_with_its_input_under_a_derived_name(setup: Setup) -> None:
    failed = setup.fail(setup.pipeline_arn, "daily-2026-12-01", {"trigger": "schedule", "day": "2026-12-01"})

    result = setup.run_handler()

    executions = setup.executions(setup.pipeline_arn)
    assert set(executions) == {"daily-2026-12-01", "replay-daily-2026-12-01"}
    replay = setup.sfn.describe_execution(executionArn=executions["replay-daily-2026-12-01"]["executionArn"])
    assert json.loads(replay["input"]) == json.loads(failed["input"])
    assert [item["failed_execution"] for item in result["replayed"]] == ["daily-2026-12-01"]
    assert result["stopped_early"] is False, "the queue was read to the end"
    assert setup.queue_bodies(setup.queue_url) == []
    assert setup.queue_bodies(setup.dead_letter_queue_url) == []
    # One summary with console links of the failed execution and the replay; no failure alert.
    [summary] = sns_messages(setup.success_topic)
    assert "1 execution(s) replayed" in summary["subject"]
    console = "https://eu-west-2.console.aws.amazon.com/states/home?region=eu-west-2#/v2/executions/details/"
    assert console + failed["executionArn"] in summary["message"]
    assert console + replay["executionArn"] in summary["message"]
    assert sns_messages(setup.failure_topic) == []


def test_empty_queue_sends_nothing(setup: Setup) -> None:
    result = setup.run_handler()

    assert result["received"] == 0
    assert sns_messages(setup.success_topic) == [] and sns_messages(setup.failure_topic) == []


def test_same_event_twice_and_two_runs_replay_once(setup: Setup) -> None:
    failed = setup.fail(setup.pipeline_arn, "daily-2026-12-01")
    setup.deliver(failed)  # EventBridge delivers at least once: the same event again

    first = setup.run_handler()
    setup.deliver(failed)  # and once more, read by a second run of the function
    second = setup.run_handler()

    assert set(setup.executions(setup.pipeline_arn)) == {"daily-2026-12-01", "replay-daily-2026-12-01"}
    assert len(first["replayed"]) == 1 and first["skipped"] == {"already replayed": 1}
    assert second["replayed"] == [] and second["skipped"] == {"already replayed": 1}
    assert len(sns_messages(setup.success_topic)) == 1
    assert setup.queue_bodies(setup.queue_url) == []


def test_later_success_with_identical_input_prevents_the_replay(setup: Setup) -> None:
    setup.fail(setup.pipeline_arn, "daily-2026-12-01", {"trigger": "schedule"})
    setup.succeed(setup.pipeline_arn, "manual-rerun", {"trigger": "schedule"})

    result = setup.run_handler()

    assert set(setup.executions(setup.pipeline_arn)) == {"daily-2026-12-01", "manual-rerun"}
    assert result["skipped"] == {"later execution with the same input succeeded": 1}
    assert setup.queue_bodies(setup.queue_url) == []
    assert sns_messages(setup.success_topic) == [] and sns_messages(setup.failure_topic) == []


def test_later_success_with_a_different_input_does_not_prevent_the_replay(setup: Setup) -> None:
    setup.fail(setup.pipeline_arn, "daily-2026-12-01", {"trigger": "schedule"})
    setup.succeed(setup.pipeline_arn, "other-run", {"trigger": "manual", "endpoints": ["posts"]})

    result = setup.run_handler()

    assert "replay-daily-2026-12-01" in setup.executions(setup.pipeline_arn)
    assert len(result["replayed"]) == 1


def test_earlier_success_with_identical_input_does_not_prevent_the_replay(setup: Setup) -> None:
    setup.succeed(setup.pipeline_arn, "daily-2026-11-30", {"trigger": "schedule"})
    setup.fail(setup.pipeline_arn, "daily-2026-12-01", {"trigger": "schedule"})

    setup.run_handler()

    assert "replay-daily-2026-12-01" in setup.executions(setup.pipeline_arn)


def test_state_machine_outside_the_allowed_list_is_not_replayed(setup: Setup) -> None:
    setup.fail(setup.other_arn, "glue-session-stop")

    result = setup.run_handler()

    assert set(setup.executions(setup.other_arn)) == {"glue-session-stop"}
    assert result["skipped"] == {"state machine not allowed": 1}
    assert setup.queue_bodies(setup.queue_url) == []
    assert sns_messages(setup.success_topic) == [] and sns_messages(setup.failure_topic) == []


def test_replay_that_fails_again_is_not_replayed_beyond_max_replays(setup: Setup) -> None:
    setup.fail(setup.pipeline_arn, "daily-2026-12-01")
    setup.run_handler()  # replays it; the replay fails again (same definition, same input)
    replay_arn = setup.executions(setup.pipeline_arn)["replay-daily-2026-12-01"]["executionArn"]
    replay = setup.sfn.describe_execution(executionArn=replay_arn)
    assert replay["status"] == "FAILED"
    setup.deliver(replay)
    setup.deliver(replay)  # delivered twice: still one alert

    result = setup.run_handler()

    assert set(setup.executions(setup.pipeline_arn)) == {"daily-2026-12-01", "replay-daily-2026-12-01"}
    assert result["replayed"] == [] and len(result["needs_person"]) == 1
    [alert] = sns_messages(setup.failure_topic)
    assert "need a person" in alert["subject"]
    assert "replay-daily-2026-12-01" in alert["message"] and "MAX_REPLAYS=1" in alert["message"]
    assert replay_arn in alert["message"]
    assert len(sns_messages(setup.success_topic)) == 1  # the first run's summary only
    assert setup.queue_bodies(setup.queue_url) == []


def test_max_replays_two_allows_a_replay_of_the_replay(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_REPLAYS", "2")
    setup.fail(setup.pipeline_arn, "daily-2026-12-01")
    setup.run_handler()
    replay_arn = setup.executions(setup.pipeline_arn)["replay-daily-2026-12-01"]["executionArn"]
    setup.deliver(setup.sfn.describe_execution(executionArn=replay_arn))

    setup.run_handler()

    assert "replay-replay-daily-2026-12-01" in setup.executions(setup.pipeline_arn)
    assert sns_messages(setup.failure_topic) == []


@pytest.mark.parametrize(
    "body",
    ["not json at all", json.dumps({"source": "aws.states", "detail": {"name": "x"}}), json.dumps([1, 2])],
    ids=["not-json", "detail-incomplete", "not-an-event"],
)
def test_malformed_message_goes_to_the_dead_letter_queue_and_the_others_are_handled(
    setup: Setup, body: str
) -> None:
    setup.sqs.send_message(QueueUrl=setup.queue_url, MessageBody=body)
    setup.fail(setup.pipeline_arn, "daily-2026-12-01")

    result = setup.run_handler()

    assert setup.queue_bodies(setup.dead_letter_queue_url) == [body]
    assert setup.queue_bodies(setup.queue_url) == []
    assert "replay-daily-2026-12-01" in setup.executions(setup.pipeline_arn)
    assert result["dead_lettered"] == 1 and len(result["replayed"]) == 1
    [alert] = sns_messages(setup.failure_topic)
    assert "stepfunction-failed-executions-dlq" in alert["message"]


def test_a_message_that_cannot_be_handled_reaches_the_dead_letter_queue_by_redrive(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DEAD_LETTER_QUEUE_URL, or on a service error, the message stays; the queue's redrive
    policy moves it after maxReceiveCount receives (here visible again at once: no real wait)."""
    monkeypatch.delenv("DEAD_LETTER_QUEUE_URL")
    setup.sqs.set_queue_attributes(QueueUrl=setup.queue_url, Attributes={"VisibilityTimeout": "0"})
    setup.sqs.send_message(QueueUrl=setup.queue_url, MessageBody="not json at all")

    for _ in range(4):
        setup.run_handler()

    assert setup.queue_bodies(setup.dead_letter_queue_url) == ["not json at all"]
    assert setup.queue_bodies(setup.queue_url) == []


class FailingStepFunctions:
    """boto3 as the replay module sees it, with every Step Functions client it makes failing one
    operation with a service error (raised before the request is sent, as botocore raises a
    ClientError once its own retries are spent)."""

    def __init__(self, real: Any, operation: str, code: str) -> None:
        self.real, self.operation, self.code, self.failures = real, operation, code, 0

    def client(self, service: str, *args: Any, **kwargs: Any) -> Any:
        made = self.real.client(service, *args, **kwargs)
        if service == "stepfunctions":
            made.meta.events.register(f"before-call.sfn.{self.operation}", self.fail)
        return made

    def fail(self, **_: Any) -> None:
        self.failures += 1
        raise ClientError(
            {
                "Error": {"Code": self.code, "Message": "injected"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            self.operation,
        )


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalFailure"], ids=["throttled", "failed"])
@pytest.mark.parametrize("operation", ["DescribeExecution", "ListExecutions", "StartExecution"])
def test_a_service_error_leaves_the_message_for_the_next_run_until_the_redrive_dead_letters_it(
    setup: Setup, replay_module: Any, monkeypatch: pytest.MonkeyPatch, operation: str, code: str
) -> None:
    failing = FailingStepFunctions(replay_module.boto3, operation, code)
    monkeypatch.setattr(replay_module, "boto3", failing)
    # Visible again one second after each receive (the module sets the function's timeout), so each
    # run of the function receives it once; maxReceiveCount is 3, as the fixture's redrive policy.
    setup.sqs.set_queue_attributes(QueueUrl=setup.queue_url, Attributes={"VisibilityTimeout": "1"})
    failed = setup.fail(setup.pipeline_arn, "daily-2026-12-01")

    first = setup.run_handler()

    assert failing.failures == 1, f"{operation} was called and failed"
    assert (first["received"], first["left_in_queue"], first["replayed"]) == (1, 1, [])
    assert in_flight(setup) == 1, "not deleted: the message waits for the next run"
    assert setup.queue_bodies(setup.dead_letter_queue_url) == []
    assert set(setup.executions(setup.pipeline_arn)) == {failed["name"]}, "nothing was replayed"

    for _ in range(3):
        setup.emulator.advance_sqs_clock(1.1)
        setup.run_handler()

    assert failing.failures == 3, "received and retried maxReceiveCount times, then dead-lettered"
    [event] = setup.queue_bodies(setup.dead_letter_queue_url)
    assert json.loads(event)["detail"]["executionArn"] == failed["executionArn"], "kept for a person"
    assert setup.queue_bodies(setup.queue_url) == []
    assert set(setup.executions(setup.pipeline_arn)) == {failed["name"]}


def in_flight(setup: Setup) -> int:
    attributes = setup.sqs.get_queue_attributes(
        QueueUrl=setup.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_aborted_execution_is_not_replayed(setup: Setup) -> None:
    description = setup.fail(setup.pipeline_arn, "daily-2026-12-01")
    setup.sqs.purge_queue(QueueUrl=setup.queue_url)
    setup.deliver({**description, "status": "ABORTED"})

    result = setup.run_handler()

    assert set(setup.executions(setup.pipeline_arn)) == {"daily-2026-12-01"}
    assert result["skipped"] == {"aborted": 1}


def test_replay_starts_on_the_configured_alias_arn(replay_module: Any) -> None:
    base = "arn:aws:states:eu-west-2:123456789012:stateMachine:WordPress_Raw_To_Bronze"
    other = "arn:aws:states:eu-west-2:123456789012:stateMachine:Other"
    assert replay_module.start_targets(f"{base}:live, {other}") == {base: f"{base}:live", other: other}
    with pytest.raises(ValueError, match="STATE_MACHINE_ARNS"):
        replay_module.start_targets("arn:aws:lambda:eu-west-2:123456789012:function:f")


def test_replay_names_fit_in_80_characters_deterministically(replay_module: Any) -> None:
    assert replay_module.replay_name("daily") == "replay-daily"
    assert replay_module.replay_name("replay-daily") == "replay-replay-daily"
    assert replay_module.replay_depth("replay-replay-daily") == 2 and replay_module.replay_depth("daily") == 0
    long_a, long_b = "a" * 75 + "1", "a" * 75 + "2"
    name_a = replay_module.replay_name(long_a)
    assert len(name_a) == 80 and name_a.startswith("replay-aaa")
    assert name_a == replay_module.replay_name(long_a)  # the same name on every run
    assert name_a != replay_module.replay_name(long_b)  # names that differ only past the cut stay apart
    assert replay_module.replay_depth(name_a) == 1
    assert len(replay_module.replay_name("a" * 80)) == 80


def test_timed_out_execution_is_replayed_like_a_failed_one(setup: Setup) -> None:
    description = setup.fail(setup.pipeline_arn, "daily-2026-12-01", {"trigger": "schedule", "day": "01"})
    setup.sqs.purge_queue(QueueUrl=setup.queue_url)
    setup.deliver({**description, "status": "TIMED_OUT"})  # what the rule delivers for a timeout

    result = setup.run_handler()

    executions = setup.executions(setup.pipeline_arn)
    assert set(executions) == {"daily-2026-12-01", "replay-daily-2026-12-01"}
    replay = setup.sfn.describe_execution(executionArn=executions["replay-daily-2026-12-01"]["executionArn"])
    assert json.loads(replay["input"]) == {"trigger": "schedule", "day": "01"}
    assert [(item["failed_execution"], item["status"]) for item in result["replayed"]] == [
        ("daily-2026-12-01", "TIMED_OUT")
    ]
    assert result["skipped"] == {}
    assert setup.queue_bodies(setup.queue_url) == []
    [summary] = sns_messages(setup.success_topic)
    assert "daily-2026-12-01 (TIMED_OUT)" in summary["message"]


class ScriptedContext:
    """A Lambda context whose remaining time is scripted: one value per call, the last one repeated."""

    def __init__(self, *remaining_millis: int) -> None:
        self.remaining = list(remaining_millis)
        self.calls = 0

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        return self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0]


def visible(setup: Setup) -> int:
    attributes = setup.sqs.get_queue_attributes(
        QueueUrl=setup.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_no_time_left_leaves_every_message_for_the_next_run(setup: Setup, replay_module: Any) -> None:
    setup.fail(setup.pipeline_arn, "daily-2026-12-01")
    almost_over = replay_module.STOP_BEFORE_TIMEOUT_MS - 1

    result = replay_module.lambda_handler({}, ScriptedContext(almost_over))

    assert result["received"] == 0 and result["replayed"] == []
    assert result["stopped_early"] is True, "the result says messages may be waiting"
    assert visible(setup) == 1 and in_flight(setup) == 0, "not received, not deleted: still in the queue"
    assert set(setup.executions(setup.pipeline_arn)) == {"daily-2026-12-01"}
    assert sns_messages(setup.success_topic) == [] and sns_messages(setup.failure_topic) == []

    later = setup.run_handler()  # the next run, with time: the message was not lost

    assert [item["failed_execution"] for item in later["replayed"]] == ["daily-2026-12-01"]
    assert setup.queue_bodies(setup.queue_url) == []


def test_time_running_short_mid_queue_stops_receiving_and_keeps_the_rest(
    setup: Setup, replay_module: Any
) -> None:
    failed = setup.fail(setup.pipeline_arn, "daily-2026-12-01")
    setup.sqs.purge_queue(QueueUrl=setup.queue_url)
    body = setup_event_body(failed)
    for _ in range(15):  # more than one receive (at most 10) holds: the same event delivered 15 times
        setup.sqs.send_message(QueueUrl=setup.queue_url, MessageBody=body)
    context = ScriptedContext(600_000, replay_module.STOP_BEFORE_TIMEOUT_MS - 1)

    result = replay_module.lambda_handler({}, context)

    assert context.calls == 2, "checked before each receive"
    assert 1 <= result["received"] <= 10, "one receive, then it stopped"
    assert result["stopped_early"] is True, "the result says messages are waiting"
    assert visible(setup) == 15 - result["received"], "what was not received is still in the queue"
    assert in_flight(setup) == 0, "every received message was decided and deleted"
    assert [item["failed_execution"] for item in result["replayed"]] == ["daily-2026-12-01"]


def setup_event_body(description: dict[str, Any]) -> str:
    """The body EventBridge puts in the queue for a failed execution (as :meth:`Setup.deliver` sends)."""
    return json.dumps(status_change_event(description))
