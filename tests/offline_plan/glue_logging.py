"""Where Glue 5.0 jobs log, checked on a planned configuration (the resolved offline plan of the root).

AWS Glue developer guide, "Logging for AWS Glue jobs" (monitor-continuous-logging):

- "In AWS Glue 5.0, all jobs have real-time logging capabilities": system, Spark daemon and GlueLogger
  logs go to `/aws-glue/jobs/error`, the job's stdout and stderr to `/aws-glue/jobs/output`.
- `--custom-logGroup-prefix`: "If you provide a custom prefix, the log group names will be in the
  following format: `/aws-glue/jobs/error` will be `<customer prefix>/error`, `/aws-glue/jobs/output`
  will be `<customer prefix>/output`".
- "Security configuration with Amazon CloudWatch logging": when a security configuration is enabled
  for CloudWatch logs, "the default and custom log groups will be as follows":
  `/aws-glue/jobs/<Security-Configuration-Name>-role/<glue-job-role>/error` (and `/output`), and
  "Custom error log group (AWS Glue 5.0)": `<custom-log-group-prefix>/<Security-Configuration-Name>-
  role/<glue-job-role>/error` (and `/output`).

The guide's "Enabling continuous logging for AWS Glue 4.0 and earlier jobs" (monitor-continuous-
logging-enable) lists the continuous-logging job parameters; in Glue 5.0 they configure nothing, so a
5.0 job carrying one logs somewhere other than where its configuration says.

`problems(document)` reports, for every `aws_glue_job` of glue_version 5.0 or later, each 4.0-only
argument it carries and each group it writes to (by the rule above) that no `aws_cloudwatch_log_group`
manages with a retention (and, when the security configuration encrypts CloudWatch logs, with its key).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# "Enabling continuous logging for AWS Glue 4.0 and earlier jobs" (and the job parameters reference,
# which lists --enable-continuous-log-filter with them).
GLUE_4_ONLY_ARGUMENTS = (
    "--enable-continuous-cloudwatch-log",
    "--enable-continuous-log-filter",
    "--continuous-log-logGroup",
    "--continuous-log-logStreamPrefix",
    "--continuous-log-conversionPattern",
)
DEFAULT_PREFIX = "/aws-glue/jobs"
STREAMS = ("error", "output")


def all_resources(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every resource of a `terraform show -json` state (values) or plan (planned_values)."""
    root = (document.get("values") or document.get("planned_values") or {}).get("root_module", {})
    stack = [root]
    while stack:
        module = stack.pop()
        yield from module.get("resources", [])
        stack.extend(module.get("child_modules", []))


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _glue_major(version: Any) -> float:
    try:
        return float(version)
    except (TypeError, ValueError):
        return 0.0


def _encrypting_key(configuration: dict[str, Any] | None) -> str | None:
    """The KMS key of a security configuration that encrypts CloudWatch logs (SSE-KMS), else None."""
    if configuration is None:
        return None
    encryption = _one(configuration.get("encryption_configuration")) or {}
    cloudwatch = _one(encryption.get("cloudwatch_encryption")) or {}
    if cloudwatch.get("cloudwatch_encryption_mode") != "SSE-KMS":
        return None
    return cloudwatch.get("kms_key_arn") or "<key unknown>"


def log_groups_of(job: dict[str, Any], configurations: dict[str, dict[str, Any]]) -> dict[str, str]:
    """stream -> the group Glue 5.0 writes that stream of `job` to (its planned values)."""
    arguments = job.get("default_arguments") or {}
    prefix = arguments.get("--custom-logGroup-prefix") or DEFAULT_PREFIX
    configuration = configurations.get(job.get("security_configuration") or "")
    if _encrypting_key(configuration):
        role_name = str(job.get("role_arn") or "").rsplit("/", 1)[-1]
        base = f"{prefix}/{job['security_configuration']}-role/{role_name}"
    else:
        base = prefix
    return {stream: f"{base}/{stream}" for stream in STREAMS}


def problems(document: dict[str, Any]) -> list[str]:
    resources = list(all_resources(document))
    configurations = {
        r["values"].get("name"): r["values"]
        for r in resources
        if r["type"] == "aws_glue_security_configuration"
    }
    groups = {r["values"].get("name"): r for r in resources if r["type"] == "aws_cloudwatch_log_group"}
    found = []
    for job in (r for r in resources if r["type"] == "aws_glue_job"):
        values, address = job["values"], job["address"]
        if _glue_major(values.get("glue_version")) < 5:
            continue
        for argument in GLUE_4_ONLY_ARGUMENTS:
            if argument in (values.get("default_arguments") or {}):
                found.append(
                    f"{address}: glue_version {values.get('glue_version')} with {argument}, a continuous-"
                    "logging argument of Glue 4.0 and earlier (Glue 5.0 ignores it; use "
                    "--custom-logGroup-prefix)"
                )
        key = _encrypting_key(configurations.get(values.get("security_configuration") or ""))
        for stream, name in log_groups_of(values, configurations).items():
            group = groups.get(name)
            if group is None:
                found.append(
                    f"{address}: Glue 5.0 writes its {stream} logs to {name}, which no "
                    "aws_cloudwatch_log_group manages (Glue would create it without a retention)"
                )
                continue
            if not group["values"].get("retention_in_days"):
                found.append(
                    f"{address}: its {stream} log group {name} ({group['address']}) has no retention"
                )
            if key and group["values"].get("kms_key_id") != key:
                found.append(
                    f"{address}: its {stream} log group {name} ({group['address']}) is not encrypted "
                    f"with the security configuration's key {key}"
                )
    return found
