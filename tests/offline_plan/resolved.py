"""Values AWS would give resources and data sources in one account and region, for offline plans.

`data_source_values` answers the data sources the project reads (caller identity, region, partition,
SSM parameters, archives). `computed_values` gives a planned resource the ARN / id / URL AWS would
give it, from its name, so that a "resolved" plan knows every ARN the IAM policies name
(tests/iam). A type missing from `ARNS` keeps its computed attributes unknown.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

PANDAS_LAYER_ACCOUNT = "336392948345"  # AWS SDK for pandas' public layers


def _name(values: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = values.get(key)
        if isinstance(value, str) and value:
            return value
    prefix = values.get("name_prefix")
    return f"{prefix}offline" if isinstance(prefix, str) and prefix else None


def _stable_uuid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.md5("/".join(parts).encode()).hexdigest()))  # noqa: S324 - an id, not security


Arn = Callable[[dict[str, Any], str, str], dict[str, Any] | None]


def _named(pattern: str, *keys: str, extra: Callable[[str, str], dict[str, Any]] | None = None) -> Arn:
    def build(values: dict[str, Any], account: str, region: str) -> dict[str, Any] | None:
        name = _name(values, *keys)
        if name is None:
            return None
        arn = pattern.format(account=account, region=region, name=name, bare=name.lstrip("/"))
        result = {"arn": arn, "id": name}
        if extra:
            result.update(extra(arn, name))
        return result

    return build


def _kms_key(values: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    key_id = _stable_uuid(account, region, str(values.get("description")))
    return {"arn": f"arn:aws:kms:{region}:{account}:key/{key_id}", "key_id": key_id, "id": key_id}


def _sqs(values: dict[str, Any], account: str, region: str) -> dict[str, Any] | None:
    name = _name(values, "name")
    if name is None:
        return None
    url = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
    return {"arn": f"arn:aws:sqs:{region}:{account}:{name}", "url": url, "id": url}


def _role_policy(values: dict[str, Any], account: str, region: str) -> dict[str, Any] | None:
    if isinstance(values.get("role"), str) and isinstance(values.get("name"), str):
        return {"id": f"{values['role']}:{values['name']}"}
    return None


def _schedule(values: dict[str, Any], account: str, region: str) -> dict[str, Any] | None:
    name = _name(values, "name")
    group = values.get("group_name") or "default"
    if name is None:
        return None
    return {"arn": f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}", "id": f"{group}/{name}"}


def _layer(arn: str, name: str) -> dict[str, Any]:
    return {"layer_arn": arn, "arn": f"{arn}:1", "version": "1", "id": f"{arn}:1"}


def _function(arn: str, name: str) -> dict[str, Any]:
    return {
        "qualified_arn": f"{arn}:1",
        "version": "1",
        "invoke_arn": f"arn:aws:apigateway:lambda:path/{arn}",
    }


def _state_machine(arn: str, name: str) -> dict[str, Any]:
    return {"state_machine_version_arn": f"{arn}:1", "revision_id": "1"}


def _sfn_alias(values: dict[str, Any], account: str, region: str) -> dict[str, Any] | None:
    """<state machine ARN>:<alias name>, the state machine read from the version the alias routes to."""
    routes = values.get("routing_configuration") or []
    version_arn = routes[0].get("state_machine_version_arn") if routes else None
    name = values.get("name")
    if not (isinstance(version_arn, str) and isinstance(name, str)):
        return None
    arn = f"{':'.join(version_arn.split(':')[:7])}:{name}"
    return {"arn": arn, "id": arn}


def _alias(parent_key: str, service_arn: Callable[[str, str, str], str]) -> Arn:
    def build(values: dict[str, Any], account: str, region: str) -> dict[str, Any] | None:
        parent, name = values.get(parent_key), values.get("name")
        if not (isinstance(parent, str) and isinstance(name, str)):
            return None
        arn = f"{service_arn(parent, account, region)}:{name}"
        return {"arn": arn, "id": arn}

    return build


ARNS: dict[str, Arn] = {
    "aws_s3_bucket": _named("arn:aws:s3:::{name}", "bucket", "bucket_prefix"),
    "aws_sns_topic": _named("arn:aws:sns:{region}:{account}:{name}", "name"),
    "aws_sqs_queue": _sqs,
    "aws_ssm_parameter": _named("arn:aws:ssm:{region}:{account}:parameter/{bare}", "name"),
    "aws_cloudwatch_log_group": _named("arn:aws:logs:{region}:{account}:log-group:{name}", "name"),
    "aws_iam_role": _named("arn:aws:iam::{account}:role/{name}", "name"),
    "aws_iam_role_policy": _role_policy,
    "aws_lambda_function": _named(
        "arn:aws:lambda:{region}:{account}:function:{name}", "function_name", extra=_function
    ),
    "aws_lambda_layer_version": _named(
        "arn:aws:lambda:{region}:{account}:layer:{name}", "layer_name", extra=_layer
    ),
    "aws_lambda_alias": _alias(
        "function_name", lambda p, a, r: p if p.startswith("arn:") else f"arn:aws:lambda:{r}:{a}:function:{p}"
    ),
    "aws_sfn_state_machine": _named(
        "arn:aws:states:{region}:{account}:stateMachine:{name}", "name", extra=_state_machine
    ),
    "aws_sfn_alias": _sfn_alias,
    "aws_cloudwatch_event_rule": _named("arn:aws:events:{region}:{account}:rule/{name}", "name"),
    "aws_scheduler_schedule": _schedule,
    "aws_kms_key": _kms_key,
    "aws_kms_alias": _named("arn:aws:kms:{region}:{account}:{name}", "name"),
    "aws_glue_catalog_database": _named("arn:aws:glue:{region}:{account}:database/{name}", "name"),
    "aws_glue_job": _named("arn:aws:glue:{region}:{account}:job/{name}", "name"),
    "aws_athena_workgroup": _named("arn:aws:athena:{region}:{account}:workgroup/{name}", "name"),
    "aws_dynamodb_table": _named("arn:aws:dynamodb:{region}:{account}:table/{name}", "name"),
    "aws_cloudwatch_metric_alarm": _named("arn:aws:cloudwatch:{region}:{account}:alarm:{name}", "alarm_name"),
}


def computed_values(resource_type: str, values: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    build = ARNS.get(resource_type)
    return (build(values, account, region) or {}) if build else {}


def data_source_values(data_type: str, values: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    if data_type == "aws_caller_identity":
        return {
            "account_id": account,
            "arn": f"arn:aws:iam::{account}:user/offline-plan",
            "id": account,
            "user_id": "AIDAOFFLINEPLAN",
        }
    if data_type == "aws_region":
        return {
            "region": region,
            "name": region,
            "id": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region,
        }
    if data_type == "aws_partition":
        return {
            "partition": "aws",
            "id": "aws",
            "dns_suffix": "amazonaws.com",
            "reverse_dns_prefix": "com.amazonaws",
        }
    if data_type == "aws_ssm_parameter":
        name = str(values.get("name"))
        value = "offline-plan-parameter-value"
        if name.startswith("/aws/service/aws-sdk-pandas/"):
            python = name.split("/")[5].replace("py", "Python").replace(".", "")
            value = f"arn:aws:lambda:{region}:{PANDAS_LAYER_ACCOUNT}:layer:AWSSDKPandas-{python}:1"
        return {
            "value": value,
            "insecure_value": value,
            "arn": f"arn:aws:ssm:{region}::parameter{name}",
            "type": "String",
            "version": 1,
            "id": name,
        }
    if data_type == "archive_file":
        digest = hashlib.sha256(str(values.get("source_dir") or values.get("source_file")).encode())
        return {
            "output_size": 1024,
            "output_sha": digest.hexdigest()[:40],
            "output_sha256": digest.hexdigest(),
            "output_base64sha256": "offline" + digest.hexdigest()[:37] + "=",
            "output_md5": digest.hexdigest()[:32],
            "id": digest.hexdigest()[:40],
        }
    return {}
