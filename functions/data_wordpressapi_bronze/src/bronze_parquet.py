"""Raw JSON records -> one flat Parquet file, streaming, in bounded memory.

- :func:`iter_record_lists` stream-parses a JSON array from a binary file object in chunks,
  yielding lists of records: runs of whole records cut at ``},{"<first key>":`` are parsed by
  one ``json.loads`` each, anything else (and malformed input) record by record; a single JSON
  document is one record. :func:`observe_batch` builds the shape column by column.
  The cyclic garbage collector is paused while converting (:func:`without_cycle_collection`).
- :class:`Node` trees accumulate, per key path, which JSON types were seen. From it: nested
  objects become ``a_b`` columns; lists, over-large integers and paths whose type varies
  between records (WordPress ``meta``: ``[]`` on one post, an object on another) become JSON
  strings; ints mixed with floats become doubles. One odd record never fails the file.
- :func:`write_parquet` converts records in batches to Arrow. The column set is the union over
  all records, known only at the end, so converted batches are kept (Arrow is compact) and
  written as row groups once the file is read. If a later record changes how an *earlier*
  batch's column must be encoded (e.g. ``meta`` an object in the first 10,000 posts and ``[]``
  afterwards), the file is read a second time with the complete shape; otherwise once.
"""

from __future__ import annotations

import codecs
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from json.encoder import c_encode_basestring, c_make_encoder
from operator import itemgetter
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

CHUNK_BYTES = 8 * 1024 * 1024
BATCH_CHARACTERS = 16 * 1024 * 1024  # raw JSON per batch / row group (~16 MB)
SLICE_CHARACTERS = 2 * 1024 * 1024  # raw JSON parsed by one json.loads on the fast path
_BOUNDARY_WINDOW = 1024 * 1024  # read ahead to find the end of a slice
_FIRST_KEY = re.compile(rb'\{\s*("[^"\\]{1,64}")\s*:')
INGESTED_AT = "_ingested_at"
SOURCE_KEY = "_source_key"

NULL, BOOL, INT, FLOAT, STR, LIST, DICT, BIG = 1, 2, 4, 8, 16, 32, 64, 128
_TYPE_BITS = {type(None): NULL, bool: BOOL, int: INT, float: FLOAT, str: STR, list: LIST, dict: DICT}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ARROW_TYPES = {
    "string": pa.string(),
    "json": pa.string(),
    "null": pa.string(),
    "int": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
}
ATHENA_TYPES = {pa.string(): "string", pa.int64(): "bigint", pa.float64(): "double", pa.bool_(): "boolean"}
_NOT_COLUMN_CHARACTER = re.compile(r"[^a-z0-9_]")
# The C encoder json.dumps uses, made once (json.dumps builds one per call): compact, unicode kept.
_encode = c_make_encoder(None, None, c_encode_basestring, None, ":", ",", False, False, True)


class MalformedJson(ValueError):
    """The raw object is not a JSON document (the message says where)."""


# --------------------------------------------------------------------------- streaming parse


class _Bytes:
    """A binary stream read in chunks; ``buffer[position:]`` is unread, ``base`` counts dropped bytes.

    Kept as bytes (one byte per ASCII character, no copies of wide strings); only the slices
    handed to the JSON parser are decoded, strictly as UTF-8.
    """

    def __init__(self, source: BinaryIO, chunk_bytes: int) -> None:
        self.source = source
        self.chunk_bytes = chunk_bytes
        self.buffer = b""
        self.position = 0
        self.base = 0
        self.eof = False
        self.more()
        if self.buffer.startswith(codecs.BOM_UTF8):
            self.position = len(codecs.BOM_UTF8)

    @property
    def offset(self) -> int:
        """Bytes consumed since the start of the file."""
        return self.base + self.position

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.source.read(self.chunk_bytes)
        self.eof = not chunk
        self.base += self.position
        self.buffer = self.buffer[self.position :] + chunk
        self.position = 0
        return bool(chunk)

    def ensure(self, size: int) -> None:
        """Read until ``size`` unread bytes are buffered, or the end of the file."""
        while len(self.buffer) - self.position < size and self.more():
            pass

    def skip_space(self) -> str:
        """The next non-space character (not consumed), or "" at the end of the file."""
        while True:
            buffer = self.buffer
            while self.position < len(buffer) and buffer[self.position] in b" \t\r\n":
                self.position += 1
            if self.position < len(buffer):
                if buffer[self.position] < 0x80:
                    return chr(buffer[self.position])
                self.ensure(4)
                return self.buffer[self.position : self.position + 4].decode("utf-8", "replace")[0]
            if not self.more():
                return ""


