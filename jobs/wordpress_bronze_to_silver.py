"""WordPress bronze -> silver: one clean, typed table per endpoint, published only when it passes
its quality rules. An AWS Glue 5.0 job (Spark 3.5, Python 3.11) that also runs under plain PySpark.

Arguments (Glue style ``--name value``; Glue's ``getResolvedOptions`` when ``awsglue`` is
importable, a plain parser otherwise; arguments Glue adds, such as ``--TempDir``, are ignored):
``--bronze_bucket``, ``--silver_bucket``, ``--silver_database``, ``--run_id``, ``--datasets``
(comma-separated endpoint names), optional ``--data_source`` (default ``wordpress_api``),
optional ``--loads`` (the bronze Lambda's ``loads``: a JSON array of load entries; absent or ``[]``:
every dataset is an InitialLoad), ``--JOB_NAME`` (Glue) and, locally only, ``--local_s3_root`` (Spark
reads and writes ``s3://<bucket>/<key>`` as ``file://<root>/<bucket>/<key>``; catalog locations stay
``s3://``). A ``--loads`` entry names a dataset of ``--datasets`` at most once, its ``mode``
(``InitialLoad`` | ``Update``) and, for an Update, ``increment_key`` (optional ``published_ids_key``),
keys under ``_runs/<data_source>/`` in the bronze bucket; anything else is a JobError naming
``--loads`` and the entry.

Per dataset (``jobs/README.md`` "Incremental loads"): an **InitialLoad** (no entry, or mode
InitialLoad) reads the bronze snapshot ``s3://<bronze>/<data_source>/<name>/<name>.parquet`` and
replaces silver; an **Update** reads the live silver table (the Glue table's current location) and
the run's increment ``s3://<bronze>/<increment_key>`` (bronze-shaped: typed by the rules below like
a snapshot), merges them with ``merge_increment`` (newest ``modified_gmt`` per id, ties to the
increment, columns united by name with live's types) and removes the live ids missing from
``s3://<bronze>/<published_ids_key>`` (when given). An Update that cannot merge (no live table, or
the live table or the increment without ``id``) loads the snapshot instead and says so (log, and
``fallback`` in the result's ``load`` block).

The silver rows of a snapshot or an increment:

- one row per ``id`` (a non-null ``bigint``): exact copies collapse, then the newest
  ``modified_gmt`` wins; two different records with the same id and the same newest
  ``modified_gmt`` (or without ``modified_gmt``) cannot be ordered and stay, so the gate fails;
- ``date_gmt``/``modified_gmt`` -> UTC ``timestamp``; ``date``/``modified`` -> local
  ``timestamp_ntz`` (WordPress's ``YYYY-MM-DDTHH:MM:SS``; a column with other values stays text);
- other text columns holding only real ``YYYY-MM-DD`` dates -> ``date`` (free text excepted);
- ``<field>_rendered`` -> ``<field>``: ``title`` with HTML entities decoded, ``excerpt`` as plain
  text, ``content`` as the HTML it is, ``guid`` as is; ``link``, ``slug`` kept; terms' ``name`` and
  ``description`` decoded like titles; ``''`` (WordPress's "none") -> NULL in every text column;
- JSON-text columns holding only lists of integers (``categories``, ``tags``, ...) ->
  ``array<bigint>``, only lists of strings (``class_list``, ...) -> ``array<string>``; other JSON
  text stays text;
- ``_links_*`` dropped; ``_ingested_at``, ``_source_key`` kept, ``_run_id`` added;
- ``posts`` and ``pages`` partitioned by ``year``/``month`` of ``date_gmt`` (``date`` when null);
- an empty endpoint gives an empty table with the columns bronze wrote for it.

Quality gate per table: ``id`` non-null and unique, silver rows == bronze's distinct ids (bronze
rows for tables without ``id``; for an Update ``row_count_matches_merge``: previous + inserted -
deleted), and ``posts.author``/``categories``/``tags`` found in
``users``/``categories``/``tags`` when both tables are in the run (an empty or id-less referenced
table names no id: the rule then passes only when no row references it). Every table that passes is
written to ``s3://<silver>/<data_source>/<name>/run_id=<run_id>/`` first; then each Glue table is
switched there by one ``UpdateTable`` (partitions by projection); the location before the switch is kept,
older ones are deleted. A failing table goes to ``quarantine/<data_source>/<name>/run_id=<run_id>/``
with ``report.json``; its silver table is not touched. The run's outcome is written to
``_runs/<data_source>/<run_id>/result.json`` (per dataset also the ``load`` entry echoed and
``silver_inserted``/``silver_updated``/``silver_deleted``); the job fails only on errors (bad
arguments, a missing bronze object, an increment that does not fit live's types), not on quarantined
tables (the state machine reads the result).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyspark import cloudpickle
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 - Spark's convention
from pyspark.sql.types import (
    ArrayType,
    DataType,
    LongType,
    StringType,
    StructField,
    StructType,
)

# The publish helpers both silver jobs share (jobs/lakehouse_publish.py): on Glue from the job's
# --extra-py-files, from a checkout next to this script. Re-exported: tests and local/ use these names.
try:
    import lakehouse_publish
except ModuleNotFoundError as missing:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import lakehouse_publish
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "lakehouse_publish not found: give the job --extra-py-files s3://<artifacts>/jobs/lakehouse_publish.py"
        ) from missing
from lakehouse_publish import (  # noqa: E402, F401 - re-exported for the tests and local/
    PARQUET_INPUT_FORMAT,
    PARQUET_OUTPUT_FORMAT,
    PARQUET_SERDE,
    RUN_ID_PATTERN,
    SPARK_ARTIFACTS,
    FailedRule,
    JobError,
    configure,
    current_location,
    delete_prefix,
    glue_context,
    hive_type,
    list_objects,
    published_table,
    put_json,
    run_folders,
    switch_table,
)

logger = logging.getLogger("wordpress_bronze_to_silver")

DEFAULT_DATA_SOURCE = "wordpress_api"
PARTITIONED_DATASETS = frozenset({"posts", "pages"})
PARTITION_COLUMNS = ("year", "month")
RUN_ID_COLUMN = "_run_id"
LINEAGE_COLUMNS = ("_ingested_at", "_source_key")
UTC_DATE_COLUMNS = ("date_gmt", "modified_gmt")
LOCAL_DATE_COLUMNS = ("date", "modified")
WORDPRESS_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss"
WORDPRESS_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
INT_LIST_PATTERN = r"^\[\s*(-?\d{1,18}\s*(,\s*-?\d{1,18}\s*)*)?\]$"
NON_EMPTY_LIST_PATTERN = r"^\[\s*-?\d"
ID_LIST_COLUMNS = frozenset({"categories", "tags"})  # lists of ids even when every list is empty
STRING_LIST_PATTERN = r'^\[\s*"'  # a list whose first item is a string
STRING_LIST_COLUMNS = frozenset({"class_list"})  # lists of strings even when every list is empty
CALENDAR_DATE_FORMAT = "yyyy-MM-dd"
CALENDAR_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
# WordPress's free text: stays text even when every value looks like a date (a post titled 2024-01-01).
FREE_TEXT_COLUMNS = frozenset({"slug", "name", "description", "title_rendered"})
# Terms (categories, tags, any taxonomy's terms: a table with a taxonomy column): HTML entities in
# these fields are decoded like post titles (WordPress stores "Tips &amp; Tricks").
TERM_DATASETS = frozenset({"categories", "tags"})
TERM_TEXT_COLUMNS = ("name", "description")
# (referencing dataset, column, referenced dataset): column values must be ids of the referenced table
REFERENCES = (("posts", "author", "users"), ("posts", "categories", "categories"), ("posts", "tags", "tags"))
EXAMPLES = 10  # offending values named in a failed rule's detail
NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,128}$")


# --------------------------------------------------------------------------- arguments


INITIAL_LOAD, UPDATE = "InitialLoad", "Update"
LOAD_MODES = (INITIAL_LOAD, UPDATE)
# The fields of a load entry that result.json echoes in each dataset's "load" block (the state machine
# advances the dataset's load state from them).
ECHOED_LOAD_FIELDS = (
    "mode",
    "reason",
    "watermark_before",
    "watermark_after",
    "expected_run_id",
    "window_start",
    "ignored_modified_after",
    "incremental",
    "fetch_started_at",
)
# The load block's "fallback" when an Update cannot merge and loads the bronze snapshot instead.
NO_LIVE_TABLE = "no live silver table"
NO_LIVE_IDS = "the live silver table has no id column"
NO_INCREMENT_IDS = "the increment has no id column"


@dataclass(frozen=True)
class Load:
    """One entry of ``--loads``: how the bronze Lambda loaded a dataset in this run."""

    dataset: str
    mode: str  # InitialLoad | Update
    increment_key: str | None  # bronze key of the run's increment (Parquet); required for an Update
    published_ids_key: str | None  # bronze key of the ids the site publishes (Parquet, column id)
    entry: dict[str, Any] = field(default_factory=dict, compare=False)  # as given, for the echo

    def echo(self, fallback: str | None = None) -> dict[str, Any]:
        block = {name: self.entry.get(name) for name in ECHOED_LOAD_FIELDS}
        if fallback:
            block["fallback"] = fallback
        return block


def audit_load_fields(block: dict[str, Any]) -> dict[str, str]:
    """``load_mode``, ``watermark_before``, ``watermark_after`` of a load block as the audit item stores
    them: strings, ``''`` where there is none (a rebuild, a dataset without modified_after)."""
    return {
        "load_mode": block.get("mode") or INITIAL_LOAD,
        "watermark_before": block.get("watermark_before") or "",
        "watermark_after": block.get("watermark_after") or "",
    }


@dataclass(frozen=True)
class Arguments:
    bronze_bucket: str
    silver_bucket: str
    silver_database: str
    run_id: str
    datasets: tuple[str, ...]
    data_source: str = DEFAULT_DATA_SOURCE
    local_s3_root: str | None = None
    job_name: str | None = None
    loads: tuple[Load, ...] = ()

    def load(self, name: str) -> Load | None:
        return next((load for load in self.loads if load.dataset == name), None)


REQUIRED_ARGUMENTS = ("bronze_bucket", "silver_bucket", "silver_database", "run_id", "datasets")
OPTIONAL_ARGUMENTS = ("data_source", "local_s3_root", "JOB_NAME", "loads")


def resolved_options(argv: Sequence[str]) -> dict[str, str]:
    """``--name value`` pairs: Glue's ``getResolvedOptions`` when importable, else argparse."""
    return lakehouse_publish.resolved_options(
        argv, REQUIRED_ARGUMENTS, OPTIONAL_ARGUMENTS, "wordpress_bronze_to_silver", __doc__.split("\n")[0]
    )


