"""The local lakehouse between runs: save the emulator's data to a folder, load it into a fresh one.

``make run-local`` starts a new in-process emulator every time. To let a second run continue from
the first (issue 18: the second run is an Update), the run saves what the lakehouse holds and the
next run loads it right after deployment. What is saved is the data, not the deployment:

- S3: every object of every bucket except the artifacts bucket (the job script and temp files,
  which every deployment writes again);
- DynamoDB: every item of every table (the audit table, and any table a later version adds);
- Glue: every database with its tables and their partitions.

On disk (``local-output/state/``)::

    state.json                  {"format": STATE_FORMAT, "saved_at": ..., "objects": [...],
                                 "tables": [...], "databases": [...], "extra": {...}}
    s3/<bucket>/<key>           each object's bytes; a key that is no safe relative path (ends in
                                "/", has "." or ".." or empty segments) is stored as
                                s3/<bucket>/.keys/<sha256 of the key>; "objects" maps each
                                {bucket, key, content_type} to its "file"
    dynamodb/<table>.json       {"table": name, "items": [...]}: items in DynamoDB's typed JSON
                                (binary values base64)
    glue/<database>.json        {"database": DatabaseInput, "tables": [{"table": TableInput,
                                 "partitions": [PartitionInput, ...]}]}

``extra`` holds what the local run itself needs next time (the sample site's change history).
A folder whose ``state.json`` is missing fields, is not JSON or has another ``format`` is refused
with :class:`StateError`, whose message suggests ``--fresh``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

STATE_FORMAT = "serverless-lakehouse-local-state/1"
MANIFEST = "state.json"
DATABASE_FIELDS = ("Name", "Description", "LocationUri", "Parameters")
TABLE_FIELDS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
)
PARTITION_FIELDS = ("Values", "StorageDescriptor", "Parameters")
PARTITION_BATCH = 100  # batch_create_partition's limit

logger = logging.getLogger("lakehouse_state")


class StateError(Exception):
    """A saved state this version cannot load (other format, corrupted); the message says what to do."""


@dataclass
class SavedState:
    """A state folder's manifest, checked; ``extra`` is the local run's own data."""

    directory: Path
    saved_at: str
    objects: list[dict[str, str]]
    tables: list[str]
    databases: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class StateCounts:
    """How much a save or a load moved."""

    objects: int = 0
    items: int = 0
    glue_tables: int = 0

    def describe(self) -> str:
        return f"{self.objects} S3 objects, {self.items} DynamoDB items, {self.glue_tables} Glue tables"


# --------------------------------------------------------------------------- reading the folder


def read_state(directory: Path) -> SavedState | None:
    """The state saved in ``directory``, None when there is none; StateError when it cannot be used."""
    manifest_path = directory / MANIFEST
    if not directory.exists():
        return None
    hint = f"run with --fresh to start over (the saved state in {directory} is then replaced)"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(
            f"{directory} holds no {MANIFEST}: it is not a saved local lakehouse; {hint}"
        ) from None
    except (OSError, ValueError) as error:
        raise StateError(f"{manifest_path} cannot be read ({error}); {hint}") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found != STATE_FORMAT:
        raise StateError(
            f"{directory} was saved by an incompatible version (format {found!r}, this version reads "
            f"{STATE_FORMAT!r}); {hint}"
        )
    try:
        state = SavedState(
            directory=directory,
            saved_at=str(manifest["saved_at"]),
            objects=list(manifest["objects"]),
            tables=list(manifest["tables"]),
            databases=list(manifest["databases"]),
            extra=dict(manifest.get("extra") or {}),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise StateError(f"{manifest_path} is incomplete ({error!r}); {hint}") from None
    missing = [entry["file"] for entry in state.objects if not (directory / entry["file"]).is_file()]
    missing += [
        f"dynamodb/{name}.json"
        for name in state.tables
        if not (directory / "dynamodb" / f"{name}.json").is_file()
    ]
    missing += [
        f"glue/{name}.json" for name in state.databases if not (directory / "glue" / f"{name}.json").is_file()
    ]
    if missing:
        raise StateError(
            f"{directory} is incomplete: {len(missing)} files missing (first: {missing[0]}); {hint}"
        )
    return state


# --------------------------------------------------------------------------- saving


def object_file(bucket: str, key: str) -> str:
    """Where an object's bytes go, relative to the state folder."""
    parts = key.split("/")
    if key and all(part not in ("", ".", "..") for part in parts) and parts[0] != ".keys":
        return str(PurePosixPath("s3", bucket, *parts))
    return str(PurePosixPath("s3", bucket, ".keys", hashlib.sha256(key.encode("utf-8")).hexdigest()))


