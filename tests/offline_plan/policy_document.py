"""`aws_iam_policy_document`'s `json`, rendered from its arguments the way the provider renders it.

Statements of `source_policy_documents` come first; a statement of the document itself replaces a
source statement with the same `sid`; `override_policy_documents` then replace statements by `sid`
(or are appended). Sets (actions, resources, principal identifiers, condition values) come out sorted,
a one-element set as a plain string, as the provider writes them.
"""

from __future__ import annotations

import json
from typing import Any


def _set(values: list[str] | None) -> str | list[str] | None:
    if not values:
        return None
    unique = sorted(set(values))
    return unique[0] if len(unique) == 1 else unique


def _principals(blocks: list[dict[str, Any]] | None) -> Any:
    if not blocks:
        return None
    if any(block.get("type") == "*" for block in blocks):
        return "*"
    merged: dict[str, list[str]] = {}
    for block in blocks:
        merged.setdefault(block["type"], []).extend(block.get("identifiers") or [])
    return {kind: _set(identifiers) for kind, identifiers in merged.items()}


def _conditions(blocks: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not blocks:
        return None
    rendered: dict[str, dict[str, Any]] = {}
    for block in blocks:
        rendered.setdefault(block["test"], {})[block["variable"]] = _set(block.get("values") or [])
    return rendered


def render_statement(block: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    if block.get("sid"):
        statement["Sid"] = block["sid"]
    statement["Effect"] = block.get("effect") or "Allow"
    for key, name in (
        ("Action", "actions"),
        ("NotAction", "not_actions"),
        ("Resource", "resources"),
        ("NotResource", "not_resources"),
    ):
        value = _set(block.get(name))
        if value is not None:
            statement[key] = value
    for key, name in (("Principal", "principals"), ("NotPrincipal", "not_principals")):
        value = _principals(block.get(name))
        if value is not None:
            statement[key] = value
    condition = _conditions(block.get("condition"))
    if condition:
        statement["Condition"] = condition
    return statement


def _merge(statements: list[dict[str, Any]], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = list(statements)
    for statement in extra:
        sid = statement.get("Sid")
        index = next((i for i, s in enumerate(result) if sid and s.get("Sid") == sid), None)
        if index is None:
            result.append(statement)
        else:
            result[index] = statement
    return result


def _statements_of(document: str) -> list[dict[str, Any]]:
    statements = json.loads(document).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def render_policy_document(arguments: dict[str, Any]) -> str:
    statements: list[dict[str, Any]] = []
    for source in arguments.get("source_policy_documents") or []:
        statements.extend(_statements_of(source))
    statements = _merge(statements, [render_statement(block) for block in arguments.get("statement") or []])
    for override in arguments.get("override_policy_documents") or []:
        statements = _merge(statements, _statements_of(override))
    document: dict[str, Any] = {"Version": arguments.get("version") or "2012-10-17"}
    if arguments.get("policy_id"):
        document["Id"] = arguments["policy_id"]
    document["Statement"] = statements
    return json.dumps(document, indent=2)
