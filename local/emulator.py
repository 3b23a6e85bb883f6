"""The embedded AWS emulator: moto, with Step Functions executing ASL for real.

One place for every adaptation of moto the project relies on, shared by the test suite
(tests/conftest.py) and the local run (`make run-local`):

- Step Functions executions run the definition in moto's interpreter
  (``execute_state_machine``), and ``lambda:invoke`` tasks call the project's real Python
  handlers in process (``register_handler``), with the function's configured environment
  variables applied while the handler runs, as Lambda would.
- A handler that raises is reported the way Lambda reports an unhandled error
  (``X-Amz-Function-Error: Unhandled`` and an ``errorType``/``errorMessage`` payload).
- Retry intervals and Wait states are scaled by ``time_scale`` (default 0: no real sleep);
  the seconds each one *asked for* are recorded, so tests can assert them.
- Service errors of ``aws-sdk:`` tasks get AWS's service prefix (``Glue.EntityNotFoundException``)
  instead of moto's lower-case one, so Retry/Catch written for AWS are what runs here.
- ``StartExecution`` accepts a state machine alias or version ARN, as Step Functions does (moto
  accepts only the unqualified ARN): the execution runs the definition of the version the alias
  routes to and is listed, described and stopped under the state machine, like on AWS.
- On exit, executions still RUNNING are stopped so their threads do not outlive the emulator.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import traceback
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto import mock_aws

DEFAULT_REGION = "eu-west-2"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account

# aws-sdk integration service names whose error prefix AWS spells differently from moto.
AWS_SERVICE_ERROR_NAMES = {"glue": "Glue", "s3": "S3", "sns": "Sns", "lambda": "Lambda", "ssm": "Ssm"}

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class RecordedCall:
    """An AWS API call a Lambda handler made while it ran in the emulator (tests/iam evaluates them)."""

    function_name: str
    service: str  # botocore service name: s3, ssm, sns, glue, ...
    operation: str  # API operation: PutObject, GetParameter, ...
    params: dict[str, Any]


# Called with each Emulator as it shuts down (before RUNNING executions are stopped): the test suite
# collects the calls of every emulator of a session there (tests/conftest.py).
ON_EXIT: list[Callable[[Emulator], None]] = []
_EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18  # moto needs a zip; the code runs in process instead


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 128
    timeout_seconds: int = 900
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass
class Emulator:
    """State of one running emulator: registered handlers and what the workflows asked for."""

    region: str
    account_id: str
    time_scale: float
    handlers: dict[str, Handler] = field(default_factory=dict)
    invocations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    retry_intervals: list[float] = field(default_factory=list)
    wait_seconds: list[float] = field(default_factory=list)
    calls: list[RecordedCall] = field(default_factory=list)
    _env_lock: threading.Lock = field(default_factory=threading.Lock)
    # The function whose handler runs now (handlers run one at a time, under _env_lock); threads the
    # handler starts are attributed to it too, the thread that started the emulator (the test's or the
    # local run's own calls, such as polling an execution) never.
    _running_function: str | None = None
    _owner_thread: int = field(default_factory=threading.get_ident)
    _owner_runs_handler: bool = False

    def register_handler(self, function_name: str, handler: Handler) -> None:
        """Run `handler(event, context)` whenever Lambda function `function_name` is invoked."""
        self.handlers[function_name] = handler

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region)

    def create_function(
        self,
        function_name: str,
        handler: Handler,
        environment: dict[str, str] | None = None,
        memory_size: int = 128,
        timeout: int = 60,
        alias: str | None = None,
    ) -> str:
        """Create a Lambda function in moto whose invocations run `handler` in process; return its ARN.

        With `alias`, publish a version (as `publish = true` does), point an alias of that name at it
        and return the alias ARN instead."""
        iam = self.client("iam")
        role_name = "emulator-lambda-execution"
        try:
            role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        function = self.client("lambda").create_function(
            FunctionName=function_name,
            Runtime="python3.13",
            Role=role_arn,
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": _EMPTY_ZIP},
            Environment={"Variables": environment or {}},
            MemorySize=memory_size,
            Timeout=timeout,
            Publish=alias is not None,
        )
        self.register_handler(function_name, handler)
        if alias is None:
            return function["FunctionArn"]
        return self.client("lambda").create_alias(
            FunctionName=function_name, Name=alias, FunctionVersion=function["Version"]
        )["AliasArn"]

    # -- moto patches -------------------------------------------------------------------

    def _invoke(
        self,
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        name = _function_name(function_name)
        handler = self.handlers.get(name)
        if handler is None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return _error_payload("ResourceNotFoundException", f"no in-process handler registered for {name}")
        event = json.loads(body) if body else {}
        self.invocations.append((name, event))
        try:
            function = backend.get_function(name, None)
            variables = dict(function.environment_vars or {})
            # Lambda tells the handler the ARN it was invoked by (an alias ARN keeps its qualifier).
            invoked_arn = function_name if function_name.startswith("arn:") else function.function_arn
            if qualifier and not function_name.startswith("arn:"):
                invoked_arn = f"{function.function_arn}:{qualifier}"
            context = LambdaContext(
                name, invoked_arn, int(function.memory_size or 128), int(function.timeout or 3)
            )
        except Exception:  # a handler registered without a moto function: no configuration to apply
            variables = {}
            context = LambdaContext(name, f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}")
        with self._env_lock, _environment(variables):
            self._running_function = name
            # Invoked directly by the owner thread (a test's lambda.invoke): that thread runs the
            # handler until it returns, so its calls meanwhile are the handler's.
            self._owner_runs_handler = threading.get_ident() == self._owner_thread
            try:
                result = handler(event, context)
            except Exception as error:  # Lambda reports any exception as an unhandled function error
                response_headers["x-amz-function-error"] = "Unhandled"
                return _error_payload(type(error).__name__, str(error), traceback.format_exception(error))
            finally:
                self._running_function = None
                self._owner_runs_handler = False
        return json.dumps(result, default=str).encode()

    def _record(self, client: Any, operation: str, params: dict[str, Any]) -> None:
        function = self._running_function
        on_owner = threading.get_ident() == self._owner_thread
        # A handler the owner thread runs: only that thread's calls are its (an execution it starts runs
        # on threads of its own). A handler a state machine runs: any thread but the owner's.
        if function is not None and (on_owner if self._owner_runs_handler else not on_owner):
            service = client.meta.service_model.service_name
            self.calls.append(RecordedCall(function, service, operation, dict(params)))

    def _sleep_retry(self, seconds: float) -> None:
        self.retry_intervals.append(seconds)
        if self.time_scale > 0:
            time.sleep(seconds * self.time_scale)

    def _wait(self, wait_function: Any, env: Any, wait_seconds: int) -> None:
        self.wait_seconds.append(wait_seconds)
        if wait_seconds > 0:
            # Returns early when the execution is stopped, like moto's own wait.
            env.program_state_event.wait(wait_seconds * self.time_scale)


_START_LOCK = threading.Lock()


def _qualified_version(backend: Any, state_machine_arn: str) -> tuple[Any, Any] | None:
    """(state machine, version) an alias or version ARN starts; None for an unqualified ARN."""
    parts = state_machine_arn.split(":")
    if len(parts) != 8:
        return None
    source_arn, qualifier = ":".join(parts[:7]), parts[7]
    source = next((machine for machine in backend.state_machines if machine.arn == source_arn), None)
    if source is None:
        return None  # moto reports the missing state machine
    if qualifier.isdigit():
        version_arn = state_machine_arn
    else:
        alias = source.aliases.get(qualifier)
        if alias is None:
            from moto.stepfunctions.exceptions import ResourceNotFound

            raise ResourceNotFound(state_machine_arn)
        routes = alias.routing_configuration
        weights = [int(route.get("weight", 0)) for route in routes]
        version_arn = random.choices(routes, weights=weights)[0]["stateMachineVersionArn"]
    version = next((v for v in source.versions.values() if v.arn == version_arn), None)
    if version is None:
        from moto.stepfunctions.exceptions import StateMachineDoesNotExist

        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{version_arn}'")
    return source, version


def _start_qualified_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's StartExecution, taught alias and version ARNs: the version's definition runs and the
    execution belongs to the state machine (its ARN, history, list and stop work as on AWS)."""

    def start_execution(
        backend: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        trace_header: str | None = None,
    ) -> Any:
        resolved = _qualified_version(backend, state_machine_arn)
        if resolved is None:
            return original(backend, state_machine_arn, name, execution_input, trace_header)
        source, version = resolved
        with _START_LOCK:  # the execution snapshots the state machine while it starts
            latest = source.definition
            source.definition = version.definition
            try:
                return original(backend, source.arn, name, execution_input, trace_header)
            finally:
                source.definition = latest

    return start_execution


