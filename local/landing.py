"""The landing zone on the embedded emulator: what modules/landing-zone creates, the files of
``local-landing/`` dropped into it, one Landing_To_Silver run, and its report.

``make run-local`` uses it after the WordPress pipeline; the end-to-end tests
(tests/landing/test_landing_workflow.py) use the same functions, so the local run and the tests
exercise one deployment. Names, settings, the function's environment, the jobs' arguments and the
EventBridge rule's pattern come from the module's HCL (``read_landing_deployment``); the state machine
definition is rendered by real Terraform ``templatefile``.
"""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from local.emulator import Emulator, execution_events
from local.functions import load_handler
from local.hcl import parse_dir
from local.run_pipeline import (
    AUDIT_STATE_INDEX,
    Deployment,
    create_glue_job,
    create_state_machine,
    variable_defaults,
)
from local.terraform import render_state_machine

REPO_ROOT = Path(__file__).resolve().parents[1]
MODULE_DIR = REPO_ROOT / "modules" / "landing-zone"
LANDING_DIR = REPO_ROOT / "local-landing"
CONTRACTS_DIR = REPO_ROOT / "datasets"
JOBS_DIR = REPO_ROOT / "jobs"
FUNCTION_SOURCE_DIR = REPO_ROOT / "functions" / "landing_intake" / "src"
LANDING_PREFIX = "landing/"
FAILED_PREFIX = "failed/"
LAKEHOUSE_PUBLISH_KEY = "jobs/lakehouse_publish.py"  # uploaded by modules/pipeline
EXECUTION_TIMEOUT_SECONDS = 900.0


@dataclass(frozen=True)
class JobSpec:
    name: str
    script: str  # jobs/<script>
    arguments: dict[str, str]  # default arguments, --extra-py-files included
    max_concurrent_runs: int


@dataclass(frozen=True)
class LandingDeployment:
    """Names and settings modules/landing-zone gives its resources with the default inputs."""

    function_name: str
    state_machine_name: str
    environment: dict[str, str]  # the function's
    event_pattern: dict[str, Any]  # the Object Created rule's
    jobs: dict[str, JobSpec]  # "file_to_bronze", "bronze_to_silver"
    contracts_prefix: str
    intake_package_key: str  # functions/landing_intake/src zipped, the file job's --extra-py-files
    lambda_max_file_bytes: int
    max_files_per_run: int
    audit_state_index_name: str
    function_memory_size: int
    function_timeout: int


@dataclass(frozen=True)
class DeployedLanding:
    function_alias_arn: str
    state_machine_arn: str
    alias_arn: str  # what the schedule starts
    rule_name: str
    failure_topic_arn: str


_REFERENCE = re.compile(r"\$\{(var|local)\.([a-z0-9_]+)\}")
_SEED = re.compile(r'^\$\{join\("-", compact\(\[var\.name_prefix, "([A-Za-z_]+)"\]\)\)\}$')
_SEED_IN_TEMPLATE = re.compile(r'\$\{join\("-", compact\(\[var\.name_prefix, "([A-Za-z_]+)"\]\)\)\}')
_MERGED_ARGUMENT = re.compile(r'"(--[a-z_-]+)" = (var|local)\.([a-z0-9_]+)')


def _module_locals() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in parse_dir(MODULE_DIR).get("locals", []):
        values.update({key: value for key, value in block.items() if not key.startswith("__")})
    return values


def _seed(expression: str) -> str:
    """``join("-", compact([var.name_prefix, "<seed>"]))`` with the default (empty) prefix: the seed."""
    match = _SEED.match(expression)
    if match is None:
        raise ValueError(f"modules/landing-zone: expected a name_prefix join, got {expression!r}")
    return match.group(1)


def _resolved(value: Any, variables: dict[str, Any], module_locals: dict[str, Any]) -> Any:
    """`value` (a parsed HCL value) with every ``${var.x}`` / ``${local.x}`` replaced by its value."""
    if isinstance(value, dict):
        return {key: _resolved(item, variables, module_locals) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, variables, module_locals) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        kind, name = match.groups()
        found = variables[name] if kind == "var" else module_locals[name]
        if not isinstance(found, (str, int, float)):
            raise ValueError(f"modules/landing-zone: cannot use {kind}.{name} ({found!r}) in the local run")
        return str(found)

    # join("-", compact([var.name_prefix, "<seed>"])) with the default, empty, prefix: the seed
    resolved = _REFERENCE.sub(replace, _SEED_IN_TEMPLATE.sub(r"\1", value))
    if "${" in resolved:
        raise ValueError(
            f"modules/landing-zone: cannot resolve {value!r} for the local run; extend local/landing.py"
        )
    return resolved


