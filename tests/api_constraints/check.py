"""Check known plan values against the constraints of the AWS API parameter that receives them.

The constraints are botocore's service models (the source tflint's AWS ruleset generates its rules
from): a string's `min`/`max` length, `pattern` and `enum`, a number's `min`/`max`, a list's or map's
`min`/`max` size. Values come from `terraform show -json` of an offline plan (planned_values: unknown
values are absent there, so only what the plan knows is checked).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session

from tests.api_constraints.mapping import ARGUMENTS


@dataclass(frozen=True)
class Violation:
    address: str
    argument: str
    api: str
    problem: str

    def __str__(self) -> str:
        return f"{self.address}.{self.argument} -> {self.api}: {self.problem}"


@functools.cache
def _service(name: str) -> Any:
    return botocore.session.get_session().get_service_model(name)


def api_shape(api: str) -> Any:
    """The botocore shape of `service.Operation.Member[].Member...`."""
    service, operation, *members = api.split(".")
    shape = _service(service).operation_model(operation).input_shape
    for member in members:
        name, many = member.removesuffix("[]"), member.endswith("[]")
        if name not in shape.members:
            raise KeyError(f"{api}: {shape.name} has no member {name!r} (members: {sorted(shape.members)})")
        shape = shape.members[name]
        if many:
            shape = shape.member
    return shape


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        try:
            import regex  # Java's \\p{...} classes

            return regex.compile(pattern)
        except Exception:  # a Java-only construct neither engine reads: that pattern is not checked
            return None


def shape_problems(shape: Any, value: Any) -> list[str]:
    """What the API would reject in `value` for `shape` (empty when it is acceptable)."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "list" and isinstance(value, list):
        problems = _bounds(len(value), meta, "items")
        for item in value:
            problems.extend(shape_problems(shape.member, item))
        return problems
    if kind == "map" and isinstance(value, dict):
        problems = _bounds(len(value), meta, "entries")
        for key, item in value.items():
            problems.extend(f"key {key!r}: {p}" for p in shape_problems(shape.key, key))
            problems.extend(f"[{key!r}]: {p}" for p in shape_problems(shape.value, item))
        return problems
    if kind == "string" and isinstance(value, str):
        problems = _bounds(len(value), meta, "characters")
        enum = shape.enum
        if enum and value not in enum:
            problems.append(f"{value!r} is not one of {sorted(enum)}")
        pattern = meta.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        # AWS's services match the whole value (Java's Pattern.matches); the models leave some unanchored.
        if compiled is not None and not compiled.fullmatch(value):
            problems.append(f"{_short(value)!r} does not match the pattern {pattern}")
        return problems
    if kind in ("integer", "long", "double", "float") and isinstance(value, int | float):
        problems = []
        if "min" in meta and value < meta["min"]:
            problems.append(f"{value} is below the minimum {meta['min']}")
        if "max" in meta and value > meta["max"]:
            problems.append(f"{value} is above the maximum {meta['max']}")
        return problems
    return []


def _bounds(size: int, meta: dict[str, Any], unit: str) -> list[str]:
    problems = []
    if "min" in meta and size < meta["min"]:
        problems.append(f"{size} {unit}, fewer than the minimum {meta['min']}")
    if "max" in meta and size > meta["max"]:
        problems.append(f"{size} {unit}, more than the maximum {meta['max']}")
    return problems


def _short(value: str) -> str:
    return value if len(value) <= 120 else value[:117] + "..."


def argument_values(values: dict[str, Any], path: str) -> Iterator[Any]:
    """Known values at a dotted argument path, stepping into every element of nested blocks."""
    head, _, rest = path.partition(".")
    value = values.get(head)
    if value is None:
        return
    if not rest:
        yield value
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            yield from argument_values(item, rest)


def planned_resources(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every managed resource instance in a plan's planned values, child modules included."""
    stack = [plan.get("planned_values", {}).get("root_module", {})]
    while stack:
        module = stack.pop()
        for resource in module.get("resources", []):
            if resource.get("mode") == "managed":
                yield resource
        stack.extend(module.get("child_modules", []))


# What the provider itself validates beyond the service model (hashicorp/aws's ValidateFunc for these
# arguments): CloudWatch Logs' model types retention as a plain integer, KMS's alias name pattern
# does not say `alias/`.
LOG_RETENTION_DAYS = {
    0,
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
}
PROVIDER_RULES: dict[tuple[str, str], tuple[Any, str]] = {
    ("aws_kms_alias", "name"): (
        lambda v: isinstance(v, str) and v.startswith("alias/") and not v.startswith("alias/aws/"),
        "must start with alias/ (and not alias/aws/, reserved for AWS managed keys)",
    ),
    ("aws_cloudwatch_log_group", "retention_in_days"): (
        lambda v: _number(v) in LOG_RETENTION_DAYS,
        f"must be one of {sorted(LOG_RETENTION_DAYS)}",
    ),
}


def violations(plan: dict[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    for resource in planned_resources(plan):
        for (rtype, argument), (valid, rule) in PROVIDER_RULES.items():
            if resource["type"] == rtype:
                for value in argument_values(resource.get("values", {}), argument):
                    if not valid(value):
                        found.append(
                            Violation(resource["address"], argument, "hashicorp/aws", f"{value!r} {rule}")
                        )
        for argument, api in ARGUMENTS.get(resource["type"], {}).items():
            shape = api_shape(api)
            for value in argument_values(resource.get("values", {}), argument):
                for problem in shape_problems(shape, _number(value)):
                    found.append(Violation(resource["address"], argument, api, problem))
    return found


def _number(value: Any) -> Any:
    # Terraform numbers arrive as JSON numbers; whole floats are integers to the API.
    return int(value) if isinstance(value, float) and value.is_integer() else value