def parse_arguments(argv: Sequence[str]) -> Arguments:
    options = resolved_options(argv)
    # A comma list, or a JSON array (the state machine sends States.JsonToString($.datasets): JSONPath
    # ASL cannot join a list into one string).
    raw = options["datasets"].strip()
    try:
        names = json.loads(raw) if raw.startswith("[") else raw.split(",")
    except json.JSONDecodeError as error:
        raise JobError(f"--datasets: {raw!r} is neither a comma list nor a JSON array: {error}") from error
    datasets = tuple(dict.fromkeys(str(name).strip() for name in names if str(name).strip()))
    if not datasets:
        raise JobError("--datasets names no dataset")
    for name in datasets:
        if not NAME_PATTERN.match(name):
            raise JobError(f"--datasets: {name!r} is not a table name (lower-case letters, digits, _)")
    data_source = options.get("data_source") or DEFAULT_DATA_SOURCE
    if not NAME_PATTERN.match(data_source):
        raise JobError(f"--data_source: {data_source!r} is not a valid name")
    if not RUN_ID_PATTERN.match(options["run_id"]):
        raise JobError(f"--run_id: {options['run_id']!r} must be letters, digits, '_', '.', '-' (max 128)")
    for name in ("bronze_bucket", "silver_bucket", "silver_database"):
        if not options[name].strip():
            raise JobError(f"--{name} is empty")
    return Arguments(
        bronze_bucket=options["bronze_bucket"],
        silver_bucket=options["silver_bucket"],
        silver_database=options["silver_database"],
        run_id=options["run_id"],
        datasets=datasets,
        data_source=data_source,
        local_s3_root=options.get("local_s3_root") or None,
        job_name=options.get("JOB_NAME"),
        loads=parse_loads(options.get("loads", ""), datasets, data_source),
    )


def _bronze_key(entry: dict[str, Any], name: str, where: str, data_source: str) -> str | None:
    """A key of the run's own bronze objects (``_runs/<data_source>/...``, what the job role may read)."""
    key = entry.get(name)
    if key is None:
        return None
    prefix = f"_runs/{data_source}/"
    if not isinstance(key, str) or not key.startswith(prefix) or ".." in key.split("/"):
        raise JobError(f"--loads: {where}: {name} {key!r} is not a key under {prefix} in the bronze bucket")
    return key


def parse_loads(raw: str, datasets: Sequence[str], data_source: str) -> tuple[Load, ...]:
    """``--loads``: the JSON array of the bronze Lambda's load entries (absent, blank or ``[]``: every
    dataset is an InitialLoad from the bronze snapshot). Each entry names a dataset of ``--datasets``
    once, a ``mode`` (InitialLoad | Update) and, for an Update, its ``increment_key``."""
    if not raw.strip():
        return ()
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise JobError(f"--loads: {raw[:200]!r} is not JSON: {error}") from error
    if not isinstance(entries, list):
        raise JobError(f"--loads: must be a JSON array of load entries, not {type(entries).__name__}")
    loads: list[Load] = []
    for number, entry in enumerate(entries):
        where = f"entry {number} {json.dumps(entry)[:200]}"
        if not isinstance(entry, dict):
            raise JobError(f"--loads: {where} is not an object")
        dataset, mode = entry.get("dataset"), entry.get("mode")
        where = f"entry {number} (dataset {dataset!r})"
        if dataset not in datasets:
            raise JobError(f"--loads: {where}: the dataset is not one of --datasets {list(datasets)}")
        if any(load.dataset == dataset for load in loads):
            raise JobError(f"--loads: {where}: a second entry for the same dataset")
        if mode not in LOAD_MODES:
            raise JobError(f"--loads: {where}: mode {mode!r} is not one of {list(LOAD_MODES)}")
        increment_key = _bronze_key(entry, "increment_key", where, data_source)
        if mode == UPDATE and not increment_key:
            raise JobError(f"--loads: {where}: an Update needs its increment_key")
        ids_key = _bronze_key(entry, "published_ids_key", where, data_source)
        loads.append(Load(dataset, mode, increment_key, ids_key, dict(entry)))
    return tuple(loads)


