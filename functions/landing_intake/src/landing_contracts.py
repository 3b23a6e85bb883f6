"""Dataset contracts for the landing zone (issue 19, groundwork: not wired in yet).

A contract (``datasets/<dataset>.json`` in the repository) names the primary key, the expected
columns with their types, and the partition columns::

    {"primary_key": ["order_id"],
     "columns": {"order_id": "bigint", "customer": "string", "amount": "double", "ordered_on": "date"},
     "partitioned_by": ["ordered_on"]}

Without a contract, the first valid file of a dataset defines its schema (:func:`schema_of`) and later
files must be compatible with it. Either way :func:`conform` checks a landed table: a missing key
column, a key with nulls, or a column whose values cannot take the expected type makes the file
INVALID with the column named; a new column is added (it extends the schema); a column the file lacks
is null. Types are the Athena/Glue names the silver tables use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from landing_files import InvalidFile

TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
# Arrow type -> the contract type a file's own column is registered as (no contract yet).
INFERRED: list[tuple[Any, str]] = [
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_integer, "bigint"),
    (pa.types.is_floating, "double"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "timestamp"),
]


@dataclass(frozen=True)
class Contract:
    dataset: str
    columns: dict[str, str]  # name -> type, in order
    primary_key: list[str] = field(default_factory=list)
    partitioned_by: list[str] = field(default_factory=list)
    declared: bool = True  # False: inferred from the dataset's first file


def parse_contract(dataset: str, text: str) -> Contract:
    """A contract file's text -> :class:`Contract`; a bad contract names what is wrong."""
    where = f"datasets/{dataset}.json"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("columns"), dict)
        or not document["columns"]
    ):
        raise ValueError(f'{where}: needs "columns": an object of column name -> type')
    unknown = {name: kind for name, kind in document["columns"].items() if kind not in TYPES}
    if unknown:
        raise ValueError(f"{where}: unknown column types {unknown}; use one of {', '.join(TYPES)}")
    contract = Contract(
        dataset,
        dict(document["columns"]),
        list(document.get("primary_key", [])),
        list(document.get("partitioned_by", [])),
    )
    for listed in ("primary_key", "partitioned_by"):
        missing = [name for name in getattr(contract, listed) if name not in contract.columns]
        if missing:
            raise ValueError(f"{where}: {listed} names columns it does not declare: {missing}")
    return contract


def inferred_type(data_type: pa.DataType) -> str:
    for test, name in INFERRED:
        if test(data_type):
            return name
    return "string"


def schema_of(dataset: str, table: pa.Table) -> Contract:
    """The schema a dataset's first valid file defines when it has no contract (no key declared)."""
    return Contract(dataset, {f.name: inferred_type(f.type) for f in table.schema}, declared=False)


def cast_column(file_name: str, column: str, values: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    """``values`` as contract type ``kind``; a value that does not convert makes the file INVALID."""
    target = TYPES[kind]
    if values.type == target:
        return values
    try:
        if kind == "string":
            return values.cast(pa.string())
        if pa.types.is_string(values.type) and kind == "timestamp":
            return pc.cast(pc.strptime(values, format="%Y-%m-%dT%H:%M:%S", unit="us"), target)
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        raise InvalidFile(
            f"{file_name!r}: column {column!r} holds {values.type} values that are not {kind} "
            f"(the dataset's {kind} column)"
        ) from None


def conform(file_name: str, table: pa.Table, contract: Contract) -> tuple[pa.Table, Contract]:
    """The table in the dataset's schema (contract columns first, typed; new columns after), and the
    schema extended by the new columns; an incompatible file is an :class:`InvalidFile`."""
    missing_keys = [name for name in contract.primary_key if name not in table.column_names]
    if missing_keys:
        raise InvalidFile(f"{file_name!r}: key column(s) {missing_keys} missing")
    columns, fields = [], []
    for name, kind in contract.columns.items():
        if name in table.column_names:
            columns.append(cast_column(file_name, name, table.column(name), kind))
        else:
            columns.append(pa.nulls(table.num_rows, TYPES[kind]))
        fields.append(pa.field(name, TYPES[kind]))
    added = {}
    for schema_field in table.schema:
        if schema_field.name not in contract.columns:
            kind = inferred_type(schema_field.type)
            added[schema_field.name] = kind
            columns.append(cast_column(file_name, schema_field.name, table.column(schema_field.name), kind))
            fields.append(pa.field(schema_field.name, TYPES[kind]))
    conformed = pa.Table.from_arrays(columns, schema=pa.schema(fields))
    for name in contract.primary_key:
        nulls = conformed.column(name).null_count
        if nulls:
            raise InvalidFile(f"{file_name!r}: key column {name!r} is empty in {nulls} row(s)")
    extended = Contract(
        contract.dataset,
        {**contract.columns, **added},
        contract.primary_key,
        contract.partitioned_by,
        contract.declared,
    )
    return conformed, extended