def _job_arguments(
    arguments: Any, variables: dict[str, Any], module_locals: dict[str, Any]
) -> dict[str, str]:
    if isinstance(arguments, dict):
        return _resolved(arguments, variables, module_locals)
    # merge({"--x" = var.y, ...}, <optional arguments>): the fixed part (the optional one is off by default)
    pairs = _MERGED_ARGUMENT.findall(arguments)
    if not pairs:
        raise ValueError(f"modules/landing-zone: cannot read job arguments {arguments!r}")
    return {name: str(variables[ref] if kind == "var" else module_locals[ref]) for name, kind, ref in pairs}


def read_landing_deployment(deployment: Deployment, failure_topic_arn: str) -> LandingDeployment:
    """What `terraform apply` of modules/landing-zone creates with the root module's wiring and the
    default inputs, read from its HCL."""
    defaults = variable_defaults(MODULE_DIR)
    module_locals = _module_locals()
    variables = {
        **defaults,
        "name_prefix": "",
        "raw_bucket_name": deployment.raw_bucket,
        "bronze_bucket_name": deployment.bronze_bucket,
        "silver_bucket_name": deployment.silver_bucket,
        "artifacts_bucket_name": deployment.artifacts_bucket,
        "bronze_glue_database_name": deployment.glue_database,
        "silver_glue_database_name": deployment.silver_database,
        "audit_table_name": deployment.audit_table,
        "failure_topic_arn": failure_topic_arn,
        "lakehouse_publish_key": LAKEHOUSE_PUBLISH_KEY,
    }
    jobs = {}
    for key, job in module_locals["jobs"].items():
        name = _seed(job["name"])
        arguments = _job_arguments(job["arguments"], variables, module_locals)
        extra = [
            module_locals["intake_package_key"]
            if ref == "${aws_s3_object.intake_package.key}"
            else _resolved(ref, variables, module_locals)
            for ref in job["extra_py_keys"]
        ]
        arguments["--extra-py-files"] = ",".join(f"s3://{deployment.artifacts_bucket}/{k}" for k in extra)
        concurrency = _resolved(job["max_concurrent_runs"], variables, module_locals)
        jobs[key] = JobSpec(name, job["script"], arguments, int(concurrency))
    return LandingDeployment(
        function_name=_seed(module_locals["function_name"]),
        state_machine_name=_seed(module_locals["state_machine_name"]),
        environment=_resolved(module_locals["function_environment"], variables, module_locals),
        event_pattern=_resolved(module_locals["object_created_event_pattern"], variables, module_locals),
        jobs=jobs,
        contracts_prefix=module_locals["contracts_prefix"],
        intake_package_key=module_locals["intake_package_key"],
        lambda_max_file_bytes=int(defaults["lambda_max_file_bytes"]),
        max_files_per_run=int(defaults["max_files_per_run"]),
        audit_state_index_name=AUDIT_STATE_INDEX,
        function_memory_size=int(defaults["function_memory_size"]),
        function_timeout=int(defaults["function_timeout"]),
    )


# --------------------------------------------------------------------------- deployment


def function_zip(source: Path = FUNCTION_SOURCE_DIR) -> bytes:
    """functions/landing_intake/src zipped as Terraform's archive_file does (modules at the root)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*.py")):
            archive.write(path, path.relative_to(source).as_posix())
    return buffer.getvalue()


@functools.lru_cache(maxsize=4)
def render_landing_definition(
    landing_function_arn: str,
    audit_table_name: str,
    audit_state_index_name: str,
    bronze_job_name: str,
    silver_job_name: str,
    failure_topic_arn: str,
    max_files_per_run: int,
    lambda_max_file_bytes: int,
) -> str:
    """Landing_To_Silver's definition, rendered by real Terraform templatefile."""
    values = {
        "landing_function_arn": landing_function_arn,
        "audit_table_name": audit_table_name,
        "audit_state_index_name": audit_state_index_name,
        "bronze_job_name": bronze_job_name,
        "silver_job_name": silver_job_name,
        "failure_topic_arn": failure_topic_arn,
        "max_files_per_run": max_files_per_run,
        "lambda_max_file_bytes": lambda_max_file_bytes,
    }
    return json.dumps(render_state_machine(MODULE_DIR, values))


