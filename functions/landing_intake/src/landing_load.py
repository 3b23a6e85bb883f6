"""Load one landed file into bronze: ``load_file(s3, glue, dynamodb, settings, file, run_id, path)``.

Used by the ``landing_intake`` Lambda (action ``load_file``, ``path="lambda"``) and by the Glue job
``landing_file_to_bronze`` (large files, ``path="glue"``), which gets only a zip of this folder:
nothing here imports ``lakehouse_common``.

1. GetObject of the landing key with ``IfMatch`` = the registered ETag: a file replaced since its
   registration is ``SUPERSEDED`` (its new content has an item of its own; nothing moved, no
   alert); a file gone from the raw bucket is ``FAILED``.
2. The file is read by its format (:mod:`landing_files`) and typed to the dataset's schema
   (:mod:`landing_contracts`): the contract ``<contracts_prefix><dataset>.json`` in the artifacts
   bucket when there is one (plus the columns later files added to the bronze table), else the
   bronze table's current schema, else the file defines it. A bad file, a type conflict or a missing
   key column is ``INVALID`` with a reason naming the file (and the column): the file is copied to
   ``failed/<dataset>/<run_id>/<file>`` in the raw bucket, then deleted from ``landing/``; no bronze
   object or table changes.
3. A valid file becomes ``landing/<dataset>/<file_id>.parquet`` in the bronze bucket (``file_id``:
   the first 16 hex digits of the sha256 of the file name, so a new upload of one name replaces its
   rows) with the lineage columns ``_source_key``, ``_source_etag``, ``_arrived_at``,
   ``_ingested_at``; then the bronze Glue table is created or extended (columns are never removed).
   The audit item becomes ``BRONZE`` with ``rows``, ``columns_added`` (columns the table did not have
   before this file; for a new table all of them) and ``bronze_key``.

Returns the Outcome ``{"dataset", "key", "file_name", "audit_id", "state", "reason" (absent when
none), "rows", "columns_added", "path"}``. Only unexpected errors (AWS errors other than the ones
above, a bad contract file) raise: the state machine catches them and records FAILED.

Size: the file and its Arrow table are held in memory (about 2-3 times the file for CSV/Parquet, 10
times or more for JSON, whose records are Python objects first). The Lambda path takes files up to
``lambda_max_file_bytes`` (64 MiB by default); the Glue job's driver (G.1X: 16 GB) takes CSV and
Parquet files up to about 3 GB and JSON up to about 1 GB.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError
from landing_audit import BRONZE, FAILED, INVALID, SOURCE, SUPERSEDED, audit_id, get_item, update_item
from landing_contracts import TYPES, Contract, conform, parse_contract, schema_of
from landing_files import LANDING_PREFIX, InvalidFile, read_landed_file

logger = logging.getLogger("landing_intake")

LINEAGE_COLUMNS: dict[str, str] = {
    "_source_key": "string",
    "_source_etag": "string",
    "_arrived_at": "timestamp",
    "_ingested_at": "timestamp",
}
FAILED_PREFIX = "failed/"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


@dataclass(frozen=True)
class LoadSettings:
    """Where load_file reads and writes (the Lambda's environment, the Glue job's arguments)."""

    raw_bucket: str
    bronze_bucket: str
    bronze_database: str
    audit_table: str
    contracts_bucket: str
    contracts_prefix: str = "datasets/"
    csv_delimiter: str = ","


@dataclass(frozen=True)
class LandingFile:
    """A registered file, as the plan action hands it out (``File`` in the design)."""

    dataset: str
    key: str
    file_name: str
    size: int
    etag: str
    audit_id: str
    arrived_at: str

    @classmethod
    def from_dict(cls, file: Any) -> LandingFile:
        """The ``file`` input; a missing or malformed field raises ValueError naming it."""
        if not isinstance(file, dict):
            raise ValueError(f"file: expected an object, got {file!r}")
        missing = [name for name in ("dataset", "key", "etag", "arrived_at") if not file.get(name)]
        if missing:
            raise ValueError(f"file: missing {', '.join(missing)} in {file!r}")
        etag = str(file["etag"]).strip('"')
        key = str(file["key"])
        return cls(
            dataset=str(file["dataset"]),
            key=key,
            file_name=str(file.get("file_name") or key.rsplit("/", 1)[-1]),
            size=int(file.get("size") or 0),
            etag=etag,
            audit_id=str(file.get("audit_id") or audit_id(etag)),
            arrived_at=str(file["arrived_at"]),
        )


class Superseded(Exception):
    """The landing key holds other content than the registered ETag."""


class Gone(Exception):
    """The landing key no longer exists."""


def file_id(file_name: str) -> str:
    """The first 16 hex digits of the sha256 of the file name (UTF-8): one bronze object per name."""
    return hashlib.sha256(file_name.encode("utf-8")).hexdigest()[:16]


def bronze_key(dataset: str, file_name: str) -> str:
    return f"{LANDING_PREFIX}{dataset}/{file_id(file_name)}.parquet"


def failed_key(dataset: str, run_id: str, file_name: str) -> str:
    return f"{FAILED_PREFIX}{dataset}/{run_id}/{file_name}"


def table_location(bronze_bucket: str, dataset: str) -> str:
    return f"s3://{bronze_bucket}/{LANDING_PREFIX}{dataset}/"


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# --------------------------------------------------------------------------- reading


def fetch(s3: Any, bucket: str, file: LandingFile) -> bytes:
    """The landing file's content if it is still the registered one."""
    try:
        response = s3.get_object(Bucket=bucket, Key=file.key, IfMatch=f'"{file.etag}"')
    except ClientError as error:
        code = _error_code(error)
        if code in ("PreconditionFailed", "412"):
            raise Superseded(
                f"{file.key!r} was replaced after it was registered (ETag {file.etag} changed): "
                "the new content is loaded as a file of its own"
            ) from None
        if code in ("NoSuchKey", "404"):
            raise Gone(
                f"{file.key!r} is gone from s3://{bucket}/ (deleted after it was registered)"
            ) from None
        raise
    return response["Body"].read()


