"""Raw -> bronze -> silver, locally: ``python -m local.run_pipeline`` (``make run-local``).

One command, no AWS account: the embedded AWS emulator (local/emulator.py) gets the buckets,
SSM parameters, topics, Glue databases and job, audit table and Lambda functions the Terraform
modules would create, named from the modules' own HCL (variable defaults, the functions'
environment, the job's default arguments). Both state machines are the real definitions rendered
by real Terraform ``templatefile``; ``lambda:invoke`` tasks run the real handlers in process and
``glue:startJobRun.sync`` runs the real job script (jobs/) under local PySpark. The data comes from
the built-in sample WordPress on 127.0.0.1 (several paginated collections and a custom,
non-paginated endpoint), or from the site named by ``WORDPRESS_URL`` (then its posts, pages,
categories, tags and users are pulled).

It prints each step as the execution history reports it, a summary table, the silver summary
(rows, partitions, quality per table) and the run's audit trail, and copies the raw JSON, the bronze
Parquet files, the published silver tables and the audit items to ``local-output/``. Exit status 0
when the execution SUCCEEDED, 1 when it did not (with the error, its cause, the silver job's own
error message and the alerts that were published), 2 for a bad option, 130 after Ctrl-C (which stops
the execution and its Spark job).

The run writes into a staging folder inside ``--output``; only a run that succeeded replaces the
previous output there (``raw/``, ``bronze/``, ``silver/``, ``audit.json``, ``pipeline.log``). What a
failed or interrupted run wrote is kept in ``--output``/``failed/`` instead, and the previous good
output stays as it was.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `python local/run_pipeline.py` works too
    sys.path.insert(0, str(REPO_ROOT))

from local.emulator import (  # noqa: E402
    DEFAULT_REGION,
    TERMINAL_STATUSES,
    Emulator,
    aws_emulator,
    execution_events,
    sns_messages,
    stop_running_executions,
)
from local.functions import COMMON_LAYER_DIR, load_handler  # noqa: E402
from local.hcl import labelled, parse_dir, resources  # noqa: E402
from local.java import JavaNotFound, java_home, java_version  # noqa: E402
from local.lakehouse_state import SavedState, StateError, load_state, read_state, save_state  # noqa: E402
from local.sample_wordpress import DEFAULT_SEED, SampleWordPress, SiteChanges, build_changed_site  # noqa: E402
from local.terraform import MODULES_DIR, render_state_machine  # noqa: E402

DEFAULT_OUTPUT_DIR = REPO_ROOT / "local-output"
DEFAULT_SAMPLE_POSTS = 250  # three pages of 100: pagination is exercised
PUBLIC_SITE_ROUTES = ("posts", "pages", "categories", "tags", "users")
DATA_SOURCE = "wordpress_api"
JOB_SCRIPT = REPO_ROOT / "jobs" / "wordpress_bronze_to_silver.py"
GOLD_JOB_SCRIPT = REPO_ROOT / "jobs" / "wordpress_silver_to_gold.py"
# modules/pipeline/silver.tf local.audit_state_index_name: the landing zone's index of file states.
AUDIT_STATE_INDEX = "state-arrived_at-index"
EXECUTION_TIMEOUT_SECONDS = 900.0
MESSAGE_PREVIEW_CHARACTERS = 300
STAGING_DIR = ".run-in-progress"  # inside --output: where a run writes until it has succeeded
FAILED_DIR = "failed"  # inside --output: what the last failed or interrupted run wrote
STATE_DIR = "state"  # inside --output: the local lakehouse the next run continues from
RUN_ENTRIES = (
    "raw",
    "bronze",
    "silver",
    "gold",
    "audit.json",
    "pipeline.log",
    STATE_DIR,
)  # what a run replaces
INTERRUPTED_STATUS = 130  # 128 + SIGINT, as shells report Ctrl-C
JOB_STOP_SECONDS = 60.0

logger = logging.getLogger("run_pipeline")


# --------------------------------------------------------------------------- what Terraform creates


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    environment: dict[str, str]
    memory_size: int
    timeout: int


@dataclass(frozen=True)
class JobSpec:
    """The Glue job as modules/pipeline declares it."""

    name: str
    script_key: str
    default_arguments: dict[str, str]
    glue_version: str
    worker_type: str
    number_of_workers: int
    timeout_minutes: int


@dataclass(frozen=True)
class Deployment:
    """Names and settings the modules give their resources with default inputs."""

    raw_bucket: str
    bronze_bucket: str
    parameters: dict[str, str]  # role -> SSM parameter name
    topics: dict[str, str]  # topic key -> topic name
    glue_database: str
    state_machine_name: str
    functions: dict[str, FunctionSpec]  # "raw" / "bronze"
    alias_name: str  # of each function and of the state machine: what callers invoke and start
    silver_bucket: str
    artifacts_bucket: str
    silver_database: str
    silver_state_machine_name: str
    audit_table: str
    job: JobSpec
    load_state_table: str = "data-lakehouse-load-state"  # each dataset's watermark and last full load
    gold_bucket: str = ""
    gold_database: str = ""
    gold_job: JobSpec | None = None  # wordpress_silver_to_gold, run by the silver workflow


def _locals(module_dir: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in parse_dir(module_dir).get("locals", []):
        values.update(block)
    return values


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def variable_defaults(module_dir: Path) -> dict[str, Any]:
    """Default of every variable of a module that has one."""
    variables = labelled(parse_dir(module_dir).get("variable", []))
    return {name: body["default"] for name, body in variables.items() if "default" in body}


_REFERENCE = re.compile(r"^\$\{(?:tostring\()?(var|aws_ssm_parameter)\.([a-z0-9_]+)(?:\.name)?\)?\}$")


_JOIN = re.compile(r'^\$\{join\("([^"]*)", var\.([a-z0-9_]+)\)\}$')


def resolve(expression: Any, variables: dict[str, Any], parameter_names: dict[str, str]) -> str:
    """A function's environment value as Terraform sets it: `var.x`, `tostring(var.x)`,
    `join("<sep>", var.x)`, parameter names."""
    if not isinstance(expression, str) or "${" not in expression:
        return str(expression)
    joined = _JOIN.match(expression)
    if joined is not None:
        separator, name = joined.groups()
        return separator.join(str(item) for item in variables[name])
    match = _REFERENCE.match(expression)
    if match is None:
        raise ValueError(f"cannot resolve {expression!r} for the local run; extend resolve()")
    kind, name = match.groups()
    value = variables[name] if kind == "var" else parameter_names[name]
    if isinstance(value, bool):  # tostring(true) is "true"
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def read_deployment(account_id: str, region: str) -> Deployment:
    """What `terraform apply` with the default inputs creates, read from the modules' HCL."""
    buckets_dir, alerting_dir, pipeline_dir = (
        MODULES_DIR / "lakehouse-buckets",
        MODULES_DIR / "alerting",
        MODULES_DIR / "pipeline",
    )
    buckets = variable_defaults(buckets_dir)
    alerting = variable_defaults(alerting_dir)
    pipeline = variable_defaults(pipeline_dir)

    def bucket_name(layer: str) -> str:
        # locals.buckets.<layer>.name: join("-", compact([var.name_prefix, "<seed>", local.name_suffix]))
        expression = _one(_locals(buckets_dir)["buckets"])[layer]["name"]
        seed = re.search(r'"(data-lakehouse-[a-z]+)"', expression)
        if seed is None:
            raise ValueError(
                f"no seed bucket name in lakehouse-buckets locals.buckets.{layer}.name: {expression}"
            )
        return f"{seed.group(1)}-{account_id}-{region}"

    topics = {key: spec["seed"] for key, spec in _one(_locals(alerting_dir)["topics"]).items()}
    parameters = {
        "raw_bucket_parameter_name": buckets["raw_bucket_parameter_name"],
        "bronze_bucket_parameter_name": buckets["bronze_bucket_parameter_name"],
        "raw_topic_parameter_name": alerting["raw_topic_parameter_name"],
        "bronze_topic_parameter_name": alerting["bronze_topic_parameter_name"],
        "endpoints_parameter_name": pipeline["endpoints_parameter_name"],
    }
    # The root passes these from the other modules; everything else keeps the pipeline's defaults.
    variables = {**pipeline, **parameters, "glue_database_name": buckets["glue_database_name"]}
    resources = {"endpoints": parameters["endpoints_parameter_name"]}
    functions = {
        key: FunctionSpec(
            name=spec["seed"],
            environment={k: resolve(v, variables, resources) for k, v in spec["environment"].items()},
            memory_size=int(resolve(spec["memory_size"], variables, resources)),
            timeout=int(resolve(spec["timeout"], variables, resources)),
        )
        for key, spec in _one(_locals(pipeline_dir)["functions"]).items()
    }
    pipeline_locals = _locals(pipeline_dir)
    silver_database = re.search(
        r'"(data_lakehouse_silver)"', _one(_locals(buckets_dir)["silver_glue_database_name"])
    )
    if silver_database is None:
        raise ValueError("no seed database name in lakehouse-buckets locals.silver_glue_database_name")
    gold_database = re.search(
        r'"(data_lakehouse_gold)"', _one(_locals(buckets_dir)["gold_glue_database_name"])
    )
    if gold_database is None:
        raise ValueError("no seed database name in lakehouse-buckets locals.gold_glue_database_name")
    names = {
        "bronze_bucket": bucket_name("bronze"),
        "silver_bucket": bucket_name("silver"),
        "gold_bucket": bucket_name("gold"),
        "artifacts_bucket": bucket_name("artifacts"),
        "silver_database": silver_database.group(1),
        "gold_database": gold_database.group(1),
        # join("-", compact([var.name_prefix, var.<silver|gold>_job_name]))
        "silver_job": pipeline["silver_job_name"],
        "gold_job": pipeline["gold_job_name"],
        "lakehouse_publish_key": _one(pipeline_locals["lakehouse_publish_key"]),
        "audit_table": pipeline["audit_table_name"],
    }
    return Deployment(
        raw_bucket=bucket_name("raw"),
        bronze_bucket=names["bronze_bucket"],
        parameters=parameters,
        topics=topics,
        glue_database=buckets["glue_database_name"],
        state_machine_name=pipeline["state_machine_name"],
        functions=functions,
        alias_name=_locals(pipeline_dir)["alias_name"],
        silver_bucket=names["silver_bucket"],
        artifacts_bucket=names["artifacts_bucket"],
        silver_database=names["silver_database"],
        silver_state_machine_name=pipeline["silver_state_machine_name"],
        audit_table=pipeline["audit_table_name"],
        load_state_table=pipeline["load_state_table_name"],
        job=read_job(pipeline_dir, pipeline, _one(pipeline_locals["silver_job_script_key"]), names),
        gold_bucket=names["gold_bucket"],
        gold_database=names["gold_database"],
        gold_job=read_job(
            pipeline_dir, pipeline, _one(pipeline_locals["gold_job_script_key"]), names, "gold"
        ),
    )


