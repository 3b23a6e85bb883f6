"""Reading a file dropped in the landing zone (issue 19, groundwork: not wired into a function or a
workflow yet): its format from its name, its records as an Arrow table, or a clear reason why it is
not a valid file of that format.

Formats, by extension (a trailing ``.gz`` means gzip-compressed text of the format before it):
``.csv`` (a header row, UTF-8, comma or a configured delimiter), ``.json`` (one JSON array of
objects), ``.jsonl`` / ``.ndjson`` (one JSON object per line), ``.parquet``. Anything else is refused
by name. Every refusal is an :class:`InvalidFile` whose ``reason`` says what is wrong and where (the
line, the row, the column) in words a person who dropped the file can act on; nothing here writes.

Keys are ``landing/<dataset>/<file>``: :func:`landing_key_parts` checks the dataset name (the same
rule as the lakehouse's table names: lower-case letters, digits, ``_``) and keeps any file name,
spaces and non-ASCII characters included.

JSON records follow the WordPress bronze rules (``functions/data_wordpressapi_bronze/src/
bronze_parquet.py``): nested objects become ``a_b`` columns, lists, values too large for a bigint and
fields whose JSON type varies between records become JSON text, ints mixed with floats become
doubles. Column names of every format are made Athena-safe the same way (lower-case, any other
character than ``a-z0-9_`` -> ``_``; a clash gets ``_2``). The rules are re-implemented here (the
Glue job gets only this folder); one converter shared with the WordPress bronze function would be
better.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

LANDING_PREFIX = "landing/"
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
PARQUET_MAGIC = b"PAR1"


class InvalidFile(ValueError):
    """The file cannot be loaded; ``reason`` says why, for the audit item and the alert."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LandingKey:
    dataset: str
    file_name: str
    file_format: str  # csv | json | jsonl | parquet
    compressed: bool  # gzip (text formats only)


@dataclass(frozen=True)
class LandedFile:
    key: LandingKey
    table: pa.Table

    @property
    def rows(self) -> int:
        return self.table.num_rows


def landing_dataset(key: str) -> tuple[str, str]:
    """``landing/<dataset>/<file>`` -> ``(dataset, file name)``; a key outside a dataset folder or
    with a bad dataset name is refused (the format is not checked: see :func:`landing_key_parts`)."""
    if not key.startswith(LANDING_PREFIX):
        raise InvalidFile(f"{key!r} is not under {LANDING_PREFIX}")
    parts = key[len(LANDING_PREFIX) :].split("/")
    if len(parts) != 2 or not parts[1]:
        raise InvalidFile(f"{key!r} is not in a dataset folder: files go to {LANDING_PREFIX}<dataset>/<file>")
    dataset, file_name = parts
    if not DATASET_NAME.match(dataset):
        raise InvalidFile(
            f"{dataset!r} is not a valid dataset name (lower-case letters, digits and _, starting with a "
            "letter, at most 64 characters)"
        )
    return dataset, file_name


def landing_key_parts(key: str) -> LandingKey:
    """``landing/<dataset>/<file>`` -> its dataset, file name and format; anything else is refused."""
    dataset, file_name = landing_dataset(key)
    lowered = file_name.lower()
    compressed = lowered.endswith(".gz")
    stem = lowered.removesuffix(".gz")
    extension = stem[stem.rfind(".") :] if "." in stem else ""
    if extension not in FORMATS:
        raise InvalidFile(
            f"{file_name!r}: unknown format {extension or '(no extension)'}; accepted: "
            f"{', '.join(sorted(FORMATS))} (text formats may end in .gz)"
        )
    file_format = FORMATS[extension]
    if compressed and file_format == "parquet":
        raise InvalidFile(f"{file_name!r}: Parquet is compressed inside the file; drop the .gz")
    return LandingKey(dataset, file_name, file_format, compressed)


def decompressed(key: LandingKey, body: bytes) -> bytes:
    if not key.compressed:
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error) as error:
        raise InvalidFile(f"{key.file_name!r} ends in .gz but is not valid gzip ({error})") from None