def read_contract(s3: Any, settings: LoadSettings, dataset: str) -> Contract | None:
    """The dataset's declared contract, or None when the artifacts bucket has none."""
    if not settings.contracts_bucket:
        return None
    key = f"{settings.contracts_prefix}{dataset}.json"
    try:
        body = s3.get_object(Bucket=settings.contracts_bucket, Key=key)["Body"].read()
    except ClientError as error:
        if _error_code(error) in ("NoSuchKey", "404"):
            return None
        raise
    try:
        return parse_contract(dataset, body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:  # a deployment error, not the file's
        raise ValueError(f"contract s3://{settings.contracts_bucket}/{key}: {error}") from None


def bronze_table(glue: Any, database: str, dataset: str) -> dict[str, Any] | None:
    try:
        return glue.get_table(DatabaseName=database, Name=dataset)["Table"]
    except ClientError as error:
        if _error_code(error) == "EntityNotFoundException":
            return None
        raise


def table_source(table: dict[str, Any]) -> str:
    return str((table.get("Parameters") or {}).get("source", ""))


def _names(parameter: str) -> list[str]:
    return [name for name in (part.strip() for part in parameter.split(",")) if name]


def table_contract(dataset: str, table: dict[str, Any]) -> Contract:
    """The schema the bronze table holds (lineage columns aside), with its key and partitions."""
    parameters = table.get("Parameters") or {}
    columns = {
        column["Name"]: column["Type"] if column["Type"] in TYPES else "string"
        for column in table.get("StorageDescriptor", {}).get("Columns", [])
        if column["Name"] not in LINEAGE_COLUMNS
    }
    return Contract(
        dataset,
        columns,
        _names(parameters.get("primary_key", "")),
        _names(parameters.get("partitioned_by", "")),
        parameters.get("contract") == "declared",
    )


def dataset_schema(declared: Contract | None, table: dict[str, Any] | None, dataset: str) -> Contract | None:
    """The contract when declared (extended by the columns later files added to the table), else the
    table's schema, else None (the file defines it)."""
    current = table_contract(dataset, table) if table is not None else None
    if declared is None:
        return current
    if current is None:
        return declared
    extra = {name: kind for name, kind in current.columns.items() if name not in declared.columns}
    return Contract(dataset, {**declared.columns, **extra}, declared.primary_key, declared.partitioned_by)


# --------------------------------------------------------------------------- writing


def bronze_table_bytes(conformed: pa.Table, file: LandingFile, ingested_at: datetime) -> bytes:
    """The conformed records plus the lineage columns, as Parquet."""
    rows = conformed.num_rows
    timestamp = pa.timestamp("us", tz="UTC")
    arrived = datetime.fromisoformat(file.arrived_at.replace("Z", "+00:00"))
    lineage = {
        "_source_key": pa.repeat(pa.scalar(file.key, pa.string()), rows),
        "_source_etag": pa.repeat(pa.scalar(file.etag, pa.string()), rows),
        "_arrived_at": pa.repeat(pa.scalar(arrived, timestamp), rows),
        "_ingested_at": pa.repeat(pa.scalar(ingested_at, timestamp), rows),
    }
    table = conformed
    for name, values in lineage.items():
        table = table.append_column(pa.field(name, values.type), values)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def table_input(settings: LoadSettings, contract: Contract) -> dict[str, Any]:
    columns = [{"Name": name, "Type": kind} for name, kind in {**contract.columns, **LINEAGE_COLUMNS}.items()]
    return {
        "Name": contract.dataset,
        "Description": f"Landing zone dataset {contract.dataset} (one Parquet object per landed file)",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "source": SOURCE,
            "primary_key": ",".join(contract.primary_key),
            "partitioned_by": ",".join(contract.partitioned_by),
            "contract": "declared" if contract.declared else "inferred",
            "classification": "parquet",
        },
        "StorageDescriptor": {
            "Columns": columns,
            "Location": table_location(settings.bronze_bucket, contract.dataset),
            "InputFormat": PARQUET_INPUT,
            "OutputFormat": PARQUET_OUTPUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
        },
    }


