"""Does every argument that AWS takes as an ARN get an ARN, and every name argument a name?

Read from `terraform show -json`'s `configuration`: each argument's expression as written, with
the references it makes (`aws_iam_role.function.arn`, `var.raw_topic_arn`, `module.x.key_arn`)
or its constant value. A reference's kind comes from the attribute or value it ends in: `arn` or
`*_arn` is an ARN, `name`, `*_name`, `id`, `bucket`, `url` are names (ids of these resources are
their names), a constant is an ARN when it starts with `arn:`. Module inputs are held to their own
names: an input called `*_arn` takes an ARN, `*_name` a name.

Terraform's JSON drops the attribute of a reference through a dynamic index
(`aws_iam_role.function[each.key].arn` is listed as `aws_iam_role.function`): for those, the
argument's expression is read from the module's HCL and the attribute taken from there.

What it cannot follow: values computed by a function or a `for` expression out of a reference of
another kind, and references whose kind their name does not say (`local.x`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.hcl import blocks_of, parse_dir, resources

ARN, NAME = "ARN", "name"

# Arguments (dotted through nested blocks) that AWS takes as an ARN or as a name.
ARGUMENT_KINDS: dict[str, dict[str, str]] = {
    "aws_lambda_function": {"role": ARN, "layers": ARN, "dead_letter_config.target_arn": ARN},
    "aws_sfn_state_machine": {"role_arn": ARN, "logging_configuration.log_destination": ARN},
    "aws_cloudwatch_event_rule": {"role_arn": ARN},
    "aws_cloudwatch_event_target": {
        "rule": NAME,
        "arn": ARN,
        "role_arn": ARN,
        "dead_letter_config.arn": ARN,
    },
    "aws_scheduler_schedule": {
        "kms_key_arn": ARN,
        "target.arn": ARN,
        "target.role_arn": ARN,
        "target.dead_letter_config.arn": ARN,
    },
    "aws_sns_topic_policy": {"arn": ARN},
    "aws_sns_topic_subscription": {"topic_arn": ARN},
    "aws_cloudwatch_metric_alarm": {
        "alarm_actions": ARN,
        "ok_actions": ARN,
        "insufficient_data_actions": ARN,
    },
    "aws_cloudwatch_log_group": {"kms_key_id": ARN},
    "aws_iam_role": {"permissions_boundary": ARN},
    "aws_iam_role_policy": {"role": NAME},
    "aws_iam_role_policy_attachment": {"role": NAME, "policy_arn": ARN},
    "aws_lambda_permission": {"source_arn": ARN},
    "aws_glue_job": {"role_arn": ARN, "security_configuration": NAME},
    "aws_sfn_alias": {"routing_configuration.state_machine_version_arn": ARN},
    "aws_dynamodb_table": {"server_side_encryption.kms_key_arn": ARN},
    "aws_sqs_queue_policy": {"queue_url": NAME},
    "aws_s3_bucket_policy": {"bucket": NAME},
    "aws_s3_bucket_versioning": {"bucket": NAME},
    "aws_s3_bucket_server_side_encryption_configuration": {"bucket": NAME},
    "aws_s3_bucket_ownership_controls": {"bucket": NAME},
    "aws_s3_bucket_public_access_block": {"bucket": NAME},
    "aws_s3_bucket_lifecycle_configuration": {"bucket": NAME},
    "aws_s3_object": {"bucket": NAME},
    "aws_glue_catalog_table": {"database_name": NAME},
}

_NAME_ENDINGS = ("name", "id", "bucket", "url", "key_id")


@dataclass(frozen=True)
class Mismatch:
    where: str
    argument: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.where}: {self.argument} takes an {self.expected} but is given {self.got}"


def reference_kind(reference: str) -> str | None:
    last = reference.rsplit(".", 1)[-1].split("[", 1)[0]
    if last == "arn" or last.endswith("_arn") or last.endswith("_arns"):
        return ARN
    if last in _NAME_ENDINGS or last.endswith(tuple("_" + e for e in _NAME_ENDINGS)):
        return NAME
    return None


def _most_specific(references: list[str]) -> list[str]:
    """Drop references another one extends (`module.m` when `module.m.out` is there)."""
    return [r for r in references if not any(o != r and o.startswith(r + ".") for o in references)]


_BARE_RESOURCE = re.compile(r"^(data\.)?[a-z0-9_]+\.[a-z0-9_]+$")


def _indexed_references(source: str | None, reference: str) -> list[str]:
    """`reference[...].attribute` occurrences in an expression's HCL source, as `reference.attribute`."""
    if not source:
        return []
    pattern = re.compile(re.escape(reference) + r"\[[^\]]*\]\.([a-z0-9_]+)")
    return [f"{reference}.{m.group(1)}" for m in pattern.finditer(source)]


