"""replay_failed_executions: start failed Step Functions executions again with their original input.

The alerting module's failure routing rule delivers every FAILED, TIMED_OUT or ABORTED execution
event, as EventBridge sends it, to the failed-executions SQS queue. On its own daily schedule this
function drains that queue. For each message:

- a body that is not a Step Functions status-change event is sent to the dead-letter queue and
  deleted (kept for a person, never retried forever);
- a state machine that is not in ``STATE_MACHINE_ARNS`` is skipped;
- an ABORTED execution is skipped: a person (or a deployment) stopped it on purpose;
- a failure that a later execution with the identical input already completed successfully is
  skipped;
- a failure whose replay was already started (a second delivery of the same event, a second run of
  this function) is skipped: the replay name is derived from the original name, and Step Functions
  keeps execution names unique per state machine for 90 days;
- a replay that failed again after ``MAX_REPLAYS`` replays is not replayed: it needs a person;
- otherwise a new execution starts with the original input (read with DescribeExecution), named
  ``replay-<original name>``.

Every decided message is deleted. A message that hit an unexpected service error stays in the
queue: the next run retries it, and the queue's redrive policy moves it to the dead-letter queue
after its maxReceiveCount receives. A run stops receiving when less than 30 s of its time is left
or after 1,000 messages; what it did not read waits for the next run, and the result says so
(``stopped_early``; ``left_in_queue`` counts the received messages left after a service error).
One summary goes to the success topic when something was
replayed (with console links), one to the failure topic when something needs a person; an empty
queue sends nothing.

Replay names: ``replay-`` is put in front of the failed execution's name, so the replay of a
replay is ``replay-replay-<name>`` and the number of leading ``replay-`` is the replay depth.
Execution names are at most 80 characters: a longer name keeps its first 71 characters and ends
with ``-`` and 8 hex digits of the SHA-256 of the full name (deterministic, so a second run derives
the same name).

Environment: QUEUE_URL (the failed-executions queue), STATE_MACHINE_ARNS (comma-separated; an
entry may be a state machine ARN or a qualified one, e.g. its ``live`` alias: failures of the state
machine are allowed and the replay starts on the entry as given), MAX_REPLAYS (default 1),
DEAD_LETTER_QUEUE_URL, SUCCESS_TOPIC_ARN, FAILURE_TOPIC_ARN, RECEIVE_WAIT_SECONDS (long polling of
each receive, default 1).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from lakehouse_common import env_int, publish_message, setup_logging

FUNCTION_NAME = "replay_failed_executions"
REPLAY_PREFIX = "replay-"
MAX_EXECUTION_NAME_LENGTH = 80  # Step Functions' limit on execution names
NAME_HASH_LENGTH = 8
REPLAYABLE_STATUSES = frozenset({"FAILED", "TIMED_OUT"})
ROUTED_STATUSES = REPLAYABLE_STATUSES | {"ABORTED"}
MAX_MESSAGES_PER_RUN = 1000  # a bound on one run; what is left waits for the next run
STOP_BEFORE_TIMEOUT_MS = 30_000  # stop receiving while there is time to finish the batch

logger = logging.getLogger(FUNCTION_NAME)


class MalformedMessage(ValueError):
    """The message body is not a Step Functions execution status-change event."""


@dataclass(frozen=True)
class FailedExecution:
    """The fields of a Step Functions status-change event the replay needs."""

    execution_arn: str
    state_machine_arn: str
    name: str
    status: str


@dataclass
class Report:
    """What one run did, for the summaries and the function's result."""

    received: int = 0
    replayed: list[dict[str, str]] = field(default_factory=list)
    needs_person: list[str] = field(default_factory=list)
    dead_lettered: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    left_in_queue: int = 0  # received, hit a service error, left for the next run
    stopped_early: bool = False  # time or the per-run cap ran out: unread messages wait for the next run

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "function": FUNCTION_NAME,
            "received": self.received,
            "replayed": self.replayed,
            "needs_person": self.needs_person,
            "dead_lettered": len(self.dead_lettered),
            "skipped": self.skipped,
            "left_in_queue": self.left_in_queue,
            "stopped_early": self.stopped_early,
        }


