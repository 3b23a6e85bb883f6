"""Run the WordPress raw -> bronze pipeline locally: ``python -m local.run_pipeline`` (``make run-local``).

One command, no AWS account: the embedded AWS emulator (local/emulator.py) gets the buckets,
SSM parameters, topics, Glue database and Lambda functions the Terraform modules would create,
named from the modules' own HCL (variable defaults, the functions' environment). The state
machine is the real definition rendered by real Terraform ``templatefile``; its ``lambda:invoke``
tasks run the real handlers in process. The data comes from the built-in sample WordPress on
127.0.0.1 (several paginated collections and a custom, non-paginated endpoint), or from the site
named by ``WORDPRESS_URL`` (then its posts, pages, categories, tags and users are pulled).

It prints each step as the execution history reports it, a summary table, and copies the bronze
Parquet files (and the raw JSON) to ``local-output/``. Exit status 0 when the execution SUCCEEDED,
1 when it did not (with the error, its cause and the alerts that were published).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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
)
from local.functions import COMMON_LAYER_DIR, load_handler  # noqa: E402
from local.hcl import labelled, parse_dir  # noqa: E402
from local.sample_wordpress import SampleWordPress  # noqa: E402
from local.terraform import MODULES_DIR, render_state_machine  # noqa: E402

DEFAULT_OUTPUT_DIR = REPO_ROOT / "local-output"
DEFAULT_SAMPLE_POSTS = 250  # three pages of 100: pagination is exercised
PUBLIC_SITE_ROUTES = ("posts", "pages", "categories", "tags", "users")
DATA_SOURCE = "wordpress_api"
EXECUTION_TIMEOUT_SECONDS = 900.0
MESSAGE_PREVIEW_CHARACTERS = 300

logger = logging.getLogger("run_pipeline")


# --------------------------------------------------------------------------- what Terraform creates


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    environment: dict[str, str]
    memory_size: int
    timeout: int


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


def resolve(expression: Any, variables: dict[str, Any], parameter_names: dict[str, str]) -> str:
    """A function's environment value as Terraform sets it: `var.x`, `tostring(var.x)`, parameter names."""
    if not isinstance(expression, str) or "${" not in expression:
        return str(expression)
    match = _REFERENCE.match(expression)
    if match is None:
        raise ValueError(f"cannot resolve {expression!r} for the local run; extend resolve()")
    kind, name = match.groups()
    value = variables[name] if kind == "var" else parameter_names[name]
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
    return Deployment(
        raw_bucket=bucket_name("raw"),
        bronze_bucket=bucket_name("bronze"),
        parameters=parameters,
        topics=topics,
        glue_database=buckets["glue_database_name"],
        state_machine_name=pipeline["state_machine_name"],
        functions=functions,
        alias_name=_locals(pipeline_dir)["alias_name"],
    )


@dataclass(frozen=True)
class DeployedPipeline:
    state_machine_arn: str
    alias_arn: str  # what the schedule starts: the state machine's live alias
    topic_arns: dict[str, str]


@functools.lru_cache(maxsize=8)
def render_definition(raw_function_arn: str, bronze_function_arn: str, failure_topic_arn: str) -> str:
    """The pipeline module's state machine definition, rendered by real Terraform templatefile."""
    values = {
        "raw_function_arn": raw_function_arn,
        "bronze_function_arn": bronze_function_arn,
        "failure_topic_arn": failure_topic_arn,
    }
    return json.dumps(render_state_machine(MODULES_DIR / "pipeline", values))


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
    definition = render_definition(arns["raw"], arns["bronze"], topic_arns["failure_stepfunction"])
    if definition_transform is not None:
        definition = json.dumps(definition_transform(json.loads(definition)))
    role_arn = emulator.client("iam").create_role(
        RoleName=deployment.state_machine_name, AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=deployment.state_machine_name,
        definition=definition,
        roleArn=role_arn,
        type="STANDARD",
        publish=True,
    )
    alias = sfn.create_state_machine_alias(
        name=deployment.alias_name,
        routingConfiguration=[{"stateMachineVersionArn": machine["stateMachineVersionArn"], "weight": 100}],
    )
    return DeployedPipeline(machine["stateMachineArn"], alias["stateMachineAliasArn"], topic_arns)


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
    deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        events = execution_events(sfn, execution_arn)
        for event in events[seen:]:
            started = started or event["timestamp"]
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


def copy_layer(s3: Any, bucket: str, destination: Path, suffix: str) -> dict[str, Path]:
    """Download every `wordpress_api/<name>/<name><suffix>` object; returns name -> local path."""
    copied: dict[str, Path] = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{DATA_SOURCE}/"):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not key.endswith(suffix):
                continue
            target = destination / key
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
            copied[Path(key).name.removesuffix(suffix)] = target
    return copied