def _decode(data: bytes, final: bool, offset: int) -> tuple[str, int]:
    """Strict UTF-8 (an incomplete last character is left for later unless ``final``); ``offset``:
    where ``data`` starts in the file, so the error names the byte."""
    try:
        return codecs.utf_8_decode(data, "strict", final)
    except UnicodeDecodeError as error:
        raise MalformedJson(f"not UTF-8 text at byte {offset + error.start} ({error.reason})") from None


def _decode_one(data: _Bytes, decoder: json.JSONDecoder, index: int) -> Any:
    """Decode one record at the current position (a window that grows until it holds the record)."""
    window = 64 * 1024
    while True:
        data.ensure(window)
        available = data.buffer[data.position : data.position + window]
        complete = data.eof and data.position + window >= len(data.buffer)
        text, _ = _decode(available, complete, data.offset)
        try:
            record, end = decoder.raw_decode(text, 0)
        except json.JSONDecodeError as error:
            if not complete:
                window *= 2
                continue
            raise MalformedJson(f"record {index + 1} is not valid JSON: {error.msg}") from None
        except RecursionError:
            if not complete:
                window *= 2
                continue
            raise
        if end == len(text) and not complete:  # a number may continue after the window
            window *= 2
            continue
        data.position += len(text[:end].encode("utf-8", "surrogatepass"))
        return record