def read_job(
    pipeline_dir: Path, variables: dict[str, Any], script_key: str, names: dict[str, str], job: str = "silver"
) -> JobSpec:
    """The aws_glue_job `job` ("silver", or "gold" in gold.tf) of modules/pipeline with its default
    arguments resolved for the default inputs."""
    body = next(
        body
        for rtype, name, body in resources(parse_dir(pipeline_dir))
        if (rtype, name) == ("aws_glue_job", job)
    )
    references = {
        "${local.silver_job_log_name_prefix}": f"/aws-glue/jobs/{names['silver_job']}",
        "${local.silver_job_temp_prefix}": f"temp/{names['silver_job']}/",
        "${local.gold_job_log_name_prefix}": f"/aws-glue/jobs/{names['gold_job']}",
        "${local.gold_job_temp_prefix}": f"temp/{names['gold_job']}/",
        "${var.artifacts_bucket_name}": names["artifacts_bucket"],
        "${local.bronze_bucket_name}": names["bronze_bucket"],
        "${var.silver_bucket_name}": names["silver_bucket"],
        "${var.silver_glue_database_name}": names["silver_database"],
        "${var.gold_bucket_name}": names["gold_bucket"],
        "${var.gold_glue_database_name}": names["gold_database"],
        "${local.data_source}": DATA_SOURCE,
        "${local.lakehouse_publish_key}": names["lakehouse_publish_key"],
        "${aws_dynamodb_table.audit.name}": names["audit_table"],
    }

    def resolved(value: str) -> str:
        for reference, replacement in references.items():
            value = value.replace(reference, replacement)
        if "${" in value:
            raise ValueError(
                f"cannot resolve the job argument {value!r} for the local run; extend read_job()"
            )
        return value

    return JobSpec(
        name=names[f"{job}_job"],
        script_key=script_key,
        default_arguments={key: resolved(value) for key, value in _one(body["default_arguments"]).items()},
        glue_version=body["glue_version"],
        worker_type=variables[f"{job}_job_worker_type"],
        number_of_workers=int(variables[f"{job}_job_number_of_workers"]),
        timeout_minutes=int(variables[f"{job}_job_timeout_minutes"]),
    )


@dataclass(frozen=True)
class DeployedPipeline:
    state_machine_arn: str
    alias_arn: str  # what the schedule starts: the state machine's live alias
    topic_arns: dict[str, str]
    silver_state_machine_arn: str = ""
    silver_alias_arn: str = ""  # what the pipeline starts: the silver state machine's live alias


@functools.lru_cache(maxsize=8)
def render_definition(
    raw_function_arn: str,
    bronze_function_arn: str,
    failure_topic_arn: str,
    audit_table_name: str = "data-lakehouse-audit",
    silver_state_machine_arn: str = "arn:aws:states:eu-west-2:123456789012:stateMachine:silver",
    bronze_database_name: str = "data_lakehouse_bronze",
    load_state_table_name: str = "data-lakehouse-load-state",
) -> str:
    """The pipeline module's WordPress_Raw_To_Bronze definition, rendered by real Terraform templatefile."""
    values = {
        "load_state_table_name": load_state_table_name,
        "raw_function_arn": raw_function_arn,
        "bronze_function_arn": bronze_function_arn,
        "failure_topic_arn": failure_topic_arn,
        "audit_table_name": audit_table_name,
        "silver_state_machine_arn": silver_state_machine_arn,
        "bronze_database_name": bronze_database_name,
    }
    return json.dumps(render_state_machine(MODULES_DIR / "pipeline", values))


@functools.lru_cache(maxsize=8)
def render_silver_definition(
    silver_job_name: str,
    silver_bucket_name: str,
    bronze_database_name: str,
    audit_table_name: str,
    failure_topic_arn: str,
    load_state_table_name: str = "data-lakehouse-load-state",
    gold_job_name: str = "wordpress_silver_to_gold",
    gold_bucket_name: str = "gold",
) -> str:
    """The pipeline module's WordPress_Bronze_To_Silver definition, rendered by real templatefile."""
    values = {
        "load_state_table_name": load_state_table_name,
        "gold_job_name": gold_job_name,
        "gold_bucket_name": gold_bucket_name,
        "silver_job_name": silver_job_name,
        "silver_bucket_name": silver_bucket_name,
        "bronze_database_name": bronze_database_name,
        "audit_table_name": audit_table_name,
        "failure_topic_arn": failure_topic_arn,
    }
    return json.dumps(render_state_machine(MODULES_DIR / "pipeline", values, prefix="silver_"))


