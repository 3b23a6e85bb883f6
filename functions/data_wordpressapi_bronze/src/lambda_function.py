"""data_wordpressapi_bronze: raw WordPress JSON objects -> bronze Parquet files + Glue tables.

Lists ``s3://<raw bucket>/wordpress_api/`` for ``.json`` objects and converts each into
``s3://<bronze bucket>/wordpress_api/<name>/<name>.parquet``: one row per record, nested objects
flattened to ``a_b`` columns, lists and type-varying values as JSON strings, plus
``_ingested_at`` (UTC) and ``_source_key``; an empty collection (``[]``) that WordPress documents
(posts, pages, categories, tags, users) gets its known columns (:mod:`wordpress_schema`), any other
empty endpoint the lineage columns alone. Each Parquet file is written completely to local
storage first and uploaded once (AWS SDK for pandas), then its table is created or updated in
the bronze Glue database so Athena can query it. A failed object never replaces its previous
Parquet file; after all objects, failures are published in one SNS message and the handler
raises :class:`PipelineStepFailed`.

Environment: RAW_BUCKET_PARAMETER, BRONZE_BUCKET_PARAMETER, SNS_TOPIC_PARAMETER (parameter
names, seed defaults), GLUE_DATABASE_NAME (default data_lakehouse_bronze), BRONZE_WORKERS
(processes per large file; default: the CPUs available, at most 4, on Lambda at most one per
1,769 MB of memory).
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import UTC, datetime
from typing import Any

import awswrangler as wr
import boto3
from bronze_parquet import MalformedJson, default_workers, prepared_workers, write_parquet
from lakehouse_common import (
    DATA_SOURCE,
    Failure,
    MissingParameterError,
    PipelineStepFailed,
    get_parameter,
    glue_database_name,
    list_keys,
    object_key,
    object_name,
    parameter_names,
    publish_failures,
    setup_logging,
)
from wordpress_schema import add_known_columns

FUNCTION_NAME = "data_wordpressapi_bronze"

logger = logging.getLogger(FUNCTION_NAME)


def raw_object_name(key: str) -> str:
    """``wordpress_api/posts/posts.json`` -> ``posts`` (the file's stem, normalised like raw names)."""
    stem = key.rsplit("/", 1)[-1].removesuffix(".json")
    return object_name(stem)


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


def convert_object(
    session: boto3.Session,
    s3: Any,
    raw_bucket: str,
    bronze_bucket: str,
    database: str,
    key: str,
    *,
    workers: int,
) -> dict[str, Any]:
    """One raw object -> its Parquet file and Glue table; nothing is written unless conversion succeeded."""
    name = raw_object_name(key)
    bronze_key = object_key(name, "parquet")
    raw_size = s3.head_object(Bucket=raw_bucket, Key=key)["ContentLength"]
    # A large object's worker processes start now, so their start-up overlaps the download.
    with (
        tempfile.TemporaryDirectory(prefix=f"bronze-{name}-") as workdir,
        prepared_workers(raw_size, workers) as pool,
    ):
        raw_path = os.path.join(workdir, f"{name}.json")
        parquet_path = os.path.join(workdir, f"{name}.parquet")
        s3.download_file(raw_bucket, key, raw_path)
        result = write_parquet(
            raw_path, parquet_path, source_key=key, ingested_at=datetime.now(UTC), workers=workers, pool=pool
        )
        columns = result.columns
        if result.rows == 0:  # an empty endpoint: the columns WordPress sends for it, when known
            columns = add_known_columns(parquet_path, name, columns)
        size = os.path.getsize(parquet_path)
        wr.s3.upload(
            local_file=parquet_path, path=f"s3://{bronze_bucket}/{bronze_key}", boto3_session=session
        )
    location = f"s3://{bronze_bucket}/{DATA_SOURCE}/{name}/"
    register_table(session, database, name, location, columns, f"s3://{raw_bucket}/{key}")
    summary = {
        "source_key": key,
        "key": bronze_key,
        "table": f"{database}.{name}",
        "rows": result.rows,
        "columns": len(columns),
        "bytes": size,
    }
    logger.info("object converted", extra={**summary, "passes": result.passes})
    return summary


def failure_reason(error: Exception) -> str:
    if isinstance(error, MalformedJson):
        return f"malformed raw JSON: {error}"
    return f"{type(error).__name__}: {error}"


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
    failures: list[Failure] = []
    bronze_bucket = ""
    database = glue_database_name()
    try:
        raw_bucket = get_parameter(ssm, names.raw_bucket)
        bronze_bucket = get_parameter(ssm, names.bronze_bucket)
        prefix = f"{DATA_SOURCE}/"
        keys = list(list_keys(s3, raw_bucket, prefix, suffix=".json"))
        if not keys:
            failures.append(Failure(f"s3://{raw_bucket}/{prefix}", "no .json objects to convert"))
        workers = default_workers()
        seen: dict[str, str] = {}
        for key in keys:
            name = raw_object_name(key)
            if name in seen:
                failures.append(
                    Failure(
                        f"s3://{raw_bucket}/{key}", f"table name {name!r} is already used by {seen[name]}"
                    )
                )
                continue
            seen[name] = key
            try:
                results.append(
                    convert_object(session, s3, raw_bucket, bronze_bucket, database, key, workers=workers)
                )
            except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the others
                failure = Failure(f"s3://{raw_bucket}/{key}", failure_reason(error))
                logger.error("object failed", extra={"source_key": key, "reason": failure.reason})
                failures.append(failure)
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
    }