def register_table(glue: Any, settings: LoadSettings, contract: Contract, exists: bool) -> None:
    """Create the bronze table, or update it in one call (its columns only ever grow)."""
    definition = table_input(settings, contract)
    if exists:
        glue.update_table(DatabaseName=settings.bronze_database, TableInput=definition)
    else:
        glue.create_table(DatabaseName=settings.bronze_database, TableInput=definition)


def move_to_failed(s3: Any, bucket: str, file: LandingFile, run_id: str) -> str:
    """Copy the file to ``failed/<dataset>/<run_id>/<file>`` (the registered content only), then
    delete the landing key; returns the failed key."""
    target = failed_key(file.dataset, run_id, file.file_name)
    try:
        s3.copy_object(
            Bucket=bucket,
            Key=target,
            CopySource={"Bucket": bucket, "Key": file.key},
            CopySourceIfMatch=f'"{file.etag}"',
        )
    except ClientError as error:
        if _error_code(error) in ("PreconditionFailed", "412"):
            raise Superseded(
                f"{file.key!r} was replaced after it was registered (ETag {file.etag} changed): "
                "the new content is loaded as a file of its own"
            ) from None
        raise
    s3.delete_object(Bucket=bucket, Key=file.key)
    return target


# --------------------------------------------------------------------------- the outcome


def outcome(
    file: LandingFile, state: str, path: str, reason: str = "", rows: int = 0, added: Any = ()
) -> dict:
    result: dict[str, Any] = {
        "dataset": file.dataset,
        "key": file.key,
        "file_name": file.file_name,
        "audit_id": file.audit_id,
        "state": state,
        "rows": rows,
        "columns_added": list(added),
        "path": path,
    }
    if reason:
        result["reason"] = reason
    return result


FINAL_STATES = (BRONZE, INVALID, SUPERSEDED, FAILED)


def recorded_outcome(item: dict[str, Any], path: str) -> dict[str, Any]:
    """The Outcome an audit item records (``file_outcome``, and a retried ``load_file``)."""
    result = {
        "dataset": item["dataset"],
        "key": item["key"],
        "file_name": item["file_name"],
        "audit_id": item["run_id"],
        "state": item["state"],
        "rows": int(item.get("rows", 0)),
        "columns_added": list(item.get("columns_added") or []),
        "path": path,
    }
    if item.get("reason"):
        result["reason"] = item["reason"]
    return result