# --------------------------------------------------------------------------- storage paths


@dataclass(frozen=True)
class Paths(lakehouse_publish.RunPaths):
    """Where a run reads and writes: silver under ``<data_source>/`` in the silver bucket (table run
    folders, ``_runs/`` results: :class:`lakehouse_publish.RunPaths`), a quarantined table under
    ``run_id=<run id>``, and the bronze objects it reads; ``spark()`` maps an ``s3://`` URI for Spark's
    own I/O."""

    def bronze(self, name: str) -> str:
        return f"s3://{self.args.bronze_bucket}/{self.source}/{name}/{name}.parquet"

    def bronze_object(self, key: str) -> str:
        """A run's own bronze object (an increment, published ids) from its ``--loads`` key."""
        return f"s3://{self.args.bronze_bucket}/{key}"

    def quarantine_key(self, name: str) -> str:
        return f"quarantine/{self.source}/{name}/run_id={self.args.run_id}/"

    def local(self, uri: str) -> str | None:
        """The local directory of ``uri`` in local mode, else None."""
        root = self.args.local_s3_root
        return os.path.join(os.path.abspath(root), uri.removeprefix("s3://")) if root else None


# --------------------------------------------------------------------------- transform rules


@dataclass(frozen=True)
class Profile:
    """What one pass over a bronze table found: sizes, and how each text column can be typed."""

    bronze_rows: int
    bronze_distinct_ids: int | None  # None: the table has no id column
    int_list_columns: tuple[str, ...]
    date_columns: tuple[str, ...]
    string_list_columns: tuple[str, ...] = ()
    calendar_date_columns: tuple[str, ...] = ()  # YYYY-MM-DD values -> date


def _decode_entities(value: str | None) -> str | None:
    return None if value is None else html.unescape(value)


_html_to_text = lakehouse_publish.html_to_text  # shared with the gold job's word counts

decode_entities = F.udf(_decode_entities, StringType())
html_to_text = F.udf(_html_to_text, StringType())
# Spark's Python workers may not find lakehouse_publish (a local run from a checkout): ship its
# functions (html_to_text) by value.
cloudpickle.register_pickle_by_value(lakehouse_publish)
if __name__ != "__main__" and __name__ in sys.modules:
    # Imported (tests, the local emulator) rather than run as Glue's __main__: ship this module's
    # functions to Spark's Python workers by value, since the workers cannot import the script.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])


def string_columns(df: DataFrame) -> list[str]:
    return [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]


def _is_string_list(value: Column) -> Column:
    """True for JSON text that is a list of strings exactly as bronze writes it (compact JSON)."""
    parsed = F.to_json(F.from_json(value, ArrayType(StringType())))
    return F.coalesce(value.startswith("[") & (parsed == value), F.lit(False))


def _is_calendar_date(value: Column) -> Column:
    """True for a real ``YYYY-MM-DD`` date (2024-02-30 is not)."""
    real = F.to_date(value, CALENDAR_DATE_FORMAT).isNotNull()
    return F.coalesce(value.rlike(CALENDAR_DATE_PATTERN) & real, F.lit(False))


def profile(bronze: DataFrame) -> Profile:
    """One aggregation over bronze: row count, distinct ids, and how each text column can be typed
    (int lists, string lists, WordPress dates, calendar dates; ``''`` counts as no value)."""
    columns = set(bronze.columns)
    texts = [name for name in string_columns(bronze) if name not in LINEAGE_COLUMNS]
    dates = [name for name in (*UTC_DATE_COLUMNS, *LOCAL_DATE_COLUMNS) if name in texts]
    calendar = [name for name in texts if name not in FREE_TEXT_COLUMNS]
    aggregates = [F.count(F.lit(1)).alias("rows")]
    if "id" in columns:
        aggregates.append(F.countDistinct(F.col("id").cast("bigint")).alias("ids"))
    for number, name in enumerate(texts):
        value = F.col(name)
        aggregates.append(
            F.sum(F.when(value.isNotNull() & ~value.rlike(INT_LIST_PATTERN), 1)).alias(f"n{number}")
        )
        aggregates.append(F.max(F.when(value.rlike(NON_EMPTY_LIST_PATTERN), 1)).alias(f"l{number}"))
        aggregates.append(F.sum(F.when((value != "") & ~_is_string_list(value), 1)).alias(f"s{number}"))
        aggregates.append(F.max(F.when(value.rlike(STRING_LIST_PATTERN), 1)).alias(f"t{number}"))
    for number, name in enumerate(dates):
        value = F.col(name)
        aggregates.append(
            F.sum(F.when((value != "") & ~value.rlike(WORDPRESS_DATE_PATTERN), 1)).alias(f"d{number}")
        )
    for number, name in enumerate(calendar):
        value = F.col(name)
        aggregates.append(F.sum(F.when((value != "") & ~_is_calendar_date(value), 1)).alias(f"c{number}"))
        aggregates.append(F.max(F.when(value.rlike(CALENDAR_DATE_PATTERN), 1)).alias(f"e{number}"))
    row = bronze.agg(*aggregates).collect()[0].asDict()
    int_lists = tuple(
        name
        for number, name in enumerate(texts)
        if not row[f"n{number}"] and (row[f"l{number}"] or name in ID_LIST_COLUMNS)
    )
    date_columns = tuple(name for number, name in enumerate(dates) if not row[f"d{number}"])
    return Profile(
        bronze_rows=row["rows"],
        bronze_distinct_ids=row.get("ids"),
        int_list_columns=int_lists,
        date_columns=date_columns,
        string_list_columns=tuple(
            name
            for number, name in enumerate(texts)
            if not row[f"s{number}"]
            and (row[f"t{number}"] or name in STRING_LIST_COLUMNS)
            and name not in int_lists
        ),
        calendar_date_columns=tuple(
            name
            for number, name in enumerate(calendar)
            if not row[f"c{number}"] and row[f"e{number}"] and name not in date_columns
        ),
    )


def deduplicate(df: DataFrame) -> DataFrame:
    """One row per id: exact copies collapse, then the newest ``modified_gmt`` wins (ties stay).

    Rows with a null id are all kept (the gate rejects them); so are different records that share
    an id and its newest ``modified_gmt``, or an id in a table without ``modified_gmt``: nothing
    says which is right, so the gate's ``id_unique`` rule rejects the table.
    """
    if "id" not in df.columns:
        return df
    content = [c for c in df.columns if c not in (*LINEAGE_COLUMNS, RUN_ID_COLUMN, *PARTITION_COLUMNS)]
    order = F.col("_ingested_at").desc_nulls_last() if "_ingested_at" in df.columns else F.lit(1)
    copies = Window.partitionBy("id", "_row_hash").orderBy(order)
    unique = (
        df.withColumn("_row_hash", F.xxhash64(*[F.col(f"`{c}`") for c in content]))
        .withColumn("_copy", F.row_number().over(copies))
        .where(F.col("id").isNull() | (F.col("_copy") == 1))
        .drop("_copy", "_row_hash")
    )
    if "modified_gmt" not in df.columns:
        return unique
    newest = Window.partitionBy("id").orderBy(F.col("modified_gmt").desc_nulls_last())
    return (
        unique.withColumn("_rank", F.rank().over(newest))
        .where(F.col("id").isNull() | (F.col("_rank") == 1))
        .drop("_rank")
    )


