"""What the Glue jobs share: arguments, Spark's paths in local runs, the Glue catalog switch and
the S3 clean-up of an atomic publish (``jobs/README.md`` "Publishing"), HTML as text.

A plain Python module with no Spark work of its own (driver-side helpers only): the silver jobs
(``wordpress_bronze_to_silver.py``, ``landing_bronze_to_silver.py``) and the gold job
(``wordpress_silver_to_gold.py``) import it. On AWS Glue it is uploaded beside the scripts and given to
each job with
``--extra-py-files s3://<artifacts>/jobs/lakehouse_publish.py`` (Glue puts it on ``sys.path``); run from
a checkout the scripts find it next to themselves.

A publish: write the table to a new run folder (``<prefix><marker><run_id>/``; ``-attemptN`` when that
folder is the live one, as when a failed execution is retried: live data is never rewritten), switch
the Glue table there with one ``UpdateTable`` (``CreateTable`` the first time), then delete the
table's other run folders except the one just replaced (:func:`remove_superseded`).
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("lakehouse_publish")

SPARK_ARTIFACTS = re.compile(r"^(\..*\.crc|_SUCCESS|_committed_.*|_started_.*)$")
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class JobError(RuntimeError):
    """An error that fails the job run (the message names the dataset or input)."""


# --------------------------------------------------------------------------- text

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def html_to_text(value: str | None) -> str | None:
    """HTML as plain text: tags removed, entities decoded, white space (``&nbsp;`` too) collapsed. The
    WordPress silver job's ``excerpt`` and the gold job's word counts."""
    if value is None:
        return None
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


# --------------------------------------------------------------------------- arguments


def resolved_options(
    argv: Sequence[str], required: Sequence[str], optional: Sequence[str], prog: str, description: str
) -> dict[str, str]:
    """``--name value`` pairs: Glue's ``getResolvedOptions`` when importable, else argparse (arguments
    Glue adds, such as ``--TempDir``, are ignored)."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        getResolvedOptions = None  # noqa: N806 - Glue's name
    if getResolvedOptions is not None:
        present = [name for name in optional if f"--{name}" in argv]
        return dict(getResolvedOptions(["job", *argv], [*required, *present]))
    parser = argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False)
    for name in required:
        parser.add_argument(f"--{name}", required=True)
    for name in optional:
        parser.add_argument(f"--{name}")
    known, _ = parser.parse_known_args(list(argv))
    return {name: value for name, value in vars(known).items() if value is not None}


# --------------------------------------------------------------------------- local runs


def spark_path(uri: str, local_s3_root: str | None) -> str:
    """``uri`` for Spark's own I/O: as is on Glue, ``file://<root>/<bucket>/<key>`` locally."""
    if not local_s3_root:
        return uri
    return "file://" + os.path.join(os.path.abspath(local_s3_root), uri.removeprefix("s3://"))


@dataclass(frozen=True)
class RunPaths:
    """Where a job's run writes in its bucket: each table's run folders under ``<source>/<table>/``,
    a quarantined table under ``quarantine/<source>/<table>/<run_id>/``, the run's ``result.json``
    under ``_runs/<source>/<run_id>/``; ``spark()`` maps an ``s3://`` URI for Spark's own I/O. Used
    by the gold job (gold bucket) and the landing silver job (silver bucket)."""

    args: Any  # the job's arguments: run_id, local_s3_root
    source: str
    bucket: str

    def table_prefix(self, name: str) -> str:
        return f"{self.source}/{name}/"

    def quarantine_key(self, name: str) -> str:
        return f"quarantine/{self.source}/{name}/{self.args.run_id}/"

    def result_key(self) -> str:
        return f"_runs/{self.source}/{self.args.run_id}/result.json"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def spark(self, uri: str) -> str:
        return spark_path(uri, self.args.local_s3_root)


@dataclass(frozen=True)
class Written:
    """A passing table written to its new run folder, its Glue table not switched yet."""

    previous: str | None  # the Glue table's location before this run (None: no table yet)
    previous_folder: str | None
    folder: str
    location: str


def next_run_location(glue: Any, paths: RunPaths, database: str, name: str, run_marker: str) -> Written:
    """Where table ``name`` of this run is written: a new run folder (``<run_marker><run_id>``, or an
    ``-attemptN`` when that folder is the live one) under the table's prefix, and what is live."""
    previous = current_location(glue, database, name)
    previous_folder = folder_of(previous, paths.uri(paths.table_prefix(name)))
    folder = new_run_folder(run_marker, paths.args.run_id, previous_folder)
    return Written(previous, previous_folder, folder, paths.uri(f"{paths.table_prefix(name)}{folder}/"))


