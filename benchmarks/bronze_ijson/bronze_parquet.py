"""Raw JSON records -> one flat Parquet file, streaming, in bounded memory: the bronze conversion
rewritten on ijson's yajl2 C backend, kept for ``make bench`` only (issue 17 item 3).

The function keeps its hand-written scanner (functions/data_wordpressapi_bronze/src/bronze_parquet.py):
measured side by side, this version is slower on one core (README, "Performance"). Only the
scanning and the shape are its own: column names, types, the bad-input error, the worker pool and
the Parquet writing are the function's code (imported, or run in this module's namespace: see
"parallel conversion"), so the bench compares the scanners and nothing else. It has the same public
functions, worker protocol and output (the bench checks that the Parquet files are equal), so the
bench can run the handler with it (``BENCH_BRONZE_MODULE_DIR``).

The lakehouse's rules (this screen); the JSON scanning is ijson's (yajl2 C backend):

1. Rows: a JSON array gives one row per element, a single JSON document one row; an element that
   is not an object ``x`` becomes ``{"value": x}``.
2. Columns: nested objects flatten to ``a_b`` columns; names are lower-cased, other characters
   become ``_``, a clash gets ``_2``, ``_3`` ...; columns come in order of first appearance (an
   object's children where the object first appeared), then ``_ingested_at`` (UTC, ms) and
   ``_source_key``.
3. Types: the JSON types a path holds across the whole file (nulls aside) decide its column,
   :data:`STORED_AS`: strings, booleans, integers, numbers (integers mixed with floats: doubles);
   anything else (lists, empty objects, integers beyond int64, a path whose type varies between
   records such as WordPress ``meta``: ``[]`` on one post, an object on another) is stored as
   compact JSON text. One odd record never fails the file.
4. Bad input fails the object with :class:`MalformedJson` saying where; nothing is written.

Memory stays bounded by converting about :data:`BATCH_CHARACTERS` of raw JSON at a time to Arrow
(compact) and writing row groups once the file is read (the column set is known only then). If a
late record changes how an *earlier* batch's column must be encoded (``meta`` an object in the first
10,000 posts and ``[]`` afterwards), the file is read a second time with the complete shape.
A large file is split between worker processes (parsing holds the GIL), see :class:`WorkerPool`.
"""

from __future__ import annotations

# noqa F401: used by the function's code this module runs at its end (exec).
import gc  # noqa: F401
import importlib.util
import json  # noqa: F401
import os  # noqa: F401
import re  # noqa: F401
import subprocess  # noqa: F401
import sys  # noqa: F401
import tempfile  # noqa: F401
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress  # noqa: F401
from dataclasses import dataclass
from datetime import datetime  # noqa: F401
from itertools import chain
from json.encoder import c_encode_basestring, c_make_encoder
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import pyarrow as pa
import pyarrow.parquet as pq  # noqa: F401