def expression_kinds(expression: dict[str, Any], source: str | None = None) -> list[tuple[str, str | None]]:
    """(what, kind) of each reference or constant of an expression (`source`: its HCL text)."""
    if "references" in expression:
        found = []
        for reference in _most_specific(expression["references"]):
            indexed = _indexed_references(source, reference) if _BARE_RESOURCE.match(reference) else []
            found.extend((r, reference_kind(r)) for r in indexed or [reference])
        return found
    if "constant_value" in expression:
        values = expression["constant_value"]
        values = values if isinstance(values, list) else [values]
        return [(repr(v), ARN if v.startswith("arn:") else NAME) for v in values if isinstance(v, str) and v]
    return []


def _expressions_at(expressions: Any, path: str) -> Iterator[dict[str, Any]]:
    head, _, rest = path.partition(".")
    if not isinstance(expressions, dict) or head not in expressions:
        return
    value = expressions[head]
    if not rest:
        if isinstance(value, dict):
            yield value
        return
    for block in value if isinstance(value, list) else [value]:
        yield from _expressions_at(block, rest)


def _check(
    where: str, argument: str, expected: str, expression: dict[str, Any], source: str | None = None
) -> Iterator[Mismatch]:
    kinds = expression_kinds(expression, source)
    if expected == ARN and kinds and not any(kind == ARN for _, kind in kinds):
        wrong = [what for what, kind in kinds if kind == NAME]
        if wrong:
            yield Mismatch(where, argument, ARN, ", ".join(wrong))
    if expected == NAME:
        wrong = [what for what, kind in kinds if kind == ARN]
        if wrong:
            yield Mismatch(where, argument, NAME, ", ".join(wrong))


def _modules(
    module: dict[str, Any], directory: Path | None, prefix: str = ""
) -> Iterator[tuple[str, dict[str, Any], Path | None]]:
    yield prefix, module, directory
    for name, call in module.get("module_calls", {}).items():
        source = call.get("source", "")
        child = (directory / source).resolve() if directory and source.startswith(".") else None
        yield from _modules(call.get("module", {}), child, f"{prefix}module.{name}.")


@functools.lru_cache(maxsize=64)
def _resources_of(directory: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """A directory's resources, parsed once (parsing HCL is the slow part of this check)."""
    return resources(parse_dir(directory))


def _sources(directory: Path | None, rtype: str, name: str, argument: str) -> str | None:
    """The HCL text of a resource argument (dotted through nested blocks), or None."""
    if directory is None or not directory.is_dir():
        return None
    for found_type, found_name, body in _resources_of(directory):
        if (found_type, found_name) != (rtype, name):
            continue
        values: list[Any] = [body]
        *blocks, attribute = argument.split(".")
        for block in blocks:
            values = [nested for value in values for nested in blocks_of(value, block)]
        return " ".join(str(v.get(attribute)) for v in values if isinstance(v, dict))
    return None


def mismatches(plan: dict[str, Any], root: Path | None = None) -> list[Mismatch]:
    """Mismatches in a plan's configuration; `root` (the planned directory) lets indexed references be
    read from the HCL."""
    found: list[Mismatch] = []
    for prefix, module, directory in _modules(plan.get("configuration", {}).get("root_module", {}), root):
        for resource in module.get("resources", []):
            for argument, expected in ARGUMENT_KINDS.get(resource["type"], {}).items():
                source = _sources(directory, resource["type"], resource["name"], argument)
                for expression in _expressions_at(resource.get("expressions", {}), argument):
                    found.extend(_check(prefix + resource["address"], argument, expected, expression, source))
        for name, call in module.get("module_calls", {}).items():
            for argument, expression in call.get("expressions", {}).items():
                expected = reference_kind(argument)
                if expected is not None and isinstance(expression, dict):
                    found.extend(_check(f"{prefix}module.{name}", argument, expected, expression))
    return found