def create_state_machine(emulator: Emulator, name: str, definition: str, alias_name: str) -> tuple[str, str]:
    """The state machine, published (`publish = true`), and its alias routing to that version, as
    modules/state-machine creates them; returns (state machine ARN, alias ARN)."""
    role_arn = emulator.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=name, definition=definition, roleArn=role_arn, type="STANDARD", publish=True
    )
    alias = sfn.create_state_machine_alias(
        name=alias_name,
        routingConfiguration=[{"stateMachineVersionArn": machine["stateMachineVersionArn"], "weight": 100}],
    )
    return machine["stateMachineArn"], alias["stateMachineAliasArn"]


def create_audit_table(dynamodb: Any, name: str) -> None:
    """The audit table as silver.tf declares it: hash key dataset, range key run_id, and the landing
    zone's state index (hash key state, range key arrived_at, every attribute projected)."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "dataset", "KeyType": "HASH"},
            {"AttributeName": "run_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "dataset", "AttributeType": "S"},
            {"AttributeName": "run_id", "AttributeType": "S"},
            {"AttributeName": "state", "AttributeType": "S"},
            {"AttributeName": "arrived_at", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": AUDIT_STATE_INDEX,
                "KeySchema": [
                    {"AttributeName": "state", "KeyType": "HASH"},
                    {"AttributeName": "arrived_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_load_state_table(dynamodb: Any, name: str) -> None:
    """The load-state table as load_state.tf declares it: hash key dataset."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "dataset", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "dataset", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def create_glue_job(
    emulator: Emulator,
    name: str,
    script_location: str,
    arguments: dict[str, str],
    *,
    glue_version: str = "5.0",
    worker_type: str = "G.1X",
    number_of_workers: int = 2,
    timeout_minutes: int = 60,
    max_concurrent_runs: int = 1,
) -> None:
    """A Glue job and its role, as the modules declare them (no automatic retries: the state machines
    decide); the emulator runs its script when a run starts."""
    role_arn = emulator.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    emulator.client("glue").create_job(
        Name=name,
        Role=role_arn,
        Command={"Name": "glueetl", "ScriptLocation": script_location, "PythonVersion": "3"},
        DefaultArguments=arguments,
        GlueVersion=glue_version,
        WorkerType=worker_type,
        NumberOfWorkers=number_of_workers,
        Timeout=timeout_minutes,
        MaxRetries=0,
        ExecutionProperty={"MaxConcurrentRuns": max_concurrent_runs},
    )


def deploy_silver(emulator: Emulator, deployment: Deployment, failure_topic_arn: str) -> tuple[str, str]:
    """The silver and artifacts buckets, silver database, audit table, Glue job (its script uploaded
    from jobs/) and the silver state machine; returns the state machine's ARN and its alias ARN."""
    s3, glue, dynamodb = (emulator.client(name) for name in ("s3", "glue", "dynamodb"))
    for bucket in (deployment.silver_bucket, deployment.gold_bucket, deployment.artifacts_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    for database in (deployment.silver_database, deployment.gold_database):
        glue.create_database(DatabaseInput={"Name": database})
    create_audit_table(dynamodb, deployment.audit_table)
    create_load_state_table(dynamodb, deployment.load_state_table)
    assert deployment.gold_job is not None
    for job, script in ((deployment.job, JOB_SCRIPT), (deployment.gold_job, GOLD_JOB_SCRIPT)):
        # The script and its --extra-py-files (jobs/lakehouse_publish.py), uploaded as the module does.
        s3.upload_file(str(script), deployment.artifacts_bucket, job.script_key)
        for uri in filter(None, job.default_arguments.get("--extra-py-files", "").split(",")):
            key = uri.removeprefix(f"s3://{deployment.artifacts_bucket}/")
            s3.upload_file(str(REPO_ROOT / key), deployment.artifacts_bucket, key)
        create_glue_job(
            emulator,
            job.name,
            f"s3://{deployment.artifacts_bucket}/{job.script_key}",
            job.default_arguments,
            glue_version=job.glue_version,
            worker_type=job.worker_type,
            number_of_workers=job.number_of_workers,
            timeout_minutes=job.timeout_minutes,
        )
    definition = render_silver_definition(
        deployment.job.name,
        deployment.silver_bucket,
        deployment.glue_database,
        deployment.audit_table,
        failure_topic_arn,
        deployment.load_state_table,
        deployment.gold_job.name,
        deployment.gold_bucket,
    )
    return create_state_machine(
        emulator, deployment.silver_state_machine_name, definition, deployment.alias_name
    )


def deploy(
    emulator: Emulator,
    deployment: Deployment,
    endpoints: list[str],
    environment_overrides: dict[str, str] | None = None,
    definition_transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> DeployedPipeline:
    """Create in the emulator what the lakehouse-buckets, alerting and pipeline modules create.

    `environment_overrides` changes the functions' settings (tests use it to skip real backoff);
    `definition_transform` changes the rendered definition (tests use it for a short task timeout)."""
    s3, ssm, sns, glue = (emulator.client(name) for name in ("s3", "ssm", "sns", "glue"))
    for bucket in (deployment.raw_bucket, deployment.bronze_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    topic_arns = {key: sns.create_topic(Name=name)["TopicArn"] for key, name in deployment.topics.items()}
    params = deployment.parameters
    for name, value, kind in (
        (params["raw_bucket_parameter_name"], deployment.raw_bucket, "String"),
        (params["bronze_bucket_parameter_name"], deployment.bronze_bucket, "String"),
        (params["raw_topic_parameter_name"], topic_arns["raw"], "String"),
        (params["bronze_topic_parameter_name"], topic_arns["bronze"], "String"),
        (params["endpoints_parameter_name"], ",".join(endpoints), "StringList"),
    ):
        ssm.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)
    glue.create_database(DatabaseInput={"Name": deployment.glue_database})

    arns = {
        key: emulator.create_function(
            spec.name,
            load_handler(spec.name),
            environment={**spec.environment, **(environment_overrides or {})},
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            alias=deployment.alias_name,  # publish = true and the live alias, as the module does
        )
        for key, spec in deployment.functions.items()
    }
    silver_arn, silver_alias_arn = deploy_silver(emulator, deployment, topic_arns["failure_stepfunction"])
    # The pipeline starts the silver workflow through its live alias, as the module renders it.
    definition = render_definition(
        arns["raw"],
        arns["bronze"],
        topic_arns["failure_stepfunction"],
        deployment.audit_table,
        silver_alias_arn,
        deployment.glue_database,
        deployment.load_state_table,
    )
    if definition_transform is not None:
        definition = json.dumps(definition_transform(json.loads(definition)))
    machine_arn, alias_arn = create_state_machine(
        emulator, deployment.state_machine_name, definition, deployment.alias_name
    )
    return DeployedPipeline(machine_arn, alias_arn, topic_arns, silver_arn, silver_alias_arn)


# --------------------------------------------------------------------------- endpoints


def sample_endpoints(site: SampleWordPress) -> list[str]:
    """The built-in site's collections (one in the ?rest_route= form) and its custom document."""
    return [
        site.url("posts"),
        site.url("categories", pretty=False),
        site.url("tags"),
        site.url("users"),
        site.url("statistics_pages", namespace="/wp-statistics/v2"),
    ]


def site_endpoints(base_url: str) -> list[str]:
    """The core collections of a real WordPress site under /wp-json/wp/v2/."""
    root = base_url.rstrip("/")
    return [f"{root}/wp-json/wp/v2/{route}" for route in PUBLIC_SITE_ROUTES]


# --------------------------------------------------------------------------- running


def _elapsed(event: dict[str, Any], started: Any) -> str:
    return f"{(event['timestamp'] - started).total_seconds():6.1f}s"


def _step_summary(output: str) -> str:
    """A short line from a task's Lambda result: what the step did."""
    try:
        payload = json.loads(output).get("Payload") or {}
    except (ValueError, AttributeError):
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = []
    for key, label in (("endpoints", "endpoints"), ("objects", "objects"), ("tables", "tables")):
        if isinstance(payload.get(key), list):
            parts.append(f"{len(payload[key])} {label}")
    for key, label in (("records", "records"), ("rows", "rows"), ("bytes", "bytes")):
        if isinstance(payload.get(key), int):
            parts.append(f"{payload[key]:,} {label}")
    return ", ".join(parts)


def describe_event(event: dict[str, Any], state: str) -> str | None:
    """One progress line for an execution history event, or None for events not worth a line."""
    kind = event["type"]
    if kind == "TaskStateEntered":
        return f"{state} ... started"
    if kind == "TaskSucceeded":
        summary = _step_summary(event["taskSucceededEventDetails"].get("output", ""))
        return f"{state} ... succeeded" + (f" ({summary})" if summary else "")
    if kind == "TaskFailed":
        details = event["taskFailedEventDetails"]
        return f"{state} ... FAILED: {details.get('error', '?')}"
    if kind == "TaskTimedOut":
        return f"{state} ... TIMED OUT"
    if kind in ("PassStateEntered", "FailStateEntered", "SucceedStateEntered"):
        return state
    if kind == "ExecutionSucceeded":
        return "execution SUCCEEDED"
    if kind in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
        return f"execution {kind.removeprefix('Execution').upper()}"
    return None


def run_with_progress(
    sfn: Any, state_machine_arn: str, execution_input: dict[str, Any], out: TextIO
) -> dict[str, Any]:
    """Start a named execution and print each step from its history until it ends."""
    name = f"local-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    execution_arn = sfn.start_execution(
        stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input)
    )["executionArn"]
    print(f"Execution {name}", file=out)
    seen = 0
    state = ""
    started = None
    map_states: list[str] = []
    deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        events = execution_events(sfn, execution_arn)
        for event in events[seen:]:
            started = started or event["timestamp"]
            kind = event["type"]
            if kind == "MapStateEntered":
                map_states.append(event["stateEnteredEventDetails"]["name"])
                print(f"  [{_elapsed(event, started)}] {map_states[-1]} ...", file=out, flush=True)
                continue
            if kind in ("MapStateExited", "MapStateFailed", "MapStateAborted") and map_states:
                verb = "done" if kind == "MapStateExited" else kind.removeprefix("MapState").upper()
                print(f"  [{_elapsed(event, started)}] {map_states.pop()} ... {verb}", file=out, flush=True)
                continue
            if map_states:  # one line per Map state, not one per iteration
                continue
            if "stateEnteredEventDetails" in event:
                state = event["stateEnteredEventDetails"]["name"]
            line = describe_event(event, state)
            if line:
                print(f"  [{_elapsed(event, started)}] {line}", file=out, flush=True)
        seen = len(events)
        if description["status"] in TERMINAL_STATUSES and any(
            event["type"].startswith("Execution") and event["type"] != "ExecutionStarted" for event in events
        ):
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"execution {name} still {description['status']} after {EXECUTION_TIMEOUT_SECONDS} s"
            )
        time.sleep(0.1)


