"""Landing bronze -> silver: one deduplicated, typed silver table per landing dataset, published only
when it passes its quality rules. An AWS Glue 5.0 job (Spark 3.5, Python 3.11) that also runs under
plain PySpark, with the conventions of ``wordpress_bronze_to_silver.py`` (``jobs/README.md``).

Arguments (Glue style ``--name value``; Glue's ``getResolvedOptions`` when ``awsglue`` is importable,
a plain parser otherwise; arguments Glue adds, such as ``--TempDir``, are ignored): ``--datasets``
(a JSON list of dataset names; a comma list works too), ``--run_id``, ``--bronze_bucket``,
``--bronze_database``, ``--silver_bucket``, ``--silver_database``, ``--JOB_NAME`` (Glue) and, locally
only, ``--local_s3_root`` (Spark reads and writes ``s3://<bucket>/<key>`` as
``file://<root>/<bucket>/<key>``; catalog locations stay ``s3://``). A bad argument is a JobError
naming it.

Per dataset: the bronze Glue table ``<bronze_database>.<dataset>`` (``Parameters``: ``source`` must be
``landing``; ``primary_key`` and ``partitioned_by`` comma lists) names the location, the columns and
their types. Its Parquet files (one per landing file name) are read with their schemas merged by name
(files written before a column was added lack it: null) and cast to the table's types. With a primary
key, the latest ``_arrived_at`` wins per key (then the greatest ``_source_key``); without one every
bronze row is a silver row. Silver columns: the bronze columns without ``_source_etag``.

Quality rules (``failed_rules[].rule``): ``key_not_null``, ``key_unique_in_file`` (two rows of one
landing file with one key: which one is meant cannot be told), ``row_count_matches_bronze`` (silver
rows = bronze's distinct keys; bronze rows without a key), ``not_empty`` and, for a partitioned table,
``partition_values`` (every row has a partition value a folder name and Athena's enum projection can
carry). A passing table is written to ``s3://<silver>/landing/<dataset>/run=<run_id>/`` (partitioned
by ``partitioned_by``), then its silver Glue table is switched there by one UpdateTable (CreateTable
the first time; partitions by projection) and superseded run folders are removed. A failing table goes
to ``quarantine/landing/<dataset>/<run_id>/`` with ``report.json``; its silver table is not touched; the
other datasets publish. The outcome is written to ``_runs/landing/<run_id>/result.json``. The job
fails only on errors (bad arguments, a missing or foreign bronze table, unreadable bronze files, AWS
errors): every input is opened and every passing table written before any Glue table is switched, so
a failed run publishes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 - Spark's convention

try:
    import lakehouse_publish as lake
except ModuleNotFoundError as missing:  # run from a checkout: the module sits next to the script
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import lakehouse_publish as lake
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "lakehouse_publish not found: give the job --extra-py-files s3://<artifacts>/jobs/lakehouse_publish.py"
        ) from missing

logger = logging.getLogger("landing_bronze_to_silver")

JobError = lake.JobError
SOURCE = "landing"  # the bronze table's Parameters.source, and the silver/quarantine/_runs prefix
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # landing_files.DATASET_NAME
RUN_MARKER = "run="  # silver run folders: landing/<dataset>/run=<run_id>/
SOURCE_KEY, SOURCE_ETAG, ARRIVED_AT = "_source_key", "_source_etag", "_arrived_at"
# The lineage columns every bronze file has (read even when the Glue table does not list them).
LINEAGE_COLUMNS = (
    (SOURCE_KEY, "string"),
    (SOURCE_ETAG, "string"),
    (ARRIVED_AT, "timestamp"),
    ("_ingested_at", "timestamp"),
)
DROPPED_COLUMNS = (SOURCE_ETAG,)  # bronze columns silver does not keep
EXAMPLES = 10  # offending keys named in a failed rule
MAX_PARTITION_VALUES = 1000  # per partition column: Athena's enum projection lists them in the table
# Characters Spark escapes in a partition folder name (ExternalCatalogUtils), and the enum separator.
UNSAFE_PARTITION_VALUE = r'[\x00-\x1f\x7f"#%\'*/:=?\\{}\[\]^,]'
SPARK_TYPES = {"string", "bigint", "double", "boolean", "date", "timestamp", "int", "float"}

REQUIRED_ARGUMENTS = (
    "datasets",
    "run_id",
    "bronze_bucket",
    "bronze_database",
    "silver_bucket",
    "silver_database",
)
OPTIONAL_ARGUMENTS = ("local_s3_root", "JOB_NAME")


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class Arguments:
    datasets: tuple[str, ...]
    run_id: str
    bronze_bucket: str
    bronze_database: str
    silver_bucket: str
    silver_database: str
    local_s3_root: str | None = None
    job_name: str | None = None


def parse_datasets(raw: str) -> tuple[str, ...]:
    """``--datasets``: a JSON list of dataset names (or a comma list), each a landing dataset name."""
    raw = raw.strip()
    if raw.startswith(("[", "{", '"')):
        try:
            names = json.loads(raw)
        except json.JSONDecodeError as error:
            raise JobError(f"--datasets: {raw[:200]!r} is not a JSON list: {error}") from error
        if not isinstance(names, list):
            raise JobError(f"--datasets: {raw[:200]!r} is not a JSON list of names")
    else:
        names = raw.split(",")
    datasets = []
    for name in names:
        if not isinstance(name, str):
            raise JobError(f"--datasets: {name!r} is not a dataset name (a string)")
        name = name.strip()
        if not DATASET_NAME.match(name):
            raise JobError(
                f"--datasets: {name!r} is not a dataset name (a lower-case letter, then up to 63 "
                "lower-case letters, digits, _)"
            )
        if name not in datasets:
            datasets.append(name)
    if not datasets:
        raise JobError("--datasets names no dataset")
    return tuple(datasets)


def parse_arguments(argv: Sequence[str]) -> Arguments:
    options = lake.resolved_options(
        argv, REQUIRED_ARGUMENTS, OPTIONAL_ARGUMENTS, "landing_bronze_to_silver", __doc__.split("\n")[0]
    )
    if not lake.RUN_ID_PATTERN.match(options["run_id"]):
        raise JobError(f"--run_id: {options['run_id']!r} must be letters, digits, '_', '.', '-' (max 128)")
    for name in ("bronze_bucket", "bronze_database", "silver_bucket", "silver_database"):
        if not options[name].strip():
            raise JobError(f"--{name} is empty")
    return Arguments(
        datasets=parse_datasets(options["datasets"]),
        run_id=options["run_id"],
        bronze_bucket=options["bronze_bucket"],
        bronze_database=options["bronze_database"],
        silver_bucket=options["silver_bucket"],
        silver_database=options["silver_database"],
        local_s3_root=options.get("local_s3_root") or None,
        job_name=options.get("JOB_NAME"),
    )


# --------------------------------------------------------------------------- paths


def run_paths(args: Arguments) -> lake.RunPaths:
    """Where this run writes: the silver bucket under ``{SOURCE}/``."""
    return lake.RunPaths(args, SOURCE, args.silver_bucket)


# --------------------------------------------------------------------------- bronze


@dataclass(frozen=True)
class BronzeTable:
    """What the bronze Glue table says about a landing dataset."""

    name: str
    location: str
    columns: tuple[tuple[str, str], ...]  # (name, Athena type), in the table's order
    primary_key: tuple[str, ...]
    partitioned_by: tuple[str, ...]


def _comma_list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def bronze_table(glue: Any, database: str, name: str) -> BronzeTable:
    """The bronze table of a landing dataset; a missing table, one of another source, or a key or
    partition column it does not have is a JobError naming the dataset."""
    try:
        table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        raise JobError(f"dataset {name}: no bronze table {database}.{name}") from None
    parameters = table.get("Parameters", {})
    if parameters.get("source") != SOURCE:
        raise JobError(
            f"dataset {name}: the bronze table {database}.{name} is not a landing table "
            f"(Parameters.source {parameters.get('source')!r})"
        )
    storage = table.get("StorageDescriptor", {})
    columns = tuple((column["Name"], column["Type"].lower()) for column in storage.get("Columns", []))
    known = {column for column, _ in columns}
    columns += tuple(lineage for lineage in LINEAGE_COLUMNS if lineage[0] not in known)
    unknown_types = [f"{column} {kind}" for column, kind in columns if kind not in SPARK_TYPES]
    if unknown_types:
        raise JobError(f"dataset {name}: bronze columns of unsupported types: {unknown_types}")
    primary_key = _comma_list(parameters.get("primary_key"))
    partitioned_by = _comma_list(parameters.get("partitioned_by"))
    for listed, names in (("primary_key", primary_key), ("partitioned_by", partitioned_by)):
        missing = [column for column in names if column not in known]
        if missing:
            raise JobError(f"dataset {name}: the bronze table's {listed} names columns it lacks: {missing}")
    location = storage.get("Location") or ""
    if not location.startswith("s3://"):
        raise JobError(f"dataset {name}: the bronze table has no s3:// location ({location!r})")
    return BronzeTable(name, location.rstrip("/") + "/", columns, primary_key, partitioned_by)


def read_bronze(spark: SparkSession, paths: lake.RunPaths, s3: Any, table: BronzeTable) -> DataFrame:
    """The bronze rows of ``table``: its Parquet files with their schemas merged by name, cast to the
    table's column types (a column a file lacks is null). No file: no rows, the table's columns."""
    typed = [F.col(f"`{column}`").cast(kind).alias(column) for column, kind in table.columns]
    files = [
        path
        for path, _ in lake.written_files(s3, table.location, paths.args.local_s3_root)
        if path.endswith(".parquet")
    ]
    if not files:
        logger.warning("dataset %s: no bronze file under %s", table.name, table.location)
        schema = ", ".join(f"`{column}` {kind}" for column, kind in table.columns)
        return spark.createDataFrame([], schema)
    try:
        frame = spark.read.option("mergeSchema", "true").parquet(paths.spark(table.location))
    except Exception as error:  # Spark's AnalysisException or a schema merge conflict
        raise JobError(
            f"dataset {table.name}: cannot read bronze files at {table.location}: {error}"
        ) from error
    present = set(frame.columns)
    extra = sorted(present - {column for column, _ in table.columns})
    if extra:
        logger.warning(
            "dataset %s: bronze columns missing from the Glue table ignored: %s", table.name, extra
        )
    return frame.select(
        *[
            cast if column in present else F.lit(None).cast(kind).alias(column)
            for cast, (column, kind) in zip(typed, table.columns, strict=True)
        ]
    )


# --------------------------------------------------------------------------- silver rows and rules


@dataclass
class FailedRule:
    rule: str
    count: int
    detail: str
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "count": self.count, "detail": self.detail, "examples": self.examples}


@dataclass
class Candidate:
    """One dataset of the run: its silver rows and what the gate found."""

    table: BronzeTable
    silver: DataFrame
    bronze_rows: int = 0
    bronze_keys: int | None = None  # distinct non-null keys (None: no primary key)
    silver_rows: int = 0
    partition_values: dict[str, list[str]] = field(default_factory=dict)
    failed_rules: list[FailedRule] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def passed(self) -> bool:
        return not self.failed_rules

    @property
    def duplicates_removed(self) -> int:
        return max(0, self.bronze_rows - self.silver_rows)

    def reason(self) -> str | None:
        """One line naming every failed rule (the audit item's reason)."""
        return "; ".join(f"{r.rule}: {r.detail}" for r in self.failed_rules) or None


def _key_present(key: Sequence[str]) -> Column:
    present = F.lit(True)
    for column in key:
        present = present & F.col(f"`{column}`").isNotNull()
    return present


def _key_text(row: Any, key: Sequence[str]) -> str:
    return ", ".join(f"{column}={row[column]}" for column in key)


def deduplicate(bronze: DataFrame, key: Sequence[str]) -> DataFrame:
    """One row per key: the latest ``_arrived_at`` wins, then the greatest ``_source_key``. Rows without
    a complete key stay as they are (``key_not_null`` fails them). Without a key: every row."""
    if not key:
        return bronze
    order = Window.partitionBy(*[F.col(f"`{c}`") for c in key]).orderBy(
        F.col(ARRIVED_AT).desc_nulls_last(), F.col(SOURCE_KEY).desc_nulls_last()
    )
    keyed = bronze.where(_key_present(key))
    latest = keyed.withColumn("_rank", F.row_number().over(order)).where(F.col("_rank") == 1).drop("_rank")
    return latest.unionByName(bronze.where(~_key_present(key)))


def to_silver(bronze: DataFrame, table: BronzeTable) -> DataFrame:
    """Silver rows: deduplicated, the bronze columns without ``_source_etag``, partition columns last."""
    rows = deduplicate(bronze, table.primary_key)
    kept = [c for c, _ in table.columns if c not in DROPPED_COLUMNS and c not in table.partitioned_by]
    return rows.select(*[F.col(f"`{c}`") for c in (*kept, *table.partitioned_by)])


def key_rules(candidate: Candidate, bronze: DataFrame) -> list[FailedRule]:
    """``key_not_null``, ``key_unique_in_file``, ``row_count_matches_bronze``, ``not_empty``: one
    aggregation over bronze and one over silver (more only to name examples when a rule fails)."""
    key, failures = candidate.table.primary_key, []
    zero = F.lit(0)
    stats = bronze.agg(
        F.count(F.lit(1)).alias("rows"),
        (F.count(F.when(~_key_present(key), 1)) if key else zero).alias("null_keys"),
        (F.countDistinct(*[F.col(f"`{c}`") for c in key]) if key else zero).alias("keys"),
    ).collect()[0]
    candidate.bronze_rows = stats["rows"]
    candidate.bronze_keys = stats["keys"] if key else None
    candidate.silver_rows = candidate.silver.count()
    if stats["null_keys"]:
        by_file = (
            bronze.where(~_key_present(key))
            .groupBy(SOURCE_KEY)
            .count()
            .orderBy(F.col("count").desc(), SOURCE_KEY)
            .limit(EXAMPLES)
            .collect()
        )
        failures.append(
            FailedRule(
                "key_not_null",
                stats["null_keys"],
                f"{stats['null_keys']} rows have no {'/'.join(key)}: "
                + ", ".join(f"{row['count']} in {row[SOURCE_KEY]}" for row in by_file),
                [{"file": row[SOURCE_KEY], "rows": row["count"]} for row in by_file],
            )
        )
    if key:
        ambiguous = (
            bronze.where(_key_present(key))
            .groupBy(SOURCE_KEY, *[F.col(f"`{c}`") for c in key])
            .count()
            .where(F.col("count") > 1)
            .cache()
        )
        count = ambiguous.count()
        if count:
            some = ambiguous.orderBy(SOURCE_KEY, *[F.col(f"`{c}`") for c in key]).limit(EXAMPLES).collect()
            examples = [
                {"file": row[SOURCE_KEY], "key": {c: row[c] for c in key}, "rows": row["count"]}
                for row in some
            ]
            failures.append(
                FailedRule(
                    "key_unique_in_file",
                    count,
                    f"{count} keys appear on more than one row of one file (which row is meant cannot be "
                    "told): "
                    + ", ".join(
                        f"{_key_text(row, key)} {row['count']} times in {row[SOURCE_KEY]}" for row in some
                    )
                    + (", ..." if count > len(some) else ""),
                    examples,
                )
            )
        ambiguous.unpersist()
    expected = stats["keys"] if key else stats["rows"]
    label = f"bronze distinct {'/'.join(key)}" if key else "bronze rows"
    if candidate.silver_rows != expected:
        failures.append(
            FailedRule(
                "row_count_matches_bronze",
                abs(candidate.silver_rows - expected),
                f"silver has {candidate.silver_rows} rows, {label} {expected}",
            )
        )
    if candidate.silver_rows == 0:
        failures.append(FailedRule("not_empty", 0, f"no row: {stats['rows']} bronze rows"))
    return failures


def partition_rules(candidate: Candidate) -> list[FailedRule]:
    """A partitioned table: every row has a value of each partition column that is a plain folder name
    (nothing Spark escapes, no comma) and a column has at most MAX_PARTITION_VALUES values (Athena's
    enum projection lists them in the table's parameters). Notes the values."""
    failures = []
    for column in candidate.table.partitioned_by:
        text = F.col(f"`{column}`").cast("string")
        stats = candidate.silver.agg(
            F.count(F.when(text.isNull() | (text == ""), 1)).alias("missing"),
            F.count(F.when(text.rlike(UNSAFE_PARTITION_VALUE), 1)).alias("unsafe"),
            F.countDistinct(text).alias("values"),
        ).collect()[0]
        problems = []
        if stats["missing"]:
            problems.append(f"{stats['missing']} rows have no {column}")
        if stats["unsafe"]:
            some = [
                row["value"]
                for row in candidate.silver.select(text.alias("value"))
                .where(F.col("value").rlike(UNSAFE_PARTITION_VALUE))
                .distinct()
                .orderBy("value")
                .limit(EXAMPLES)
                .collect()
            ]
            problems.append(
                f"{stats['unsafe']} rows have a {column} that cannot name a partition folder "
                f"(one of \" # % ' * / : = ? \\ {{ }} [ ] ^ , or a control character): {some}"
            )
        if stats["values"] > MAX_PARTITION_VALUES:
            problems.append(f"{column} has {stats['values']} values, more than {MAX_PARTITION_VALUES}")
        if problems:
            failures.append(
                FailedRule(
                    "partition_values",
                    stats["missing"] + stats["unsafe"],
                    f"{column}: " + "; ".join(problems),
                )
            )
        else:
            values = candidate.silver.select(text.alias("value")).distinct().orderBy("value").collect()
            candidate.partition_values[column] = [row["value"] for row in values]
    return failures


# --------------------------------------------------------------------------- publishing


def table_input(candidate: Candidate, location: str, run_id: str) -> dict[str, Any]:
    """The whole silver Glue table definition for one published run (one UpdateTable switches to it);
    partitions by Athena's enum projection of this run's values."""
    table = candidate.table
    types = dict(table.columns)
    parameters = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "parquet.compression": "SNAPPY",
        "lakehouse.run_id": run_id,
        "lakehouse.layer": "silver",
        "source": SOURCE,
        "primary_key": ",".join(table.primary_key),
        "partitioned_by": ",".join(table.partitioned_by),
    }
    if table.partitioned_by:
        parameters["projection.enabled"] = "true"
        template = location
        for column in table.partitioned_by:
            parameters[f"projection.{column}.type"] = "enum"
            parameters[f"projection.{column}.values"] = ",".join(candidate.partition_values[column])
            template += f"{column}=${{{column}}}/"
        parameters["storage.location.template"] = template
    data_columns = [
        {"Name": c, "Type": types[c]}
        for c, _ in table.columns
        if c not in DROPPED_COLUMNS and c not in table.partitioned_by
    ]
    return {
        "Name": table.name,
        "Description": f"Landing dataset {table.name}, silver (run {run_id}); rules: jobs/README.md",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": c, "Type": types[c]} for c in table.partitioned_by],
        "StorageDescriptor": lake.parquet_storage(data_columns, location),
    }