def save_state(emulator: Any, directory: Path, skip_buckets: set[str], extra: dict[str, Any]) -> StateCounts:
    """Write the emulator's lakehouse data to ``directory`` (which must not exist yet)."""
    directory.mkdir(parents=True)
    counts = StateCounts()
    objects = _save_objects(emulator.client("s3"), directory, skip_buckets)
    counts.objects = len(objects)
    tables, counts.items = _save_items(emulator.client("dynamodb"), directory)
    databases, counts.glue_tables = _save_glue(emulator.client("glue"), directory)
    manifest = {
        "format": STATE_FORMAT,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "objects": objects,
        "tables": tables,
        "databases": databases,
        "extra": extra,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    logger.info("local lakehouse state saved", extra={"directory": str(directory), **vars(counts)})
    return counts


def _save_objects(s3: Any, directory: Path, skip_buckets: set[str]) -> list[dict[str, str]]:
    saved = []
    for bucket in sorted(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"] not in skip_buckets):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                response = s3.get_object(Bucket=bucket, Key=entry["Key"])
                relative = object_file(bucket, entry["Key"])
                (directory / relative).parent.mkdir(parents=True, exist_ok=True)
                (directory / relative).write_bytes(response["Body"].read())
                content_type = response.get("ContentType") or "binary/octet-stream"
                saved.append(
                    {"bucket": bucket, "key": entry["Key"], "file": relative, "content_type": content_type}
                )
    return saved


def _save_items(dynamodb: Any, directory: Path) -> tuple[list[str], int]:
    tables = sorted(dynamodb.list_tables()["TableNames"])
    total = 0
    for table in tables:
        items = [
            _encode_binary(item)
            for page in dynamodb.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
        ]
        total += len(items)
        _write_json(directory / "dynamodb" / f"{table}.json", {"table": table, "items": items})
    return tables, total


def _save_glue(glue: Any, directory: Path) -> tuple[list[str], int]:
    databases = [db for page in glue.get_paginator("get_databases").paginate() for db in page["DatabaseList"]]
    total = 0
    for database in databases:
        name = database["Name"]
        tables = [
            t
            for page in glue.get_paginator("get_tables").paginate(DatabaseName=name)
            for t in page["TableList"]
        ]
        entries = [
            {"table": _pick(table, TABLE_FIELDS), "partitions": _partitions(glue, name, table["Name"])}
            for table in tables
        ]
        total += len(entries)
        _write_json(
            directory / "glue" / f"{name}.json",
            {"database": _pick(database, DATABASE_FIELDS), "tables": entries},
        )
    return sorted(db["Name"] for db in databases), total


def _partitions(glue: Any, database: str, table: str) -> list[dict[str, Any]]:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    return [_pick(partition, PARTITION_FIELDS) for page in pages for partition in page["Partitions"]]


def _pick(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: record[name] for name in fields if name in record}


def _write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")


def _encode_binary(value: Any) -> Any:
    """A typed DynamoDB value with B / BS as base64 text (JSON has no bytes)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _encode_binary(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode_binary(item) for item in value]
    return value


def _decode_binary(value: Any, binary: bool = False) -> Any:
    if isinstance(value, dict):
        return {key: _decode_binary(item, key in ("B", "BS")) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_binary(item, binary) for item in value]
    return base64.b64decode(value) if binary and isinstance(value, str) else value


# --------------------------------------------------------------------------- loading


def load_state(emulator: Any, state: SavedState) -> StateCounts:
    """Put a saved state's data into the (freshly deployed) emulator; returns what was loaded.
    A bucket or table the deployment no longer has is skipped with a warning; Glue databases
    are created when missing, tables created or updated."""
    counts = StateCounts()
    counts.objects = _load_objects(emulator.client("s3"), state)
    counts.items = _load_items(emulator.client("dynamodb"), state)
    counts.glue_tables = _load_glue(emulator.client("glue"), state)
    logger.info("local lakehouse state loaded", extra={"directory": str(state.directory), **vars(counts)})
    return counts


def _load_objects(s3: Any, state: SavedState) -> int:
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    loaded = 0
    for entry in state.objects:
        if entry["bucket"] not in buckets:
            logger.warning("saved object skipped: no such bucket", extra={"bucket": entry["bucket"]})
            continue
        body = (state.directory / entry["file"]).read_bytes()
        s3.put_object(Bucket=entry["bucket"], Key=entry["key"], Body=body, ContentType=entry["content_type"])
        loaded += 1
    return loaded


def _load_items(dynamodb: Any, state: SavedState) -> int:
    existing = set(dynamodb.list_tables()["TableNames"])
    loaded = 0
    for table in state.tables:
        if table not in existing:
            logger.warning("saved items skipped: no such table", extra={"table": table})
            continue
        document = json.loads((state.directory / "dynamodb" / f"{table}.json").read_text(encoding="utf-8"))
        for item in document["items"]:
            dynamodb.put_item(TableName=table, Item=_decode_binary(item))
            loaded += 1
    return loaded


def _load_glue(glue: Any, state: SavedState) -> int:
    loaded = 0
    for name in state.databases:
        document = json.loads((state.directory / "glue" / f"{name}.json").read_text(encoding="utf-8"))
        if not _exists(glue.get_database, Name=name):
            glue.create_database(DatabaseInput=document["database"])
        for entry in document["tables"]:
            _put_table(glue, name, entry["table"])
            partitions = entry["partitions"]
            for start in range(0, len(partitions), PARTITION_BATCH):
                glue.batch_create_partition(
                    DatabaseName=name,
                    TableName=entry["table"]["Name"],
                    PartitionInputList=partitions[start : start + PARTITION_BATCH],
                )
            loaded += 1
    return loaded


def _put_table(glue: Any, database: str, table_input: dict[str, Any]) -> None:
    if _exists(glue.get_table, DatabaseName=database, Name=table_input["Name"]):
        glue.update_table(DatabaseName=database, TableInput=table_input)
    else:
        glue.create_table(DatabaseName=database, TableInput=table_input)


def _exists(getter: Any, **kwargs: Any) -> bool:
    try:
        getter(**kwargs)
    except getter.__self__.exceptions.EntityNotFoundException:
        return False
    return True