# --------------------------------------------------------------------------- results


@dataclass
class EndpointRow:
    name: str
    endpoint: str
    pages: int | None
    records: int | None
    raw_bytes: int | None
    parquet_rows: int | None = None
    parquet_path: Path | None = None
    mode: str = "-"  # InitialLoad or Update


def copy_layer(s3: Any, bucket: str, destination: Path, suffix: str) -> dict[str, Path]:
    """Download every `wordpress_api/<name>/<name><suffix>` object (the bronze snapshots); returns
    name -> local path."""
    copied: dict[str, Path] = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{DATA_SOURCE}/"):
        for item in page.get("Contents", []):
            key = item["Key"]
            parts = key.split("/")
            if len(parts) != 3 or parts[2] != f"{parts[1]}{suffix}":
                continue
            target = destination / key
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
            copied[parts[1]] = target
    return copied


def copy_run_objects(s3: Any, bucket: str, run_id: str, destination: Path) -> None:
    """Download this run's raw objects (each dataset's full load or increment, its published ids, the
    parts of a split load): every `wordpress_api/<name>/<run_id>/...` key, whether the run succeeded
    or not (a failed raw step reports nothing, but what it stored is the run's)."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{DATA_SOURCE}/"):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.split("/")[2:3] != [run_id]:
                continue
            target = destination / key
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))


def execution_run_id(sfn: Any, execution_arn: str) -> str | None:
    """The run id an execution of WordPress_Raw_To_Bronze named itself ("Set the run id")."""
    for event in execution_events(sfn, execution_arn):
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == "Set the run id":
            return json.loads(details["output"])["run"]["id"]
    return None


def collect_results(
    s3: Any, deployment: Deployment, raw_summary: dict[str, Any], run_id: str | None, output_dir: Path
) -> list[EndpointRow]:
    """Rows of the summary table; this run's raw objects and the bronze snapshots are copied under
    output_dir/raw and output_dir/bronze."""
    import pyarrow.parquet as pq

    for layer in ("raw", "bronze"):
        shutil.rmtree(output_dir / layer, ignore_errors=True)
    if run_id is not None:
        copy_run_objects(s3, deployment.raw_bucket, run_id, output_dir / "raw")
    parquet = copy_layer(s3, deployment.bronze_bucket, output_dir / "bronze", ".parquet")
    rows = [
        EndpointRow(
            name=item["name"],
            endpoint=item["endpoint"],
            pages=item.get("pages"),
            records=item.get("records"),
            raw_bytes=item.get("bytes"),
            mode=item.get("mode") or "-",
        )
        for item in raw_summary.get("endpoints", [])
    ]
    known = {row.name for row in rows}
    rows += [EndpointRow(name, "", None, None, None) for name in parquet if name not in known]
    for row in rows:
        if row.name in parquet:
            row.parquet_path = parquet[row.name]
            row.parquet_rows = pq.ParquetFile(row.parquet_path).metadata.num_rows
    return sorted(rows, key=lambda row: row.name)


def audit_items(dynamodb: Any, table: str, execution_arn: str) -> list[dict[str, Any]]:
    """The audit items of the run an execution of WordPress_Raw_To_Bronze started (its datasets, then
    the gold tables the run rebuilt), as stored (plain JSON values), by dataset."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()

    def scan(expression: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table, FilterExpression=expression, ExpressionAttributeValues=values
        ):
            for item in page["Items"]:
                plain = {key: deserializer.deserialize(value) for key, value in item.items()}
                found.append({key: _plain_number(value) for key, value in plain.items()})
        return found

    items = scan("execution_arn = :arn", {":arn": {"S": execution_arn}})
    for run_id in sorted({item["run_id"] for item in items}):  # and the gold tables that run rebuilt
        items += scan("run_id = :run AND layer = :gold", {":run": {"S": run_id}, ":gold": {"S": "gold"}})
    return sorted(items, key=lambda item: (item.get("layer", ""), item["dataset"]))