# --- Pure helpers ------------------------------------------------------------------------------


def parse_event(body: str) -> FailedExecution:
    """The failed execution in a message body (an EventBridge event); raises :class:`MalformedMessage`."""
    try:
        event = json.loads(body)
    except (TypeError, ValueError) as error:
        raise MalformedMessage(f"body is not JSON: {error}") from None
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        raise MalformedMessage("body is not an EventBridge event with a detail object")
    if event.get("source") != "aws.states":
        raise MalformedMessage(f"event source is {event.get('source')!r}, not 'aws.states'")
    detail = event["detail"]
    values = {key: detail.get(key) for key in ("executionArn", "stateMachineArn", "name", "status")}
    missing = sorted(key for key, value in values.items() if not isinstance(value, str) or not value)
    if missing:
        raise MalformedMessage(f"event detail lacks {', '.join(missing)}")
    if ":execution:" not in values["executionArn"] or ":stateMachine:" not in values["stateMachineArn"]:
        raise MalformedMessage("executionArn or stateMachineArn is not a Step Functions ARN")
    if values["status"] not in ROUTED_STATUSES:
        raise MalformedMessage(f"status {values['status']!r} is not a failure")
    return FailedExecution(
        execution_arn=values["executionArn"],
        state_machine_arn=unqualified_arn(values["stateMachineArn"]),
        name=values["name"],
        status=values["status"],
    )


def unqualified_arn(state_machine_arn: str) -> str:
    """``arn:aws:states:r:a:stateMachine:name[:version or alias]`` -> the state machine's own ARN."""
    return ":".join(state_machine_arn.split(":")[:7])


def start_targets(setting: str) -> dict[str, str]:
    """``STATE_MACHINE_ARNS`` -> {state machine ARN: ARN to start the replay on (the entry as given)}."""
    targets = {}
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        if ":stateMachine:" not in entry or len(entry.split(":")) not in (7, 8):
            raise ValueError(f"STATE_MACHINE_ARNS entry {entry!r} is not a state machine ARN")
        targets[unqualified_arn(entry)] = entry
    return targets


def replay_depth(name: str) -> int:
    """How many replays led to the execution named ``name`` (its leading ``replay-`` count)."""
    depth = 0
    while name.startswith(REPLAY_PREFIX * (depth + 1)):
        depth += 1
    return depth


