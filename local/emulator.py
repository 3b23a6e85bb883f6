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
- ``states:startExecution.sync:2`` (a workflow starting another and waiting for it) works: moto's
  Step Functions integration sends AWS's parameter names to boto3 unchanged (``StateMachineArn``
  where boto3 wants ``stateMachineArn``) and returns boto3's (``executionArn`` where the
  integration returns ``ExecutionArn``), with datetimes the execution output cannot serialise.
- ``aws-sdk:`` task results are what Step Functions returns: an S3 ``getObject`` ``Body`` is the
  object's text (moto hands on boto3's stream), datetimes are ISO 8601 strings.
- ``glue:startJobRun.sync`` runs the job's real script (``run_glue_job``): moto's integration would
  end in ``States.Runtime`` and moto's job runs succeed at once without running anything. The job
  run stays RUNNING while the script runs under local PySpark on ``file://`` copies of the S3
  buckets its arguments name (``--local_s3_root``; mirrored from the emulator and back, since
  Spark's s3a connector is not installable here), then ends SUCCEEDED, or FAILED with the
  script's error as ``ErrorMessage``. Sync tasks poll every 0.05 s instead of 0.5 s. The job
  argument ``--extra-py-files`` is honoured as Glue does (the .zip/.py objects on ``sys.path``).
- A Choice rule's ``Variable`` (``IsPresent`` on an absent path) is evaluated without moto's
  ERROR log of the missing path: the rule expects it, and a good run logs nothing at ERROR level.
- A job run's script can be followed by the test's own code (``job_run_hooks``): each hook is
  called with the run's record after its script succeeded and before the run reports SUCCEEDED, so
  a test can change what the workflow finds next (a deleted audit table or result object) without
  racing the ``.sync`` poll. Such code run inside a handler acts as the test (``as_test``): its
  calls are not recorded as the function's (tests/iam checks those against the role's policy).
- SQS reads a clock tests can move forward (``advance_sqs_clock``): a received message becomes
  visible again after its visibility timeout without the test sleeping through it.