def _plain_number(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: integers as int, others as float."""
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
    return value


def run_result(s3: Any, bucket: str, run_id: str) -> dict[str, Any] | None:
    """The silver job's result.json for a run, or None when it wrote none."""
    try:
        body = s3.get_object(Bucket=bucket, Key=f"_runs/{DATA_SOURCE}/{run_id}/result.json")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def copy_silver(s3: Any, glue: Any, database: str, destination: Path) -> dict[str, Path]:
    """Copy each published silver table (the run location its Glue table points to) to
    destination/wordpress_api/<name>/ (a landed dataset's to destination/<dataset>/), partition
    folders included; returns name -> folder."""
    shutil.rmtree(destination, ignore_errors=True)
    copied: dict[str, Path] = {}
    for table in glue.get_paginator("get_tables").paginate(DatabaseName=database):
        for entry in table["TableList"]:
            location = entry.get("StorageDescriptor", {}).get("Location", "")
            if not location.startswith("s3://"):
                continue
            bucket, prefix = location.removeprefix("s3://").split("/", 1)
            prefix = prefix.rstrip("/") + "/"
            # WordPress tables under silver/wordpress_api/<name>/, landed datasets under silver/<dataset>/
            source = DATA_SOURCE if prefix.startswith(f"{DATA_SOURCE}/") else ""
            target = destination / source / entry["Name"] if source else destination / entry["Name"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    relative = item["Key"][len(prefix) :]
                    if not relative or relative.endswith("/"):
                        continue
                    path = target / relative
                    path.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(bucket, item["Key"], str(path))
            copied[entry["Name"]] = target
    return copied


def format_rows(header: tuple[str, ...], body: list[tuple[str, ...]], numeric: set[int]) -> str:
    """A plain text table: first column left-aligned, `numeric` columns right-aligned."""
    table = [header, *body]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def render(line: tuple[str, ...]) -> str:
        cells = [
            value.rjust(width) if index in numeric else value.ljust(width)
            for index, (value, width) in enumerate(zip(line, widths, strict=True))
        ]
        return ("  " + "  ".join(cells)).rstrip()

    rule = "  " + "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(line) for line in body)])


def format_silver(result: dict[str, Any]) -> str:
    def cell(value: Any) -> str:
        return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)

    body = []
    for item in sorted(result.get("datasets", []), key=lambda item: item["dataset"]):
        rules = item.get("failed_rules") or []
        quality = (
            "passed"
            if not rules
            else "; ".join(f"{rule['rule']} ({rule.get('count', '?')})" for rule in rules)
        )
        body.append(
            (
                item["dataset"],
                item["state"],
                cell(item.get("silver_rows")),
                cell(item.get("partitions")),
                quality,
            )
        )
    return format_rows(("table", "state", "rows", "partitions", "quality"), body, {2, 3})


def format_gold(result: dict[str, Any]) -> str:
    """Each gold table of a run: state, rows and, when quarantined, why."""
    body = [
        (
            entry.get("table", "?"),
            entry.get("state", "?"),
            f"{entry.get('rows', 0):,}",
            shorten(plain_cause(str(entry.get("reason", ""))), 80),
        )
        for entry in result.get("outcomes", [])
    ]
    return format_rows(("table", "state", "rows", "reason"), body, {2})


def format_audit(items: list[dict[str, Any]]) -> str:
    def cell(value: Any) -> str:
        return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)

    body = [
        (
            item["dataset"],
            item.get("state", "?"),
            cell(item.get("raw_records")),
            cell(item.get("bronze_rows")),
            cell(item.get("silver_rows")),
            cell(item.get("gold_rows")),
            shorten(plain_cause(str(item.get("reason", ""))), 80),
        )
        for item in items
    ]
    return format_rows(
        ("dataset", "state", "raw records", "bronze rows", "silver rows", "gold rows", "reason"),
        body,
        {2, 3, 4, 5},
    )


def format_loads(items: list[dict[str, Any]]) -> str:
    """Each dataset's load: mode and why, the window an Update read, the watermark it advanced to and
    what changed in silver; a line of warning for a site that ignored modified_after."""

    def cell(value: Any) -> str:
        return "-" if value in (None, "") else f"{value:,}" if isinstance(value, int) else str(value)

    body = [
        (
            item["dataset"],
            cell(item.get("load_mode")),
            cell(item.get("window_start")),
            cell(item.get("watermark_after")),
            cell(item.get("silver_inserted")),
            cell(item.get("silver_updated")),
            cell(item.get("silver_deleted")),
            cell(item.get("load_reason")),
        )
        for item in items
    ]
    table = format_rows(
        ("dataset", "load", "changes since", "watermark now", "inserted", "updated", "deleted", "why"),
        body,
        {4, 5, 6},
    )
    warnings = [
        f"  WARNING {item['dataset']}: the site ignores modified_after (the Update held records older than "
        "its window): the merge stays correct, but every Update costs a full fetch"
        for item in items
        if item.get("ignored_modified_after")
    ]
    return "\n".join([table, *warnings])


def glue_tables(glue: Any, database: str) -> list[str]:
    return sorted(
        table["Name"]
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=database)
        for table in page["TableList"]
    )