def _utc_timestamp(column: Column) -> Column:
    return F.to_timestamp(F.concat(column, F.lit("+00:00")), WORDPRESS_DATE_FORMAT + "XXX")


def _local_timestamp(column: Column) -> Column:
    return F.to_timestamp_ntz(column, F.lit(WORDPRESS_DATE_FORMAT))


def rendered_name(name: str, taken: set[str]) -> str:
    """``title_rendered`` -> ``title`` unless ``title`` is itself a column."""
    if name.endswith("_rendered"):
        plain = name.removesuffix("_rendered")
        if plain and plain not in taken:
            return plain
    return name


def to_silver(bronze: DataFrame, found: Profile, name: str, run_id: str) -> DataFrame:
    """Bronze rows -> silver rows (deduplicated, typed, renamed; partition columns for posts/pages)."""
    columns = [c for c in bronze.columns if not c.startswith("_links_") and c != "_links"]
    selected = []
    taken = set(bronze.columns)
    texts = set(string_columns(bronze)) - set(LINEAGE_COLUMNS)
    terms = name in TERM_DATASETS or "taxonomy" in taken
    for column in columns:
        value = F.col(f"`{column}`")
        target = rendered_name(column, taken)
        if column == "id":
            value = value.cast("bigint")
        elif column in found.int_list_columns:
            value = F.from_json(value, ArrayType(LongType()))
        elif column in found.date_columns and column in UTC_DATE_COLUMNS:
            value = _utc_timestamp(value)
        elif column in found.date_columns and column in LOCAL_DATE_COLUMNS:
            value = _local_timestamp(value)
        elif column in found.string_list_columns:
            value = F.from_json(value, ArrayType(StringType()))
        elif column in found.calendar_date_columns:
            value = F.to_date(value, CALENDAR_DATE_FORMAT)
        elif column in texts:
            if column == "title_rendered" or (column in TERM_TEXT_COLUMNS and terms):
                value = decode_entities(value)
            elif column == "excerpt_rendered":
                value = html_to_text(value)
            value = F.when(value != "", value)  # WordPress's '' for "none" (template, url, ...) -> NULL
        selected.append(value.alias(target))
    selected.append(F.lit(run_id).alias(RUN_ID_COLUMN))
    if name in PARTITIONED_DATASETS:
        selected.extend(partition_columns(found))
    return deduplicate(bronze.select(*selected))


def partition_columns(found: Profile) -> list[Column]:
    """``year``/``month`` of ``date_gmt`` (UTC), from ``date`` when ``date_gmt`` is null; taken from
    the WordPress text (``YYYY-MM-...``) so the session time zone plays no part. Null when neither
    is a WordPress date: the gate's ``partition_date`` rule rejects such rows."""
    sources = [F.col(c) for c in ("date_gmt", "date") if c in found.date_columns]
    month = F.coalesce(*sources) if sources else F.lit(None).cast("string")
    return [
        F.substring(month, 1, 4).cast("int").alias("year"),
        F.substring(month, 6, 2).cast("int").alias("month"),
    ]


# --------------------------------------------------------------------------- quality gate


@dataclass
class Candidate:
    """One dataset of the run: its silver rows and what the gate found."""

    name: str
    silver: DataFrame
    found: Profile
    silver_rows: int = 0
    partitions: int = 0  # year/month partitions (posts, pages)
    years: tuple[int, int] | None = None  # first and last year of a partitioned table
    failed_rules: list[FailedRule] = field(default_factory=list)
    # An Update's merge counts: the gate checks silver rows = previous + inserted - deleted instead of
    # comparing with bronze (which holds only the increment). None: the table replaces silver.
    merge: MergeCounts | None = None

    @property
    def passed(self) -> bool:
        return not self.failed_rules


def _examples(values: Iterable[Any], total: int) -> str:
    shown = [str(value) for value in values][:EXAMPLES]
    return ", ".join(shown) + (", ..." if total > len(shown) else "")


def key_rules(candidate: Candidate) -> list[FailedRule]:
    """``id`` non-null and unique; silver rows == bronze's distinct ids (bronze rows without ``id``),
    for an Update previous + inserted - deleted; posts/pages: every row has a partition date. One
    aggregation (a second one names duplicate ids when there are some); also notes the table's rows
    and year/month partitions."""
    silver, found = candidate.silver, candidate.found
    has_id, partitioned = "id" in silver.columns, "year" in silver.columns
    zero = F.lit(0)
    stats = silver.agg(
        F.count(F.lit(1)).alias("rows"),
        (F.count(F.when(F.col("id").isNull(), 1)) if has_id else zero).alias("null_ids"),  # 0 when empty
        (F.countDistinct("id") if has_id else zero).alias("ids"),
        (F.count(F.when(F.col("year").isNull(), 1)) if partitioned else zero).alias("no_date"),
        (F.countDistinct("year", "month") if partitioned else zero).alias("partitions"),
        (F.min("year") if partitioned else F.lit(None)).alias("first_year"),
        (F.max("year") if partitioned else F.lit(None)).alias("last_year"),
    ).collect()[0]
    candidate.silver_rows = stats["rows"]
    if partitioned:
        candidate.partitions = stats["partitions"]
        if stats["first_year"] is not None:
            candidate.years = (stats["first_year"], stats["last_year"])
    failures = []
    if stats["null_ids"]:
        failures.append(FailedRule("id_not_null", stats["null_ids"], f"{stats['null_ids']} rows have no id"))
    surplus = stats["rows"] - stats["null_ids"] - stats["ids"] if has_id else 0
    if surplus:
        duplicates = silver.where(F.col("id").isNotNull()).groupBy("id").count().where(F.col("count") > 1)
        summary = duplicates.agg(
            F.count(F.lit(1)).alias("ids"),
            F.slice(F.sort_array(F.collect_list("id")), 1, EXAMPLES).alias("some"),
        ).collect()[0]
        failures.append(
            FailedRule(
                "id_unique",
                summary["ids"],
                f"{summary['ids']} ids have different records with the same newest modified_gmt (or no "
                f"modified_gmt), {surplus} rows too many: {_examples(summary['some'], summary['ids'])}",
            )
        )
    expected = found.bronze_distinct_ids if has_id else found.bronze_rows
    expected_label = "bronze distinct ids" if has_id else "bronze rows"
    if candidate.merge is not None:
        failures.extend(merged_row_count_rule(candidate.silver_rows, candidate.merge))
    elif candidate.silver_rows != expected:
        failures.append(
            FailedRule(
                "row_count_matches_bronze",
                abs(candidate.silver_rows - (expected or 0)),
                f"silver has {candidate.silver_rows} rows, {expected_label} {expected}",
            )
        )
    if stats["no_date"]:
        failures.append(
            FailedRule(
                "partition_date",
                stats["no_date"],
                f"{stats['no_date']} rows have neither date_gmt nor date as a WordPress date "
                "(they would fall outside every year/month partition)",
            )
        )
    return failures