- S3 sends EventBridge notifications as AWS shapes them (``detail.object.etag``, an ISO 8601
  ``time``, a fresh event ``id``; moto writes ``eTag``, a Unix time and one fixed id), and a rule
  whose pattern matches delivers them to a Lambda target too (moto delivers only to SQS, logs,
  buses and archives): the landing zone's registration runs when a test or the local run puts a
  file under ``landing/``. Delivery is synchronous (EventBridge's is asynchronous); each one is
  recorded in ``event_deliveries`` with the handler's result or error.
- On exit, executions still RUNNING are stopped so their threads do not outlive the emulator.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import random
import runpy
import sys
import tempfile
import threading
import time
import traceback
import types
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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
    """An AWS API call a Lambda handler or a Glue job script made in the emulator (tests/iam)."""

    function_name: str  # the function (or, with kind "glue", the Glue job) that made the call
    service: str  # botocore service name: s3, ssm, sns, glue, ...
    operation: str  # API operation: PutObject, GetParameter, ...
    params: dict[str, Any]
    kind: str = "lambda"  # "lambda": a function's handler; "glue": a Glue job's script
    error_code: str = ""  # the AWS error the call got (NoSuchKey, ...), "" when it succeeded


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
    job_runs: list[dict[str, Any]] = field(default_factory=list)
    # EventBridge deliveries to Lambda targets: {"rule", "target", "event", and "result" or "error"}.
    event_deliveries: list[dict[str, Any]] = field(default_factory=list)
    # Called with a job run's record once its script has succeeded, before the run reports SUCCEEDED.
    job_run_hooks: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    _job_threads: list[threading.Thread] = field(default_factory=list)
    # Thread -> (kind, name) of the code it runs for: a Lambda handler ("lambda", function) or a Glue
    # job's script ("glue", job). Threads those start inherit it (`_inherit_principal`), so boto3's
    # transfer threads and thread pools count as the handler's; nothing else is attributed (the test's
    # own calls, the interpreter's threads of other states and executions).
    _thread_principals: dict[int, tuple[str, str]] = field(default_factory=dict)
    # Seconds added to the clock SQS reads (visibility timeouts, delays): `advance_sqs_clock`.
    sqs_clock_offset: float = 0.0

    def advance_sqs_clock(self, seconds: float) -> None:
        """Let `seconds` pass for SQS (a received message becomes visible again once its visibility
        timeout has passed) without sleeping."""
        self.sqs_clock_offset += seconds

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
            try:
                with self._acting_as("lambda", name):
                    result = handler(event, context)
            except Exception as error:  # Lambda reports any exception as an unhandled function error
                response_headers["x-amz-function-error"] = "Unhandled"
                return _error_payload(type(error).__name__, str(error), traceback.format_exception(error))
        return json.dumps(result, default=str).encode()

    def _record(self, client: Any, operation: str, params: dict[str, Any], error_code: str = "") -> None:
        principal = self._thread_principals.get(threading.get_ident())
        if principal is not None:
            kind, name = principal
            service = client.meta.service_model.service_name
            self.calls.append(RecordedCall(name, service, operation, dict(params), kind, error_code))

    def _send_s3_event(self, account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        """S3's EventBridge notification, as AWS sends it, to every rule of the region's buses."""
        from moto.events.models import events_backends
        from moto.s3.notifications import _detail_type

        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": _detail_type(event_name),
            "source": "aws.s3",
            "account": account_id,
            "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": bucket.region_name,
            "resources": [bucket.arn],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket.name},
                "object": {
                    "key": key.name,
                    "size": key.size,
                    "etag": key.etag.replace('"', ""),
                    "version-id": key.version_id,
                    "sequencer": f"{time.time_ns():018X}",
                },
                "request-id": uuid.uuid4().hex[:16].upper(),
                "requester": account_id,
                "source-ip-address": "127.0.0.1",
                "reason": event_name.split(":")[1],
            },
        }
        backend = events_backends[account_id][bucket.region_name]
        for bus in backend.event_buses.values():
            for rule in list(bus.rules.values()):
                if rule.state != "ENABLED" or not rule.event_pattern.matches_event(event):
                    continue
                targets = list(rule.targets)
                lambdas = [target for target in targets if target["Arn"].split(":")[2] == "lambda"]
                if len(lambdas) < len(targets):  # moto's own target kinds (it raises for Lambda)
                    rule.targets = [target for target in targets if target not in lambdas]
                    try:
                        rule.send_to_targets(event, transform_input=False)
                    finally:
                        rule.targets = targets
                for target in lambdas:
                    self._deliver_to_lambda(rule.name, target["Arn"], event)

    def _deliver_to_lambda(self, rule: str, target_arn: str, event: dict[str, Any]) -> None:
        delivery: dict[str, Any] = {"rule": rule, "target": target_arn, "event": event}
        self.event_deliveries.append(delivery)
        response = self.client("lambda").invoke(FunctionName=target_arn, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        delivery["error" if response.get("FunctionError") else "result"] = payload

    def _start_job_run(self, original: Callable[..., str], job: Any, *args: Any, **kwargs: Any) -> str:
        """moto's StartJobRun, then the real script in a thread while the run stays RUNNING."""
        run_id = original(job, *args, **kwargs)
        job_run = next(run for run in job.job_runs if run.job_run_id == run_id)
        job_run.status = "RUNNING"
        thread = threading.Thread(
            target=self._run_job, args=(job, job_run), name=f"glue-job-{job.name}", daemon=True
        )
        self._job_threads.append(thread)
        with self._unattributed():
            thread.start()
        return run_id

    def _run_job(self, job: Any, job_run: Any) -> None:
        record: dict[str, Any] = {"job_name": job.name, "run_id": job_run.job_run_id}
        record["arguments"] = dict(job_run.arguments or {})
        self.job_runs.append(record)
        started = time.monotonic()
        try:
            run_glue_job(
                self.client("s3"),
                job.name,
                job.command["ScriptLocation"],
                record["arguments"],
                as_job=lambda: self._as_job(job.name),
                record_call=lambda service, operation, params: self.calls.append(
                    RecordedCall(job.name, service, operation, params, kind="glue")
                ),
            )
        except BaseException as error:  # noqa: BLE001 - any failure of the script fails the job run
            message = _job_error_message(error)
            record.update(state="FAILED", error=message)
            job_run.error_message = message
            job_run.execution_seconds = max(1, round(time.monotonic() - started))
            job_run.status = "FAILED"
            return
        record["state"] = "SUCCEEDED"
        for hook in self.job_run_hooks:
            hook(record)
        job_run.execution_seconds = max(1, round(time.monotonic() - started))
        job_run.status = "SUCCEEDED"

    @contextmanager
    def _acting_as(self, kind: str, name: str) -> Iterator[None]:
        """Attribute this thread's AWS calls (and those of threads it starts) to `name` meanwhile."""
        ident = threading.get_ident()
        previous = self._thread_principals.get(ident)
        self._thread_principals[ident] = (kind, name)
        try:
            yield
        finally:
            if previous is None:
                self._thread_principals.pop(ident, None)
            else:
                self._thread_principals[ident] = previous

    @contextmanager
    def _unattributed(self) -> Iterator[None]:
        """Threads started meanwhile act for nobody: an execution or job run a handler starts runs
        with its own role in AWS, not the handler's."""
        ident = threading.get_ident()
        previous = self._thread_principals.pop(ident, None)
        try:
            yield
        finally:
            if previous is not None:
                self._thread_principals[ident] = previous

    @contextmanager
    def as_test(self) -> Iterator[None]:
        """The AWS calls this thread makes meanwhile are the test's own, not the handler's it runs in."""
        with self._unattributed():
            yield

    def _as_job(self, job_name: str) -> Any:
        return self._acting_as("glue", job_name)

    def _inherit_principal(self, original_start: Callable[[threading.Thread], None]) -> Any:
        """threading.Thread.start, with the new thread acting for whom its starter acts."""
        emulator = self

        def start(thread: threading.Thread) -> None:
            principal = emulator._thread_principals.get(threading.get_ident())
            if principal is not None:
                run = thread.run

                def run_as_principal() -> None:
                    with emulator._acting_as(*principal):
                        run()

                thread.run = run_as_principal  # type: ignore[method-assign]
            original_start(thread)

        return start

    def wait_for_jobs(self, timeout_seconds: float = 300.0) -> None:
        """Wait for every Glue job run the emulator started."""
        for thread in list(self._job_threads):
            thread.join(timeout_seconds)

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


def _unattributed_call(emulator: Emulator, original: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with emulator._unattributed():
            return original(*args, **kwargs)

    return call


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


def _job_error_message(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"the job script exited with status {error.code}"
    return f"{type(error).__name__}: {error}"


def _jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601 strings, as Step Functions serialises service results."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _to_integration_names(response: Any) -> None:
    """boto3's camelCase Step Functions response -> the integration's PascalCase, in place."""
    if not isinstance(response, dict):
        return
    for key in list(response):
        value = _jsonable(response.pop(key))
        response[key[:1].upper() + key[1:]] = value


# --------------------------------------------------------------------------- Glue job runs


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _bucket_names(s3: Any) -> set[str]:
    return {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}


def mirror_down(s3: Any, buckets: set[str], root: Path) -> dict[tuple[str, str], str]:
    """Copy every object of `buckets` to root/<bucket>/<key>; returns (bucket, key) -> md5."""
    copied: dict[tuple[str, str], str] = {}
    for bucket in sorted(buckets):
        (root / bucket).mkdir(parents=True, exist_ok=True)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                target = root / bucket / item["Key"]
                if item["Key"].endswith("/"):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, item["Key"], str(target))
                copied[(bucket, item["Key"])] = _md5(target)
    return copied


def mirror_up(
    s3: Any, buckets: set[str], root: Path, before: dict[tuple[str, str], str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Upload what the script wrote under root (new or changed files) and delete what it removed;
    returns the (bucket, key)s written and deleted.

    Hidden files (Hadoop's .crc checksums) stay local; objects the script wrote through boto3 are
    not in `before` and have no local copy, so they are left alone."""
    written: list[tuple[str, str]] = []
    present: set[tuple[str, str]] = set()
    for bucket in sorted(buckets):
        for path in sorted((root / bucket).rglob("*")):
            if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            key = path.relative_to(root / bucket).as_posix()
            present.add((bucket, key))
            if before.get((bucket, key)) != _md5(path):
                s3.upload_file(str(path), bucket, key)
                written.append((bucket, key))
    deleted = sorted(set(before) - present)
    for bucket, key in deleted:
        s3.delete_object(Bucket=bucket, Key=key)
    return written, deleted


def _mark_unread(root: Path, copied: dict[tuple[str, str], str]) -> None:
    """Set each copied file's access time before its modification time, so that reading it moves the
    access time (relatime) and _read_since shows what the script read."""
    for bucket, key in copied:
        path = root / bucket / key
        os.utime(path, (0, path.stat().st_mtime))


def _read_since(root: Path, copied: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    read = []
    for bucket, key in copied:
        path = root / bucket / key
        if path.exists() and path.stat().st_atime > 0:  # the script may have removed it
            read.append((bucket, key))
    return read


@contextmanager
def _spark_output_paths(paths: list[str]) -> Iterator[None]:
    """Record the path of every ``DataFrameWriter.parquet/save`` call the script makes meanwhile."""
    try:
        from pyspark.sql.readwriter import DataFrameWriter
    except ImportError:  # a script without Spark
        yield
        return
    originals = {name: getattr(DataFrameWriter, name) for name in ("parquet", "save")}

    def recording(name: str) -> Callable[..., Any]:
        original = originals[name]

        def write(writer: Any, path: Any = None, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, str):
                paths.append(path)
            return original(writer, path, *args, **kwargs)

        return write

    with ExitStack() as stack:
        for name in originals:
            stack.enter_context(mock.patch.object(DataFrameWriter, name, recording(name)))
        yield


def _bucket_key(path: str, root: Path) -> tuple[str, str] | None:
    """file://<root>/<bucket>/<key> (or the plain local path) -> (bucket, key); None outside root."""
    local = Path(path.removeprefix("file://")).resolve()
    try:
        relative = local.relative_to(root.resolve())
    except ValueError:
        return None
    parts = relative.parts
    return (parts[0], "/".join(parts[1:])) if len(parts) > 1 else None


def spark_listings(
    outputs: list[tuple[str, str]], before: dict[tuple[str, str], str]
) -> list[tuple[str, str]]:
    """(bucket, prefix) of the listings Spark's S3 connector makes to write each output directory
    (Hadoop S3A, Spark 3.5's Hadoop 3.3): the existence check of the path (a HEAD answered 404 only to
    a caller with s3:ListBucket, then a LIST of ``<path>/``), the committer's ``<path>/_temporary/``,
    and mkdirs' walk up the parents (a LIST of each ``<parent>/``) until one already holds objects."""
    listings: list[tuple[str, str]] = []
    for bucket, key in outputs:
        key = key.strip("/")
        listings += [(bucket, key), (bucket, f"{key}/"), (bucket, f"{key}/_temporary/")]
        parts = key.split("/")[:-1]
        while parts:
            parent = "/".join(parts) + "/"
            listings.append((bucket, parent))
            if any(b == bucket and k.startswith(parent) for b, k in before):
                break
            parts.pop()
    return listings


EXTRA_PY_FILES = "--extra-py-files"


def _provided_modules(path: Path) -> set[str]:
    """Top-level module names a .py file or a .zip on sys.path provides."""
    if path.suffix != ".zip":
        return {path.stem}
    with zipfile.ZipFile(path) as archive:
        names = set()
        for name in archive.namelist():
            first, _, rest = name.partition("/")
            if not rest and first.endswith(".py"):
                names.add(first.removesuffix(".py"))
            elif rest == "__init__.py":
                names.add(first)
        return names


@contextmanager
def extra_py_files(s3: Any, uris: str, directory: Path) -> Iterator[list[Path]]:
    """Glue's ``--extra-py-files``: each comma-separated ``s3://`` URI of a .zip or .py object is
    downloaded and put on ``sys.path`` while the script runs (a .zip itself, a .py by its folder),
    then removed. Modules of those names already imported in this process (the Lambda's own copy of
    a shared module) are set aside meanwhile, so the script imports the job's copies as a fresh Glue
    process would; they are restored after."""
    entries: list[Path] = []
    provided: set[str] = set()
    for number, uri in enumerate(part.strip() for part in uris.split(",") if part.strip()):
        if not uri.startswith("s3://") or "/" not in uri.removeprefix("s3://"):
            raise ValueError(f"{EXTRA_PY_FILES}: {uri!r} is not an s3://bucket/key URI")
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        name = Path(key).name
        if Path(name).suffix not in (".zip", ".py"):
            raise ValueError(f"{EXTRA_PY_FILES}: {uri!r} is neither a .zip nor a .py object")
        target = directory / str(number) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
        entries.append(target if target.suffix == ".zip" else target.parent)
        provided |= _provided_modules(target)
    paths = [str(entry) for entry in entries]
    set_aside = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] in provided}
    sys.path[:0] = paths
    try:
        yield entries
    finally:
        for path in paths:
            with contextlib.suppress(ValueError):
                sys.path.remove(path)
        for name in [name for name in sys.modules if name.split(".")[0] in provided]:
            del sys.modules[name]
        for path in paths:
            sys.path_importer_cache.pop(path, None)
        sys.modules.update(set_aside)


def run_glue_job(
    s3: Any,
    job_name: str,
    script_location: str,
    arguments: dict[str, str],
    as_job: Callable[[], Any] = contextlib.nullcontext,
    record_call: Callable[[str, str, dict[str, Any]], None] | None = None,
) -> None:
    """Run a Glue job's script as Glue would (``python script --JOB_NAME name --arg value ...``) under
    local PySpark, on local copies of the buckets its arguments name; raises what the script raises.

    A job argument ``--extra-py-files`` (comma-separated ``s3://`` URIs of .zip or .py objects) is
    honoured as Glue does: the files are downloaded and on ``sys.path`` while the script runs
    (:func:`extra_py_files`).

    `as_job` is entered while the script runs (the emulator attributes its boto3 calls to the job);
    `record_call` receives the S3 requests Glue's S3 connector would make for the script's Spark I/O,
    read off the local copies: GetObject (and a listing) of each object it read, PutObject of each it
    wrote, DeleteObject of each it removed, and the listings (ListBucket with their prefix) that
    Spark's existence checks, output committer and mkdirs make for each directory it wrote
    (``spark_listings``)."""
    if not script_location.startswith("s3://"):
        raise ValueError(f"job {job_name}: ScriptLocation {script_location!r} is not an s3:// URI")
    script_bucket, script_key = script_location.removeprefix("s3://").split("/", 1)
    buckets = {value for value in arguments.values() if value in _bucket_names(s3)}
    with tempfile.TemporaryDirectory(prefix=f"glue-{job_name}-") as workdir:
        work = Path(workdir)
        script = work / Path(script_key).name
        s3.download_file(script_bucket, script_key, str(script))
        root = work / "s3"
        before = mirror_down(s3, buckets, root)
        _mark_unread(root, before)
        argv = [str(script), "--JOB_NAME", job_name]
        for name, value in arguments.items():
            argv += [name, value]
        argv += ["--local_s3_root", str(root)]
        if "pyspark" in script.read_text(encoding="utf-8"):
            # The process's SparkSession (local/spark.py: Java 17, two cores, settings for small
            # data); the script's own getOrCreate() gets it.
            from local.spark import session

            # Spark binds its driver to the loopback address only: nothing listens beyond 127.0.0.1.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            session(small_data=True)
        saved = sys.argv
        sys.argv = argv
        outputs: list[str] = []
        try:
            with (
                extra_py_files(s3, arguments.get(EXTRA_PY_FILES, ""), work / "extra-py-files"),
                as_job(),
                _spark_output_paths(outputs),
            ):
                runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                raise
        finally:
            sys.argv = saved
            read = _read_since(root, before)
        written, deleted = mirror_up(s3, buckets, root, before)
        if record_call is not None:
            record_call(
                "s3", "GetObject", {"Bucket": script_bucket, "Key": script_key}
            )  # Glue loads the script
            for uri in filter(None, (part.strip() for part in arguments.get(EXTRA_PY_FILES, "").split(","))):
                bucket, key = uri.removeprefix("s3://").split("/", 1)
                record_call("s3", "GetObject", {"Bucket": bucket, "Key": key})  # and its --extra-py-files
            for bucket, key in read:
                record_call("s3", "ListObjectsV2", {"Bucket": bucket, "Prefix": key})
                record_call("s3", "GetObject", {"Bucket": bucket, "Key": key})
            for bucket, key in written:
                record_call("s3", "PutObject", {"Bucket": bucket, "Key": key})
            for bucket, key in deleted:
                record_call("s3", "DeleteObject", {"Bucket": bucket, "Key": key})
            written_dirs = [found for found in (_bucket_key(path, root) for path in outputs) if found]
            for bucket, prefix in spark_listings(written_dirs, before):
                record_call("s3", "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix})


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
    from moto.core.utils import unix_time as moto_unix_time
    from moto.core.utils import unix_time_millis as moto_unix_time_millis
    from moto.glue.models import FakeJob, FakeJobRun
    from moto.moto_api import state_manager
    from moto.s3 import notifications as s3_notifications
    from moto.sqs import models as sqs_models
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.choice.comparison import variable as choice_variable
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk,
        state_task_service_callback,
        state_task_service_glue,
        state_task_service_sfn,
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
        from botocore.exceptions import ClientError

        try:
            result = make_api_call(client, operation, params)
        except ClientError as error:  # recorded with its error: a 404 needs more than the call's action
            emulator._record(client, operation, params, str(error.response.get("Error", {}).get("Code", "")))
            raise
        emulator._record(client, operation, params)
        return result

    original_start_job_run = FakeJob.start_job_run
    original_job_run_as_dict = FakeJobRun.as_dict
    original_sfn_service_task = state_task_service_sfn.StateTaskServiceSfn._eval_service_task
    original_sdk_service_task = state_task_service_aws_sdk.StateTaskServiceAwsSdk._eval_service_task

    def sdk_service_task(service: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        original_sdk_service_task(service, env, *args, **kwargs)
        response = env.stack[-1]
        if isinstance(response, dict) and hasattr(response.get("Body"), "read"):
            response["Body"] = response["Body"].read().decode("utf-8")
        env.stack[-1] = _jsonable(response)

    def start_job_run(job: Any, *args: Any, **kwargs: Any) -> str:
        return emulator._start_job_run(original_start_job_run, job, *args, **kwargs)

    def job_run_as_dict(job_run: Any) -> dict[str, Any]:
        described = original_job_run_as_dict(job_run)
        if getattr(job_run, "error_message", None):
            described["ErrorMessage"] = job_run.error_message
        if getattr(job_run, "execution_seconds", None):
            described["ExecutionTime"] = job_run.execution_seconds
        return described

    def glue_integration_pattern(
        service: Any, env: Any, resource_runtime_part: Any, normalised_parameters: Any, state_credentials: Any
    ) -> None:
        # moto's version ends in `callback_endpoint.interrupt_all()` on a None endpoint (Glue has no
        # waitForTaskToken); this is its .sync part only.
        task_output = env.stack.pop()
        service.timeout.eval(env=env)
        timeout_seconds = env.stack.pop()
        env.stack.append(task_output)
        resolver = service._build_sync_resolver(
            env=env,
            resource_runtime_part=resource_runtime_part,
            normalised_parameters=normalised_parameters,
            state_credentials=state_credentials,
        )
        outcome = service._eval_sync(
            env=env,
            timeout_seconds=timeout_seconds,
            callback_endpoint=None,
            heartbeat_endpoint=None,
            sync_resolver=resolver,
        )
        env.stack.append(_jsonable(outcome))

    def sfn_service_task(
        service: Any,
        env: Any,
        resource_runtime_part: Any,
        normalised_parameters: dict,
        state_credentials: Any,
    ) -> None:
        boto_parameters = {key[:1].lower() + key[1:]: value for key, value in normalised_parameters.items()}
        original_sfn_service_task(service, env, resource_runtime_part, boto_parameters, state_credentials)
        _to_integration_names(env.stack[-1])

    def sfn_normalise_response(service: Any, response: Any, *args: Any, **kwargs: Any) -> None:
        _to_integration_names(response)

    def choice_variable_body(variable: Any, env: Any) -> None:
        # moto's Variable runs its path through EvalComponent.eval, which logs the NoSuchJsonPathError
        # it then turns into "absent" at ERROR level; the path's own evaluation, without that log.
        sampler = variable.string_sampler
        try:
            sampler._eval_body(env)
            value = env.stack.pop()
        except Exception as error:  # noqa: BLE001 - an absent or unreadable path is "no such variable"
            value = choice_variable.NoSuchVariable(f"{sampler.literal_value}, {error}")
        env.stack.append(value)

    def sqs_unix_time(*args: Any) -> float:
        return moto_unix_time(*args) + emulator.sqs_clock_offset

    def sqs_unix_time_millis(*args: Any) -> float:
        return moto_unix_time_millis(*args) + emulator.sqs_clock_offset * 1000

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
                _unattributed_call(
                    emulator, _start_qualified_execution(StepFunctionsParserBackend.start_execution)
                ),
            )
        )
        stack.enter_context(mock.patch.object(WaitFunction, "_wait_interval", wait_interval))
        stack.enter_context(mock.patch.object(sqs_models, "unix_time", sqs_unix_time))
        stack.enter_context(mock.patch.object(sqs_models, "unix_time_millis", sqs_unix_time_millis))
        stack.enter_context(mock.patch.object(choice_variable.Variable, "_eval_body", choice_variable_body))
        stack.enter_context(mock.patch.object(retrier_decl, "time", retry_time))
        stack.enter_context(mock.patch.dict(state_task_service_aws_sdk._SERVICE_ERROR_NAMES, error_names))
        stack.enter_context(mock.patch.object(BaseClient, "_make_api_call", recording_api_call))
        stack.enter_context(
            mock.patch.object(threading.Thread, "start", emulator._inherit_principal(threading.Thread.start))
        )
        stack.enter_context(
            mock.patch.object(
                state_task_service_aws_sdk.StateTaskServiceAwsSdk, "_eval_service_task", sdk_service_task
            )
        )
        stack.enter_context(mock.patch.object(FakeJob, "start_job_run", start_job_run))
        stack.enter_context(
            mock.patch.object(s3_notifications, "_send_event_bridge_message", emulator._send_s3_event)
        )
        stack.enter_context(mock.patch.object(FakeJobRun, "as_dict", job_run_as_dict))
        stack.enter_context(
            mock.patch.object(
                state_task_service_glue.StateTaskServiceGlue,
                "_eval_integration_pattern",
                glue_integration_pattern,
            )
        )
        stack.enter_context(
            mock.patch.object(
                state_task_service_sfn.StateTaskServiceSfn, "_eval_service_task", sfn_service_task
            )
        )
        stack.enter_context(
            mock.patch.object(
                state_task_service_sfn.StateTaskServiceSfn, "_normalise_response", sfn_normalise_response
            )
        )
        stack.enter_context(
            mock.patch.object(state_task_service_callback, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", 0.05)
        )
        # Job runs keep the state the emulator gives them (moto would report SUCCEEDED at once).
        state_manager.set_transition(
            model_name="glue::job_run", transition={"progression": "manual", "times": 10**9}
        )
        stack.callback(state_manager.unset_transition, "glue::job_run")
        try:
            yield emulator
        finally:
            for hook in ON_EXIT:
                hook(emulator)
            stop_running_executions(emulator.client("stepfunctions"))
            emulator.wait_for_jobs()


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