def format_table(rows: list[EndpointRow]) -> str:
    def cell(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    header = ("endpoint", "load", "pages", "records", "raw bytes", "bronze rows")
    body = [
        (
            row.name,
            row.mode,
            cell(row.pages),
            cell(row.records),
            cell(row.raw_bytes),
            cell(row.parquet_rows),
        )
        for row in rows
    ]
    total = (
        "total",
        "",
        cell(sum(row.pages or 0 for row in rows)),
        cell(sum(row.records or 0 for row in rows)),
        cell(sum(row.raw_bytes or 0 for row in rows)),
        cell(sum(row.parquet_rows or 0 for row in rows)),
    )
    table = [header, *body, total]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def render(line: tuple[str, ...]) -> str:
        first, mode = line[0].ljust(widths[0]), line[1].ljust(widths[1])
        return "  " + "  ".join(
            [
                first,
                mode,
                *(value.rjust(width) for value, width in zip(line[2:], widths[2:], strict=True)),
            ]
        )

    rule = "  " + "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(line) for line in body), rule, render(total)])


def shorten(text: str, limit: int = MESSAGE_PREVIEW_CHARACTERS) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


# The pipeline's final cause: 'Step "<step>" failed with <original error>: <original cause>'.
_STEP_CAUSE = re.compile(r'^Step "(?P<step>[^"]*)" failed with (?P<error>[^:]*): (?P<cause>.*)$', re.DOTALL)


def plain_cause(cause: str, depth: int = 0) -> str:
    """The readable message inside an error cause: a handler's ``errorMessage``, a Glue job run's
    ``ErrorMessage``, or ``<Error>: <Cause>`` of a nested failure (a child execution, a Catch's
    result), unwrapped from their JSON however deeply they are escaped."""
    try:
        document = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    if isinstance(document, str) and depth < 5:
        return plain_cause(document, depth + 1)
    if not isinstance(document, dict) or depth >= 5:
        return cause
    for key in ("errorMessage", "ErrorMessage"):
        if isinstance(document.get(key), str) and document[key]:
            return document[key]
    error = document.get("Error") or document.get("error")
    inner = document.get("Cause") or document.get("cause")
    if isinstance(inner, str) and inner:
        inner = plain_cause(inner, depth + 1)
        return f"{error}: {inner}" if error else inner
    return str(error) if error else cause


def _cause_message(cause: str) -> str:
    """The readable part of an execution's cause: the failed step, the original error and the
    handler's errorMessage (or the nested failure's message) rather than its whole JSON payload."""
    prefix = ""
    match = _STEP_CAUSE.match(cause)
    if match:
        prefix = f'step "{match["step"]}" failed with {match["error"]}: '
        cause = match["cause"]
    return prefix + plain_cause(cause)


def failed_job_runs(glue: Any, job_name: str) -> list[dict[str, Any]]:
    """The job's runs that did not succeed, oldest first (GetJobRuns lists the newest first)."""
    runs = glue.get_job_runs(JobName=job_name).get("JobRuns", [])
    return [run for run in reversed(runs) if run.get("JobRunState") in ("FAILED", "ERROR", "TIMEOUT")]


def report_job_failures(glue: Any, job_name: str, out: TextIO) -> None:
    """Print (and log) the Glue job's own error message for each failed run, in plain text."""
    for run in failed_job_runs(glue, job_name):
        message = run.get("ErrorMessage") or "(no error message)"
        print(
            f"\nThe silver job {job_name} (run {run.get('Id')}) ended {run.get('JobRunState')}:",
            file=out,
        )
        print("\n".join("  " + line for line in message.splitlines() or [""]), file=out)
        logger.error(
            "silver job failed",
            extra={
                "job_name": job_name,
                "job_run_id": run.get("Id"),
                "job_run_state": run.get("JobRunState"),
                "error_message": message,
            },
        )


def raw_summary_from_history(sfn: Any, execution_arn: str) -> dict[str, Any]:
    """The raw function's result (its endpoints, pages, records, bytes) from the execution history:
    what the summary shows when the execution failed after raw succeeded (no execution output)."""
    for event in execution_events(sfn, execution_arn):
        details = event.get("taskSucceededEventDetails")
        if not details:
            continue
        try:
            payload = json.loads(details.get("output") or "{}").get("Payload")
        except (ValueError, AttributeError):
            continue
        endpoints = payload.get("endpoints") if isinstance(payload, dict) else None
        if isinstance(endpoints, list) and all(
            isinstance(item, dict) and "records" in item for item in endpoints
        ):
            return payload
    return {}


def report_silver_and_audit(
    emulator: Emulator,
    deployment: Deployment,
    execution_arn: str,
    output_dir: Path,
    out: TextIO,
    shown_dir: Path | None = None,
) -> dict[str, Path]:
    """Print the silver summary and the audit trail of the run; copy the published silver tables and
    the run's audit items to output_dir (named as `shown_dir`, where they end up); returns the silver
    tables copied."""
    shown_dir = shown_dir or output_dir
    s3, glue = emulator.client("s3"), emulator.client("glue")
    items = audit_items(emulator.client("dynamodb"), deployment.audit_table, execution_arn)
    audit_file = output_dir / "audit.json"
    audit_file.parent.mkdir(parents=True, exist_ok=True)
    audit_file.write_text(json.dumps(items, indent=2, default=str) + "\n", encoding="utf-8")
    run_ids = sorted({item["run_id"] for item in items})
    result = run_result(s3, deployment.silver_bucket, run_ids[-1]) if run_ids else None
    if result is not None:
        print(f"\nSilver (Glue database {deployment.silver_database}), run {result.get('run_id')}", file=out)
        print(format_silver(result), file=out)
    every_table = copy_silver(s3, glue, deployment.silver_database, output_dir / "silver")
    # WordPress's tables (a landed dataset's are reported with the landing zone's run)
    copied = {name: path for name, path in every_table.items() if path.parent.name == DATA_SOURCE}
    if copied:
        print(f"Published silver tables copied to {shown_dir / 'silver' / DATA_SOURCE}/<name>/:", file=out)
        print("  " + ", ".join(sorted(copied)), file=out)
    gold = run_result(s3, deployment.gold_bucket, run_ids[-1]) if run_ids else None
    if gold is not None:
        print(f"\nGold (Glue database {deployment.gold_database}), run {gold.get('run_id')}", file=out)
        print(format_gold(gold), file=out)
    gold_tables = copy_silver(s3, glue, deployment.gold_database, output_dir / "gold")
    if gold_tables:
        print(f"Published gold tables copied to {shown_dir / 'gold' / DATA_SOURCE}/<table>/:", file=out)
        print("  " + ", ".join(sorted(gold_tables)), file=out)
    if items:
        print(f"\nAudit trail ({deployment.audit_table}, run {', '.join(run_ids)})", file=out)
        print(format_audit(items), file=out)
        print(f"Audit items written to {shown_dir / audit_file.name}", file=out)
        if any("load_mode" in item for item in items):
            print(f"\nLoads ({deployment.load_state_table} holds each watermark)", file=out)
            print(format_loads([item for item in items if item.get("layer") != "gold"]), file=out)
    return copied


# --------------------------------------------------------------------------- entry point


def configure_logging(log_file: Path, verbose: bool) -> Callable[[], None]:
    """Handler and emulator logs go to a JSON-lines file (and stderr with --verbose), not the report."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    if str(COMMON_LAYER_DIR) not in sys.path:  # the handlers' own JSON log format, as on Lambda
        sys.path.insert(0, str(COMMON_LAYER_DIR))
    from lakehouse_common.log import JsonFormatter

    handlers: list[logging.Handler] = [logging.FileHandler(log_file, mode="w", encoding="utf-8")]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
    root.handlers = handlers
    root.setLevel(logging.INFO)
    logging.getLogger("botocore").setLevel(logging.WARNING)

    def restore() -> None:
        for handler in handlers:
            handler.close()
        root.handlers, level = saved
        root.setLevel(level)

    return restore


def whole_number(minimum: int, why: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (``why`` says why, when below)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}{why}")
        return value

    return parse


positive_int = whole_number(1, ": the sample site needs at least one post")  # --posts
non_negative_int = whole_number(0)  # --sample-changes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.run_pipeline",
        description="Run the WordPress raw -> bronze -> silver pipeline on the embedded AWS emulator.",
        epilog="Set WORDPRESS_URL=https://example.com to pull a real site instead of the built-in sample.",
    )
    parser.add_argument(
        "--posts",
        type=positive_int,
        default=DEFAULT_SAMPLE_POSTS,
        help="posts on the built-in sample site (default %(default)s)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="folder for the Parquet and JSON copies (default local-output/)",
    )
    parser.add_argument("--verbose", action="store_true", help="also print the handlers' logs")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start from an empty lakehouse, ignoring OUTPUT/state/ (replaced if the run succeeds)",
    )
    parser.add_argument(
        "--sample-changes",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="edit, add and delete N sample posts before this run (after the saved runs' changes)",
    )
    parser.add_argument(
        "--landing",
        type=Path,
        default=None,
        metavar="DIR",
        help="files to drop into the landing zone, DIR/<dataset>/<file> (default local-landing/)",
    )
    parser.add_argument(
        "--mode",
        choices=["InitialLoad"],
        help="InitialLoad: load every dataset in full, whatever the saved watermarks say "
        '(the execution input {"mode": "InitialLoad"})',
    )
    args = parser.parse_args(argv)
    if args.sample_changes and os.environ.get("WORDPRESS_URL", "").strip():
        parser.error(
            "--sample-changes changes the built-in sample site; it cannot be used with WORDPRESS_URL"
        )
    problem = output_problem(args.output)
    if problem is not None:
        parser.error(problem)  # exits with status 2, like any other bad option
    return args


def output_problem(output: Path) -> str | None:
    """What is wrong with an --output folder (a file, under a file, not writable), or None."""
    path = output.expanduser().absolute()
    if path.exists() and not path.is_dir():
        return f"--output {output}: {path} is a file, not a folder"
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"--output {output}: {existing} is a file, so no folder can be made under it"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"--output {output}: {existing} is not writable"
    return None


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    args = parse_args(argv)
    out = out or sys.stdout
    output_dir: Path = args.output.expanduser().resolve()
    if not check_java(out):
        return 1
    try:
        saved = None if args.fresh else read_state(output_dir / STATE_DIR)
    except StateError as error:
        print(f"Cannot continue from the saved local lakehouse: {error}", file=out)
        return 1
    staging = output_dir / STAGING_DIR
    shutil.rmtree(staging, ignore_errors=True)  # left by a run that was killed
    restore_logging = configure_logging(staging / "pipeline.log", args.verbose)
    site_url = os.environ.get("WORDPRESS_URL", "").strip()
    status = 1
    try:
        with aws_emulator(region=DEFAULT_REGION) as emulator:
            try:
                status = run_and_save(emulator, args, site_url, saved, staging, out, output_dir)
            except KeyboardInterrupt:
                status = stop_after_interrupt(emulator, output_dir, out)
    except KeyboardInterrupt:  # before the emulator ran anything, or while it shut down
        print("\nInterrupted (Ctrl-C).", file=out, flush=True)
        status = INTERRUPTED_STATUS
    finally:
        restore_logging()
        keep_output(staging, output_dir, succeeded=status == 0)
    if status == 0:  # the last words: the lakehouse just written answers a question
        print_saved_answer(output_dir, out)
    return status


def run_and_save(
    emulator: Emulator,
    args: argparse.Namespace,
    site_url: str,
    saved: SavedState | None,
    staging: Path,
    out: TextIO,
    output_dir: Path,
) -> int:
    """One run against the named site or the sample site (with its change history), then the
    lakehouse saved into the staging folder: keep_output() makes it the state the next run continues
    from when the run succeeded, and leaves it in failed/ (for a look, not loaded) when it did not."""
    deployment = read_deployment(emulator.account_id, emulator.region)
    restore = functools.partial(
        restore_state, saved=saved, fresh=args.fresh, state_dir=output_dir / STATE_DIR
    )
    if site_url:
        extra: dict[str, Any] = {"source": site_url}
        status = run(
            emulator,
            deployment,
            site_endpoints(site_url),
            site_url,
            staging,
            out,
            output_dir,
            restore,
            args.mode,
            args.landing,
        )
    else:
        history = sample_history(saved, args.posts, out) + (
            [args.sample_changes] if args.sample_changes else []
        )
        site, changes = build_changed_site(history, posts=args.posts, seed=DEFAULT_SEED)
        extra = {
            "source": "sample",
            "sample_site": {"posts": args.posts, "seed": DEFAULT_SEED, "changes": history},
        }
        with SampleWordPress(site) as wordpress:
            source = f"built-in sample WordPress at {wordpress.base_url}"
            report_changes(changes, args.sample_changes, out)
            status = run(
                emulator,
                deployment,
                sample_endpoints(wordpress),
                source,
                staging,
                out,
                output_dir,
                restore,
                args.mode,
                args.landing,
            )
    return save_run_state(emulator, deployment, staging / STATE_DIR, extra, status, out, output_dir)


def sample_history(saved: SavedState | None, posts: int, out: TextIO) -> list[int]:
    """The sample site's changes of the saved runs (changes per generation), when the saved state was
    made from the same sample site; otherwise none."""
    sample = (saved.extra.get("sample_site") if saved is not None else None) or {}
    if not sample:
        return []
    if sample.get("posts") != posts or sample.get("seed") != DEFAULT_SEED:
        print(
            f"Note: the saved state was made from a sample site of {sample.get('posts')} posts, this run "
            f"serves {posts}: its change history starts again.",
            file=out,
        )
        return []
    return [int(count) for count in sample.get("changes", [])]


def report_changes(changes: list[SiteChanges], count: int, out: TextIO) -> None:
    """One line for this run's changes to the sample site (the last generation), when there are any."""
    if count and changes:
        latest = changes[-1]
        print(f"Sample site changes (generation {latest.generation}): {latest.describe()}", file=out)


def restore_state(
    emulator: Emulator, out: TextIO, *, saved: SavedState | None, fresh: bool, state_dir: Path
) -> None:
    """After deployment: load the saved lakehouse into the emulator, and say what this run starts from."""
    if saved is None:
        reason = "--fresh" if fresh else f"no saved state in {state_dir}"
        print(f"Local lakehouse: starting empty ({reason})", file=out)
        return
    counts = load_state(emulator, saved)
    print(
        f"Local lakehouse: continuing from {state_dir} (saved {saved.saved_at}): {counts.describe()}",
        file=out,
    )


def save_run_state(
    emulator: Emulator,
    deployment: Deployment,
    directory: Path,
    extra: dict[str, Any],
    status: int,
    out: TextIO,
    output_dir: Path,
) -> int:
    """Save the lakehouse after a run (see run_and_save); a run whose state cannot be saved fails,
    so that the previous state stays."""
    shown = output_dir / STATE_DIR if status == 0 else output_dir / FAILED_DIR / STATE_DIR
    try:
        counts = save_state(emulator, directory, {deployment.artifacts_bucket}, extra)
    except Exception as error:  # noqa: BLE001 - reported, and the previous state is kept
        logger.exception("local lakehouse state not saved")
        print(f"\nThe local lakehouse could not be saved ({error}); the saved state is unchanged.", file=out)
        return 1
    if status == 0:
        print(f"Local lakehouse saved to {shown} for the next run: {counts.describe()}", file=out)
    else:
        print(
            f"This run's lakehouse is in {shown} (not loaded by the next run, which continues from "
            f"{output_dir / STATE_DIR} when there is one).",
            file=out,
        )
    return status


def check_java(out: TextIO) -> bool:
    """Say which Java the silver job's local Spark will use (one line), or why there is none."""
    try:
        home = java_home()
    except JavaNotFound as error:
        print(f"Cannot run the silver job locally: {error}", file=out)
        return False
    print(f"Java for local Spark (the silver job): {home} (Java {java_version(home)})", file=out)
    return True


def stop_after_interrupt(emulator: Emulator, output_dir: Path, out: TextIO) -> int:
    """The first Ctrl-C: stop the running executions and the silver job's Spark work, say so."""
    from local.spark import stop_local_spark

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _quit_now)  # a second Ctrl-C quits without cleaning up
    print(
        "\nInterrupted (Ctrl-C): stopping the execution and the silver job's Spark work "
        "(Ctrl-C again quits at once) ...",
        file=out,
        flush=True,
    )
    stopped = sorted(
        {
            execution["name"]
            for machine in emulator.client("stepfunctions").list_state_machines()["stateMachines"]
            for execution in emulator.client("stepfunctions").list_executions(
                stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
            )["executions"]
        }
    )
    stop_running_executions(emulator.client("stepfunctions"))
    # The job's script may still be starting its SparkSession: stop it again until the job ends.
    spark_stopped = False
    deadline = time.monotonic() + JOB_STOP_SECONDS
    while any(thread.is_alive() for thread in emulator._job_threads) and time.monotonic() < deadline:
        spark_stopped = stop_local_spark() or spark_stopped
        emulator.wait_for_jobs(timeout_seconds=0.5)
    spark_stopped = stop_local_spark() or spark_stopped
    logger.warning(
        "run interrupted", extra={"stopped_executions": stopped, "spark_job_stopped": spark_stopped}
    )
    print(
        f"Stopped: {', '.join(stopped) or 'no execution was running'}"
        + ("; the silver job's Spark work was cancelled" if spark_stopped else "")
        + f". What the run wrote is in {output_dir / FAILED_DIR}; the previous output in {output_dir} "
        "is unchanged.",
        file=out,
        flush=True,
    )
    return INTERRUPTED_STATUS