def replay_name(name: str) -> str:
    """``replay-<name>``, cut to 80 characters with a hash of ``name`` when longer (deterministic)."""
    candidate = REPLAY_PREFIX + name
    if len(candidate) <= MAX_EXECUTION_NAME_LENGTH:
        return candidate
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:NAME_HASH_LENGTH]
    return f"{candidate[: MAX_EXECUTION_NAME_LENGTH - NAME_HASH_LENGTH - 1]}-{digest}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """ARN of execution ``name`` of a state machine (also for executions started on an alias)."""
    return f"{unqualified_arn(state_machine_arn).replace(':stateMachine:', ':execution:', 1)}:{name}"


def console_link(arn: str) -> str:
    """AWS console page of an execution."""
    region = arn.split(":")[3]
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"


def same_input(left: str | None, right: str | None) -> bool:
    """Execution inputs compared as JSON values (key order and spacing do not matter)."""
    try:
        return json.loads(left or "{}") == json.loads(right or "{}")
    except ValueError:
        return left == right


# --- AWS calls ---------------------------------------------------------------------------------


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def execution_exists(sfn: Any, arn: str) -> bool:
    try:
        sfn.describe_execution(executionArn=arn)
    except ClientError as error:
        if _error_code(error) == "ExecutionDoesNotExist":
            return False
        raise
    return True


def later_success(
    sfn: Any, state_machine_arn: str, after: datetime, execution_input: str | None
) -> str | None:
    """ARN of an execution started after ``after`` that SUCCEEDED with the same input, if any."""
    paginator = sfn.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter="SUCCEEDED"):
        for item in page["executions"]:
            if item["startDate"] <= after:
                continue
            description = sfn.describe_execution(executionArn=item["executionArn"])
            if same_input(description.get("input"), execution_input):
                return item["executionArn"]
    return None


@dataclass(frozen=True)
class Settings:
    queue_url: str
    dead_letter_queue_url: str
    targets: dict[str, str]
    max_replays: int
    success_topic_arn: str
    failure_topic_arn: str
    receive_wait_seconds: int


def settings_from_environment() -> Settings:
    queue_url = os.environ.get("QUEUE_URL", "").strip()
    if not queue_url:
        raise ValueError("environment variable QUEUE_URL is not set")
    return Settings(
        queue_url=queue_url,
        dead_letter_queue_url=os.environ.get("DEAD_LETTER_QUEUE_URL", "").strip(),
        targets=start_targets(os.environ.get("STATE_MACHINE_ARNS", "")),
        max_replays=env_int("MAX_REPLAYS", 1, minimum=0),
        success_topic_arn=os.environ.get("SUCCESS_TOPIC_ARN", "").strip(),
        failure_topic_arn=os.environ.get("FAILURE_TOPIC_ARN", "").strip(),
        receive_wait_seconds=env_int("RECEIVE_WAIT_SECONDS", 1, minimum=0),
    )


def dead_letter(sqs: Any, settings: Settings, message: dict[str, Any], reason: str, report: Report) -> bool:
    """Send an unreadable message to the dead-letter queue; True when it may be deleted here."""
    message_id = message.get("MessageId", "?")
    report.dead_lettered.append(f"message {message_id}: {reason}")
    if not settings.dead_letter_queue_url:
        # Leave it: the queue's redrive policy moves it after maxReceiveCount receives.
        logger.error("unreadable message left for the redrive policy", extra={"message_id": message_id})
        return False
    sqs.send_message(
        QueueUrl=settings.dead_letter_queue_url,
        MessageBody=message["Body"],
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:1000]}},
    )
    logger.error(
        "unreadable message moved to the dead-letter queue",
        extra={"message_id": message_id, "reason": reason},
    )
    return True


def handle(sfn: Any, settings: Settings, failed: FailedExecution, report: Report, seen: set[str]) -> None:
    """Decide about one failed execution and replay it when it should be."""
    target = settings.targets.get(failed.state_machine_arn)
    log = {"execution_arn": failed.execution_arn, "status": failed.status}
    if target is None:
        logger.info("state machine not allowed: not replayed", extra=log)
        report.skip("state machine not allowed")
        return
    if failed.status not in REPLAYABLE_STATUSES:
        logger.info("execution was stopped on purpose: not replayed", extra=log)
        report.skip("aborted")
        return
    name = replay_name(failed.name)
    new_arn = execution_arn(failed.state_machine_arn, name)
    if new_arn in seen or execution_exists(sfn, new_arn):
        logger.info("already replayed", extra={**log, "replay_arn": new_arn})
        report.skip("already replayed")
        return
    original = sfn.describe_execution(executionArn=failed.execution_arn)
    succeeded = later_success(sfn, failed.state_machine_arn, original["startDate"], original.get("input"))
    if succeeded:
        logger.info("a later execution with the same input succeeded", extra={**log, "succeeded": succeeded})
        report.skip("later execution with the same input succeeded")
        return
    depth = replay_depth(failed.name)
    if depth >= settings.max_replays:
        if failed.execution_arn in seen:  # the same event delivered twice: one alert
            report.skip("already reported")
            return
        seen.add(failed.execution_arn)
        logger.warning("replayed as often as allowed: needs a person", extra={**log, "depth": depth})
        report.needs_person.append(
            f"- {failed.name} ({failed.status}) of {failed.state_machine_arn.rsplit(':', 1)[-1]}: "
            f"{depth} replay(s) done, MAX_REPLAYS={settings.max_replays}. Not replayed again.\n"
            f"  {console_link(failed.execution_arn)}"
        )
        return
    response = sfn.start_execution(stateMachineArn=target, name=name, input=original.get("input") or "{}")
    seen.add(new_arn)
    logger.info("replay started", extra={**log, "replay_arn": response["executionArn"]})
    report.replayed.append(
        {
            "state_machine": failed.state_machine_arn.rsplit(":", 1)[-1],
            "failed_execution": failed.name,
            "failed_execution_arn": failed.execution_arn,
            "status": failed.status,
            "replay_execution_arn": response["executionArn"],
        }
    )


def process_message(
    sqs: Any, sfn: Any, settings: Settings, message: dict[str, Any], report: Report, seen: set[str]
) -> None:
    """Handle one message and delete it when decided; leave it in the queue on a service error."""
    try:
        failed = parse_event(message.get("Body", ""))
    except MalformedMessage as error:
        delete = dead_letter(sqs, settings, message, str(error), report)
    else:
        try:
            handle(sfn, settings, failed, report, seen)
            delete = True
        except ClientError as error:
            if _error_code(error) == "ExecutionDoesNotExist":  # nothing to read the input from
                delete = dead_letter(sqs, settings, message, f"{failed.execution_arn} does not exist", report)
            else:
                logger.warning(
                    "service error: message left for the next run",
                    extra={"execution_arn": failed.execution_arn, "error": str(error)},
                )
                report.left_in_queue += 1
                delete = False
    if delete:
        sqs.delete_message(QueueUrl=settings.queue_url, ReceiptHandle=message["ReceiptHandle"])


def drain(sqs: Any, sfn: Any, settings: Settings, context: Any) -> Report:
    """Receive until the queue is empty (or time runs short) and process every message."""
    report = Report()
    seen: set[str] = set()
    while True:
        if report.received >= MAX_MESSAGES_PER_RUN:
            logger.warning(
                "stopping at the per-run cap; the rest waits for the next run",
                extra={"received": report.received},
            )
            report.stopped_early = True
            break
        if context is not None and context.get_remaining_time_in_millis() < STOP_BEFORE_TIMEOUT_MS:
            logger.warning("stopping before the function times out; the rest waits for the next run")
            report.stopped_early = True
            break
        response = sqs.receive_message(
            QueueUrl=settings.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=settings.receive_wait_seconds
        )
        messages = response.get("Messages", [])
        if not messages:
            break
        for message in messages:
            report.received += 1
            process_message(sqs, sfn, settings, message, report, seen)
    return report


# --- Summaries ---------------------------------------------------------------------------------


def success_summary(report: Report) -> tuple[str, str]:
    lines = [
        f"{FUNCTION_NAME} started {len(report.replayed)} failed execution(s) again with their input:",
        "",
    ]
    for replay in report.replayed:
        lines += [
            f"- {replay['state_machine']}: {replay['failed_execution']} ({replay['status']})",
            f"  failed: {console_link(replay['failed_execution_arn'])}",
            f"  replay: {console_link(replay['replay_execution_arn'])}",
        ]
    return f"{FUNCTION_NAME}: {len(report.replayed)} execution(s) replayed", "\n".join(lines)


def failure_summary(report: Report, settings: Settings) -> tuple[str, str]:
    count = len(report.needs_person) + len(report.dead_lettered)
    lines = [f"{FUNCTION_NAME}: {count} failure(s) need a person.", ""]
    if report.needs_person:
        lines += ["Failed again after their replays (start them by hand once the cause is fixed):"]
        lines += report.needs_person + [""]
    if report.dead_lettered:
        where = settings.dead_letter_queue_url or "the dead-letter queue (after maxReceiveCount receives)"
        lines += [f"Messages that are not Step Functions failure events, moved to {where}:"]
        lines += [f"- {item}" for item in report.dead_lettered]
    return f"{FUNCTION_NAME}: {count} failure(s) need a person", "\n".join(lines).rstrip()


def publish_summaries(sns: Any, settings: Settings, report: Report) -> None:
    if report.replayed and settings.success_topic_arn:
        publish_message(sns, settings.success_topic_arn, *success_summary(report))
    if (report.needs_person or report.dead_lettered) and settings.failure_topic_arn:
        publish_message(sns, settings.failure_topic_arn, *failure_summary(report, settings))


def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    setup_logging()
    settings = settings_from_environment()
    sqs, sfn, sns = boto3.client("sqs"), boto3.client("stepfunctions"), boto3.client("sns")
    report = drain(sqs, sfn, settings, context)
    publish_summaries(sns, settings, report)
    result = report.as_dict()
    logger.info("run finished", extra={"summary": result})
    return result
