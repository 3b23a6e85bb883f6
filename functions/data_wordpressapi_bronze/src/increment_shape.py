"""An Update's increment in the snapshot's shape: a field the snapshot keeps as JSON text stays text.

Bronze flattens a field that is an object in every record of a file (``meta`` -> ``meta_footnotes``,
``meta__jetpack_newsletter_access``) but keeps it as one JSON-text column when the records disagree (an
object in some, ``[]`` in others). A full load of a site sees both; the few records of an Update may
all hold objects, so the increment would flatten what the snapshot keeps as text, and the merge (by
column name) would leave ``meta`` null in every changed record, and silver would lose it. So before the
merge, every text column of the snapshot that the increment flattened is rebuilt from the records as
JSON text (bronze's own encoding), and the flattened columns are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_NOT_COLUMN_CHARACTER = re.compile(r"[^a-z0-9_]")
_MISSING = object()


def column_part(key: str) -> str:
    """A field name as bronze writes it into a column name (lower-case, other characters -> ``_``)."""
    return _NOT_COLUMN_CHARACTER.sub("_", key.lower())


def json_text(value: Any) -> str | None:
    """Bronze's JSON text of a value: compact, non-ASCII kept; None stays null."""
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def value_at(record: Any, column: str) -> Any:
    """The value a column name stands for in a record (``meta`` -> record["meta"], ``a_b`` ->
    record["a"]["b"]), or ``_MISSING``."""
    if not isinstance(record, dict):
        return _MISSING
    for key, value in record.items():
        part = column_part(key)
        if part == column:
            return value
        if column.startswith(f"{part}_") and isinstance(value, dict):
            found = value_at(value, column[len(part) + 1 :])
            if found is not _MISSING:
                return found
    return _MISSING


def flattened_text_columns(snapshot: pa.Schema, increment: pa.Schema) -> dict[str, list[str]]:
    """Text columns of the snapshot that the increment lacks but has flattened children of (new columns
    named ``<column>_...``): column -> those children."""
    known = set(snapshot.names)
    found = {}
    for field in snapshot:
        if field.name in increment.names or not pa.types.is_string(field.type):
            continue
        prefix = f"{field.name}_"
        children = [name for name in increment.names if name.startswith(prefix) and name not in known]
        if children:
            found[field.name] = children
    return found


def conform_to_snapshot(
    increment_path: str, snapshot: pa.Schema, read_records: Callable[[], list[Any]]
) -> list[str]:
    """Rewrite the increment at ``increment_path`` so the snapshot's JSON-text columns stay text (see
    the module docstring); ``read_records`` gives the increment's records in row order, read only when
    a column needs it. Returns the columns rebuilt."""
    increment = pq.read_table(increment_path)
    columns = flattened_text_columns(snapshot, increment.schema)
    if not columns:
        return []
    records = read_records()
    if len(records) != increment.num_rows:
        raise ValueError(f"{len(records)} raw records for {increment.num_rows} increment rows")
    rebuilt = []
    for column, children in columns.items():
        values = [value_at(record, column) for record in records]
        if not any(isinstance(value, dict | list) for value in values):
            continue  # not a field the increment flattened
        increment = increment.drop_columns(children).append_column(
            pa.field(column, pa.string()),
            pa.array([None if value is _MISSING else json_text(value) for value in values], pa.string()),
        )
        rebuilt.append(column)
    if rebuilt:
        pq.write_table(increment, increment_path, compression="snappy")
    return rebuilt