def switch_to_run(
    glue: Any,
    s3: Any,
    paths: RunPaths,
    database: str,
    definition: dict[str, Any],
    written: Written,
    run_marker: str,
) -> dict[str, Any]:
    """Switch a written table's Glue table (``definition``) to its new run folder with one UpdateTable
    (CreateTable the first time), then remove the superseded run folders but the one just replaced;
    returns the outcome's location, previous location, removed folders and clean-up errors."""
    switch_table(glue, database, definition, exists=written.previous is not None)
    keep = {written.folder} | ({written.previous_folder} if written.previous_folder else set())
    removed, cleanup_errors = remove_superseded(
        s3, paths.bucket, paths.table_prefix(definition["Name"]), keep, paths.args.local_s3_root, run_marker
    )
    return {
        "location": written.location,
        "previous_location": written.previous,
        "removed_run_folders": removed,
        "cleanup_errors": cleanup_errors,
    }


@dataclass
class FailedRule:
    """A quality rule a table failed: its name, how many rows or ids, and one line saying what."""

    rule: str
    count: int
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "count": self.count, "detail": self.detail}


def local_path(uri: str, local_s3_root: str | None) -> str | None:
    """The local directory or file of ``uri`` in a local run, else None."""
    if not local_s3_root:
        return None
    return os.path.join(os.path.abspath(local_s3_root), uri.removeprefix("s3://"))


# --------------------------------------------------------------------------- Glue catalog


def hive_type(data_type: Any) -> str:
    """Spark type -> Glue/Athena column type."""
    from pyspark.sql.types import ArrayType, StructType, TimestampNTZType, TimestampType

    if isinstance(data_type, TimestampNTZType | TimestampType):
        return "timestamp"
    if isinstance(data_type, ArrayType):
        return f"array<{hive_type(data_type.elementType)}>"
    if isinstance(data_type, StructType):
        inner = ",".join(f"{f.name}:{hive_type(f.dataType)}" for f in data_type.fields)
        return f"struct<{inner}>"
    if data_type.simpleString() == "void":
        return "string"
    return data_type.simpleString()


def parquet_storage(columns: list[dict[str, str]], location: str) -> dict[str, Any]:
    """A Glue ``StorageDescriptor`` of Parquet files at ``location``."""
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": PARQUET_INPUT_FORMAT,
        "OutputFormat": PARQUET_OUTPUT_FORMAT,
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
        "Compressed": True,
    }


def published_table(glue: Any, database: str, name: str) -> dict[str, Any] | None:
    """The Glue table of ``database.name`` with a location, or None when there is none yet."""
    try:
        table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return None
    return table if table.get("StorageDescriptor", {}).get("Location") else None


def current_location(glue: Any, database: str, name: str) -> str | None:
    """The published location of ``database.name``, or None when the table does not exist yet."""
    try:
        table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return None
    return table.get("StorageDescriptor", {}).get("Location")


def switch_table(glue: Any, database: str, definition: dict[str, Any], exists: bool) -> None:
    """Create the table, or point it at the new run in one UpdateTable (atomic for readers)."""
    if exists:
        glue.update_table(DatabaseName=database, TableInput=definition)
    else:
        glue.create_table(DatabaseName=database, TableInput=definition)


# --------------------------------------------------------------------------- S3


def list_objects(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects.extend(page.get("Contents", []))
    return objects


def run_folders(s3: Any, bucket: str, prefix: str, marker: str = "run_id=") -> list[str]:
    """The run folder names (``<marker>...``) directly under ``prefix``."""
    folders = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            folder = common["Prefix"][len(prefix) :].rstrip("/")
            if folder.startswith(marker):
                folders.append(folder)
    return folders


def delete_prefix(s3: Any, bucket: str, prefix: str) -> list[dict[str, str]]:
    """Delete every object under ``prefix``; returns those S3 could not delete (``key``, ``code``,
    ``message``), each logged at ERROR. DeleteObjects answers 200 even when objects fail: the failures
    are in its ``Errors``."""
    keys = [item["Key"] for item in list_objects(s3, bucket, prefix)]
    failed: list[dict[str, str]] = []
    for start in range(0, len(keys), 1000):
        response = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
        )
        for error in response.get("Errors", []):
            failure = {
                "key": str(error.get("Key")),
                "code": str(error.get("Code")),
                "message": str(error.get("Message")),
            }
            logger.error(
                "clean-up: could not delete s3://%s/%s: %s: %s",
                bucket,
                failure["key"],
                failure["code"],
                failure["message"],
            )
            failed.append(failure)
    return failed