def write_table(candidate: Candidate, spark_path: str) -> None:
    """Parquet at ``spark_path`` (replaced): partitioned by ``partitioned_by``, or files of about a
    million rows."""
    frame, partitioned_by = candidate.silver, candidate.table.partitioned_by
    if partitioned_by:
        columns = [F.col(f"`{c}`") for c in partitioned_by]
        frame.repartition(*columns).write.mode("overwrite").partitionBy(*partitioned_by).parquet(spark_path)
    else:
        frame.coalesce(max(1, candidate.silver_rows // 1_000_000)).write.mode("overwrite").parquet(spark_path)


Written = lake.Written


def write_new_run(candidate: Candidate, paths: lake.RunPaths, glue: Any) -> Written:
    written = lake.next_run_location(glue, paths, paths.args.silver_database, candidate.name, RUN_MARKER)
    write_table(candidate, paths.spark(written.location))
    return written


def publish(
    candidate: Candidate, written: Written, paths: lake.RunPaths, s3: Any, glue: Any
) -> dict[str, Any]:
    """Switch a written table's Glue table to its new run folder, then remove superseded folders."""
    args = paths.args
    definition = table_input(candidate, written.location, args.run_id)
    outcome = lake.switch_to_run(glue, s3, paths, args.silver_database, definition, written, RUN_MARKER)
    logger.info(
        "published %s: %s rows at %s (removed %s)",
        candidate.name,
        candidate.silver_rows,
        written.location,
        outcome["removed_run_folders"],
    )
    return {"state": "SILVER", **outcome}


def quarantine(candidate: Candidate, paths: lake.RunPaths, s3: Any) -> dict[str, Any]:
    """Write a failing table's rows to the quarantine prefix with report.json; silver is untouched."""
    args, name = paths.args, candidate.name
    key = paths.quarantine_key(name)
    location = paths.uri(key)
    candidate.silver.coalesce(1).write.mode("overwrite").parquet(paths.spark(location))
    lake.written_files(s3, location, args.local_s3_root)  # Spark's marker files removed (local runs)
    report_key = f"{key}report.json"
    report = {
        "run_id": args.run_id,
        "dataset": name,
        "table": f"{args.silver_database}.{name}",
        "location": location,
        "primary_key": list(candidate.table.primary_key),
        "bronze_rows": candidate.bronze_rows,
        "bronze_distinct_keys": candidate.bronze_keys,
        "silver_rows": candidate.silver_rows,
        "failed_rules": [rule.as_dict() for rule in candidate.failed_rules],
        "created_at": datetime.now(UTC).isoformat(),
    }
    lake.put_json(s3, args.silver_bucket, report_key, report)
    logger.warning("quarantined %s: %s", name, [rule.rule for rule in candidate.failed_rules])
    return {"state": "QUARANTINED", "location": location, "report_key": report_key}


# --------------------------------------------------------------------------- the run


def run(spark: SparkSession, args: Arguments, s3: Any, glue: Any) -> dict[str, Any]:
    """The whole run; returns the result document (also written to ``_runs/landing/<run_id>/result.json``)."""
    lake.configure(spark)
    paths = run_paths(args)
    tables = {name: bronze_table(glue, args.bronze_database, name) for name in args.datasets}
    bronze = {name: read_bronze(spark, paths, s3, table).cache() for name, table in tables.items()}
    candidates = {}
    for name, table in tables.items():  # every input opened before anything is written
        candidate = Candidate(table, to_silver(bronze[name], table).cache())
        candidate.failed_rules = key_rules(candidate, bronze[name])
        if table.partitioned_by and candidate.silver_rows:
            candidate.failed_rules += partition_rules(candidate)
        logger.info(
            "checked %s: %s bronze rows, %s silver rows, failed rules %s",
            name,
            candidate.bronze_rows,
            candidate.silver_rows,
            [rule.rule for rule in candidate.failed_rules],
        )
        candidates[name] = candidate
    # Every passing table is written before any Glue table is switched: a run that fails while writing
    # leaves every silver table as it was.
    written = {name: write_new_run(c, paths, glue) for name, c in candidates.items() if c.passed}
    outcomes = {name: quarantine(c, paths, s3) for name, c in candidates.items() if not c.passed}
    outcomes |= {name: publish(candidates[name], w, paths, s3, glue) for name, w in written.items()}
    datasets = {}
    for name, candidate in candidates.items():
        entry = {
            "state": outcomes[name]["state"],
            "rows": candidate.silver_rows,
            "bronze_rows": candidate.bronze_rows,
            "duplicates_removed": candidate.duplicates_removed,
            "location": outcomes[name]["location"],
            "table": f"{args.silver_database}.{name}",
            "failed_rules": [rule.as_dict() for rule in candidate.failed_rules],
            **{k: v for k, v in outcomes[name].items() if k not in ("state", "location")},
        }
        if not candidate.passed:
            entry["reason"] = candidate.reason()
        datasets[name] = entry
    for frame in [*bronze.values(), *(c.silver for c in candidates.values())]:
        frame.unpersist()
    result = {
        "run_id": args.run_id,
        "silver_database": args.silver_database,
        "published": [name for name, d in datasets.items() if d["state"] == "SILVER"],
        "quarantined": [name for name, d in datasets.items() if d["state"] == "QUARANTINED"],
        "datasets": datasets,
        "finished_at": datetime.now(UTC).isoformat(),
    }
    lake.put_json(s3, args.silver_bucket, paths.result_key(), result)
    return result


def main(argv: Sequence[str] | None = None, *, s3: Any = None, glue: Any = None) -> dict[str, Any]:
    """Entry point on Glue and locally; ``s3``/``glue``: boto3 clients (created when not given)."""
    return lake.run_job(
        "landing_bronze_to_silver",
        argv,
        parse_arguments,
        run,
        lambda result: [name for name, d in result["datasets"].items() if d.get("cleanup_errors")],
        lambda args: f"s3://{args.silver_bucket}/{run_paths(args).result_key()}",
        logger,
        s3,
        glue,
    )


if __name__ == "__main__":
    main()