def _quit_now(signum: int, frame: Any) -> None:
    os._exit(INTERRUPTED_STATUS)


def keep_output(staging: Path, output_dir: Path, succeeded: bool) -> None:
    """A run that succeeded replaces the previous output (each of RUN_ENTRIES, and failed/ with the
    landing zone's invalid files); a failed or interrupted one is kept in output_dir/failed/ and the
    previous output is left as it was."""
    if not staging.exists():
        return
    if not succeeded:
        shutil.rmtree(output_dir / FAILED_DIR, ignore_errors=True)
        staging.rename(output_dir / FAILED_DIR)
        return
    previous = output_dir / ".previous-run"
    shutil.rmtree(previous, ignore_errors=True)
    previous.mkdir()
    for name in RUN_ENTRIES:
        if (output_dir / name).exists():
            (output_dir / name).rename(previous / name)
        if (staging / name).exists():
            (staging / name).rename(output_dir / name)
    shutil.rmtree(previous, ignore_errors=True)
    shutil.rmtree(output_dir / FAILED_DIR, ignore_errors=True)
    if (staging / FAILED_DIR).exists():  # the landing zone's invalid files (raw bucket's failed/)
        (staging / FAILED_DIR).rename(output_dir / FAILED_DIR)
    shutil.rmtree(staging, ignore_errors=True)


