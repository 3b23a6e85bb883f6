"""A straightforward reference flattening, to check the optimised bronze output against.

Written from the contract (issue 4), not from the handler's code: one row per record, nested
objects flattened to ``a_b`` columns, lists and values whose JSON type varies between records
(ignoring nulls) stored as compact JSON strings, integers beyond int64 as JSON, ints mixed with
floats as doubles, columns in order of first appearance (children grouped under their parent),
names lower-cased with other characters replaced by ``_`` (a clash gets ``_2``), then
``_source_key``. Slow and simple: for samples only.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow as pa

_ARROW = {
    "string": pa.string(),
    "json": pa.string(),
    "null": pa.string(),
    "int": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
}
_INT64 = (-(2**63), 2**63 - 1)


def _walk(tree: dict[str, list[Any]], record: dict[str, Any]) -> None:
    for key, value in record.items():
        entry = tree.setdefault(key, [set(), {}])
        entry[0].add(type(value))
        if type(value) is int and not _INT64[0] <= value <= _INT64[1]:
            entry[0].add("big")
        if type(value) is dict:
            _walk(entry[1], value)


def _kind(types: set[Any], children: dict[str, Any]) -> str:
    seen = types - {type(None)}
    if seen == {dict}:
        return "flatten" if children else "json"
    if not seen:
        return "null"
    return {
        frozenset({str}): "string",
        frozenset({bool}): "bool",
        frozenset({int}): "int",
        frozenset({float}): "double",
        frozenset({int, float}): "double",
    }.get(frozenset(seen), "json")


def _leaves(tree: dict[str, list[Any]], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    out = []
    for key, (types, children) in tree.items():
        kind = _kind(types, children)
        if kind == "flatten":
            out += _leaves(children, (*prefix, key))
        else:
            out.append(((*prefix, key), kind))
    return out


def _names(paths: list[tuple[str, ...]]) -> list[str]:
    used, names = {"_ingested_at", "_source_key"}, []
    for path in paths:
        base = "_".join(re.sub(r"[^a-z0-9_]", "_", part.lower()) for part in path) or "_"
        name, number = base, 1
        while name in used:
            number += 1
            name = f"{base}_{number}"
        used.add(name)
        names.append(name)
    return names


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        if type(value) is not dict:
            return None
        value = value.get(part)
    return value


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if kind == "double":
        return float(value)
    return value


def reference_table(document: Any, source_key: str) -> pa.Table:
    """The bronze table (without ``_ingested_at``) of a parsed raw JSON document."""
    items = document if isinstance(document, list) else [document]
    records = [item if type(item) is dict else {"value": item} for item in items]
    tree: dict[str, list[Any]] = {}
    for record in records:
        _walk(tree, record)
    leaves = _leaves(tree)
    names = _names([path for path, _ in leaves])
    columns = {
        name: pa.array([_convert(_get(record, path), kind) for record in records], type=_ARROW[kind])
        for name, (path, kind) in zip(names, leaves, strict=True)
    }
    columns["_source_key"] = pa.array([source_key] * len(records), type=pa.string())
    return pa.table(columns)


def compare(actual: pa.Table, expected: pa.Table) -> str | None:
    """None when equal (ignoring ``_ingested_at`` and row groups), else what differs."""
    if "_ingested_at" in actual.column_names:
        actual = actual.drop_columns(["_ingested_at"])
    if actual.column_names != expected.column_names:
        return f"columns differ: {actual.column_names} != {expected.column_names}"
    if actual.schema != expected.schema:
        return f"types differ: {actual.schema} != {expected.schema}"
    if actual.num_rows != expected.num_rows:
        return f"rows differ: {actual.num_rows} != {expected.num_rows}"
    for name in actual.column_names:
        if not actual.column(name).combine_chunks().equals(expected.column(name).combine_chunks()):
            return f"values of column {name} differ"
    return None