def reference_rules(candidate: Candidate, candidates: dict[str, Candidate]) -> list[FailedRule]:
    """``posts.author`` ⊆ ``users.id``, ``posts.categories`` ⊆ ``categories.id``, ``posts.tags`` ⊆
    ``tags.id``, each when both tables are in the run (checked against this run's rows); all of a
    table's references in one query. A referenced table that is empty or has no ``id`` column names
    no id: the rule passes only when no row references it, and every referenced id is an orphan."""
    failures, missing, without_ids = [], [], set()
    for dataset, column, target in REFERENCES:
        if candidate.name != dataset or target not in candidates or column not in candidate.silver.columns:
            continue
        referenced = candidates[target].silver
        rule = f"{column}_in_{target}"
        data_type = candidate.silver.schema[column].dataType
        if isinstance(data_type, ArrayType):
            values = candidate.silver.select(F.explode(column).alias("value"))
        elif isinstance(data_type, StringType):  # a JSON text that is not a list of integers
            failures.append(FailedRule(rule, 1, f"{dataset}.{column} is not a list of integer ids"))
            continue
        else:
            values = candidate.silver.select(F.col(column).cast("bigint").alias("value"))
        references = values.where(F.col("value").isNotNull())
        if "id" in referenced.columns:
            ids = referenced.select(F.col("id").alias("value")).where(F.col("value").isNotNull()).distinct()
            orphans = references.join(ids, "value", "left_anti")
        else:  # no id column (an empty endpoint, or records without id): nothing can be referenced
            without_ids.add(target)
            orphans = references
        missing.append(orphans.select(F.lit(rule).alias("rule"), F.lit(target).alias("target"), "value"))
    if not missing:
        return failures
    union = missing[0]
    for frame in missing[1:]:
        union = union.unionByName(frame)
    summary = union.groupBy("rule", "target").agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct("value").alias("ids"),
        F.slice(F.sort_array(F.collect_set("value")), 1, EXAMPLES).alias("some"),
    )
    for row in sorted(summary.collect(), key=lambda r: r["rule"]):
        column = row["rule"].split("_in_")[0]
        failures.append(
            FailedRule(
                row["rule"],
                row["rows"],
                f"{row['rows']} {candidate.name}.{column} values name {row['ids']} ids missing from "
                f"{row['target']}.id"
                + (" (the table has no id column)" if row["target"] in without_ids else "")
                + f": {_examples(row['some'], row['ids'])}",
            )
        )
    return failures


# --------------------------------------------------------------------------- merging an increment
# Issue 18 (Update runs, --loads); jobs/README.md "Incremental loads".

FROM_INCREMENT = "_from_increment"  # helper column while merging: 1 for increment rows, 0 for live ones
NOT_COMPARED = (*LINEAGE_COLUMNS, RUN_ID_COLUMN, *PARTITION_COLUMNS)  # not part of a row's content


@dataclass(frozen=True)
class MergeCounts:
    """What an increment did to a live table, counted by id (null ids are not counted)."""

    previous: int  # rows of the live table
    inserted: int  # ids new to the live table (not deleted in the same run)
    updated: int  # live ids, not deleted, whose row's content changed
    deleted: int  # live ids removed (a deleted id that was not live counts as nothing)

    @property
    def expected_rows(self) -> int:
        return self.previous + self.inserted - self.deleted

    def as_dict(self) -> dict[str, int]:
        return {
            "previous": self.previous,
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
        }


def conform(value: Column, source: DataType, target: DataType) -> Column:
    """``value`` (of type ``source``) as ``target``: JSON text <-> lists/objects through JSON, any
    other pair by Spark's cast (which gives NULL for a value it cannot convert)."""
    if source == target:
        return value
    if isinstance(target, StringType) and isinstance(source, ArrayType | StructType):
        return F.to_json(value)
    if isinstance(source, StringType) and isinstance(target, ArrayType | StructType):
        return F.from_json(value, target)
    return value.cast(target)


def merged_fields(live: DataFrame, increment: DataFrame) -> list[StructField]:
    """The merged table's columns: live's, in live's order and with live's types, then the columns
    only the increment has (its types); the partition columns last."""
    known = {f.name for f in live.schema.fields}
    fields = [f for f in live.schema.fields if f.name not in PARTITION_COLUMNS]
    fields += [f for f in increment.schema.fields if f.name not in known and f.name not in PARTITION_COLUMNS]
    present = {f.name: f for f in (*increment.schema.fields, *live.schema.fields)}  # live's type wins
    return fields + [present[name] for name in PARTITION_COLUMNS if name in present]


def align(frame: DataFrame, fields: Sequence[StructField]) -> DataFrame:
    """``frame`` with exactly ``fields``: its own columns conformed to their type, the others NULL."""
    have = {f.name: f.dataType for f in frame.schema.fields}
    columns = [
        (
            conform(F.col(f"`{f.name}`"), have[f.name], f.dataType)
            if f.name in have
            else F.lit(None).cast(f.dataType)
        ).alias(f.name)
        for f in fields
    ]
    return frame.select(*columns)


def check_conversions(increment: DataFrame, fields: Sequence[StructField]) -> None:
    """Raise JobError when conforming the increment to live's types loses a value (a non-NULL value
    that converts to NULL), naming the columns; no query when every shared type already matches."""
    have = {f.name: f.dataType for f in increment.schema.fields}
    changed = [f for f in fields if f.name in have and have[f.name] != f.dataType]
    if not changed:
        return
    lost = increment.agg(
        *[
            F.count(
                F.when(
                    F.col(f"`{f.name}`").isNotNull()
                    & conform(F.col(f"`{f.name}`"), have[f.name], f.dataType).isNull(),
                    1,
                )
            ).alias(f.name)
            for f in changed
        ]
    ).collect()[0]
    problems = [
        f"{f.name} ({have[f.name].simpleString()} -> {f.dataType.simpleString()}: {lost[f.name]} values lost)"
        for f in changed
        if lost[f.name]
    ]
    if problems:
        raise JobError(
            "the increment's values do not fit the live table's column types: " + ", ".join(problems)
        )


def _content(frame: DataFrame) -> Column:
    """A row's content as one struct (null-safe comparable): every column but lineage and partitions."""
    return F.struct(*[F.col(f"`{c}`") for c in frame.columns if c not in (*NOT_COMPARED, FROM_INCREMENT)])


def newest_per_id(rows: DataFrame) -> DataFrame:
    """Live and increment rows (``FROM_INCREMENT`` 0/1) -> one row per id: exact copies collapse (the
    increment's copy, newest ``_ingested_at``, is kept), then the newest ``modified_gmt`` wins and on
    a tie the increment's row. Different increment rows that tie stay (the gate's ``id_unique``
    rejects them, as in ``deduplicate``); rows with a null id are all kept."""
    lineage = F.col("_ingested_at").desc_nulls_last() if "_ingested_at" in rows.columns else F.lit(1)
    copies = Window.partitionBy("id", "_content").orderBy(F.col(FROM_INCREMENT).desc(), lineage)
    unique = (
        rows.withColumn("_content", _content(rows))
        .withColumn("_copy", F.row_number().over(copies))
        .where(F.col("id").isNull() | (F.col("_copy") == 1))
        .drop("_copy", "_content")
    )
    order = [F.col("modified_gmt").desc_nulls_last()] if "modified_gmt" in rows.columns else []
    newest = Window.partitionBy("id").orderBy(*order, F.col(FROM_INCREMENT).desc())
    return (
        unique.withColumn("_rank", F.rank().over(newest))
        .where(F.col("id").isNull() | (F.col("_rank") == 1))
        .drop("_rank")
    )


