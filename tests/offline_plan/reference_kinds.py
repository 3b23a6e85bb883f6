"""Does every argument that AWS takes as an ARN get an ARN, and every name argument a name?

Read from `terraform show -json`'s `configuration`: each argument's expression as written, with
the references it makes (`aws_iam_role.function.arn`, `var.raw_topic_arn`, `module.x.key_arn`)
or its constant value. A reference's kind comes from the attribute or value it ends in: `arn` or
`*_arn` is an ARN, `name`, `*_name`, `id`, `bucket`, `url` are names (ids of these resources are
their names), a constant is an ARN when it starts with `arn:`. Module inputs are held to their own
names: an input called `*_arn` takes an ARN, `*_name` a name.

What it cannot follow: values computed by a function or a `for` expression out of a reference of
another kind, and references whose kind their name does not say (`local.x`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


def expression_kinds(expression: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(what, kind) of each reference or constant of an expression."""
    if "references" in expression:
        return [(r, reference_kind(r)) for r in _most_specific(expression["references"])]
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


def _check(where: str, argument: str, expected: str, expression: dict[str, Any]) -> Iterator[Mismatch]:
    kinds = expression_kinds(expression)
    if expected == ARN and kinds and not any(kind == ARN for _, kind in kinds):
        wrong = [what for what, kind in kinds if kind == NAME]
        if wrong:
            yield Mismatch(where, argument, ARN, ", ".join(wrong))
    if expected == NAME:
        wrong = [what for what, kind in kinds if kind == ARN]
        if wrong:
            yield Mismatch(where, argument, NAME, ", ".join(wrong))


def _modules(module: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield prefix, module
    for name, call in module.get("module_calls", {}).items():
        yield from _modules(call.get("module", {}), f"{prefix}module.{name}.")


def mismatches(plan: dict[str, Any]) -> list[Mismatch]:
    found: list[Mismatch] = []
    for prefix, module in _modules(plan.get("configuration", {}).get("root_module", {})):
        for resource in module.get("resources", []):
            for argument, expected in ARGUMENT_KINDS.get(resource["type"], {}).items():
                for expression in _expressions_at(resource.get("expressions", {}), argument):
                    found.extend(_check(prefix + resource["address"], argument, expected, expression))
        for name, call in module.get("module_calls", {}).items():
            for argument, expression in call.get("expressions", {}).items():
                expected = reference_kind(argument)
                if expected is not None and isinstance(expression, dict):
                    found.extend(_check(f"{prefix}module.{name}", argument, expected, expression))
    return found
