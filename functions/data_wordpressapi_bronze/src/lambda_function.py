"""data_wordpressapi_bronze: one run's raw WordPress JSON -> the bronze snapshot tables (Parquet + Glue).

The state machine invokes it with its whole state; bronze reads ``run.id`` and the raw step's
summary, ``raw.summary.endpoints``: per dataset its ``name``, ``mode`` (``InitialLoad`` or
``Update``), ``keys`` (the raw objects holding this run's records, in order: several for a load
split across invocations, each a JSON array), ``ids_key`` (the ids WordPress still publishes, or
null) and the load fields it echoes to silver. An event without them fails, naming the input.

Per dataset:

1. The run's raw objects are converted (joined in order when there are several, streaming to
   ``/tmp``) into one Parquet file: one row per record, nested objects flattened to ``a_b``
   columns, lists and type-varying values as JSON strings, plus ``_ingested_at`` (UTC) and
   ``_source_key``; an empty collection that WordPress documents (posts, pages, categories, tags,
   users) gets its known columns (:mod:`wordpress_schema`), any other empty endpoint the lineage
   columns alone.
2. The bronze table is the current snapshot, ``s3://<bronze bucket>/wordpress_api/<name>/<name>.parquet``:
   an InitialLoad replaces it with the converted data; an Update merges the converted increment
   into the previous snapshot (:mod:`bronze_snapshot`: newest ``modified_gmt`` per id, minus the
   ids no longer published).
3. The run's own increment (InitialLoad and Update alike) goes to
   ``s3://<bronze bucket>/_runs/wordpress_api/<run id>/<name>/increment.parquet`` and the published
   ids to ``.../published_ids.parquet`` (one int64 column ``id``), outside the table's location.
4. Every file is complete in ``/tmp`` before it is uploaded; the snapshot is written last, in one
   request (an InitialLoad's is a server-side copy of its increment), then its table is created or
   updated in the bronze Glue database (columns from the snapshot). A failed conversion or merge
   writes nothing: the previous snapshot stays.

Failures of all datasets are published in one SNS message, then the handler raises
:class:`PipelineStepFailed`. The output lists each snapshot written (``objects``) and, per
dataset, the load silver applies (``loads``).

Environment: RAW_BUCKET_PARAMETER, BRONZE_BUCKET_PARAMETER, SNS_TOPIC_PARAMETER (parameter
names, seed defaults), GLUE_DATABASE_NAME (default data_lakehouse_bronze), BRONZE_WORKERS
(processes per large file; default: the CPUs available, at most 4, on Lambda at most one per
1,769 MB of memory).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

import awswrangler as wr
import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError
from bronze_parquet import MalformedJson, ParquetResult, default_workers, prepared_workers, write_parquet
from bronze_snapshot import merge_snapshot, published_ids, write_published_ids
from increment_shape import conform_to_snapshot
from lakehouse_common import (
    DATA_SOURCE,
    Failure,
    MissingParameterError,
    PipelineStepFailed,
    get_parameter,
    glue_database_name,
    object_key,
    parameter_names,
    publish_failures,
    run_key,
    setup_logging,
)
from raw_parts import JsonArrayJoiner
from wordpress_schema import add_known_columns

FUNCTION_NAME = "data_wordpressapi_bronze"
INITIAL_LOAD, UPDATE = "InitialLoad", "Update"
RUNS_PREFIX = "_runs"
COPY_OBJECT_LIMIT = 5 * 1024**3
ENDPOINTS_INPUT = "raw.summary.endpoints"
RUN_ID_INPUT = "run.id"
_NAME = re.compile(r"[a-z0-9_]+")

logger = logging.getLogger(FUNCTION_NAME)


class EventError(ValueError):
    """The event lacks an input bronze needs, or holds a bad one; ``input`` names it."""

    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(message)
        self.input = input_name


class SnapshotUnavailable(RuntimeError):
    """An Update found no previous snapshot to merge into."""


@dataclass(frozen=True)
class RawDataset:
    """One dataset of the raw step's summary: what this run fetched for it, and how to load it."""

    name: str
    mode: str
    keys: tuple[str, ...]
    source_key: str  # the raw object, or the run's folder of a split load: lineage and errors
    ids_key: str | None
    entry: dict[str, Any]  # the raw summary's entry, for the load fields echoed to silver


@dataclass(frozen=True)
class Buckets:
    raw: str
    bronze: str


# --------------------------------------------------------------------------- the event