def merge_increment(
    live: DataFrame, increment: DataFrame, deleted_ids: DataFrame | None
) -> tuple[DataFrame, MergeCounts]:
    """The live silver table plus an increment (silver rows of the changed records, ``to_silver``'s
    output), the newest ``modified_gmt`` winning per id (ties: the increment), minus ``deleted_ids``
    (a frame with an ``id`` column; None: no deletions). Columns are united by name (see
    ``merged_fields``; a conversion that loses a value raises JobError). The merged frame is cached
    (the counting query fills the cache, the gate and the write reuse it): unpersist it after
    publishing, as ``run()`` does with every table. Cache ``increment`` too (``to_silver``'s UDFs)."""
    fields = merged_fields(live, increment)
    check_conversions(increment, fields)
    rows = (
        align(live, fields)
        .withColumn(FROM_INCREMENT, F.lit(0))
        .unionByName(align(increment, fields).withColumn(FROM_INCREMENT, F.lit(1)))
    )
    gone = _deleted(deleted_ids, live.sparkSession)
    merged = newest_per_id(rows).join(gone, "id", "left_anti").drop(FROM_INCREMENT).cache()
    counts = merge_counts(align(live, fields), increment, gone, merged)
    logger.info("merged an increment: %s", counts.as_dict())
    return merged, counts


def _deleted(deleted_ids: DataFrame | None, spark: SparkSession) -> DataFrame:
    if deleted_ids is None:
        return spark.createDataFrame([], StructType([StructField("id", LongType())]))
    return (
        deleted_ids.select(F.col("id").cast("bigint").alias("id")).where(F.col("id").isNotNull()).distinct()
    )


def merge_counts(live: DataFrame, increment: DataFrame, gone: DataFrame, merged: DataFrame) -> MergeCounts:
    """Counts by id, in one query: inserted and deleted from the inputs (increment ids not live and
    not deleted; live ids deleted), updated from the result (live ids whose merged content differs).
    The row-count rule then checks the merged rows against them."""
    old = live.select("id", _content(live).alias("_old"), F.lit(True).alias("_live"))
    new = increment.where(F.col("id").isNotNull()).select(F.col("id").cast("bigint").alias("id")).distinct()
    new = new.withColumn("_new", F.lit(True))
    result = (
        merged.where(F.col("id").isNotNull()).groupBy("id").agg(F.collect_set(_content(merged)).alias("_now"))
    )
    keys = old.join(new, "id", "full").join(gone.withColumn("_gone", F.lit(True)), "id", "left")
    keys = keys.join(result, "id", "left")
    live_kept = F.col("_live") & F.col("_gone").isNull()
    changed = F.col("_now").isNotNull() & ~F.array_contains(F.col("_now"), F.col("_old"))
    stats = keys.agg(
        F.count(F.when(F.col("_live"), 1)).alias("previous"),
        F.count(F.when(F.col("_new") & F.col("_live").isNull() & F.col("_gone").isNull(), 1)).alias(
            "inserted"
        ),
        F.count(F.when(live_kept & (changed | (F.size("_now") > 1)), 1)).alias("updated"),
        F.count(F.when(F.col("_live") & F.col("_gone"), 1)).alias("deleted"),
    ).collect()[0]
    return MergeCounts(stats["previous"], stats["inserted"], stats["updated"], stats["deleted"])


def merged_row_count_rule(silver_rows: int, counts: MergeCounts) -> list[FailedRule]:
    """An Update's row-count rule: silver rows = previous + inserted - deleted (``[]``: passes)."""
    if silver_rows == counts.expected_rows:
        return []
    return [
        FailedRule(
            "row_count_matches_merge",
            abs(silver_rows - counts.expected_rows),
            f"silver has {silver_rows} rows, previous {counts.previous} + inserted {counts.inserted} "
            f"- deleted {counts.deleted} = {counts.expected_rows} (updated {counts.updated})",
        )
    ]


# --------------------------------------------------------------------------- Glue catalog


def table_input(
    name: str, schema: StructType, location: str, run_id: str, years: tuple[int, int] | None
) -> dict[str, Any]:
    """The whole Glue table definition for one published run (one UpdateTable switches to it)."""
    data_fields: list[StructField] = [f for f in schema.fields if f.name not in PARTITION_COLUMNS]
    parameters = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "parquet.compression": "SNAPPY",
        "lakehouse.run_id": run_id,
        "lakehouse.layer": "silver",
    }
    partition_keys: list[dict[str, str]] = []
    if years is not None:
        partition_keys = [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "int"}]
        parameters.update(
            {
                "projection.enabled": "true",
                "projection.year.type": "integer",
                "projection.year.range": f"{years[0]},{years[1]}",
                "projection.month.type": "integer",
                "projection.month.range": "1,12",
                "storage.location.template": location + "year=${year}/month=${month}/",
            }
        )
    return {
        "Name": name,
        "Description": f"WordPress {name}, silver (run {run_id}); rules: jobs/README.md",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": partition_keys,
        "StorageDescriptor": lakehouse_publish.parquet_storage(
            [{"Name": f.name, "Type": hive_type(f.dataType)} for f in data_fields], location
        ),
    }


# --------------------------------------------------------------------------- writing


