"""The bronze table as the current snapshot: a run's increment merged into the previous snapshot.

An Update run fetches only what changed (and, when deletions are detected, the ids WordPress still
publishes). :func:`merge_snapshot` turns the previous snapshot and the run's increment (both Parquet
files written by :func:`bronze_parquet.write_parquet`) into the new snapshot, a local Parquet file:

- per ``id`` the row with the newest ``modified_gmt`` wins; on a tie, or when either side has no
  ``modified_gmt``, the increment wins (it is the newer fetch). An increment row older than the
  snapshot's (a stale page, a replayed run) loses. Within the increment the newest row of an id
  wins, the later one on a tie;
- with published ids, every row whose id is not among them is removed (deleted, trashed or
  unpublished posts vanish from the public API without a trace);
- columns are united by name (snapshot order, then the increment's new columns, the lineage
  columns last). A column whose types differ becomes a string on both sides, non-string values as
  JSON text (``1``, ``2.5``, ``true``), the way bronze writes a type-varying field; a side on which
  the column holds no value at all (an empty increment with a collection's known columns, a column
  that was always null) takes the other side's type instead. A type conflict never fails a merge.

The snapshot is read row group by row group and only ``id`` and ``modified_gmt`` are held in
full, so memory stays near one row group plus the increment's keys (the snapshot of a
100,000-post site is tens of MB of Parquet).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from bronze_parquet import ATHENA_TYPES, INGESTED_AT, SOURCE_KEY

ID = "id"
MODIFIED = "modified_gmt"
LINEAGE_COLUMNS = (INGESTED_AT, SOURCE_KEY)
_ROW = "__row"  # position of an increment row, a helper column of the merge


class SnapshotMergeError(ValueError):
    """The snapshot and the increment cannot be merged (the message says which side and why)."""


@dataclass(frozen=True)
class MergeResult:
    rows: int  # rows of the new snapshot
    columns: dict[str, str]  # column -> Athena type, in file order
    snapshot_rows_before: int
    increment_rows: int
    replaced_rows: int  # rows of the previous snapshot replaced by a newer increment row
    stale_rows: int  # increment rows that lost to a newer snapshot row
    deleted_rows: int  # rows of the previous snapshot whose id is no longer published
    string_columns: tuple[str, ...]  # columns turned into strings by a type conflict


def athena_columns(schema: pa.Schema) -> dict[str, str]:
    """Column -> Athena type of a bronze Parquet schema (the types ``write_parquet`` writes)."""
    return {field.name: ATHENA_TYPES.get(field.type, "timestamp") for field in schema}


# --------------------------------------------------------------------------- published ids


def published_ids(path: str, source: str) -> pa.Array:
    """The ids in a raw ``published_ids.json`` (a JSON array of integers) as an int64 array;
    ``source`` names the object in the error."""
    with open(path, "rb") as file:
        try:
            ids = json.load(file)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"published ids {source}: not JSON ({error})") from None
    if not isinstance(ids, list):
        raise ValueError(f"published ids {source}: not a JSON array of integers")
    for position, value in enumerate(ids):
        if type(value) is not int:
            raise ValueError(f"published ids {source}: item {position + 1} is not an integer: {value!r:.80}")
    try:
        return pa.array(ids, type=pa.int64())
    except OverflowError:
        raise ValueError(f"published ids {source}: an id does not fit in 64 bits") from None


def write_published_ids(ids: pa.Array, destination: str) -> None:
    """The published ids as Parquet: one column ``id``, int64."""
    pq.write_table(pa.table({ID: ids.cast(pa.int64())}), destination, compression="snappy")


# --------------------------------------------------------------------------- columns


def _holds_no_value(file: pq.ParquetFile, name: str) -> bool:
    rows = file.metadata.num_rows
    return rows == 0 or file.read(columns=[name]).column(0).null_count == rows


def united_schema(snapshot: pq.ParquetFile, increment: pq.ParquetFile) -> tuple[pa.Schema, tuple[str, ...]]:
    """The new snapshot's schema and the columns a type conflict turned into strings."""
    before, fetched = snapshot.schema_arrow, increment.schema_arrow
    names = [n for n in before.names if n not in LINEAGE_COLUMNS]
    names += [n for n in fetched.names if n not in LINEAGE_COLUMNS and n not in before.names]
    names += [n for n in LINEAGE_COLUMNS if n in before.names or n in fetched.names]
    fields, strings = [], []
    for name in names:
        if name not in fetched.names:
            fields.append(before.field(name))
        elif name not in before.names:
            fields.append(fetched.field(name))
        elif before.field(name).type == fetched.field(name).type or _holds_no_value(increment, name):
            fields.append(before.field(name))
        elif _holds_no_value(snapshot, name):
            fields.append(fetched.field(name))
        else:
            fields.append(pa.field(name, pa.string()))
            strings.append(name)
    return pa.schema(fields), tuple(strings)