def _parse_slice(data: _Bytes, boundary: re.Pattern[bytes], want: int) -> tuple[list[Any] | None, int]:
    """Whole records from the current position, cut after about ``want`` bytes, in one parse.

    Returns ``(records, 0)`` with the position moved past them, or ``(None, offset)``: decode
    the records up to file offset ``offset`` one by one (the cut was wrong or none was found).
    """
    data.ensure(want + _BOUNDARY_WINDOW)
    buffer, start = data.buffer, data.position
    match = boundary.search(buffer, min(start + want, len(buffer)))
    if match is not None:
        end = match.start() + 1  # just after the "}" that closes the last record of the slice
    elif data.eof:  # the rest of the file: records, then "]" (the caller checks what follows it)
        end = buffer.rfind(b"]")
        if end <= start:
            return None, data.base + len(buffer)
    else:  # no record boundary near the target (a huge record): go one by one for a while
        return None, data.base + start + want
    try:
        records = json.loads((b"[" + buffer[start:end] + b"]").decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        return None, data.base + end
    data.position = end
    return records, 0


def iter_record_lists(
    source: BinaryIO, *, batch_characters: int = BATCH_CHARACTERS, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[list[Any]]:
    """A JSON array's records in lists of about ``batch_characters`` bytes of raw JSON (a single
    JSON document: one list holding it).

    Fast path: a run of whole records is cut at the first ``},{"<first key>":`` after about
    :data:`SLICE_CHARACTERS` bytes and parsed by one ``json.loads`` (faster than a
    ``raw_decode`` per record). The pattern cannot occur inside a JSON string (its quote would be
    escaped), and a cut inside a nested object leaves brackets unclosed, so such a slice fails
    to parse; its records are then decoded one by one, which also gives malformed input its
    precise error message. Either way the records are the same.
    """
    data = _Bytes(source, chunk_bytes)
    first = data.skip_space()
    if first == "":
        raise MalformedJson("empty object: no JSON document")
    if first != "[":
        while data.more():  # a single document (custom endpoint): read it whole
            pass
        text, _ = _decode(data.buffer[data.position :], True, data.offset)
        try:
            document = json.loads(text)
        except ValueError as error:
            raise MalformedJson(f"not valid JSON: {error}") from None
        yield [document]
        return

    decoder = json.JSONDecoder()
    data.position += 1
    expect_item = True
    index = 0
    batch: list[Any] = []
    size = 0
    boundary: re.Pattern[bytes] | None = None
    slow_until = 0  # file offset up to which records are decoded one by one
    while True:
        char = data.skip_space()
        if char == "":
            raise MalformedJson(f"JSON array not closed after {index} records")
        if char == "]" and (index == 0 or not expect_item):
            data.position += 1
            break
        if not expect_item:
            if char != ",":
                raise MalformedJson(f"expected ',' or ']' after record {index}, found {char!r}")
            data.position += 1
            expect_item = True
            continue
        if index == 0 and char == "{":
            data.ensure(256)
            key = _FIRST_KEY.match(data.buffer, data.position)
            if key is not None:
                boundary = re.compile(rb"\}\s*,\s*\{\s*" + re.escape(key.group(1)) + rb"\s*:")
        start = data.offset
        records = None
        if boundary is not None and start >= slow_until:
            want = max(1, min(batch_characters - size, SLICE_CHARACTERS))
            records, slow_until = _parse_slice(data, boundary, want)
        if records is None:
            records = [_decode_one(data, decoder, index)]
        batch.extend(records)
        index += len(records)
        size += data.offset - start
        expect_item = False
        if size >= batch_characters:
            yield batch
            batch, size = [], 0
    if data.skip_space() != "":
        raise MalformedJson(f"unexpected data after the JSON array (at byte {data.offset})")
    if batch:
        yield batch


def iter_batches(
    source: BinaryIO, *, batch_characters: int = BATCH_CHARACTERS
) -> Iterator[list[dict[str, Any]]]:
    """Records in lists of about ``batch_characters`` of raw JSON; non-object records -> ``{"value": x}``."""
    for records in iter_record_lists(source, batch_characters=batch_characters):
        if all(type(record) is dict for record in records):
            yield records
        else:
            yield [record if type(record) is dict else {"value": record} for record in records]


# --------------------------------------------------------------------------- shape


class Node:
    """One key path: a bit mask of the JSON types seen, child keys of objects, this batch's values."""

    __slots__ = ("children", "mask", "values")

    def __init__(self) -> None:
        self.mask = 0
        self.children: dict[str, Node] = {}
        self.values: list[Any] | None = None

    @property
    def kind(self) -> str:
        """How the path is stored: flatten | json | string | int | double | bool | null."""
        seen = self.mask & ~NULL
        if seen == DICT:
            return "flatten" if self.children else "json"
        if seen == 0:
            return "null"
        return {STR: "string", BOOL: "bool", INT: "int", FLOAT: "double", INT | FLOAT: "double"}.get(
            seen, "json"
        )


def observe(children: dict[str, Node], record: dict[str, Any], row: int, rows: int) -> None:
    """Note the types of ``record``'s values (recursively into objects) and keep them at ``row``."""
    for key, value in record.items():
        node = children.get(key)
        if node is None:
            node = children[key] = Node()
        values = node.values
        if values is None:
            values = node.values = [None] * rows
        values[row] = value
        bit = _TYPE_BITS[type(value)]
        node.mask |= bit
        if bit == DICT:
            observe(node.children, value, row, rows)


def leaves(children: dict[str, Node], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Node]]:
    """``(path, node)`` of every stored column, in order of first appearance."""
    for key, node in children.items():
        if node.kind == "flatten":
            yield from leaves(node.children, (*prefix, key))
        else:
            yield (*prefix, key), node


def all_nodes(children: dict[str, Node]) -> Iterator[Node]:
    for node in children.values():
        yield node
        yield from all_nodes(node.children)


def column_names(
    paths: list[tuple[str, ...]], reserved: tuple[str, ...] = (INGESTED_AT, SOURCE_KEY)
) -> dict[tuple[str, ...], str]:
    """Athena-safe names: parts lower-cased, other characters -> ``_``, joined by ``_``; clashes: ``_2``."""
    used = set(reserved)
    names = {}
    for path in paths:
        base = "_".join(_NOT_COLUMN_CHARACTER.sub("_", part.lower()) for part in path) or "_"
        name, number = base, 1
        while name in used:
            number += 1
            name = f"{base}_{number}"
        used.add(name)
        names[path] = name
    return names


def compatible(old: str, new: str) -> bool:
    """Whether a batch converted as ``old`` can be cast to ``new`` without re-reading it."""
    return old == new or old == "null" or (old == "int" and new == "double")


# --------------------------------------------------------------------------- conversion


def _json_column(values: list[Any]) -> list[str | None]:
    return [None if value is None else "".join(_encode(value, 0)) for value in values]


def _column_array(node: Node, rows: int) -> pa.Array:
    """This batch's values of one path as an Arrow array; an int beyond int64 turns the path to JSON."""
    values = node.values if node.values is not None else [None] * rows
    kind = node.kind
    if kind == "int":
        try:
            return pa.array(values, type=pa.int64())
        except (OverflowError, pa.ArrowInvalid):
            node.mask |= BIG
            kind = "json"
    if kind == "json":
        return pa.array(_json_column(values), type=pa.string())
    return pa.array(values, type=_ARROW_TYPES[kind])


def observe_batch(root: dict[str, Node], records: list[dict[str, Any]]) -> None:
    """Observe a batch, keeping its values per path (cleared by :func:`batch_table`).

    Column by column rather than record by record: the same types, child keys (in order of
    first appearance) and values as :func:`observe` on each record, with the loops in C.
    """
    _observe_objects(root, records, all_objects=True)


def _observe_objects(children: dict[str, Node], objects: list[Any], *, all_objects: bool) -> None:
    """Observe the keys of the objects in ``objects`` (one per row; other values have no keys)."""
    objects_only = objects if all_objects else [value for value in objects if type(value) is dict]
    for key in dict.fromkeys(chain.from_iterable(objects_only)):
        node = children.get(key)
        if node is None:
            node = children[key] = Node()
        if all_objects:
            try:  # every object has the key (the usual case): the loop runs in C
                values = list(map(itemgetter(key), objects))
            except KeyError:
                values = [value.get(key) for value in objects]
        else:
            values = [value.get(key) if type(value) is dict else None for value in objects]
        node.values = values
        types = set(map(type, values))
        for value_type in types:
            node.mask |= _TYPE_BITS[value_type]
        if dict in types:
            _observe_objects(node.children, values, all_objects=types == {dict})


def batch_table(root: dict[str, Node], rows: int) -> tuple[pa.Table, dict[tuple[str, ...], str]]:
    """The observed batch as an Arrow table (columns named by position) and the kind of each path."""
    arrays = []
    kinds = {}
    for path, node in leaves(root):
        arrays.append(_column_array(node, rows))
        kinds[path] = node.kind
    for node in all_nodes(root):
        node.values = None
    table = pa.Table.from_arrays(arrays, names=[str(position) for position in range(len(arrays))])
    return table, kinds


def clear_values(root: dict[str, Node]) -> None:
    for node in all_nodes(root):
        node.values = None


@dataclass
class Converted:
    """A file's records as Arrow batches, ready to write with the final schema."""

    batches: list[tuple[pa.Table, list[tuple[str, ...]]]]
    kinds: dict[tuple[str, ...], str]
    rows: int
    passes: int
    processes: int = 1


def convert(open_source: Callable[[], BinaryIO], *, batch_characters: int = BATCH_CHARACTERS) -> Converted:
    """Read and convert every record; ``open_source`` is called again only if a second pass is needed."""
    root: dict[str, Node] = {}
    committed: dict[tuple[str, ...], str] = {}
    batches: list[tuple[pa.Table, list[tuple[str, ...]]]] = []
    rows = 0
    stale = False  # a late record changed how earlier batches must be encoded
    with open_source() as source:
        for records in iter_batches(source, batch_characters=batch_characters):
            observe_batch(root, records)
            rows += len(records)
            if not stale:
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
            clear_values(root)
    final = {path: node.kind for path, node in leaves(root)}
    if not stale:
        return Converted(batches, final, rows, passes=1)
    with open_source() as source:  # the shape is complete now: one more pass converts consistently
        for records in iter_batches(source, batch_characters=batch_characters):
            observe_batch(root, records)
            table, kinds = batch_table(root, len(records))
            batches.append((table, list(kinds)))
            clear_values(root)
    return Converted(batches, {path: node.kind for path, node in leaves(root)}, rows, passes=2)


@dataclass(frozen=True)
class ParquetResult:
    rows: int
    columns: dict[str, str]  # column name -> Athena type, in file order
    passes: int  # 2 when a late record changed how earlier batches had to be encoded
    processes: int  # processes that converted the file


# --------------------------------------------------------------------------- parallel conversion
#
# Parsing and Arrow conversion hold the GIL, so a large file is split across processes. Record
# boundaries are found by pattern: "},{" followed by the first record's opening key (WordPress
# records all start with {"id":). The pattern cannot occur inside a JSON string (its quote would
# be escaped), so a wrong guess can only land inside a nested object, which leaves the region
# before it with unclosed brackets: that worker fails to parse, and the file is converted
# sequentially instead. Shapes are merged in file order, so columns come out in the same order
# as a sequential run.

PARALLEL_MIN_BYTES = 32 * 1024 * 1024
_SPLIT_WINDOW = 4 * 1024 * 1024


LAMBDA_MB_PER_VCPU = 1769  # Lambda allocates CPU in proportion to memory: 1 vCPU at 1,769 MB


def default_workers() -> int:
    """Processes for one file: ``BRONZE_WORKERS``, else the CPUs available, at most 4.

    On Lambda every size sees 2 CPUs, but the CPU time it gets grows with memory (a full vCPU
    per 1,769 MB), so the CPUs are capped at ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 1769``: a
    worker that would only share one vCPU costs memory and gains nothing.
    """
    configured = os.environ.get("BRONZE_WORKERS", "").strip()
    if configured:
        return max(1, int(configured))
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    if memory.isdigit():
        available = min(available, int(memory) // LAMBDA_MB_PER_VCPU)
    return max(1, min(4, available))


def find_splits(path: str, size: int, parts: int) -> list[int] | None:
    """Byte offsets of record starts near ``size * k / parts``, or None if none are found."""
    with open(path, "rb") as source:
        head = source.read(256)
        first = re.match(rb'\s*\[\s*(\{\s*"[^"\\]{1,64}"\s*:)', head)
        if first is None:
            return None
        pattern = re.compile(rb"\}\s*,\s*" + re.escape(first.group(1)))
        offsets = []
        for part in range(1, parts):
            target = size * part // parts
            source.seek(target)
            match = pattern.search(source.read(_SPLIT_WINDOW))
            if match is None:
                return None
            offset = target + match.end() - len(first.group(1))
            if offsets and offset <= offsets[-1]:
                return None
            offsets.append(offset)
    return offsets


class _Region:
    """Bytes ``[start, end)`` of the file, read in chunks, as a JSON array of whole records:
    ``[`` before a region that starts mid-file, the ``,`` that ends a region cut before a record
    replaced by ``]``. Streaming keeps a worker's memory to one batch, not its whole region."""

    _TAIL = 4096

    def __init__(self, path: str, start: int, end: int | None) -> None:
        self._source = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._source.seek(start)
        self._left = (os.path.getsize(path) if end is None else end) - start
        self._head = b"[" if start > 0 else b""
        self._cut = end is not None

    def read(self, size: int) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        if self._left <= 0:
            return b""
        if not self._cut or self._left > self._TAIL:
            keep = self._TAIL if self._cut else 0
            data = self._source.read(min(size, self._left - keep))
            self._left -= len(data)
            return data
        tail = self._source.read(self._left).rstrip()
        self._left = 0
        if not tail.endswith(b","):
            raise MalformedJson("region does not end between records")
        return tail[:-1] + b"]"

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> _Region:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shape_to_json(children: dict[str, Node]) -> list[Any]:
    return [[key, node.mask, _shape_to_json(node.children)] for key, node in children.items()]


def _shape_from_json(items: list[Any], into: dict[str, Node]) -> None:
    """Merge a worker's shape into ``into`` (keys new to ``into`` are appended, keeping file order)."""
    for key, mask, children in items:
        node = into.get(key)
        if node is None:
            node = into[key] = Node()
        node.mask |= mask
        _shape_from_json(children, node.children)


def convert_region(
    path: str, start: int, end: int | None, out_prefix: str, batch_characters: int
) -> dict[str, Any]:
    """Worker: convert one region; batches go to Arrow IPC files, the shape is returned."""
    root: dict[str, Node] = {}
    batches = []
    rows = 0
    with _Region(path, start, end) as region:
        for number, records in enumerate(iter_batches(region, batch_characters=batch_characters)):  # type: ignore[arg-type]
            observe_batch(root, records)
            table, kinds = batch_table(root, len(records))
            batch_path = f"{out_prefix}-{number}.arrow"
            with pa.OSFile(batch_path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            batches.append({"path": batch_path, "kinds": [[list(p), k] for p, k in kinds.items()]})
            rows += len(records)
            clear_values(root)
    return {"shape": _shape_to_json(root), "batches": batches, "rows": rows}


class WorkerPool:
    """Worker processes for :func:`convert_parallel`, started before they are needed.

    A worker spends 0.2-0.4 s starting Python and importing pyarrow. Regions are split evenly,
    so that start-up would delay the whole conversion; started while the raw object downloads
    (see :func:`prepared_workers`), it costs nothing on the critical path. Each worker then waits
    for one job, a JSON line on its stdin. :meth:`close` always reaps every process: idle workers
    are told to exit (stdin closed), busy ones (an error interrupted the conversion) are killed.
    """

    def __init__(self, count: int = 0) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []
        self._idle: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(count):
                self._idle.append(self._start())
        except BaseException:
            self.close()
            raise

    def _start(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, os.path.abspath(__file__)]
        process = subprocess.Popen(  # noqa: S603 - our own script
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._processes.append(process)
        return process

    def take(self, count: int) -> list[subprocess.Popen[bytes]]:
        """``count`` workers: the prepared ones first, more started if the pool has too few."""
        taken, self._idle = self._idle[:count], self._idle[count:]
        return taken + [self._start() for _ in range(count - len(taken))]

    def close(self) -> None:
        for process in self._processes:
            if process.poll() is None and process not in self._idle:
                process.kill()
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None:
                    with suppress(BrokenPipeError):
                        stream.close()  # an idle worker reads end of file and exits
        for process in self._processes:
            process.wait()
        self._processes, self._idle = [], []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parallel_workers(size: int, workers: int) -> int:
    """Worker processes :func:`convert_file` uses for a file of ``size`` bytes (the main process
    converts one region itself)."""
    return workers - 1 if workers > 1 and size >= PARALLEL_MIN_BYTES else 0


def prepared_workers(size: int, workers: int) -> WorkerPool:
    """The workers a raw object of ``size`` bytes will need, started now (before its download)."""
    return WorkerPool(parallel_workers(size, workers))


def convert_parallel(
    path: str, splits: list[int], workdir: str, batch_characters: int, pool: WorkerPool | None = None
) -> Converted | None:
    """Convert regions in worker processes (``pool``'s prepared ones when given); None when a
    worker fails (the caller goes sequential)."""
    with WorkerPool() as started_here:  # no pool prepared: workers start now, and are reaped here
        return _convert_parallel(path, splits, workdir, batch_characters, pool or started_here)


def _send_job(process: subprocess.Popen[bytes], job: dict[str, Any]) -> bool:
    """Hand a worker its job; False if it is gone (it failed to start)."""
    try:
        process.stdin.write(json.dumps(job).encode() + b"\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
    except (BrokenPipeError, ValueError):
        return False
    return True


def _convert_parallel(
    path: str, splits: list[int], workdir: str, batch_characters: int, pool: WorkerPool
) -> Converted | None:
    bounds = list(zip([0, *splits], [*splits, None], strict=True))
    processes = pool.take(len(bounds) - 1)
    sent = [
        _send_job(
            process,
            {
                "path": path,
                "start": start,
                "end": end,
                "prefix": os.path.join(workdir, f"part{number}"),
                "batch_characters": batch_characters,
            },
        )
        for number, (process, (start, end)) in enumerate(zip(processes, bounds[1:], strict=True), start=1)
    ]
    try:  # this process converts the first region meanwhile
        first: dict[str, Any] | None = convert_region(
            path, 0, bounds[0][1], os.path.join(workdir, "part0"), batch_characters
        )
    except MalformedJson:
        first = None
    outputs = [process.communicate()[0] for process in processes]  # closes stdin: no second job
    if first is None or not all(sent) or any(process.returncode != 0 for process in processes):
        return None
    results = [first, *(json.loads(stdout) for stdout in outputs)]
    root: dict[str, Node] = {}
    batches: list[tuple[pa.Table, list[tuple[str, ...]]]] = []
    used_kinds: list[dict[tuple[str, ...], str]] = []
    rows = 0
    for result in results:
        _shape_from_json(result["shape"], root)
        rows += result["rows"]
        for batch in result["batches"]:
            kinds = {tuple(p): k for p, k in batch["kinds"]}
            table = pa.ipc.open_file(pa.memory_map(batch["path"])).read_all()
            batches.append((table, list(kinds)))
            used_kinds.append(kinds)
    final = {p: node.kind for p, node in leaves(root)}
    for kinds in used_kinds:
        if any(
            kind != "null" and (p not in final or not compatible(kind, final[p])) for p, kind in kinds.items()
        ):
            return None  # regions disagree on how a path is encoded: convert again with the full shape
    return Converted(batches, final, rows, passes=1, processes=len(results))


def convert_file(
    path: str,
    *,
    workers: int,
    workdir: str,
    batch_characters: int = BATCH_CHARACTERS,
    pool: WorkerPool | None = None,
) -> Converted:
    """Convert a local raw JSON file, in ``workers`` processes when it is large enough."""
    size = os.path.getsize(path)
    if parallel_workers(size, workers):
        splits = find_splits(path, size, workers)
        if splits:
            converted = convert_parallel(path, splits, workdir, batch_characters, pool)
            if converted is not None:
                return converted
    return convert(lambda: open(path, "rb"), batch_characters=batch_characters)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while converting.

    Parsing creates millions of dicts and lists; each allocation burst triggers a collection
    that walks every live container, which costs more than the parsing itself (json.loads of
    100 MB: 1.24 s with collections, 0.49 s without). Parsed JSON holds no reference cycles,
    so reference counting frees everything anyway; the previous state is restored after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_parquet(
    path: str,
    destination: str,
    *,
    source_key: str,
    ingested_at: datetime,
    workers: int = 1,
    batch_characters: int = BATCH_CHARACTERS,
    pool: WorkerPool | None = None,
) -> ParquetResult:
    """Convert the raw JSON file at ``path`` into a Parquet file at ``destination`` (local paths);
    ``pool``: workers prepared by :func:`prepared_workers` (else they are started when needed)."""
    with (
        tempfile.TemporaryDirectory(dir=os.path.dirname(destination) or None) as workdir,
        without_cycle_collection(),
    ):
        converted = convert_file(
            path, workers=workers, workdir=workdir, batch_characters=batch_characters, pool=pool
        )
        return _write(converted, destination, source_key=source_key, ingested_at=ingested_at)


def _write(
    converted: Converted, destination: str, *, source_key: str, ingested_at: datetime
) -> ParquetResult:
    paths = list(converted.kinds)
    names = column_names(paths)
    fields = [pa.field(names[path], _ARROW_TYPES[converted.kinds[path]]) for path in paths]
    timestamp_type = pa.timestamp("ms", tz="UTC")
    schema = pa.schema([*fields, pa.field(INGESTED_AT, timestamp_type), pa.field(SOURCE_KEY, pa.string())])
    ingested = pa.scalar(ingested_at, type=timestamp_type)
    source = pa.scalar(source_key, type=pa.string())
    with pq.ParquetWriter(destination, schema, compression="snappy") as writer:
        if not converted.batches:
            writer.write_table(schema.empty_table())
        while converted.batches:
            table, used = converted.batches.pop(0)  # release each batch once written
            position = {path: str(number) for number, path in enumerate(used)}
            arrays = []
            for path, arrow_field in zip(paths, fields, strict=True):
                if path in position:
                    arrays.append(table.column(position[path]).cast(arrow_field.type))
                else:
                    arrays.append(pa.nulls(table.num_rows, arrow_field.type))
            arrays.append(pa.repeat(ingested, table.num_rows))
            arrays.append(pa.repeat(source, table.num_rows))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    columns = {arrow_field.name: ATHENA_TYPES.get(arrow_field.type, "timestamp") for arrow_field in schema}
    return ParquetResult(
        rows=converted.rows, columns=columns, passes=converted.passes, processes=converted.processes
    )


class _WithoutPandas:
    """Import hook for worker processes: pyarrow imports pandas on its first ``pa.array`` call just
    to check whether the input is a pandas object (~0.4 s of a worker's start); without pandas it
    skips that check. A worker only needs pyarrow; were pandas ever required, the worker would
    fail and the file would be converted sequentially."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is not loaded in bronze worker processes")


if __name__ == "__main__":  # worker process of WorkerPool: pyarrow is imported, now wait for a job
    sys.meta_path.insert(0, _WithoutPandas)  # type: ignore[arg-type]
    gc.disable()  # see without_cycle_collection
    _line = sys.stdin.readline()
    if not _line:  # stdin closed without a job: the worker was not needed
        sys.exit(0)
    _job = json.loads(_line)
    try:
        _result = convert_region(
            _job["path"], _job["start"], _job["end"], _job["prefix"], _job["batch_characters"]
        )
    except MalformedJson as _error:
        sys.stderr.write(str(_error))
        sys.exit(1)
    sys.stdout.write(json.dumps(_result))
