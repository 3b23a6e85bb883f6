"""IAM policy evaluation: does a set of policies allow one request?

The semantics of AWS's evaluation logic for one account: an explicit Deny wins, else any Allow, else
an implicit deny. A statement applies when its Action/NotAction, Resource/NotResource (resource
policies: also Principal/NotPrincipal) match and every Condition holds for the request context.
Wildcards `*` and `?`; actions compare case-insensitively, ARNs case-sensitively. Condition operators
(with `...IfExists` and the `ForAnyValue:`/`ForAllValues:` qualifiers): String*, Arn*, Bool, Numeric*,
Null. An operator this module does not know fails loudly rather than being ignored.

Why not moto's evaluator (moto.iam.access_control.IAMPolicy): it ignores every condition operator but
StringEquals (an ArnLike on the wrong ARN would pass), turns a failed condition into an explicit
Deny, ignores NotResource and service principals, and skips conditions whose key the request does
not carry. parliament and policy_sentry are linters built on AWS's action database, not evaluators.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = (
    "allowed",
    "explicitly denied",
    "implicitly denied (no statement allows it)",
)


@dataclass(frozen=True)
class Request:
    action: str  # s3:PutObject
    resource: str  # an ARN, or "*" for actions without resources
    context: dict[str, Any] = field(default_factory=dict)  # condition keys -> value or list of values
    principal: dict[str, str] | None = None  # resource policies: {"Service": "events.amazonaws.com"}
    # or {"AWS": "arn:aws:iam::123456789012:role/x"}


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(element: Any, principal: dict[str, str] | None) -> bool:
    if principal is None:
        return False
    if element == "*":
        return True
    for kind, identifiers in element.items():
        ids = _as_list(identifiers)
        if kind not in principal:
            continue
        if "*" in ids or principal[kind] in ids:
            return True
        if kind == "AWS":
            # An account (its id or root ARN) as principal covers every IAM principal of that account.
            account = principal["AWS"].split(":")[4]
            if account in ids or f"arn:aws:iam::{account}:root" in ids:
                return True
    return False


_STRING = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _wildcard(p, v),
    "ArnEquals": lambda p, v: _wildcard(p, v),
    "ArnLike": lambda p, v: _wildcard(p, v),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_NUMERIC = {
    "NumericEquals": lambda p, v: v == p,
    "NumericNotEquals": lambda p, v: v != p,
    "NumericLessThan": lambda p, v: v < p,
    "NumericLessThanEquals": lambda p, v: v <= p,
    "NumericGreaterThan": lambda p, v: v > p,
    "NumericGreaterThanEquals": lambda p, v: v >= p,
}


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    qualifier = ""
    if ":" in operator and operator.split(":", 1)[0] in ("ForAnyValue", "ForAllValues"):
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    patterns = [str(p) for p in _as_list(expected)]
    present = key in context
    if operator == "Null":
        return (not present) == (patterns[0].lower() == "true")
    if not present:
        return if_exists or operator in _NEGATED or qualifier == "ForAllValues"
    values = [str(v) for v in _as_list(context[key])]

    def one(value: str) -> bool:
        if operator in _STRING:
            return any(_STRING[operator](p, value) for p in patterns)
        if operator in _NEGATED:
            return not any(_STRING[_NEGATED[operator]](p, value) for p in patterns)
        if operator == "Bool":
            return value.lower() in [p.lower() for p in patterns]
        if operator in _NUMERIC:
            return any(_NUMERIC[operator](float(p), float(value)) for p in patterns)
        raise NotImplementedError(f"condition operator {operator} is not evaluated by tests/iam/evaluate.py")

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def statement_applies(statement: dict[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(_wildcard(a, request.action, True) for a in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement and any(
        _wildcard(a, request.action, True) for a in _as_list(statement["NotAction"])
    ):
        return False
    if "Resource" in statement:
        if not any(_wildcard(r, request.resource) for r in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(
        _wildcard(r, request.resource) for r in _as_list(statement["NotResource"])
    ):
        return False
    if "Principal" in statement and not _principal_matches(statement["Principal"], request.principal):
        return False
    if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], request.principal):
        return False
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, request.context):
                return False
    return True


def decide(policies: list[dict[str, Any]], request: Request) -> str:
    allowed = False
    for policy in policies:
        for statement in _as_list(policy.get("Statement", [])):
            if not statement_applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return EXPLICIT_DENY
            allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def action_granted(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement.get("Action", [])))