def fake_aws_environment(region: str = DEFAULT_REGION) -> dict[str, str]:
    """Credentials and region for talking to an emulator: never real, so nothing reaches AWS."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


def _function_name(name_or_arn: str) -> str:
    """`arn:aws:lambda:r:a:function:name[:qualifier]` or `name[:qualifier]` -> `name`."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":")[6]
    return name_or_arn.split(":")[0]


def _error_payload(error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message, "stackTrace": stack or []}).encode()


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def aws_emulator(region: str = DEFAULT_REGION, time_scale: float = 0.0) -> Iterator[Emulator]:
    """Start moto with Step Functions execution and in-process Lambda; yield the Emulator."""
    from botocore.client import BaseClient
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    emulator = Emulator(region=region, account_id=DEFAULT_ACCOUNT_ID, time_scale=time_scale)

    def invoke(
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes:
        return emulator._invoke(backend, function_name, qualifier, body, headers, response_headers)

    def wait_interval(wait_function: Any, env: Any, wait_seconds: int) -> None:
        emulator._wait(wait_function, env, wait_seconds)

    make_api_call = BaseClient._make_api_call

    def recording_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        emulator._record(client, operation, params)
        return make_api_call(client, operation, params)

    retry_time = types.SimpleNamespace(sleep=emulator._sleep_retry, time=time.time, monotonic=time.monotonic)
    error_names = {**state_task_service_aws_sdk._SERVICE_ERROR_NAMES, **AWS_SERVICE_ERROR_NAMES}

    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, fake_aws_environment(region)))
        stack.enter_context(
            mock_aws(
                config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
            )
        )
        stack.enter_context(mock.patch.object(LambdaSimpleBackend, "invoke", invoke))
        stack.enter_context(
            mock.patch.object(
                StepFunctionsParserBackend,
                "start_execution",
                _start_qualified_execution(StepFunctionsParserBackend.start_execution),
            )
        )
        stack.enter_context(mock.patch.object(WaitFunction, "_wait_interval", wait_interval))
        stack.enter_context(mock.patch.object(retrier_decl, "time", retry_time))
        stack.enter_context(mock.patch.dict(state_task_service_aws_sdk._SERVICE_ERROR_NAMES, error_names))
        stack.enter_context(mock.patch.object(BaseClient, "_make_api_call", recording_api_call))
        try:
            yield emulator
        finally:
            for hook in ON_EXIT:
                hook(emulator)
            stop_running_executions(emulator.client("stepfunctions"))