def deploy_landing(
    emulator: Emulator,
    deployment: Deployment,
    landing: LandingDeployment,
    failure_topic_arn: str,
    definition_transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> DeployedLanding:
    """Create in the emulator what modules/landing-zone creates, except the arrival path
    (``enable_arrival``, after a saved lakehouse is loaded: its landed files are not new arrivals).
    Needs the pipeline's deployment first (buckets, databases, audit table, topics)."""
    s3 = emulator.client("s3")
    upload_contracts(s3, deployment.artifacts_bucket, landing.contracts_prefix)
    s3.put_object(Bucket=deployment.artifacts_bucket, Key=landing.intake_package_key, Body=function_zip())
    s3.upload_file(str(JOBS_DIR / "lakehouse_publish.py"), deployment.artifacts_bucket, LAKEHOUSE_PUBLISH_KEY)
    for job in landing.jobs.values():
        key = f"jobs/{job.script}"
        s3.upload_file(str(JOBS_DIR / job.script), deployment.artifacts_bucket, key)
        create_glue_job(
            emulator,
            job.name,
            f"s3://{deployment.artifacts_bucket}/{key}",
            job.arguments,
            max_concurrent_runs=job.max_concurrent_runs,
        )
    function_arn = emulator.create_function(
        landing.function_name,
        load_handler(landing.function_name),
        environment=landing.environment,
        memory_size=landing.function_memory_size,
        timeout=landing.function_timeout,
        alias=deployment.alias_name,
    )
    definition = render_landing_definition(
        function_arn,
        deployment.audit_table,
        landing.audit_state_index_name,
        landing.jobs["file_to_bronze"].name,
        landing.jobs["bronze_to_silver"].name,
        failure_topic_arn,
        landing.max_files_per_run,
        landing.lambda_max_file_bytes,
    )
    if definition_transform is not None:
        definition = json.dumps(definition_transform(json.loads(definition)))
    machine_arn, alias_arn = create_state_machine(
        emulator, landing.state_machine_name, definition, deployment.alias_name
    )
    return DeployedLanding(
        function_arn, machine_arn, alias_arn, f"{landing.function_name}-object-created", failure_topic_arn
    )


def enable_arrival(
    emulator: Emulator, deployment: Deployment, landing: LandingDeployment, target: DeployedLanding
) -> None:
    """The raw bucket's EventBridge notifications and the Object Created rule targeting the function's
    alias: from now on every file put under landing/ is registered (the emulator delivers the event)."""
    emulator.client("s3").put_bucket_notification_configuration(
        Bucket=deployment.raw_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    events = emulator.client("events")
    events.put_rule(Name=target.rule_name, EventPattern=json.dumps(landing.event_pattern), State="ENABLED")
    events.put_targets(
        Rule=target.rule_name, Targets=[{"Id": landing.function_name, "Arn": target.function_alias_arn}]
    )


def upload_contracts(s3: Any, bucket: str, prefix: str, directory: Path = CONTRACTS_DIR) -> list[str]:
    """Every datasets/<dataset>.json to s3://<artifacts>/<prefix><dataset>.json, as Terraform uploads them."""
    keys = []
    for path in sorted(directory.glob("*.json")):
        key = f"{prefix}{path.name}"
        s3.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys


# --------------------------------------------------------------------------- dropping files


@dataclass(frozen=True)
class DroppedFile:
    key: str
    state: str  # "uploaded" | "unchanged" (the same content is already at that key)


def _etag(s3: Any, bucket: str, key: str) -> str | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    except s3.exceptions.ClientError:
        return None


def drop_files(s3: Any, bucket: str, directory: Path = LANDING_DIR) -> list[DroppedFile]:
    """Upload ``directory/<dataset>/<file>`` to ``landing/<dataset>/<file>`` like ``aws s3 sync``: a
    file whose content is already at its key (loaded by an earlier run) is not uploaded again."""
    import hashlib

    dropped = []
    if not directory.is_dir():
        return dropped
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")):
        key = LANDING_PREFIX + path.relative_to(directory).as_posix()
        body = path.read_bytes()
        if _etag(s3, bucket, key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
            dropped.append(DroppedFile(key, "unchanged"))
            continue
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        dropped.append(DroppedFile(key, "uploaded"))
    return dropped


# --------------------------------------------------------------------------- the run and its report


def landing_run_id(sfn: Any, execution_arn: str) -> str | None:
    """The run id a Landing_To_Silver execution named itself ("Set the run id and limits")."""
    for event in execution_events(sfn, execution_arn):
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == "Set the run id and limits":
            return json.loads(details["output"])["run"]["id"]
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def landing_items(
    dynamodb: Any, table: str, run_id: str | None, registered_keys: Iterable[str]
) -> list[dict[str, Any]]:
    """The audit items of the landed files this run processed, and of the files just dropped that it
    left NEW (beyond max_files_per_run), as plain JSON values, by dataset and arrival."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    wanted = set(registered_keys)
    items = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="#source = :landing",
        ExpressionAttributeNames={"#source": "source"},
        ExpressionAttributeValues={":landing": {"S": "landing"}},
    ):
        for raw in page["Items"]:
            item = _plain({key: deserializer.deserialize(value) for key, value in raw.items()})
            processed = run_id is not None and item.get("processed_by") == run_id
            if processed or (item.get("key") in wanted and item.get("state") == "NEW"):
                items.append(item)
    return sorted(items, key=lambda item: (item["dataset"], item.get("arrived_at", ""), item.get("key", "")))


def copy_failed_files(s3: Any, bucket: str, destination: Path) -> list[Path]:
    """The raw bucket's failed/<dataset>/<run>/<file> objects (invalid files) under destination/."""
    copied = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=FAILED_PREFIX):
        for item in page.get("Contents", []):
            target = destination / item["Key"].removeprefix(FAILED_PREFIX)
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
            copied.append(target)
    return copied


def format_files(items: list[dict[str, Any]], not_registered: list[dict[str, Any]]) -> str:
    """One line per landed file: dataset, file, rows, state, reason; files the registration refused or
    found already registered (same content) included."""
    from local.run_pipeline import format_rows, shorten

    body = [
        (
            item["dataset"],
            item.get("file_name", item.get("key", "?")),
            "-" if item.get("rows") is None else f"{item['rows']:,}",
            item.get("state", "?"),
            shorten(str(item.get("reason", "")), 110),
        )
        for item in items
    ]
    body += [
        (
            entry.get("dataset", "-"),
            entry["key"].rsplit("/", 1)[-1],
            "-",
            entry["state"],
            shorten(entry["reason"], 110),
        )
        for entry in not_registered
    ]
    return format_rows(("dataset", "file", "rows", "state", "reason"), body, {2})


def landing_result(s3: Any, bucket: str, run_id: str | None) -> dict[str, Any] | None:
    """The landing silver job's _runs/landing/<run id>/result.json, or None when it wrote none."""
    if run_id is None:
        return None
    try:
        body = s3.get_object(Bucket=bucket, Key=f"_runs/landing/{run_id}/result.json")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def format_landing_silver(result: dict[str, Any]) -> str:
    """Per dataset the silver job published or quarantined: rows, bronze rows, duplicates removed."""
    from local.run_pipeline import format_rows, shorten

    def cell(value: Any) -> str:
        return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)

    body = [
        (
            name,
            entry.get("state", "?"),
            cell(entry.get("rows")),
            cell(entry.get("bronze_rows")),
            cell(entry.get("duplicates_removed")),
            shorten(str(entry.get("reason", "")), 100),
        )
        for name, entry in sorted(result.get("datasets", {}).items())
    ]
    return format_rows(
        ("dataset", "state", "rows", "bronze rows", "duplicates removed", "reason"), body, {2, 3, 4}
    )


def not_registered(emulator: Emulator, since: int) -> list[dict[str, Any]]:
    """The Object Created events delivered since delivery number `since` that registered nothing: the
    function refused the key (REFUSED: outside a dataset folder, a bad dataset name, a name another
    source owns) or the same content was already registered (DUPLICATE). Redeliveries are left out."""
    found = []
    for delivery in emulator.event_deliveries[since:]:
        result = delivery.get("result") or {}
        if result.get("registered") is not False or "redelivery" in result.get("reason", ""):
            continue
        state = "DUPLICATE" if "audit_id" in result else "REFUSED"
        if result.get("reason", "").startswith("a folder marker"):
            continue
        found.append(
            {
                **result,
                "state": state,
                "key": result.get("key") or delivery["event"]["detail"]["object"]["key"],
            }
        )
    return found


@dataclass
class LandingRun:
    """What one local Landing_To_Silver run did."""

    status: str  # the execution's status
    error: str | None  # the execution's error name when it failed
    cause: str | None
    run_id: str | None
    dropped: list[DroppedFile]
    items: list[dict[str, Any]]  # audit items of this run's files
    not_registered: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        """The run did its work: it succeeded, or it failed only because files were rejected (the
        files with a problem are named, moved to failed/ and alerted; the good ones are published)."""
        return self.status == "SUCCEEDED" or self.error == FILES_NEED_ATTENTION


FILES_NEED_ATTENTION = "LandingFilesNeedAttention"


def shown_folder(folder: Path) -> str:
    """A folder as the report names it: relative to the repository when it is inside it
    (``local-landing``), else as given."""
    try:
        return folder.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(folder)


def run_landing(
    emulator: Emulator,
    deployment: Deployment,
    deployed: DeployedLanding,
    out: TextIO,
    landing_dir: Path = LANDING_DIR,
) -> LandingRun:
    """Drop the files of `landing_dir` into the landing zone (each is registered on arrival) and run
    Landing_To_Silver once, printing its steps."""
    from local.run_pipeline import run_with_progress

    s3, sfn = emulator.client("s3"), emulator.client("stepfunctions")
    print(
        f"\nLanding zone: {shown_folder(landing_dir)} -> s3://{deployment.raw_bucket}/{LANDING_PREFIX}",
        file=out,
    )
    since = len(emulator.event_deliveries)
    dropped = drop_files(s3, deployment.raw_bucket, landing_dir)
    uploaded = [file.key for file in dropped if file.state == "uploaded"]
    unchanged = len(dropped) - len(uploaded)
    print(
        f"  {len(uploaded)} file(s) dropped"
        + (f", {unchanged} unchanged since an earlier run (not uploaded again)" if unchanged else ""),
        file=out,
    )
    description = run_with_progress(sfn, deployed.alias_arn, {"trigger": "local-run"}, out)
    run_id = landing_run_id(sfn, description["executionArn"])
    items = landing_items(emulator.client("dynamodb"), deployment.audit_table, run_id, uploaded)
    return LandingRun(
        description["status"],
        description.get("error"),
        description.get("cause"),
        run_id,
        dropped,
        items,
        not_registered(emulator, since),
    )


def sns_messages_of(emulator: Emulator, deployed: DeployedLanding) -> list[dict[str, Any]]:
    from local.emulator import sns_messages

    return sns_messages(deployed.failure_topic_arn, emulator.region, emulator.account_id)


def report_landing(
    emulator: Emulator,
    deployment: Deployment,
    deployed: DeployedLanding,
    run: LandingRun,
    out: TextIO,
    output_dir: Path,
    shown_dir: Path,
    alerts_before: int,
) -> None:
    """Print every landed file (dataset, file, rows, state, reason) and the run's alert; copy invalid
    files to output_dir/failed/, add the files' audit items to output_dir/audit.json and copy the silver
    tables again (landed datasets under silver/<dataset>/)."""
    from local.run_pipeline import copy_silver, shorten

    s3 = emulator.client("s3")
    if run.items or run.not_registered:
        print("\nLanded files" + (f" (run {run.run_id})" if run.run_id else ""), file=out)
        print(format_files(run.items, run.not_registered), file=out)
    elif run.status == "SUCCEEDED":
        print("\nLanded files: none new since the last run", file=out)
    audit_file = output_dir / "audit.json"
    audit_file.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(audit_file.read_text(encoding="utf-8")) if audit_file.exists() else []
    audit_file.write_text(json.dumps(existing + run.items, indent=2, default=str) + "\n", encoding="utf-8")
    if copy_failed_files(s3, deployment.raw_bucket, output_dir / "failed"):
        print(
            f"Invalid files: s3://{deployment.raw_bucket}/{FAILED_PREFIX}, copied to {shown_dir / 'failed'}/",
            file=out,
        )
    result = landing_result(s3, deployment.silver_bucket, run.run_id)
    if result:
        print(f"\nSilver (Glue database {deployment.silver_database}), landed datasets", file=out)
        print(format_landing_silver(result), file=out)
    copy_silver(s3, emulator.client("glue"), deployment.silver_database, output_dir / "silver")
    published = sorted({item["dataset"] for item in run.items if item.get("state") == "SILVER"})
    if published:
        print(
            f"Landed datasets' silver tables copied to {shown_dir / 'silver'}/<dataset>/: "
            + ", ".join(published),
            file=out,
        )
    for message in sns_messages_of(emulator, deployed)[alerts_before:]:
        print(f"\nAlert published to failure-stepfunction: {message['subject']}", file=out)
        print("\n".join("  " + shorten(line) for line in message["message"].splitlines()), file=out)
    if not run.ok:
        print(f"\nLanding_To_Silver FAILED: {run.error}", file=out)
        if run.cause:
            print(f"  {shorten(run.cause)}", file=out)