def as_text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Strings as they are; other values as JSON text (``1``, ``2.5``, ``true``), nulls kept."""
    value_type = values.type
    if pa.types.is_string(value_type) or pa.types.is_large_string(value_type):
        return values.cast(pa.string())
    if pa.types.is_integer(value_type) or pa.types.is_boolean(value_type) or pa.types.is_null(value_type):
        return values.cast(pa.string())
    if pa.types.is_temporal(value_type):
        return pa.array([None if v is None else v.isoformat() for v in values.to_pylist()], pa.string())
    # doubles (and anything else): the JSON text bronze writes, json's float repr (1.0, not 1)
    return pa.array([None if v is None else _json(v) for v in values.to_pylist()], pa.string())


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: missing ones null, conflicting ones as text."""
    arrays = []
    for field in schema:
        if field.name not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        if column.type == field.type:
            arrays.append(column)
        elif pa.types.is_string(field.type):
            arrays.append(as_text(column))
        else:  # a side without values takes the other side's type: only nulls to cast
            arrays.append(column.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


# --------------------------------------------------------------------------- which rows survive


def _keys(file: pq.ParquetFile, schema: pa.Schema, side: str) -> pa.Table:
    """``id`` and ``modified_gmt`` of every row, in the united types (``modified_gmt`` as text)."""
    rows = file.metadata.num_rows
    names = file.schema_arrow.names
    if ID not in names:
        if rows:
            raise SnapshotMergeError(f"the {side} has no {ID!r} column: rows are merged by id")
        return pa.table({ID: pa.nulls(0, schema.field(ID).type), MODIFIED: pa.nulls(0, pa.string())})
    present = [name for name in (ID, MODIFIED) if name in names]
    table = conform(file.read(columns=present), pa.schema([schema.field(name) for name in present]))
    ids = table.column(ID)
    modified = as_text(table.column(MODIFIED)) if MODIFIED in present else pa.nulls(rows, pa.string())
    return pa.table({ID: ids, MODIFIED: modified})


def _newest_per_id(increment: pa.Table) -> pa.Table:
    """One row per id: the newest ``modified_gmt``, the later row on a tie (``__row`` its position)."""
    numbered = increment.append_column(_ROW, pa.array(range(increment.num_rows), pa.int64()))
    ordered = numbered.sort_by(
        [(ID, "ascending"), (MODIFIED, "ascending"), (_ROW, "ascending")], null_placement="at_start"
    )
    if ordered.num_rows == 0:
        return ordered
    ids = ordered.column(ID).combine_chunks()
    last_of_id = pc.not_equal(ids.slice(0, len(ids) - 1), ids.slice(1))
    return ordered.filter(pa.concat_arrays([last_of_id.cast(pa.bool_()), pa.array([True])]))


def _fetched_wins(winners: pa.Table, snapshot: pa.Table) -> pa.Array:
    """Per increment winner: True unless the snapshot holds the same id with a newer ``modified_gmt``."""
    known = snapshot.filter(_in_set(snapshot.column(ID), _flat(winners.column(ID))))
    newest = known.group_by(ID).aggregate([(MODIFIED, "max")]).rename_columns([ID, "snapshot_modified"])
    joined = winners.select([ID, MODIFIED, _ROW]).join(newest, keys=ID, join_type="left outer")
    older = pc.less(
        joined.column(MODIFIED), joined.column("snapshot_modified")
    )  # null: unknown, fetched wins
    stale = joined.filter(pc.fill_null(older, False)).column(_ROW)
    return pc.invert(_in_set(winners.column(_ROW), _flat(stale)))


def _in_set(ids: pa.ChunkedArray | pa.Array, value_set: pa.Array) -> pa.Array:
    """Per id: True when it is in ``value_set`` (a null id never is)."""
    return _flat(pc.fill_null(pc.is_in(ids, value_set=value_set), False))


def _flat(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _count(mask: pa.Array) -> int:
    return pc.sum(mask).as_py() or 0


@dataclass(frozen=True)
class Survivors:
    """Which rows of each side the new snapshot keeps, and why the others go."""

    keep_before: pa.Array  # per snapshot row
    keep_fetched: pa.Array  # per increment row
    replaced_rows: int  # snapshot rows replaced by a newer (published) increment row
    stale_rows: int  # increment rows (newest of their id) older than the snapshot's row
    deleted_rows: int  # snapshot rows whose id is no longer published


def survivors(
    snapshot: pq.ParquetFile, increment: pq.ParquetFile, schema: pa.Schema, published: pa.Array | None
) -> Survivors:
    """Newest ``modified_gmt`` per id wins (ties and unknowns: the increment), minus unpublished ids."""
    before_rows, fetched_rows = snapshot.metadata.num_rows, increment.metadata.num_rows
    if ID not in schema.names:
        if before_rows or fetched_rows:
            raise SnapshotMergeError(f"neither the snapshot nor the increment has an {ID!r} column")
        return Survivors(pa.array([], pa.bool_()), pa.array([], pa.bool_()), 0, 0, 0)
    before, fetched = _keys(snapshot, schema, "snapshot"), _keys(increment, schema, "increment")
    if fetched.column(ID).null_count:
        raise SnapshotMergeError(f"{fetched.column(ID).null_count} increment row(s) have no {ID!r}")
    winners = _newest_per_id(fetched)
    wins = _flat(_fetched_wins(winners, before))
    replaced = _in_set(before.column(ID), _flat(winners.column(ID).filter(wins)))
    keep_fetched = _in_set(
        pa.array(range(fetched_rows), pa.int64()), _flat(winners.column(_ROW).filter(wins))
    )
    still_published = pa.array([True] * before_rows, pa.bool_())
    if published is not None:
        id_type = schema.field(ID).type
        published = as_text(published) if pa.types.is_string(id_type) else published.cast(id_type)
        still_published = _in_set(before.column(ID), published)
        keep_fetched = pc.and_(keep_fetched, _in_set(fetched.column(ID), published))
    return Survivors(
        keep_before=pc.and_(pc.invert(replaced), still_published),
        keep_fetched=keep_fetched,
        replaced_rows=_count(pc.and_(replaced, still_published)),
        stale_rows=winners.num_rows - _count(wins),
        deleted_rows=before_rows - _count(still_published),
    )


# --------------------------------------------------------------------------- merge


def _kept_row_groups(file: pq.ParquetFile, keep: pa.Array) -> Iterator[pa.Table]:
    """The rows of ``file`` where ``keep`` is True, one row group at a time."""
    offset = 0
    for index in range(file.num_row_groups):
        group = file.read_row_group(index)
        mask = keep.slice(offset, group.num_rows)
        offset += group.num_rows
        kept = group.filter(mask)
        if kept.num_rows:
            yield kept


def merge_snapshot(
    snapshot_path: str, increment_path: str, destination: str, published: pa.Array | None
) -> MergeResult:
    """Write the new snapshot to ``destination`` (a local file); ``published``: the ids WordPress
    still publishes, or None when deletions are not detected."""
    snapshot, increment = pq.ParquetFile(snapshot_path), pq.ParquetFile(increment_path)
    schema, strings = united_schema(snapshot, increment)
    kept = survivors(snapshot, increment, schema, published)
    rows = 0
    with pq.ParquetWriter(destination, schema, compression="snappy") as writer:
        for file, keep in ((snapshot, kept.keep_before), (increment, kept.keep_fetched)):
            for group in _kept_row_groups(file, keep):
                writer.write_table(conform(group, schema))
                rows += group.num_rows
        if rows == 0:
            writer.write_table(schema.empty_table())
    return MergeResult(
        rows=rows,
        columns=athena_columns(schema),
        snapshot_rows_before=snapshot.metadata.num_rows,
        increment_rows=increment.metadata.num_rows,
        replaced_rows=kept.replaced_rows,
        stale_rows=kept.stale_rows,
        deleted_rows=kept.deleted_rows,
        string_columns=strings,
    )