def record(
    dynamodb: Any, settings: LoadSettings, file: LandingFile, run_id: str, path: str, values: dict[str, Any]
) -> None:
    update_item(
        dynamodb,
        settings.audit_table,
        file.dataset,
        file.audit_id,
        {"processed_by": run_id, "path": path, **values},
    )


def load_file(
    s3: Any, glue: Any, dynamodb: Any, settings: LoadSettings, file: dict[str, Any], run_id: str, path: str
) -> dict[str, Any]:
    """Load one registered file (see the module's docstring); returns its Outcome."""
    landing = LandingFile.from_dict(file)
    where = {"dataset": landing.dataset, "key": landing.key, "run_id": run_id, "path": path}
    done = get_item(dynamodb, settings.audit_table, landing.dataset, landing.audit_id)
    if done and done.get("processed_by") == run_id and done.get("state") in FINAL_STATES:
        # A retry of a call that finished (a Lambda timeout after the work was done): the file may be
        # in failed/ already, so its recorded outcome stands.
        logger.info("file already loaded by this run", extra={**where, "state": done["state"]})
        return recorded_outcome(done, path)
    try:
        body = fetch(s3, settings.raw_bucket, landing)
    except Superseded as superseded:
        return _finish(dynamodb, settings, landing, run_id, path, SUPERSEDED, str(superseded))
    except Gone as gone:
        return _finish(dynamodb, settings, landing, run_id, path, FAILED, str(gone))
    table = bronze_table(glue, settings.bronze_database, landing.dataset)
    declared = read_contract(s3, settings, landing.dataset)
    try:
        if table is not None and table_source(table) != SOURCE:
            raise InvalidFile(
                f"{landing.file_name!r}: dataset name {landing.dataset!r} is taken by the bronze table "
                f"{settings.bronze_database}.{landing.dataset} of source {table_source(table) or '(none)'!r}"
            )
        landed = read_landed_file(landing.key, body, delimiter=settings.csv_delimiter)
        reserved = [name for name in landed.table.column_names if name in LINEAGE_COLUMNS]
        if reserved:
            raise InvalidFile(f"{landing.file_name!r}: column(s) {reserved} are reserved for lineage")
        contract = dataset_schema(declared, table, landing.dataset) or schema_of(
            landing.dataset, landed.table
        )
        conformed, extended = conform(landing.file_name, landed.table, contract)
    except InvalidFile as invalid:
        logger.warning("file invalid", extra={**where, "reason": invalid.reason})
        try:
            moved = move_to_failed(s3, settings.raw_bucket, landing, run_id)
        except Superseded as superseded:
            return _finish(dynamodb, settings, landing, run_id, path, SUPERSEDED, str(superseded))
        return _finish(
            dynamodb, settings, landing, run_id, path, INVALID, invalid.reason, extra={"failed_key": moved}
        )
    previous = set(table_contract(landing.dataset, table).columns) if table is not None else set()
    added = [name for name in extended.columns if name not in previous]
    key = bronze_key(landing.dataset, landing.file_name)
    s3.put_object(
        Bucket=settings.bronze_bucket,
        Key=key,
        Body=bronze_table_bytes(conformed, landing, datetime.now(UTC)),
        ContentType="application/vnd.apache.parquet",
    )
    register_table(glue, settings, extended, exists=table is not None)
    rows = conformed.num_rows
    logger.info("file loaded", extra={**where, "rows": rows, "columns_added": added, "bronze_key": key})
    return _finish(
        dynamodb,
        settings,
        landing,
        run_id,
        path,
        BRONZE,
        "",
        rows=rows,
        added=added,
        extra={"rows": rows, "columns_added": added, "bronze_key": key},
    )


def _finish(
    dynamodb: Any,
    settings: LoadSettings,
    file: LandingFile,
    run_id: str,
    path: str,
    state: str,
    reason: str,
    *,
    rows: int = 0,
    added: Any = (),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {"state": state, **(extra or {})}
    if reason:
        values["reason"] = reason
    record(dynamodb, settings, file, run_id, path, values)
    if state != BRONZE:
        logger.info("file not loaded", extra={"dataset": file.dataset, "key": file.key, "state": state})
    return outcome(file, state, path, reason, rows, added)