def stop_running_executions(sfn: Any) -> None:
    """Stop every RUNNING execution so no interpreter thread outlives the emulator."""
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            running = sfn.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING")
            for execution in running["executions"]:
                sfn.stop_execution(executionArn=execution["executionArn"], error="EmulatorShutdown")


TERMINAL_STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def wait_for_execution(sfn: Any, execution_arn: str, timeout_seconds: float = 60.0) -> dict[str, Any]:
    """Poll an execution until it ends; return describe_execution's answer."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        if description["status"] in TERMINAL_STATUSES:
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"execution {execution_arn} still {description['status']} after {timeout_seconds} s"
            )
        time.sleep(0.05)


def run_execution(
    sfn: Any,
    state_machine_arn: str,
    execution_input: dict[str, Any],
    name: str | None = None,
    timeout_seconds: float = 60.0,
) -> dict[str, Any]:
    """Start an execution (always named, as moto needs) and return its final description."""
    started = sfn.start_execution(
        stateMachineArn=state_machine_arn,
        name=name or f"run-{uuid.uuid4().hex[:12]}",
        input=json.dumps(execution_input),
    )
    return wait_for_execution(sfn, started["executionArn"], timeout_seconds)


def execution_events(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """The whole execution history, oldest first."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def entered_states(sfn: Any, execution_arn: str) -> list[str]:
    """Names of the states an execution entered, in order."""
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in execution_events(sfn, execution_arn)
        if "stateEnteredEventDetails" in event
    ]


def sns_messages(
    topic_arn: str, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID
) -> list[dict[str, Any]]:
    """Messages published to a topic, as {"subject", "message"} dicts, oldest first."""
    from moto.sns.models import sns_backends

    topic = sns_backends[account_id][region].topics[topic_arn]
    return [
        {"message_id": message_id, "message": message, "subject": subject}
        for message_id, message, subject, *_ in topic.sent_notifications
    ]