def collect_results(
    s3: Any, deployment: Deployment, raw_summary: dict[str, Any], output_dir: Path
) -> list[EndpointRow]:
    """Rows of the summary table; the layers are copied under output_dir/raw and output_dir/bronze."""
    import pyarrow.parquet as pq

    for layer in ("raw", "bronze"):
        shutil.rmtree(output_dir / layer, ignore_errors=True)
    copy_layer(s3, deployment.raw_bucket, output_dir / "raw", ".json")
    parquet = copy_layer(s3, deployment.bronze_bucket, output_dir / "bronze", ".parquet")
    rows = [
        EndpointRow(
            name=item["name"],
            endpoint=item["endpoint"],
            pages=item.get("pages"),
            records=item.get("records"),
            raw_bytes=item.get("bytes"),
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


def glue_tables(glue: Any, database: str) -> list[str]:
    return sorted(
        table["Name"]
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=database)
        for table in page["TableList"]
    )


def format_table(rows: list[EndpointRow]) -> str:
    def cell(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    header = ("endpoint", "pages", "records", "raw bytes", "parquet rows")
    body = [
        (row.name, cell(row.pages), cell(row.records), cell(row.raw_bytes), cell(row.parquet_rows))
        for row in rows
    ]
    total = (
        "total",
        cell(sum(row.pages or 0 for row in rows)),
        cell(sum(row.records or 0 for row in rows)),
        cell(sum(row.raw_bytes or 0 for row in rows)),
        cell(sum(row.parquet_rows or 0 for row in rows)),
    )
    table = [header, *body, total]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def render(line: tuple[str, ...]) -> str:
        first = line[0].ljust(widths[0])
        return "  " + "  ".join(
            [first, *(value.rjust(width) for value, width in zip(line[1:], widths[1:], strict=True))]
        )

    rule = "  " + "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(line) for line in body), rule, render(total)])


def shorten(text: str, limit: int = MESSAGE_PREVIEW_CHARACTERS) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


# The pipeline's final cause: 'Step "<step>" failed with <original error>: <original cause>'.
_STEP_CAUSE = re.compile(r'^Step "(?P<step>[^"]*)" failed with (?P<error>[^:]*): (?P<cause>.*)$', re.DOTALL)


def _cause_message(cause: str) -> str:
    """The readable part of an execution's cause: the failed step, the original error and the
    handler's errorMessage rather than its whole JSON error payload."""
    prefix = ""
    match = _STEP_CAUSE.match(cause)
    if match:
        prefix = f'step "{match["step"]}" failed with {match["error"]}: '
        cause = match["cause"]
    try:
        return prefix + (json.loads(cause).get("errorMessage") or cause)
    except (ValueError, AttributeError):
        return prefix + cause


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.run_pipeline",
        description="Run the WordPress raw -> bronze pipeline on the embedded AWS emulator.",
        epilog="Set WORDPRESS_URL=https://example.com to pull a real site instead of the built-in sample.",
    )
    parser.add_argument(
        "--posts",
        type=int,
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    args = parse_args(argv)
    out = out or sys.stdout
    output_dir: Path = args.output.resolve()
    restore_logging = configure_logging(output_dir / "pipeline.log", args.verbose)
    site_url = os.environ.get("WORDPRESS_URL", "").strip()
    try:
        with aws_emulator(region=DEFAULT_REGION) as emulator:
            deployment = read_deployment(emulator.account_id, emulator.region)
            if site_url:
                return run(emulator, deployment, site_endpoints(site_url), site_url, output_dir, out)
            with SampleWordPress(posts=args.posts) as site:
                return run(
                    emulator,
                    deployment,
                    sample_endpoints(site),
                    f"built-in sample WordPress at {site.base_url}",
                    output_dir,
                    out,
                )
    finally:
        restore_logging()


def run(
    emulator: Emulator,
    deployment: Deployment,
    endpoints: list[str],
    source: str,
    output_dir: Path,
    out: TextIO,
) -> int:
    print(f"WordPress source: {source}", file=out)
    for url in endpoints:
        print(f"  {url}", file=out)
    pipeline = deploy(emulator, deployment, endpoints)
    print(
        f"Emulated AWS ({emulator.region}): buckets {deployment.raw_bucket}, {deployment.bronze_bucket}; "
        f"Glue database {deployment.glue_database}; state machine {deployment.state_machine_name} "
        "(definition rendered by Terraform templatefile)",
        file=out,
    )
    description = run_with_progress(
        emulator.client("stepfunctions"), pipeline.alias_arn, {"trigger": "local-run"}, out
    )
    status = description["status"]
    output = json.loads(description.get("output") or "{}")
    rows = collect_results(
        emulator.client("s3"), deployment, (output.get("raw") or {}).get("summary") or {}, output_dir
    )
    if rows:
        print("\nSummary", file=out)
        print(format_table(rows), file=out)
    tables = glue_tables(emulator.client("glue"), deployment.glue_database)
    if tables:
        print(f"\nGlue tables in {deployment.glue_database} (for Athena): {', '.join(tables)}", file=out)
    if status == "SUCCEEDED":
        print(f"\nBronze Parquet files copied to {output_dir / 'bronze'}:", file=out)
        for row in rows:
            if row.parquet_path is not None:
                print(f"  {row.parquet_path}", file=out)
        print(
            f"Raw JSON copied to {output_dir / 'raw'}; handler logs in {output_dir / 'pipeline.log'}",
            file=out,
        )
        return 0

    print(f"\nThe pipeline FAILED: {description.get('error', status)}", file=out)
    if description.get("cause"):
        print(f"  {shorten(_cause_message(description['cause']))}", file=out)
    for key, topic_arn in pipeline.topic_arns.items():
        for message in sns_messages(topic_arn, emulator.region, emulator.account_id):
            print(f"\nAlert published to {deployment.topics[key]}: {message['subject']}", file=out)
            lines = message["message"].splitlines() or [""]
            print("\n".join("  " + shorten(line) for line in lines), file=out)
    print(
        f"\nWhatever was written is in {output_dir}; handler logs in {output_dir / 'pipeline.log'}", file=out
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