def run(
    emulator: Emulator,
    deployment: Deployment,
    endpoints: list[str],
    source: str,
    output_dir: Path,
    out: TextIO,
    destination: Path | None = None,
    restore: Callable[[Emulator, TextIO], None] | None = None,
    mode: str | None = None,
    landing_dir: Path | None = None,
) -> int:
    """Deploy, run the pipeline once, then the landing zone's intake of `landing_dir` (default
    local-landing/), and report; files go to output_dir, which main() then moves to `destination`
    (default output_dir itself) or, for a failed run, to destination/failed/: the report names them
    where they end up. `restore` loads a saved lakehouse after deployment."""
    from local import landing as landing_zone

    destination = destination or output_dir
    print(f"WordPress source: {source}", file=out)
    for url in endpoints:
        print(f"  {url}", file=out)
    pipeline = deploy(emulator, deployment, endpoints)
    failure_topic_arn = pipeline.topic_arns["failure_stepfunction"]
    landing = landing_zone.read_landing_deployment(deployment, failure_topic_arn)
    landed = landing_zone.deploy_landing(emulator, deployment, landing, failure_topic_arn)
    print(
        f"Emulated AWS ({emulator.region}): buckets {deployment.raw_bucket}, {deployment.bronze_bucket}, "
        f"{deployment.silver_bucket}, {deployment.gold_bucket}; Glue databases {deployment.glue_database}, "
        f"{deployment.silver_database}, {deployment.gold_database}; "
        f"Glue jobs {', '.join(job.name for job in (deployment.job, deployment.gold_job) if job)}; "
        f"audit table {deployment.audit_table}; state machines {deployment.state_machine_name}, "
        f"{deployment.silver_state_machine_name} (definitions rendered by Terraform templatefile)",
        file=out,
    )
    if restore is not None:
        restore(emulator, out)
    # After the saved lakehouse is in: its landed files are not new arrivals.
    landing_zone.enable_arrival(emulator, deployment, landing, landed)
    execution_input = {"trigger": "local-run", **({"mode": mode} if mode else {})}
    description = run_with_progress(
        emulator.client("stepfunctions"), pipeline.alias_arn, execution_input, out
    )
    status = description["status"]
    # The landing zone's intake runs after the WordPress pipeline, whatever that did.
    alerts_before = len(sns_messages(failure_topic_arn, emulator.region, emulator.account_id))
    intake = landing_zone.run_landing(
        emulator, deployment, landed, out, landing_dir or landing_zone.LANDING_DIR
    )
    succeeded = status == "SUCCEEDED" and intake.ok
    shown = destination if succeeded else destination / FAILED_DIR
    output = json.loads(description.get("output") or "{}")
    raw_summary = (output.get("raw") or {}).get("summary") or raw_summary_from_history(
        emulator.client("stepfunctions"), description["executionArn"]
    )
    run_id = execution_run_id(emulator.client("stepfunctions"), description["executionArn"])
    rows = collect_results(emulator.client("s3"), deployment, raw_summary, run_id, output_dir)
    if rows:
        print("\nSummary", file=out)
        print(format_table(rows), file=out)
    tables = glue_tables(emulator.client("glue"), deployment.glue_database)
    if tables:
        print(f"\nGlue tables in {deployment.glue_database} (for Athena): {', '.join(tables)}", file=out)
    silver = report_silver_and_audit(
        emulator, deployment, description["executionArn"], output_dir, out, shown_dir=shown
    )
    landing_zone.report_landing(emulator, deployment, landed, intake, out, output_dir, shown, alerts_before)
    if succeeded:
        print(f"\nBronze Parquet files copied to {shown / 'bronze'}:", file=out)
        for row in rows:
            if row.parquet_path is not None:
                print(f"  {shown / row.parquet_path.relative_to(output_dir)}", file=out)
        print(f"Raw JSON copied to {shown / 'raw'}; handler logs in {shown / 'pipeline.log'}", file=out)
        return 0

    if status == "SUCCEEDED":  # the landing zone's run failed: report_landing said why
        print(f"\n{written_summary(rows, silver, shown)}", file=out)
        return 1
    print(f"\nThe pipeline FAILED: {description.get('error', status)}", file=out)
    if description.get("cause"):
        print(f"  {shorten(_cause_message(description['cause']))}", file=out)
    report_job_failures(emulator.client("glue"), deployment.job.name, out)
    for key, topic_arn in pipeline.topic_arns.items():
        for message in sns_messages(topic_arn, emulator.region, emulator.account_id)[
            : alerts_before if key == "failure_stepfunction" else None
        ]:
            print(f"\nAlert published to {deployment.topics[key]}: {message['subject']}", file=out)
            lines = message["message"].splitlines() or [""]
            print("\n".join("  " + shorten(line) for line in lines), file=out)
    print(f"\n{written_summary(rows, silver, shown)}", file=out)
    if destination.exists() and any((destination / name).exists() for name in RUN_ENTRIES):
        print(f"The previous output in {destination} is unchanged.", file=out)
    return 1


FIRST_QUESTION = "posts_per_month"  # the saved query (queries/) a successful run ends by answering


def print_saved_answer(output_dir: Path, out: TextIO) -> None:
    """The answer of one saved query on the lakehouse just written: what `make query Q=<name>` prints."""
    from local.query import QueryError, UnknownSavedQuery, saved_answer

    print(f"\nAsk the lakehouse (make query Q={FIRST_QUESTION}; make query for a prompt):", file=out)
    try:
        print(saved_answer(output_dir, FIRST_QUESTION), file=out)
    except (QueryError, UnknownSavedQuery) as error:
        print(f"  the saved query could not be answered: {error}", file=out)


def written_summary(rows: list[EndpointRow], silver: dict[str, Path], shown: Path) -> str:
    """What a failed run wrote, layer by layer: nothing claimed that was not written."""
    raw = sorted(row.name for row in rows if row.records is not None or row.pages is not None)
    bronze = sorted(row.name for row in rows if row.parquet_path is not None)

    def listed(names: list[str]) -> str:
        return ", ".join(names) if names else "none"

    return "\n".join(
        [
            f"What this run wrote is in {shown}:",
            f"  raw JSON ({len(raw)}): {listed(raw)}",
            f"  bronze Parquet ({len(bronze)}): {listed(bronze)}",
            f"  silver tables published ({len(silver)}): {listed(sorted(silver))}",
            f"  audit items: {shown / 'audit.json'}; handler logs: {shown / 'pipeline.log'}",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