def run_input(event: Any) -> tuple[str, list[Any]]:
    """``run.id`` and ``raw.summary.endpoints`` of the state machine's state."""
    event = event if isinstance(event, dict) else {}
    raw = event.get("raw")
    summary = raw.get("summary") if isinstance(raw, dict) else None
    endpoints = summary.get("endpoints") if isinstance(summary, dict) else None
    if not isinstance(endpoints, list):
        raise EventError(
            ENDPOINTS_INPUT,
            "missing: bronze converts exactly the run objects the raw step reports in its summary "
            '(the state machine invokes it with {"run": {"id": ...}, '
            '"raw": {"summary": {"endpoints": [...]}}})',
        )
    run = event.get("run")
    run_id = run.get("id") if isinstance(run, dict) else None
    if not isinstance(run_id, str) or not run_id or "/" in run_id:
        raise EventError(RUN_ID_INPUT, f"missing or not a run id (a name without '/'): {run_id!r}")
    return run_id, endpoints


def raw_dataset(entry: Any, position: int, run_id: str) -> RawDataset:
    """One entry of ``raw.summary.endpoints``, checked; a bad one names its field."""
    where = f"{ENDPOINTS_INPUT}[{position}]"
    if not isinstance(entry, dict):
        raise EventError(where, "not an object")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise EventError(where, f"'name' must be a table name (a-z, 0-9, _): {name!r}")
    where = f"{where} ({name})"
    mode = entry.get("mode")
    if mode not in (INITIAL_LOAD, UPDATE):
        raise EventError(where, f"'mode' must be {INITIAL_LOAD!r} or {UPDATE!r}: {mode!r}")
    keys = entry.get("keys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise EventError(where, f"'keys' must be a non-empty list of raw object keys: {keys!r}")
    ids_key = entry.get("ids_key")
    if ids_key is not None and (not isinstance(ids_key, str) or not ids_key):
        raise EventError(where, f"'ids_key' must be a raw object key or null: {ids_key!r}")
    key = entry.get("key")
    source_key = key if isinstance(key, str) and key else keys[0]
    if len(keys) > 1 and source_key in keys:  # several parts: the run's folder names them all
        source_key = run_key(name, run_id, "")
    return RawDataset(name, mode, tuple(keys), source_key, ids_key, entry)


def runs_key(run_id: str, name: str, filename: str) -> str:
    """``_runs/wordpress_api/<run id>/<name>/<filename>`` in the bronze bucket: one run's own objects."""
    return f"{RUNS_PREFIX}/{DATA_SOURCE}/{run_id}/{name}/{filename}"


# --------------------------------------------------------------------------- one dataset


def download_raw(s3: Any, bucket: str, dataset: RawDataset, path: str) -> None:
    """The dataset's raw objects as one local JSON file (several parts joined in order)."""
    if len(dataset.keys) == 1:
        s3.download_file(bucket, dataset.keys[0], path)
        return
    part_path = f"{path}.part"
    with JsonArrayJoiner(path) as joined:
        for key in dataset.keys:
            s3.download_file(bucket, key, part_path)
            joined.append(part_path, f"s3://{bucket}/{key}")
            os.remove(part_path)


def convert_increment(
    s3: Any, bucket: str, dataset: RawDataset, workdir: str, *, workers: int
) -> tuple[str, ParquetResult]:
    """The run's raw records -> ``<workdir>/increment.parquet`` (today's conversion rules)."""
    raw_size = sum(s3.head_object(Bucket=bucket, Key=key)["ContentLength"] for key in dataset.keys)
    raw_path = os.path.join(workdir, f"{dataset.name}.json")
    parquet_path = os.path.join(workdir, "increment.parquet")
    # A large object's worker processes start now, so their start-up overlaps the download.
    with prepared_workers(raw_size, workers) as pool:
        download_raw(s3, bucket, dataset, raw_path)
        result = write_parquet(
            raw_path,
            parquet_path,
            source_key=dataset.source_key,
            ingested_at=datetime.now(UTC),
            workers=workers,
            pool=pool,
        )
    if dataset.mode == INITIAL_LOAD:
        os.remove(raw_path)  # room in /tmp for the snapshot; an Update's records may shape its increment
    if result.rows == 0:  # an empty endpoint: the columns WordPress sends for it, when known
        result = replace(result, columns=add_known_columns(parquet_path, dataset.name, result.columns))
    return parquet_path, result


def download_published_ids(s3: Any, bucket: str, key: str, workdir: str) -> pa.Array:
    path = os.path.join(workdir, "published_ids.json")
    s3.download_file(bucket, key, path)
    ids = published_ids(path, f"s3://{bucket}/{key}")
    os.remove(path)
    return ids


def download_snapshot(s3: Any, bucket: str, key: str, path: str) -> None:
    """The previous snapshot, which an Update merges into."""
    try:
        s3.download_file(bucket, key, path)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchKey", "403", "AccessDenied"):
            raise SnapshotUnavailable(
                f"an Update merges into the previous snapshot s3://{bucket}/{key}, which could not be read "
                f"({code}); load the dataset again with an InitialLoad"
            ) from None
        raise


def upload(session: boto3.Session, path: str, bucket: str, key: str) -> None:
    """One complete local file -> one S3 object (readers see the previous object until it is done)."""
    wr.s3.upload(local_file=path, path=f"s3://{bucket}/{key}", boto3_session=session)


def copy(s3: Any, bucket: str, source: str, destination: str, size: int) -> None:
    """An object copied within the bucket, server-side: one CopyObject up to its 5 GB limit."""
    if size < COPY_OBJECT_LIMIT:
        s3.copy_object(Bucket=bucket, Key=destination, CopySource={"Bucket": bucket, "Key": source})
    else:  # a multipart copy (UploadPartCopy), still complete before the object appears
        s3.copy({"Bucket": bucket, "Key": source}, bucket, destination)


def register_table(
    session: boto3.Session, database: str, table: str, location: str, columns: dict[str, str], source: str
) -> None:
    """Create or update the table (unpartitioned Parquet at ``location``) in the Glue catalog."""
    wr.catalog.create_parquet_table(
        database=database,
        table=table,
        path=location,
        columns_types=columns,
        compression="snappy",
        description=f"WordPress REST API {table}, from {source}",
        mode="overwrite",
        boto3_session=session,
    )


@dataclass(frozen=True)
class Snapshot:
    """The new snapshot, complete in ``/tmp``."""

    path: str
    columns: dict[str, str]  # column -> Athena type
    rows: int
    rows_before: int  # rows of the previous snapshot merged into (an InitialLoad replaces it unread: 0)
    deleted_rows: int  # rows of the previous snapshot whose id is no longer published


def new_snapshot(
    s3: Any, bucket: str, dataset: RawDataset, increment: tuple[str, ParquetResult], ids: pa.Array | None
) -> Snapshot:
    """InitialLoad: the increment is the snapshot. Update: the previous snapshot merged with it."""
    increment_path, converted = increment
    if dataset.mode == INITIAL_LOAD:
        return Snapshot(increment_path, converted.columns, converted.rows, 0, 0)
    workdir = os.path.dirname(increment_path)
    previous_path = os.path.join(workdir, "previous.parquet")
    merged_path = os.path.join(workdir, "merged.parquet")
    download_snapshot(s3, bucket, object_key(dataset.name, "parquet"), previous_path)
    raw_path = os.path.join(workdir, f"{dataset.name}.json")

    def read_records() -> list[Any]:
        with open(raw_path, "rb") as raw:
            return json.loads(raw.read().removeprefix(b"\xef\xbb\xbf"))

    rebuilt = conform_to_snapshot(increment_path, pq.read_schema(previous_path), read_records)
    if rebuilt:
        extra = {"dataset": dataset.name, "json_text": rebuilt}
        logger.info("increment shaped like the snapshot", extra=extra)
    os.remove(raw_path)
    merged = merge_snapshot(previous_path, increment_path, merged_path, ids)
    os.remove(previous_path)
    logger.info("snapshot merged", extra={"dataset": dataset.name, **asdict(merged)})
    before, deleted = merged.snapshot_rows_before, merged.deleted_rows
    return Snapshot(merged_path, merged.columns, merged.rows, before, deleted)


def load_dataset(
    session: boto3.Session,
    s3: Any,
    buckets: Buckets,
    database: str,
    run_id: str,
    dataset: RawDataset,
    *,
    workers: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Convert the run's raw objects, replace or merge the snapshot, write the run's own objects,
    then the snapshot, and register the table; returns the object summary and the load entry.
    Nothing is written unless the conversion and the merge succeeded."""
    name = dataset.name
    snapshot_key = object_key(name, "parquet")
    increment_key = runs_key(run_id, name, "increment.parquet")
    ids_key = runs_key(run_id, name, "published_ids.parquet") if dataset.ids_key else None
    with tempfile.TemporaryDirectory(prefix=f"bronze-{name}-") as workdir:
        increment_path, converted = convert_increment(s3, buckets.raw, dataset, workdir, workers=workers)
        ids = download_published_ids(s3, buckets.raw, dataset.ids_key, workdir) if dataset.ids_key else None
        snapshot = new_snapshot(s3, buckets.bronze, dataset, (increment_path, converted), ids)

        upload(session, increment_path, buckets.bronze, increment_key)
        if ids is not None and ids_key:
            ids_path = os.path.join(workdir, "published_ids.parquet")
            write_published_ids(ids, ids_path)
            upload(session, ids_path, buckets.bronze, ids_key)
        size = os.path.getsize(snapshot.path)
        # The table changes last, at once: an InitialLoad's snapshot is its increment, copied in S3.
        if snapshot.path == increment_path:
            copy(s3, buckets.bronze, increment_key, snapshot_key, size)
        else:
            upload(session, snapshot.path, buckets.bronze, snapshot_key)
    location = f"s3://{buckets.bronze}/{DATA_SOURCE}/{name}/"
    register_table(
        session, database, name, location, snapshot.columns, f"s3://{buckets.raw}/{dataset.source_key}"
    )
    summary = {
        "source_key": dataset.source_key,
        "key": snapshot_key,
        "table": f"{database}.{name}",
        "rows": snapshot.rows,
        "columns": len(snapshot.columns),
        "bytes": size,
        "dataset": name,
        "mode": dataset.mode,
        "increment_rows": converted.rows,
        "snapshot_rows_before": snapshot.rows_before,
        "deleted_rows": snapshot.deleted_rows,
    }
    logger.info("dataset loaded", extra={**summary, "passes": converted.passes})
    return summary, load_entry(dataset, increment_key, ids_key)


def load_entry(dataset: RawDataset, increment_key: str, ids_key: str | None) -> dict[str, Any]:
    """What silver applies for the dataset: the run's objects and the load fields, echoed from raw."""
    entry = dataset.entry
    return {
        "dataset": dataset.name,
        "mode": dataset.mode,
        "reason": entry.get("reason"),
        "increment_key": increment_key,
        "published_ids_key": ids_key,
        "watermark_before": entry.get("watermark_before"),
        "watermark_after": entry.get("watermark_after"),
        "expected_run_id": entry.get("expected_run_id") or "",
        "window_start": entry.get("window_start"),
        "ignored_modified_after": bool(entry.get("ignored_modified_after", False)),
        # The silver workflow advances the load state of incremental datasets only, and records the
        # fetch's start as an InitialLoad's last full load.
        "incremental": bool(entry.get("incremental", False)),
        "fetch_started_at": entry.get("fetch_started_at"),
    }


def failure_reason(error: Exception) -> str:
    if isinstance(error, MalformedJson):
        return f"malformed raw JSON: {error}"
    return f"{type(error).__name__}: {error}"


# --------------------------------------------------------------------------- handler


def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    setup_logging()
    names = parameter_names("bronze")
    session = boto3.Session()
    ssm, s3 = session.client("ssm"), session.client("s3")  # SNS only when a failure is published
    try:
        topic_arn = get_parameter(ssm, names.sns_topic)
    except MissingParameterError as error:  # nowhere to alert: fail the step, the state machine alerts
        raise PipelineStepFailed(FUNCTION_NAME, [Failure(error.name, str(error))]) from None

    results: list[dict[str, Any]] = []
    loads: list[dict[str, Any]] = []
    failures: list[Failure] = []
    bronze_bucket = ""
    database = glue_database_name()
    try:
        run_id, entries = run_input(event)
        buckets = Buckets(
            raw=get_parameter(ssm, names.raw_bucket), bronze=get_parameter(ssm, names.bronze_bucket)
        )
        bronze_bucket = buckets.bronze
        if not entries:
            failures.append(Failure(ENDPOINTS_INPUT, "empty: the raw step reported no objects to convert"))
        workers = default_workers()
        seen: dict[str, str] = {}
        for position, entry in enumerate(entries):
            try:
                dataset = raw_dataset(entry, position, run_id)
            except EventError as error:
                failures.append(Failure(error.input, str(error)))
                continue
            source = f"s3://{buckets.raw}/{dataset.source_key}"
            if dataset.name in seen:
                failures.append(
                    Failure(source, f"table name {dataset.name!r} is already used by {seen[dataset.name]}")
                )
                continue
            seen[dataset.name] = source
            try:
                summary, load = load_dataset(session, s3, buckets, database, run_id, dataset, workers=workers)
            except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the others
                failure = Failure(source, failure_reason(error))
                logger.error("dataset failed", extra={"dataset": dataset.name, "reason": failure.reason})
                failures.append(failure)
                continue
            results.append(summary)
            loads.append(load)
    except EventError as error:
        failures.append(Failure(error.input, str(error)))
    except MissingParameterError as error:
        failures.append(Failure(error.name, str(error)))

    if failures:
        publish_failures(session.client("sns"), topic_arn, FUNCTION_NAME, failures, succeeded=len(results))
        raise PipelineStepFailed(FUNCTION_NAME, failures)
    return {
        "function": FUNCTION_NAME,
        "bucket": bronze_bucket,
        "database": database,
        "objects": results,
        "rows": sum(result["rows"] for result in results),
        "loads": loads,
    }