def _load_function_module(path: Path) -> Any:
    """The function's bronze_parquet.py, as a module of another name (this one is also bronze_parquet)."""
    spec = importlib.util.spec_from_file_location("bronze_parquet_of_the_function", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


BATCH_CHARACTERS = 16 * 1024 * 1024  # raw JSON per batch / row group (~16 MB)
READ_BYTES = 64 * 1024  # what ijson reads at a time

# --------------------------------------------------------------------------- rules
#
# Rule 2's names (column_names), the Arrow and Athena types of each kind, which kinds a batch may
# be cast between (compatible) and the error of bad input are the function's own.

_FUNCTION_PATH = (
    Path(__file__).resolve().parents[2]
    / "functions"
    / "data_wordpressapi_bronze"
    / "src"
    / "bronze_parquet.py"
)
_function = _load_function_module(_FUNCTION_PATH)
INGESTED_AT, SOURCE_KEY = _function.INGESTED_AT, _function.SOURCE_KEY
ARROW_TYPES = _ARROW_TYPES = _function._ARROW_TYPES
ATHENA_TYPES = _function.ATHENA_TYPES
MalformedJson = _function.MalformedJson
column_names = _function.column_names
compatible = _function.compatible

JSON_TYPES = {type(None): "null", bool: "bool", int: "int", float: "float", str: "string", list: "list"}
JSON_TYPES[dict] = "object"
# JSON types seen at a path, nulls aside -> how its column is stored; anything else: "json" text.
STORED_AS = {
    frozenset(): "null",  # only nulls: a string column
    frozenset({"string"}): "string",
    frozenset({"bool"}): "bool",
    frozenset({"int"}): "int",  # "bigint" is added when a value does not fit int64
    frozenset({"float"}): "double",
    frozenset({"int", "float"}): "double",
    frozenset({"object"}): "flatten",  # "json" when no object at the path has a key
}
# The C encoder json.dumps uses, made once (json.dumps builds one per call): compact, unicode kept.
_encode = c_make_encoder(None, None, c_encode_basestring, None, ":", ",", False, False, True)


def stored_as(seen: set[str], has_children: bool) -> str:
    """How a path is stored: flatten | json | string | int | double | bool | null (rule 3)."""
    kind = STORED_AS.get(frozenset(seen - {"null"}), "json")
    return "json" if kind == "flatten" and not has_children else kind


def json_text(values: list[Any]) -> list[str | None]:
    """Compact JSON, unicode kept readable (rule 3's text columns)."""
    return [None if value is None else "".join(_encode(value, 0)) for value in values]


# --------------------------------------------------------------------------- scanning (ijson)


class _Reader:
    """The raw file as ijson reads it: the bytes already peeked, then the rest; counts the bytes
    handed out (batches are cut by raw size)."""

    def __init__(self, head: bytes, source: BinaryIO) -> None:
        self.head = head
        self.source = source
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        if self.head:
            cut = len(self.head) if size < 0 else size
            data, self.head = self.head[:cut], self.head[cut:]
        else:
            data = self.source.read(size)
        self.consumed += len(data)
        return data


def _first_character(source: BinaryIO) -> tuple[str, _Reader]:
    """The first character after white space and a UTF-8 byte order mark ("" for an empty file)."""
    head = b""
    while True:
        chunk = source.read(4096)
        head += chunk
        stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
        if stripped or not chunk:
            return stripped[:1].decode("latin-1"), _Reader(stripped, source)


class IntegerOverflow(MalformedJson):
    """An integer beyond int64, where yajl stops: read the file with :data:`EXACT` instead."""


EXACT = "python"  # ijson's pure-Python backend: any integer, slower


def _malformed(error: Exception, records: int, in_array: bool) -> MalformedJson:
    """ijson's (yajl's) error as a message naming where the raw object broke."""
    reason = str(error).split("\n", 1)[0].removeprefix("b'").removeprefix('b"')
    if "integer overflow" in reason:
        return IntegerOverflow(reason)
    if not in_array:
        return MalformedJson(f"not valid JSON: {reason}")
    if "premature EOF" in reason:
        return MalformedJson(f"JSON array not closed after {records} records")
    if "after array element" in reason:
        return MalformedJson(f"expected ',' or ']' after record {records}")
    if "trailing garbage" in reason:
        return MalformedJson(f"unexpected data after the JSON array (after {records} records)")
    return MalformedJson(f"record {records + 1} is not valid JSON: {reason}")


def iter_batches(
    source: BinaryIO, *, batch_characters: int = BATCH_CHARACTERS, backend: str | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The records (rule 1) in lists of about ``batch_characters`` bytes of raw JSON; ``backend``:
    an ijson backend name (default: the fastest installed, yajl2_c)."""
    first, reader = _first_character(source)
    if first == "":
        raise MalformedJson("empty object: no JSON document")
    in_array = first == "["
    parser = ijson.get_backend(backend) if backend else ijson
    records = parser.items(
        reader, "item" if in_array else "", use_float=True, buf_size=min(READ_BYTES, batch_characters)
    )
    batch: list[dict[str, Any]] = []
    count, cut = 0, batch_characters
    try:
        for record in records:
            batch.append(record if type(record) is dict else {"value": record})
            count += 1
            if reader.consumed >= cut:
                yield batch
                batch, cut = [], reader.consumed + batch_characters
    except ijson.JSONError as error:
        raise _malformed(error, count, in_array) from None
    if batch:
        yield batch


# --------------------------------------------------------------------------- shape and conversion


class Node:
    """One key path: the JSON types seen there, child keys of its objects, this batch's values."""

    __slots__ = ("children", "seen", "values")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.children: dict[str, Node] = {}
        self.values: list[Any] | None = None

    @property
    def kind(self) -> str:
        return stored_as(self.seen, bool(self.children))


def observe_batch(children: dict[str, Node], objects: list[Any], *, all_objects: bool = True) -> None:
    """Note the types and keep the values of each key of ``objects`` (one per row; values that are
    not objects have no keys), column by column so that the loops run in C."""
    objects_only = objects if all_objects else [value for value in objects if type(value) is dict]
    for key in dict.fromkeys(chain.from_iterable(objects_only)):
        node = children.get(key)
        if node is None:
            node = children[key] = Node()
        if all_objects:
            try:  # every object has the key (the usual case)
                values = list(map(itemgetter(key), objects))
            except KeyError:
                values = [value.get(key) for value in objects]
        else:
            values = [value.get(key) if type(value) is dict else None for value in objects]
        node.values = values
        types = set(map(type, values))
        node.seen.update(JSON_TYPES[value_type] for value_type in types)
        if dict in types:
            observe_batch(node.children, values, all_objects=types == {dict})


def leaves(children: dict[str, Node], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Node]]:
    """``(path, node)`` of every stored column, in order of first appearance (rule 2)."""
    for key, node in children.items():
        if node.kind == "flatten":
            yield from leaves(node.children, (*prefix, key))
        else:
            yield (*prefix, key), node


def clear_values(children: dict[str, Node]) -> None:
    for node in children.values():
        node.values = None
        clear_values(node.children)


def _column_array(node: Node, rows: int) -> pa.Array:
    """This batch's values of one path as an Arrow array; an int beyond int64 turns the path to JSON."""
    values = node.values if node.values is not None else [None] * rows
    kind = node.kind
    if kind == "int":
        try:
            return pa.array(values, type=pa.int64())
        except (OverflowError, pa.ArrowInvalid):
            node.seen.add("bigint")
            kind = "json"
    if kind == "json":
        return pa.array(json_text(values), type=pa.string())
    return pa.array(values, type=ARROW_TYPES[kind])


def batch_table(root: dict[str, Node], rows: int) -> tuple[pa.Table, dict[tuple[str, ...], str]]:
    """The observed batch as an Arrow table (columns named by position) and the kind of each path."""
    arrays = []
    kinds = {}
    for path, node in leaves(root):
        arrays.append(_column_array(node, rows))
        kinds[path] = node.kind
    clear_values(root)
    table = pa.Table.from_arrays(arrays, names=[str(position) for position in range(len(arrays))])
    return table, kinds


@dataclass
class Converted:
    """A file's records as Arrow batches, ready to write with the final schema."""

    batches: list[tuple[pa.Table, list[tuple[str, ...]]]]
    kinds: dict[tuple[str, ...], str]
    rows: int
    passes: int
    processes: int = 1


def convert(
    open_source: Callable[[], BinaryIO],
    *,
    batch_characters: int = BATCH_CHARACTERS,
    backend: str | None = None,
) -> Converted:
    """Read and convert every record; ``open_source`` is called again if a second pass is needed
    (or the file holds an integer yajl cannot read: then with the :data:`EXACT` backend)."""
    try:
        return _convert(open_source, batch_characters, backend)
    except IntegerOverflow:
        if backend == EXACT:
            raise
        return _convert(open_source, batch_characters, EXACT)


def _convert(open_source: Callable[[], BinaryIO], batch_characters: int, backend: str | None) -> Converted:
    root: dict[str, Node] = {}
    committed: dict[tuple[str, ...], str] = {}
    batches: list[tuple[pa.Table, list[tuple[str, ...]]]] = []
    rows = 0
    stale = False  # a late record changed how earlier batches must be encoded
    with open_source() as source:
        for records in iter_batches(source, batch_characters=batch_characters, backend=backend):
            observe_batch(root, records)
            rows += len(records)
            if stale:
                clear_values(root)
                continue
            table, kinds = batch_table(root, len(records))
            if any(
                path not in kinds or not compatible(old, kinds[path])
                for path, old in committed.items()
                if old != "null"
            ):
                stale = True
                batches.clear()
            else:
                committed.update(kinds)
                batches.append((table, list(kinds)))
    if not stale:
        return Converted(batches, {path: node.kind for path, node in leaves(root)}, rows, passes=1)
    with open_source() as source:  # the shape is complete now: one more pass converts consistently
        for records in iter_batches(source, batch_characters=batch_characters, backend=backend):
            observe_batch(root, records)
            table, kinds = batch_table(root, len(records))
            batches.append((table, list(kinds)))
    return Converted(batches, {path: node.kind for path, node in leaves(root)}, rows, passes=2)


@dataclass(frozen=True)
class ParquetResult:
    rows: int
    columns: dict[str, str]  # column name -> Athena type, in file order
    passes: int  # 2 when a late record changed how earlier batches had to be encoded
    processes: int  # processes that converted the file


# --------------------------------------------------------------------------- parallel conversion
#
# The parallel conversion, the worker processes and the Parquet writing are the function's own, to
# the letter: its source from this marker on runs in this module's namespace (below), so that it
# calls this module's scanner and shape, and the bench compares the scanners and nothing else. Only
# the workers' shape messages differ (this Node keeps type names, the function's bit masks).

_FUNCTION_SOURCE = _FUNCTION_PATH.read_text(encoding="utf-8")


def _function_part(start: str, end: str | None = None) -> Any:
    """The function module's source from the line ``start`` to before ``end``, compiled (line
    numbers in tracebacks are the function module's)."""
    first = _FUNCTION_SOURCE.index("\n" + start) + 1
    last = _FUNCTION_SOURCE.index("\n" + end) + 1 if end else len(_FUNCTION_SOURCE)
    padding = "\n" * _FUNCTION_SOURCE.count("\n", 0, first)
    return compile(padding + _FUNCTION_SOURCE[first:last], str(_FUNCTION_PATH), "exec")


_PARALLEL_CONVERSION = "# " + "-" * 75 + " parallel conversion"
exec(_function_part(_PARALLEL_CONVERSION, "def _shape_to_json"))  # splits, regions, worker count


def _shape_to_json(children: dict[str, Node]) -> list[Any]:
    return [[key, sorted(node.seen), _shape_to_json(node.children)] for key, node in children.items()]


def _shape_from_json(items: list[Any], into: dict[str, Node]) -> None:
    """Merge a worker's shape into ``into`` (keys new to ``into`` are appended, keeping file order)."""
    for key, seen, children in items:
        node = into.get(key)
        if node is None:
            node = into[key] = Node()
        node.seen.update(seen)
        _shape_from_json(children, node.children)


# Regions, the worker pool, merging, writing, and the worker's main (run as a script, this module
# is the worker: its scanner converts the region).
exec(_function_part("def convert_region"))