def write_table(df: DataFrame, name: str, spark_path: str, rows: int) -> None:
    """Parquet at ``spark_path`` (replaced): posts/pages one file per year/month, others by size."""
    if name in PARTITIONED_DATASETS:
        by_year_month = df.repartition(*PARTITION_COLUMNS)
        if "id" in df.columns:  # an empty endpoint's bronze object may hold the lineage columns only
            by_year_month = by_year_month.sortWithinPartitions("id")
        by_year_month.write.mode("overwrite").partitionBy(*PARTITION_COLUMNS).parquet(spark_path)
    else:
        df.coalesce(max(1, rows // 1_000_000)).write.mode("overwrite").parquet(spark_path)


def written_files(paths: Paths, s3: Any, uri: str) -> list[tuple[str, int]]:
    """(relative path, bytes) of the Parquet files under ``uri`` (Spark's marker files removed first in
    local mode): :func:`lakehouse_publish.written_files`."""
    return lakehouse_publish.written_files(s3, uri, paths.args.local_s3_root)


RUN_MARKER = "run_id="  # silver run folders: <data_source>/<name>/run_id=<run_id>/


@dataclass(frozen=True)
class Written:
    """A passing table written to its new run location (``planned``), its Glue table not switched yet,
    and its Parquet files."""

    planned: lakehouse_publish.Written
    files: list[tuple[str, int]]


def run_paths(args: Arguments) -> Paths:
    return Paths(args, args.data_source, args.silver_bucket)


def write_new_run(candidate: Candidate, paths: Paths, s3: Any, glue: Any) -> Written:
    """Write a passing table to a new run location (readers still see the live one); a retry of a
    run already published gets run_id=<run_id>-attemptN: live data is never rewritten."""
    planned = lakehouse_publish.next_run_location(
        glue, paths, paths.args.silver_database, candidate.name, RUN_MARKER
    )
    write_table(candidate.silver, candidate.name, paths.spark(planned.location), candidate.silver_rows)
    return Written(planned, written_files(paths, s3, planned.location))


def publish(candidate: Candidate, written: Written, paths: Paths, s3: Any, glue: Any) -> dict[str, Any]:
    """Switch a written table's Glue table to its new run location, then clean up."""
    args, name, location = paths.args, candidate.name, written.planned.location
    years = None
    if name in PARTITIONED_DATASETS:
        this_year = datetime.now(UTC).year
        years = candidate.years or (this_year, this_year)  # an empty table still gets a valid range
    definition = table_input(name, candidate.silver.schema, location, args.run_id, years)
    outcome = lakehouse_publish.switch_to_run(
        glue, s3, paths, args.silver_database, definition, written.planned, RUN_MARKER
    )
    logger.info(
        "published %s: %s rows at %s (removed %s)",
        name,
        candidate.silver_rows,
        location,
        outcome["removed_run_folders"],
    )
    return {
        "state": "SILVER",
        "location": location,
        "previous_location": outcome["previous_location"],
        "bytes": sum(size for _, size in written.files),
        "files": len(written.files),
        "partitions": candidate.partitions,
        "removed_run_folders": outcome["removed_run_folders"],
        # the table is published all the same (see jobs/README.md)
        "cleanup_errors": outcome["cleanup_errors"],
        "report_key": None,
    }


def quarantine(candidate: Candidate, paths: Paths, s3: Any) -> dict[str, Any]:
    """Write a failing table to the quarantine prefix with report.json; the silver table is untouched."""
    args, name = paths.args, candidate.name
    key = paths.quarantine_key(name)
    location = paths.uri(key)
    write_table(candidate.silver, name, paths.spark(location), candidate.silver_rows)
    files = written_files(paths, s3, location)
    report_key = f"{key}report.json"
    report = {
        "run_id": args.run_id,
        "data_source": args.data_source,
        "dataset": name,
        "table": f"{args.silver_database}.{name}",
        "location": location,
        "bronze_rows": candidate.found.bronze_rows,
        "bronze_distinct_ids": candidate.found.bronze_distinct_ids,
        "silver_rows": candidate.silver_rows,
        "failed_rules": [rule.as_dict() for rule in candidate.failed_rules],
        "created_at": datetime.now(UTC).isoformat(),
    }
    put_json(s3, args.silver_bucket, report_key, report)
    logger.warning("quarantined %s: %s", name, [rule.rule for rule in candidate.failed_rules])
    return {
        "state": "QUARANTINED",
        "location": location,
        "bytes": sum(size for _, size in files),
        "files": len(files),
        "partitions": candidate.partitions,
        "report_key": report_key,
    }


# --------------------------------------------------------------------------- the run


def read_bronze(spark: SparkSession, paths: Paths, name: str, uri: str | None = None) -> DataFrame:
    """The bronze snapshot of ``name`` (or the bronze object ``uri``: a run's increment, its ids)."""
    uri = uri or paths.bronze(name)
    local = paths.local(uri)
    if local is not None and not os.path.exists(local):
        raise JobError(f"dataset {name}: bronze object {uri} not found (local copy {local})")
    try:
        return spark.read.parquet(paths.spark(uri))
    except Exception as error:  # Spark's AnalysisException: the path does not exist or is not Parquet
        raise JobError(f"dataset {name}: cannot read bronze object {uri}: {error}") from error


def catalog_schema(table: dict[str, Any]) -> str:
    """A Glue table's columns (partition keys last) as a Spark DDL schema: ``date``/``modified`` are
    the site's local time (``timestamp_ntz``), the other ``timestamp`` columns UTC instants."""
    columns = [*table["StorageDescriptor"].get("Columns", []), *table.get("PartitionKeys", [])]
    return ", ".join(
        f"`{column['Name']}` "
        + (
            "timestamp_ntz"
            if column["Name"] in LOCAL_DATE_COLUMNS and column["Type"] == "timestamp"
            else column["Type"]
        )
        for column in columns
    )


def read_live(spark: SparkSession, paths: Paths, s3: Any, name: str, table: dict[str, Any]) -> DataFrame:
    """The rows of a published silver table, from the Glue table's current location. A location
    without Parquet files is an empty table (Spark writes none for an empty partitioned table): its
    columns come from the catalog."""
    location = table["StorageDescriptor"]["Location"]
    if not written_files(paths, s3, location):
        logger.info("dataset %s: the live silver table at %s is empty", name, location)
        return spark.createDataFrame([], catalog_schema(table))
    try:
        return spark.read.parquet(paths.spark(location))
    except Exception as error:
        raise JobError(f"dataset {name}: cannot read the live silver table at {location}: {error}") from error


@dataclass
class Source:
    """What one dataset of the run reads: the bronze snapshot (InitialLoad) or the run's increment and
    published ids (Update), and the live silver table when there is one."""

    name: str
    load: Load | None
    mode: str  # what the job does: InitialLoad | Update
    bronze: DataFrame
    live: DataFrame | None
    published_ids: DataFrame | None = None
    fallback: str | None = None

    def load_block(self) -> dict[str, Any]:
        """result.json's echo of the dataset's load entry (``{"mode": "InitialLoad"}`` without one)."""
        return self.load.echo(self.fallback) if self.load else {"mode": INITIAL_LOAD}


def open_source(spark: SparkSession, paths: Paths, s3: Any, glue: Any, name: str) -> Source:
    """Open one dataset's inputs (before anything is written: a missing input fails the run first)."""
    load = paths.args.load(name)
    table = published_table(glue, paths.args.silver_database, name)
    if load is None or load.mode == INITIAL_LOAD:
        live = None
        try:  # only counted against: an unreadable live table must not stop the load that replaces it
            live = read_live(spark, paths, s3, name, table) if table else None
        except JobError as error:
            logger.warning("%s: counting this InitialLoad's rows as all inserted", error)
        return Source(name, load, INITIAL_LOAD, read_bronze(spark, paths, name), live)
    live = read_live(spark, paths, s3, name, table) if table else None
    fallback = None
    increment = None
    if live is None:
        fallback = NO_LIVE_TABLE
    elif "id" not in live.columns:  # published from an id-less bronze object (an empty endpoint)
        fallback = NO_LIVE_IDS
    else:
        assert load.increment_key  # parse_loads
        increment = read_bronze(spark, paths, name, paths.bronze_object(load.increment_key))
        if "id" not in increment.columns:  # an empty increment bronze wrote without known columns
            fallback = NO_INCREMENT_IDS
    if increment is None or fallback:
        # The bronze snapshot is the site's current state (bronze merged the increment into it).
        logger.warning(
            "dataset %s: Update, but %s: InitialLoad from the bronze snapshot %s",
            name,
            fallback,
            paths.bronze(name),
        )
        return Source(name, load, INITIAL_LOAD, read_bronze(spark, paths, name), live, fallback=fallback)
    ids = None
    if load.published_ids_key:
        ids = read_bronze(spark, paths, name, paths.bronze_object(load.published_ids_key))
        if "id" not in ids.columns:
            raise JobError(f"dataset {name}: the published ids {load.published_ids_key} have no id column")
    logger.info(
        "dataset %s: Update: increment %s, published ids %s", name, load.increment_key, load.published_ids_key
    )
    return Source(name, load, UPDATE, increment, live, ids)


def merge_update(source: Source, increment: DataFrame) -> tuple[DataFrame, MergeCounts]:
    """An Update: the live table plus the increment's silver rows, minus every id the site no longer
    publishes (when the run listed them): live ids, and increment ids unpublished between the fetch of
    the changes and the listing of the ids."""
    assert source.live is not None
    deleted = None
    if source.published_ids is not None:
        published = source.published_ids.select(F.col("id").cast("bigint").alias("id"))
        known = source.live.select(F.col("id").cast("bigint").alias("id")).unionByName(
            increment.select(F.col("id").cast("bigint").alias("id"))
        )
        deleted = known.where(F.col("id").isNotNull()).distinct().join(published, "id", "left_anti")
    return merge_increment(source.live, increment, deleted)


def replacement_counts(silver: DataFrame, silver_rows: int, live: DataFrame | None) -> MergeCounts:
    """What an InitialLoad does to the live table, by id: new ids inserted, ids in both whose content
    changed updated (the columns both have with one type, lineage and partitions aside), ids gone
    deleted (no live table: every row inserted; a table without ids replaces all rows)."""
    if live is None:
        return MergeCounts(previous=0, inserted=silver_rows, updated=0, deleted=0)
    if "id" not in silver.columns or "id" not in live.columns:
        previous = live.count()
        return MergeCounts(previous=previous, inserted=silver_rows, updated=0, deleted=previous)
    # A column both have with the same type: one typed differently this time (a list column that held
    # only [] is text, then an array) is a change of the table's shape, not of each record.
    live_types = {f.name: f.dataType for f in live.schema.fields}
    compared = [
        f.name
        for f in silver.schema.fields
        if live_types.get(f.name) == f.dataType and f.name not in (*NOT_COMPARED, "id")
    ]

    def contents(frame: DataFrame, flag: str, content: str) -> DataFrame:
        return (
            frame.where(F.col("id").isNotNull())
            .select("id", F.to_json(F.struct(*[F.col(f"`{c}`") for c in compared])).alias(content))
            .groupBy("id")
            .agg(F.min(content).alias(content))
            .withColumn(flag, F.lit(True))
        )

    new = contents(silver, "_new", "_new_content")
    old = contents(live, "_old", "_old_content")
    changed = ~F.col("_new_content").eqNullSafe(F.col("_old_content"))
    stats = (
        new.join(old, "id", "full")
        .agg(
            F.count(F.when(F.col("_old"), 1)).alias("previous"),
            F.count(F.when(F.col("_new") & F.col("_old").isNull(), 1)).alias("inserted"),
            F.count(F.when(F.col("_new") & F.col("_old") & changed, 1)).alias("updated"),
            F.count(F.when(F.col("_old") & F.col("_new").isNull(), 1)).alias("deleted"),
        )
        .collect()[0]
    )
    return MergeCounts(stats["previous"], stats["inserted"], stats["updated"], stats["deleted"])


def run(spark: SparkSession, args: Arguments, s3: Any, glue: Any) -> dict[str, Any]:
    """The whole run; returns the result document (also written to ``_runs/.../result.json``)."""
    configure(spark)
    paths = run_paths(args)
    sources = {name: open_source(spark, paths, s3, glue, name) for name in args.datasets}  # all inputs first
    candidates: dict[str, Candidate] = {}
    cached: list[DataFrame] = []
    for name, source in sources.items():
        # An increment is bronze-shaped: typed by the same rules as a snapshot, then merged.
        found = profile(source.bronze)
        logger.info("profiled %s (%s): %s bronze rows", name, source.mode, found.bronze_rows)
        silver = to_silver(source.bronze, found, name, args.run_id).cache()
        if source.mode == UPDATE:
            cached.append(silver)
            merged, counts = merge_update(source, silver)
            candidates[name] = Candidate(name, merged, found, merge=counts)
        else:
            candidates[name] = Candidate(name, silver, found)
    for candidate in candidates.values():
        candidate.failed_rules = key_rules(candidate) + reference_rules(candidate, candidates)
        logger.info(
            "checked %s: %s rows, failed rules %s",
            candidate.name,
            candidate.silver_rows,
            [rule.rule for rule in candidate.failed_rules],
        )
    counts = {
        name: c.merge or replacement_counts(c.silver, c.silver_rows, sources[name].live)
        for name, c in candidates.items()
    }
    # Every table is written before any Glue table is switched: a run that fails while writing
    # (Spark) leaves every live table as it was, so none is live while the run is recorded FAILED.
    written = {name: write_new_run(c, paths, s3, glue) for name, c in candidates.items() if c.passed}
    quarantined = {name: quarantine(c, paths, s3) for name, c in candidates.items() if not c.passed}
    datasets = []
    for name, candidate in candidates.items():
        outcome = (
            publish(candidate, written[name], paths, s3, glue) if candidate.passed else quarantined[name]
        )
        datasets.append(
            {
                "dataset": name,
                "table": f"{args.silver_database}.{name}",
                "bronze_rows": candidate.found.bronze_rows,
                "bronze_distinct_ids": candidate.found.bronze_distinct_ids,
                "silver_rows": candidate.silver_rows,
                "failed_rules": [rule.as_dict() for rule in candidate.failed_rules],
                "load": sources[name].load_block(),
                # For the audit item: plain strings ('' where the dataset has no watermark).
                **audit_load_fields(sources[name].load_block()),
                "silver_inserted": counts[name].inserted,
                "silver_updated": counts[name].updated,
                "silver_deleted": counts[name].deleted,
                **outcome,
            }
        )
    for frame in [*cached, *(candidate.silver for candidate in candidates.values())]:
        frame.unpersist()
    result = {
        "run_id": args.run_id,
        "data_source": args.data_source,
        "silver_database": args.silver_database,
        "published": [d["dataset"] for d in datasets if d["state"] == "SILVER"],
        "quarantined": [d["dataset"] for d in datasets if d["state"] == "QUARANTINED"],
        "datasets": datasets,
        "finished_at": datetime.now(UTC).isoformat(),
    }
    put_json(s3, args.silver_bucket, paths.result_key(), result)
    return result


def main(argv: Sequence[str] | None = None, *, s3: Any = None, glue: Any = None) -> dict[str, Any]:
    """Entry point on Glue and locally; ``s3``/``glue``: boto3 clients (created when not given)."""
    return lakehouse_publish.run_job(
        "wordpress_bronze_to_silver",
        argv,
        parse_arguments,
        run,
        lambda result: [d["dataset"] for d in result["datasets"] if d.get("cleanup_errors")],
        lambda args: f"s3://{args.silver_bucket}/{run_paths(args).result_key()}",
        logger,
        s3,
        glue,
    )


if __name__ == "__main__":
    main()