def utf8_text(key: LandingKey, body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise InvalidFile(
            f"{key.file_name!r} is not UTF-8: byte 0x{body[error.start]:02x} on line {line} "
            "(save it as UTF-8)"
        ) from None


# --------------------------------------------------------------------------- JSON records
# The WordPress bronze rules (bronze_parquet.Node): per key path, the JSON types seen decide how the
# path is stored.
NULL, BOOL, INT, FLOAT, STR, LIST, DICT = 1, 2, 4, 8, 16, 32, 64
_TYPE_BITS = {type(None): NULL, bool: BOOL, int: INT, float: FLOAT, str: STR, list: LIST, dict: DICT}
_KIND_TYPES = {
    "string": pa.string(),
    "json": pa.string(),
    "null": pa.string(),
    "int": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
}
_NOT_COLUMN_CHARACTER = re.compile(r"[^a-z0-9_]")


class _Path:
    """One key path of the records: the JSON types seen there, and the keys of its objects."""

    __slots__ = ("children", "mask")

    def __init__(self) -> None:
        self.mask = 0
        self.children: dict[str, _Path] = {}

    @property
    def kind(self) -> str:
        """flatten | json | string | int | double | bool | null."""
        seen = self.mask & ~NULL
        if seen == DICT:
            return "flatten" if self.children else "json"
        if seen == 0:
            return "null"
        return {STR: "string", BOOL: "bool", INT: "int", FLOAT: "double", INT | FLOAT: "double"}.get(
            seen, "json"
        )


def _observe(children: dict[str, _Path], record: dict[str, Any]) -> None:
    for key, value in record.items():
        node = children.get(key)
        if node is None:
            node = children[key] = _Path()
        bit = _TYPE_BITS.get(type(value), STR)
        node.mask |= bit
        if bit == DICT:
            _observe(node.children, value)


def _leaves(children: dict[str, _Path], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for key, node in children.items():
        if node.kind == "flatten":
            found += _leaves(node.children, (*prefix, key))
        else:
            found.append(((*prefix, key), node.kind))
    return found


def column_names(paths: list[tuple[str, ...]]) -> list[str]:
    """Athena-safe names: parts lower-cased, other characters -> ``_``, joined by ``_``; clashes: ``_2``."""
    used: set[str] = set()
    names = []
    for path in paths:
        base = "_".join(_NOT_COLUMN_CHARACTER.sub("_", part.lower()) for part in path) or "_"
        name, number = base, 1
        while name in used:
            number += 1
            name = f"{base}_{number}"
        used.add(name)
        names.append(name)
    return names


def _value_at(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _column(values: list[Any], kind: str) -> pa.Array:
    if kind == "int":
        try:
            return pa.array(values, type=pa.int64())
        except (OverflowError, pa.ArrowInvalid):  # beyond a bigint: JSON text, as WordPress bronze does
            kind = "json"
    if kind == "json":
        return pa.array([_json_text(value) for value in values], type=pa.string())
    return pa.array(values, type=_KIND_TYPES[kind])


def records_table(key: LandingKey, records: list[object], where: str) -> pa.Table:
    """JSON records (objects) -> an Arrow table by the WordPress bronze rules; a record that is not
    an object is refused, naming its position."""
    root: dict[str, _Path] = {}
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            kind = "array" if isinstance(record, list) else type(record).__name__
            raise InvalidFile(f"{key.file_name!r}: {where} {index} is a JSON {kind}, expected an object")
        _observe(root, record)
    leaves = _leaves(root)
    names = column_names([path for path, _ in leaves])
    arrays = [_column([_value_at(record, path) for record in records], kind) for path, kind in leaves]  # type: ignore[arg-type]
    return pa.Table.from_arrays(arrays, names=names)


def safe_column_names(key: LandingKey, table: pa.Table) -> pa.Table:
    """A CSV's or Parquet file's columns renamed like JSON paths (lower-case, ``a-z0-9_``)."""
    names = column_names([(name,) for name in table.column_names])
    return table if names == table.column_names else table.rename_columns(names)


def read_json_array(key: LandingKey, text: str) -> pa.Table:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        truncated = (
            " (the array never closes: the file looks truncated)" if not text.rstrip().endswith("]") else ""
        )
        raise InvalidFile(
            f"{key.file_name!r} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
            + truncated
        ) from None
    if not isinstance(document, list):
        raise InvalidFile(
            f"{key.file_name!r}: a .json file holds one JSON array of objects, not a JSON object"
        )
    return records_table(key, document, "element")


def read_json_lines(key: LandingKey, text: str) -> pa.Table:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise InvalidFile(f"{key.file_name!r}: line {number} is not valid JSON ({error.msg})") from None
    return records_table(key, records, "line")


def read_csv(key: LandingKey, body: bytes, delimiter: str) -> pa.Table:
    text = utf8_text(key, body)  # a clear message for a non-UTF-8 file before Arrow's own
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidFile(f"{key.file_name!r}: no header row")
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    if len(set(header)) != len(header) or any(not name.strip() for name in header):
        raise InvalidFile(f"{key.file_name!r}: the header row has empty or repeated column names: {header}")
    try:
        return pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        )
    except pa.ArrowInvalid as error:
        message = str(error)
        ragged = re.search(r"Expected (\d+) columns, got (\d+): (.*)", message)
        if ragged:
            expected, got, row = ragged.groups()
            raise InvalidFile(
                f"{key.file_name!r}: a row has {got} fields where the header has {expected}: {row[:80]!r}"
            ) from None
        raise InvalidFile(f"{key.file_name!r} is not readable CSV: {message}") from None


def read_parquet(key: LandingKey, body: bytes) -> pa.Table:
    if len(body) < 12 or body[:4] != PARQUET_MAGIC or body[-4:] != PARQUET_MAGIC:
        raise InvalidFile(f"{key.file_name!r} is not a Parquet file (no PAR1 magic at its start and end)")
    try:
        table = pq.read_table(io.BytesIO(body))
    except (pa.ArrowInvalid, OSError) as error:
        raise InvalidFile(f"{key.file_name!r} is a damaged Parquet file: {error}") from None
    return flat_table(table)


def _nested(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_struct(data_type)
        or pa.types.is_list(data_type)
        or pa.types.is_large_list(data_type)
        or pa.types.is_map(data_type)
        or pa.types.is_fixed_size_list(data_type)
    )


def flat_table(table: pa.Table) -> pa.Table:
    """A Parquet file's nested columns by the WordPress bronze rules: struct fields become ``a_b``
    columns, lists and maps JSON text."""
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()  # struct column a -> a.b, a.c
        table = table.rename_columns([name.replace(".", "_") for name in table.column_names])
    columns = [
        pa.array([_json_text(value) for value in column.to_pylist()], type=pa.string())
        if _nested(column.type)
        else column
        for column in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)


def read_landed_file(key: str, body: bytes, *, delimiter: str = ",") -> LandedFile:
    """The file at landing key ``key`` with content ``body``, read as its format says; an empty file, a
    file without records, or one its format cannot read is an :class:`InvalidFile`."""
    parts = landing_key_parts(key)
    if not body:
        raise InvalidFile(f"{parts.file_name!r} is empty (0 bytes)")
    if parts.file_format == "parquet":
        table = read_parquet(parts, body)
    else:
        content = decompressed(parts, body)
        if parts.file_format == "csv":
            table = read_csv(parts, content, delimiter)
        else:
            text = utf8_text(parts, content)
            reader = read_json_array if parts.file_format == "json" else read_json_lines
            table = reader(parts, text)
    if table.num_rows == 0:
        raise InvalidFile(f"{parts.file_name!r} holds no records")
    return LandedFile(parts, safe_column_names(parts, table))