def put_json(s3: Any, bucket: str, key: str, document: dict[str, Any]) -> None:
    body = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def written_files(s3: Any, uri: str, local_s3_root: str | None) -> list[tuple[str, int]]:
    """(relative path, bytes) of the data files under ``uri``; Spark's marker files are removed first
    in local mode (S3 never gets .crc files; ``_SUCCESS`` is ignored by Athena either way)."""
    local = local_path(uri, local_s3_root)
    if local is not None:
        files = []
        for directory, _, names in os.walk(local):
            for file_name in names:
                full = os.path.join(directory, file_name)
                if SPARK_ARTIFACTS.match(file_name):
                    os.remove(full)
                else:
                    files.append((os.path.relpath(full, local), os.path.getsize(full)))
        return files
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return [
        (item["Key"][len(prefix) :], item["Size"])
        for item in list_objects(s3, bucket, prefix)
        if not SPARK_ARTIFACTS.match(item["Key"].rsplit("/", 1)[-1])
    ]


# --------------------------------------------------------------------------- run folders


def folder_of(location: str | None, prefix_uri: str) -> str | None:
    """The run folder of a table ``location`` under ``prefix_uri`` (None: elsewhere, or no table)."""
    if not location or not location.startswith(prefix_uri):
        return None
    return location[len(prefix_uri) :].strip("/").split("/")[0] or None


def new_run_folder(marker: str, run_id: str, live_folder: str | None) -> str:
    """``<marker><run_id>``, or ``...-attemptN`` when that is the live folder (a retried run that
    already published): live data is never rewritten."""
    folder, attempt = f"{marker}{run_id}", 1
    while folder == live_folder:
        attempt += 1
        folder = f"{marker}{run_id}-attempt{attempt}"
    return folder


def remove_superseded(
    s3: Any, bucket: str, prefix: str, keep: set[str], local_s3_root: str | None, marker: str = "run_id="
) -> tuple[list[str], list[dict[str, str]]]:
    """Delete the run folders (``<marker>...``) under ``prefix`` other than ``keep`` (the new and the
    previous location), in S3 and, in local mode, in the local mirror. Returns the folders removed and
    the objects S3 could not delete: their folders stay (in the mirror too) and the table's next publish
    tries again."""
    removed, failed, kept = [], [], set(keep)
    for folder in run_folders(s3, bucket, prefix, marker):
        if folder in keep:
            continue
        errors = delete_prefix(s3, bucket, f"{prefix}{folder}/")
        if errors:
            failed.extend(errors)
            kept.add(folder)
        else:
            removed.append(folder)
    local = local_path(f"s3://{bucket}/{prefix}", local_s3_root)
    if local is not None and os.path.isdir(local):
        for folder in os.listdir(local):
            if folder.startswith(marker) and folder not in kept:
                shutil.rmtree(os.path.join(local, folder))
                if folder not in removed:
                    removed.append(folder)
    return sorted(removed), failed


# --------------------------------------------------------------------------- Spark session


def glue_context(spark: Any) -> Any | None:
    """A GlueContext when Glue's classes exist (on AWS Glue), else None (plain PySpark)."""
    try:
        from awsglue.context import GlueContext
    except ImportError:
        return None
    try:
        return GlueContext(spark.sparkContext)
    except Exception:  # awsglue from PyPI without Glue's Java classes (plain PySpark)
        logger.info("awsglue is importable but Glue's Java classes are missing: running as plain PySpark")
        return None


def configure(spark: Any) -> None:
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "static")


def run_job(
    default_name: str,
    argv: Sequence[str] | None,
    parse_arguments: Any,
    run: Any,
    cleanup_failed: list[str] | Any,
    result_uri: Any,
    job_logger: logging.Logger,
    s3: Any = None,
    glue: Any = None,
) -> dict[str, Any]:
    """A job's entry point (silver or gold), on Glue and locally: its arguments, the Spark session (and Glue's
    Job, bookmarks committed, when Glue's classes exist), boto3 clients when none are given, then
    ``run(spark, args, s3, glue)``; logs what was published and any superseded folder left behind.
    ``cleanup_failed(result)`` names the datasets whose clean-up failed, ``result_uri(args)`` where
    the run's result.json is."""
    import sys

    from pyspark.sql import SparkSession

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = parse_arguments(list(sys.argv[1:] if argv is None else argv))
    spark = SparkSession.builder.appName(args.job_name or default_name).getOrCreate()
    context = glue_context(spark)
    job = None
    if context is not None and args.job_name:
        from awsglue.job import Job

        job = Job(context)
        job.init(args.job_name, {"JOB_NAME": args.job_name})
    if s3 is None or glue is None:
        import boto3

        s3 = s3 or boto3.client("s3")
        glue = glue or boto3.client("glue")
    result = run(spark, args, s3, glue)
    if job is not None:
        job.commit()
    job_logger.info(
        "run %s: published %s, quarantined %s", args.run_id, result["published"], result["quarantined"]
    )
    failed = cleanup_failed(result)
    if failed:
        job_logger.error(
            "run %s: clean-up FAILED for %s: superseded run folders could not be deleted (the tables are "
            "published; cleanup_errors in %s lists each object; the next publish tries again)",
            args.run_id,
            failed,
            result_uri(args),
        )
    return result
