"""WordPress silver -> gold: the site's silver tables joined into the shape an analyst asks about, each
gold table published only when it passes its quality rules. An AWS Glue 5.0 job (Spark 3.5, Python
3.11) that also runs under plain PySpark, with the conventions of ``wordpress_bronze_to_silver.py``
(``jobs/README.md``).

Arguments (Glue style ``--name value``; Glue's ``getResolvedOptions`` when ``awsglue`` is importable,
a plain parser otherwise; arguments Glue adds, such as ``--TempDir``, are ignored): ``--run_id``,
``--silver_database``, ``--gold_bucket``, ``--gold_database``, optional ``--silver_bucket`` (every
silver table must be in it; the local emulator mirrors the buckets a job's arguments name),
``--audit_table`` (the DynamoDB audit table: publishes the audit trail as the gold table ``audit``),
``--JOB_NAME`` (Glue) and, locally only, ``--local_s3_root`` (Spark reads and writes
``s3://<bucket>/<key>`` as ``file://<root>/<bucket>/<key>``; catalog locations stay ``s3://``). A bad
argument is a JobError naming it.

Inputs: the silver Glue tables ``posts``, ``users``, ``categories``, ``tags`` and, when it exists,
``comments``, read at their tables' current locations. Gold is rebuilt from silver every run. A gold
table whose silver inputs do not exist (the pipeline's ``endpoints`` do not load them) is SKIPPED with
a reason naming them, not quarantined: ``posts_enriched`` needs posts, users, categories and tags,
``publishing_activity`` posts and users, ``taxonomy_usage`` posts, categories and tags.

Tables (``jobs/README.md`` "Gold tables"):

- ``posts_enriched``: one row per published post (``status`` ``publish``) with its author's name, its
  category and tag names (in id order), word count and reading minutes of its content's text (the
  HTML as text by ``lakehouse_publish.html_to_text``), ``comment_count`` when ``comments`` exists;
  partitioned by ``year``/``month`` (silver's: of ``date_gmt``);
- ``publishing_activity``: per year, month and author: posts, words, first and last post (UTC);
- ``taxonomy_usage``: per taxonomy (``category`` | ``tag``), term and month: the posts that used it;
- ``audit`` (with ``--audit_table``): every item of the DynamoDB audit table with this run's gold
  outcomes, so Athena can answer ``queries/last_run_audit.sql``; no quality gate (a copy).

Quality gate per table: ``posts_once`` (posts_enriched: every published silver post exactly once),
``author_resolved`` (posts_enriched, publishing_activity), ``categories_resolved`` and
``tags_resolved`` (posts_enriched, taxonomy_usage), ``activity_totals`` (publishing_activity: posts and
words add up to posts_enriched's). A failing table goes to ``quarantine/wordpress_api/<table>/<run_id>/``
with ``report.json`` (the unresolved ids); the other tables publish. A passing table is written to
``s3://<gold>/wordpress_api/<table>/run=<run_id>/``; when every passing table is written, each Glue table
is switched there by one UpdateTable (CreateTable the first time) and superseded run folders are
removed. The outcome is written to ``_runs/wordpress_api/<run_id>/result.json``. The job fails only on
errors (bad arguments, unreadable silver data, AWS errors).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pyspark import cloudpickle
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - Spark's convention
from pyspark.sql.types import ArrayType, IntegerType, LongType, StringType

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

logger = logging.getLogger("wordpress_silver_to_gold")

JobError = lake.JobError
SOURCE = "wordpress_api"  # the gold data, quarantine and _runs prefix
RUN_MARKER = "run="  # gold run folders: wordpress_api/<table>/run=<run_id>/
POSTS_ENRICHED, PUBLISHING_ACTIVITY, TAXONOMY_USAGE = (
    "posts_enriched",
    "publishing_activity",
    "taxonomy_usage",
)
GOLD_TABLES = (POSTS_ENRICHED, PUBLISHING_ACTIVITY, TAXONOMY_USAGE)
PARTITION_COLUMNS = ("year", "month")  # posts_enriched's partitions
WORDS_PER_MINUTE = 200
PUBLISHED = "publish"  # WordPress's status of a published post
LOCAL_DATE_COLUMNS = ("date", "modified")  # silver's site-local wall-clock times (timestamp_ntz)
EXAMPLES = 10  # unresolved ids named in a rule's detail (result.json lists them all)
# (taxonomy value in taxonomy_usage, silver column of posts, silver term table, gold names column)
TAXONOMIES = (
    ("category", "categories", "categories", "category_names"),
    ("tag", "tags", "tags", "tag_names"),
)

AUDIT = "audit"  # the gold table of the audit trail (--audit_table)
# Its columns: the attributes every audit item may carry that a question about runs names, typed as
# stored (local/query.py registers audit.json with the same names and types).
AUDIT_COLUMNS = (
    ("dataset", "string"),
    ("run_id", "string"),
    ("state", "string"),
    ("layer", "string"),
    ("source", "string"),
    ("raw_records", "bigint"),
    ("bronze_rows", "bigint"),
    ("silver_rows", "bigint"),
    ("gold_rows", "bigint"),
    ("reason", "string"),
    ("updated_at", "string"),
    ("execution_arn", "string"),
)
# The silver tables each gold table is built from (comments is optional: comment_count when it exists).
NEEDS = {
    POSTS_ENRICHED: ("posts", "users", "categories", "tags"),
    PUBLISHING_ACTIVITY: ("posts", "users"),
    TAXONOMY_USAGE: ("posts", "categories", "tags"),
}

REQUIRED_ARGUMENTS = ("run_id", "silver_database", "gold_bucket", "gold_database")
OPTIONAL_ARGUMENTS = ("silver_bucket", "audit_table", "local_s3_root", "JOB_NAME")


def _word_count(content: str | None) -> int:
    """Words of an HTML body's text (tags removed, entities decoded)."""
    text = lake.html_to_text(content)
    return len(text.split()) if text else 0


word_count = F.udf(_word_count, IntegerType())
# Spark's Python workers cannot import this script nor, in a local run, lakehouse_publish: ship the
# functions by value (on Glue the script is __main__, pickled by value anyway).
cloudpickle.register_pickle_by_value(lake)
if __name__ != "__main__" and __name__ in sys.modules:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class Arguments:
    run_id: str
    silver_database: str
    gold_bucket: str
    gold_database: str
    silver_bucket: str | None = None  # when given, every silver table must be in it
    audit_table: str | None = None  # when given, the audit trail is published as <gold_database>.audit
    local_s3_root: str | None = None
    job_name: str | None = None


def parse_arguments(argv: Sequence[str]) -> Arguments:
    options = lake.resolved_options(
        argv, REQUIRED_ARGUMENTS, OPTIONAL_ARGUMENTS, "wordpress_silver_to_gold", __doc__.split("\n")[0]
    )
    if not lake.RUN_ID_PATTERN.match(options["run_id"]):
        raise JobError(f"--run_id: {options['run_id']!r} must be letters, digits, '_', '.', '-' (max 128)")
    for name in ("silver_database", "gold_bucket", "gold_database"):
        if not options[name].strip():
            raise JobError(f"--{name} is empty")
    return Arguments(
        run_id=options["run_id"],
        silver_database=options["silver_database"],
        gold_bucket=options["gold_bucket"],
        gold_database=options["gold_database"],
        silver_bucket=options.get("silver_bucket") or None,
        audit_table=options.get("audit_table") or None,
        local_s3_root=options.get("local_s3_root") or None,
        job_name=options.get("JOB_NAME"),
    )


# --------------------------------------------------------------------------- paths


def run_paths(args: Arguments) -> lake.RunPaths:
    """Where this run writes: the gold bucket under ``{SOURCE}/``."""
    return lake.RunPaths(args, SOURCE, args.gold_bucket)


# --------------------------------------------------------------------------- silver


def catalog_schema(table: dict[str, Any]) -> str:
    """A Glue table's columns (partition keys last) as a Spark DDL schema; silver's ``date``/``modified``
    are the site's local time (``timestamp_ntz``)."""
    columns = [*table["StorageDescriptor"].get("Columns", []), *table.get("PartitionKeys", [])]
    return ", ".join(
        f"`{c['Name']}` "
        + ("timestamp_ntz" if c["Name"] in LOCAL_DATE_COLUMNS and c["Type"] == "timestamp" else c["Type"])
        for c in columns
    )


def parquet_files(s3: Any, location: str, local_s3_root: str | None) -> list[str]:
    return [path for path, _ in lake.written_files(s3, location, local_s3_root) if path.endswith(".parquet")]


def read_silver(spark: SparkSession, paths: lake.RunPaths, s3: Any, glue: Any, name: str) -> DataFrame | None:
    """The rows of the silver table ``name`` at its Glue table's location (partition folders read as
    columns), None when the table does not exist. A location without Parquet files is an empty table
    with the catalog's columns."""
    database = paths.args.silver_database
    table = lake.published_table(glue, database, name)
    if table is None:
        return None
    location = table["StorageDescriptor"]["Location"]
    bucket = paths.args.silver_bucket
    if bucket and not location.startswith(f"s3://{bucket}/"):
        raise JobError(
            f"silver table {database}.{name}: its location {location} is not in --silver_bucket {bucket}"
        )
    files = parquet_files(s3, location, paths.args.local_s3_root)
    if not files and paths.args.local_s3_root and parquet_files(s3, location, None):
        # A local run sees only the buckets mirrored under --local_s3_root: never publish empty gold
        # from a silver table that has data.
        raise JobError(
            f"silver table {database}.{name}: {location} holds Parquet files in S3 but none under "
            f"--local_s3_root {paths.args.local_s3_root} (mirror the silver bucket: give --silver_bucket)"
        )
    if not files:
        logger.info("silver %s.%s at %s is empty", database, name, location)
        return spark.createDataFrame([], catalog_schema(table))
    try:
        return spark.read.parquet(paths.spark(location))
    except Exception as error:  # Spark's AnalysisException: unreadable or not Parquet
        raise JobError(f"silver table {database}.{name}: cannot read {location}: {error}") from error


@dataclass
class Silver:
    """The silver tables the gold tables are built from (None: no such table)."""

    database: str
    posts: DataFrame | None
    users: DataFrame | None
    terms: dict[str, DataFrame | None]  # categories, tags
    comments: DataFrame | None

    def missing(self) -> set[str]:
        """The names of the silver input tables that do not exist."""
        tables = {"posts": self.posts, "users": self.users, **self.terms}
        return {name for name, frame in tables.items() if frame is None}

    def skip_reasons(self) -> dict[str, str]:
        """The gold tables that cannot be built, each with the reason (the silver tables it lacks)."""
        missing = self.missing()
        reasons = {}
        for name, needs in NEEDS.items():
            lacking = [table for table in needs if table in missing]
            if lacking:
                reasons[name] = (
                    f"needs the silver table(s) {', '.join(lacking)}, which {self.database} does not have "
                    "(the pipeline's endpoints do not load them)"
                )
        return reasons


def open_silver(spark: SparkSession, paths: lake.RunPaths, s3: Any, glue: Any) -> Silver:
    """Every silver input, before anything is written (a missing table is None)."""
    database = paths.args.silver_database
    posts = read_silver(spark, paths, s3, glue, "posts")
    for column in ("id", "date_gmt"):
        if posts is not None and column not in posts.columns:
            raise JobError(f"silver table {database}.posts has no {column} column")
    users = read_silver(spark, paths, s3, glue, "users")
    terms = {table: read_silver(spark, paths, s3, glue, table) for _, _, table, _ in TAXONOMIES}
    silver = Silver(database, posts, users, terms, read_silver(spark, paths, s3, glue, "comments"))
    for name in sorted(silver.missing()):
        logger.warning("no silver table %s.%s: the gold tables built from it are skipped", database, name)
    return silver


# --------------------------------------------------------------------------- gold rows


def _column_or_null(frame: DataFrame, name: str, kind: str) -> Column:
    return F.col(f"`{name}`") if name in frame.columns else F.lit(None).cast(kind)


def names_of(spark: SparkSession, frame: DataFrame | None, key: str, name: str) -> DataFrame:
    """``(key, name)`` of a silver table's rows (no rows: a missing table, or one without ``id``)."""
    if frame is None or "id" not in frame.columns:
        return spark.createDataFrame([], f"`{key}` bigint, `{name}` string")
    return frame.select(
        F.col("id").cast("bigint").alias(key), _column_or_null(frame, "name", "string").alias(name)
    ).dropDuplicates([key])


def published_posts(posts: DataFrame) -> DataFrame:
    """The silver posts a reader sees: ``status`` ``publish`` (every post when there is no status)."""
    return posts.where(F.col("status") == PUBLISHED) if "status" in posts.columns else posts


def post_terms(spark: SparkSession, posts: DataFrame, silver: Silver) -> DataFrame:
    """One row per (post, taxonomy, term id), each term id once per post, with the term's name (null
    when unresolved) and the post's year/month."""
    frames = []
    for taxonomy, column, table, _ in TAXONOMIES:
        if column not in posts.columns:
            continue
        ids = posts.select(
            F.col("id").alias("post_id"),
            "year",
            "month",
            F.explode(F.array_distinct(F.col(column).cast(ArrayType(LongType())))).alias("term_id"),
        )
        named = ids.join(names_of(spark, silver.terms[table], "term_id", "term_name"), "term_id", "left")
        frames.append(named.withColumn("taxonomy", F.lit(taxonomy)))
    empty = spark.createDataFrame(
        [], "term_id bigint, post_id bigint, year int, month int, term_name string, taxonomy string"
    )
    result = empty
    for frame in frames:
        result = result.unionByName(frame)
    return result


def term_names(terms: DataFrame, taxonomy: str, target: str) -> DataFrame:
    """``(post_id, <target>)``: a post's term names of one taxonomy, in term id order."""
    return (
        terms.where(F.col("taxonomy") == taxonomy)
        .groupBy("post_id")
        .agg(F.array_sort(F.collect_list(F.struct("term_id", "term_name"))).alias("_terms"))
        .select("post_id", F.transform("_terms", lambda term: term["term_name"]).alias(target))
    )


def posts_enriched(spark: SparkSession, posts: DataFrame, terms: DataFrame, silver: Silver) -> DataFrame:
    """One row per published post: names resolved (null when not), term names in id order, words."""
    users = names_of(spark, silver.users, "author_id", "author_name")
    year = F.col("year") if "year" in posts.columns else F.year("date_gmt")
    month = F.col("month") if "month" in posts.columns else F.month("date_gmt")
    words = word_count(_column_or_null(posts, "content", "string"))
    base = posts.select(
        F.col("id").cast("bigint").alias("id"),
        _column_or_null(posts, "slug", "string").alias("slug"),
        _column_or_null(posts, "title", "string").alias("title"),
        _column_or_null(posts, "link", "string").alias("link"),
        F.col("date_gmt").alias("date_utc"),
        _column_or_null(posts, "date", "timestamp_ntz").alias("date_local"),
        _column_or_null(posts, "modified_gmt", "timestamp").alias("modified_utc"),
        _column_or_null(posts, "author", "bigint").cast("bigint").alias("author_id"),
        words.alias("word_count"),
        year.cast("int").alias("year"),
        month.cast("int").alias("month"),
    )
    enriched = base.join(users, "author_id", "left")
    for taxonomy, _, _, target in TAXONOMIES:
        names = term_names(terms, taxonomy, target).withColumnRenamed("post_id", "id")
        enriched = enriched.join(names, "id", "left").withColumn(
            target, F.coalesce(F.col(target), F.array().cast(ArrayType(StringType())))
        )
    columns = [
        "id",
        "slug",
        "title",
        "link",
        "date_utc",
        "date_local",
        "modified_utc",
        "author_id",
        "author_name",
        "category_names",
        "tag_names",
        "word_count",
        F.ceil(F.col("word_count") / WORDS_PER_MINUTE).cast("int").alias("reading_minutes"),
    ]
    if silver.comments is not None:
        enriched = enriched.join(comment_counts(silver.comments), "id", "left")
        columns.append(F.coalesce(F.col("comment_count"), F.lit(0).cast("bigint")).alias("comment_count"))
    return enriched.select(*columns, "year", "month")


def comment_counts(comments: DataFrame) -> DataFrame:
    """``(id, comment_count)``: a post's comments in the silver ``comments`` table (``post``; only
    ``approved`` ones when there is a ``status``)."""
    if "post" not in comments.columns:
        raise JobError("the silver comments table has no post column")
    if "status" in comments.columns:
        comments = comments.where(F.col("status") == "approved")
    return comments.groupBy(F.col("post").cast("bigint").alias("id")).agg(
        F.count(F.lit(1)).alias("comment_count")
    )


def publishing_activity(enriched: DataFrame) -> DataFrame:
    """Per year, month and author: posts published, words written, first and last post (UTC)."""
    return enriched.groupBy("year", "month", "author_id", "author_name").agg(
        F.count(F.lit(1)).alias("posts"),
        F.sum("word_count").cast("bigint").alias("words"),
        F.min("date_utc").alias("first_post_utc"),
        F.max("date_utc").alias("last_post_utc"),
    )


def taxonomy_usage(terms: DataFrame) -> DataFrame:
    """Per taxonomy, term and month: the posts that used the term."""
    return (
        terms.groupBy("taxonomy", "term_id", "term_name", "year", "month")
        .agg(F.countDistinct("post_id").alias("posts"))
        .select("taxonomy", "term_id", "term_name", "year", "month", "posts")
    )


# --------------------------------------------------------------------------- quality gate


FailedRule = lake.FailedRule


@dataclass
class Candidate:
    """One gold table of the run: its rows and what the gate found."""

    name: str
    frame: DataFrame
    rows: int = 0
    years: tuple[int, int] | None = None  # posts_enriched: first and last year (partition projection)
    failed_rules: list[FailedRule] = field(default_factory=list)
    unresolved: dict[str, list[int | None]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failed_rules

    def reason(self) -> str | None:
        """One line naming every failed rule (the audit item's reason)."""
        return "; ".join(f"{r.rule}: {r.detail}" for r in self.failed_rules) or None


def _examples(ids: list[int | None]) -> str:
    return str(ids[:EXAMPLES]) + (f" and {len(ids) - EXAMPLES} more" if len(ids) > EXAMPLES else "")


def unresolved_rule(kind: str, rule: str, table: str, ids: list[int | None]) -> FailedRule | None:
    if not ids:
        return None
    return FailedRule(
        rule, len(ids), f"{len(ids)} {kind} ids have no name in silver {table}: {_examples(ids)}"
    )


def _sorted_ids(rows: list[Any], column: str) -> list[int | None]:
    ids = [row[column] for row in rows]
    return sorted(i for i in ids if i is not None) + ([None] if None in ids else [])


def check(
    candidates: dict[str, Candidate],
    silver_posts: int,
    silver_ids: int,
    enriched_stats: Any,
    terms: DataFrame,
) -> None:
    """The gate of every gold table (fills ``failed_rules`` and ``unresolved``)."""
    enriched, activity, usage = (candidates[name] for name in GOLD_TABLES)
    authors = _sorted_ids(
        enriched.frame.where(F.col("author_name").isNull()).select("author_id").distinct().collect(),
        "author_id",
    )
    term_ids = {}
    for taxonomy, *_ in TAXONOMIES:
        missing = terms.where((F.col("taxonomy") == taxonomy) & F.col("term_name").isNull())
        term_ids[taxonomy] = _sorted_ids(missing.select("term_id").distinct().collect(), "term_id")
    author_rule = unresolved_rule("author", "author_resolved", "users", authors)
    term_rules = [
        unresolved_rule(taxonomy, f"{column}_resolved", table, term_ids[taxonomy])
        for taxonomy, column, table, _ in TAXONOMIES
    ]
    # posts_enriched: every published silver post exactly once, every name resolved.
    if not (enriched.rows == silver_posts == silver_ids == enriched_stats["ids"]):
        enriched.failed_rules.append(
            FailedRule(
                "posts_once",
                max(abs(enriched.rows - silver_ids), silver_posts - silver_ids),
                f"posts_enriched has {enriched.rows} rows for {enriched_stats['ids']} ids; silver has "
                f"{silver_posts} published posts with {silver_ids} distinct ids",
            )
        )
    enriched.failed_rules += [r for r in (author_rule, *term_rules) if r]
    if authors:
        enriched.unresolved["author"] = activity.unresolved["author"] = authors
    for (taxonomy, _, _, _), rule in zip(TAXONOMIES, term_rules, strict=True):
        if rule:
            enriched.unresolved[taxonomy] = usage.unresolved[taxonomy] = term_ids[taxonomy]
    # publishing_activity: names resolved, totals equal posts_enriched's (and silver's post count).
    totals = activity.frame.agg(
        F.coalesce(F.sum("posts"), F.lit(0)).alias("posts"),
        F.coalesce(F.sum("words"), F.lit(0)).alias("words"),
    ).collect()[0]
    if author_rule:
        activity.failed_rules.append(author_rule)
    if (
        totals["posts"] != silver_ids
        or totals["posts"] != enriched.rows
        or totals["words"] != enriched_stats["words"]
    ):
        activity.failed_rules.append(
            FailedRule(
                "activity_totals",
                abs(totals["posts"] - silver_ids),
                f"activity counts {totals['posts']} posts and {totals['words']} words; posts_enriched has "
                f"{enriched.rows} posts and {enriched_stats['words']} words, silver {silver_ids} published "
                "posts",
            )
        )
    usage.failed_rules += [r for r in term_rules if r]


# --------------------------------------------------------------------------- publishing


def table_input(candidate: Candidate, location: str, run_id: str) -> dict[str, Any]:
    """The whole gold Glue table definition for one published run (one UpdateTable switches to it);
    posts_enriched's year/month by Athena's partition projection."""
    fields = candidate.frame.schema.fields
    partitioned = candidate.name == POSTS_ENRICHED
    parameters = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "parquet.compression": "SNAPPY",
        "lakehouse.run_id": run_id,
        "lakehouse.layer": "gold",
    }
    partition_keys: list[dict[str, str]] = []
    if partitioned:
        this_year = datetime.now(UTC).year
        first, last = candidate.years or (this_year, this_year)  # an empty table still gets a range
        partition_keys = [{"Name": c, "Type": "int"} for c in PARTITION_COLUMNS]
        parameters |= {
            "projection.enabled": "true",
            "projection.year.type": "integer",
            "projection.year.range": f"{first},{last}",
            "projection.month.type": "integer",
            "projection.month.range": "1,12",
            "storage.location.template": location + "year=${year}/month=${month}/",
        }
    columns = [
        {"Name": f.name, "Type": lake.hive_type(f.dataType)}
        for f in fields
        if not (partitioned and f.name in PARTITION_COLUMNS)
    ]
    return {
        "Name": candidate.name,
        "Description": f"WordPress {candidate.name}, gold (run {run_id}); rules: jobs/README.md",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": partition_keys,
        "StorageDescriptor": lake.parquet_storage(columns, location),
    }


def write_table(candidate: Candidate, spark_path: str) -> None:
    """Parquet at ``spark_path`` (replaced): posts_enriched one file per year/month, the others one file."""
    if candidate.name == POSTS_ENRICHED:
        by_month = candidate.frame.repartition(*PARTITION_COLUMNS).sortWithinPartitions("id")
        by_month.write.mode("overwrite").partitionBy(*PARTITION_COLUMNS).parquet(spark_path)
    else:
        candidate.frame.coalesce(1).write.mode("overwrite").parquet(spark_path)


Written = lake.Written


def write_new_run(candidate: Candidate, paths: lake.RunPaths, s3: Any, glue: Any) -> Written:
    written = lake.next_run_location(glue, paths, paths.args.gold_database, candidate.name, RUN_MARKER)
    write_table(candidate, paths.spark(written.location))
    lake.written_files(
        s3, written.location, paths.args.local_s3_root
    )  # Spark's marker files removed (local runs)
    return written


def publish(
    candidate: Candidate, written: Written, paths: lake.RunPaths, s3: Any, glue: Any
) -> dict[str, Any]:
    """Switch a written table's Glue table to its new run folder, then remove superseded folders."""
    args = paths.args
    definition = table_input(candidate, written.location, args.run_id)
    outcome = lake.switch_to_run(glue, s3, paths, args.gold_database, definition, written, RUN_MARKER)
    logger.info(
        "published %s: %s rows at %s (removed %s)",
        candidate.name,
        candidate.rows,
        written.location,
        outcome["removed_run_folders"],
    )
    return {"state": "GOLD", **outcome}


def quarantine(candidate: Candidate, paths: lake.RunPaths, s3: Any) -> dict[str, Any]:
    """Write a failing table's rows to the quarantine prefix with report.json; gold is untouched."""
    args, name = paths.args, candidate.name
    key = paths.quarantine_key(name)
    location = paths.uri(key)
    candidate.frame.coalesce(1).write.mode("overwrite").parquet(paths.spark(location))
    lake.written_files(s3, location, args.local_s3_root)  # Spark's marker files removed (local runs)
    report_key = f"{key}report.json"
    report = {
        "run_id": args.run_id,
        "table": f"{args.gold_database}.{name}",
        "location": location,
        "rows": candidate.rows,
        "failed_rules": [rule.as_dict() for rule in candidate.failed_rules],
        "unresolved": candidate.unresolved,
        "created_at": datetime.now(UTC).isoformat(),
    }
    lake.put_json(s3, args.gold_bucket, report_key, report)
    logger.warning("quarantined %s: %s", name, candidate.reason())
    return {"state": "QUARANTINED", "location": location, "report_key": report_key}


# --------------------------------------------------------------------------- the audit trail


def scan_audit_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every item of the DynamoDB audit table, as plain values (numbers as int or float)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            items.append({name: deserializer.deserialize(value) for name, value in item.items()})
    return items


def _audit_value(value: Any, kind: str, name: str) -> Any:
    if value is None:
        return None
    if kind == "bigint":
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
            raise JobError(f"audit attribute {name!r} is not a whole number: {value!r}")
        return int(value)
    return value if isinstance(value, str) else str(value)


def audit_rows(items: list[dict[str, Any]], outcomes: list[dict[str, Any]], run_id: str) -> list[tuple]:
    """The audit table's rows: every item, then this run's gold outcomes as the state machine records
    them right after the job (replacing an item of the same dataset and run), ordered by dataset and
    run."""
    recorded_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    by_key = {(item.get("dataset"), item.get("run_id")): item for item in items}
    for outcome in outcomes:
        by_key[(outcome["table"], run_id)] = {
            **by_key.get((outcome["table"], run_id), {}),
            "dataset": outcome["table"],
            "run_id": run_id,
            "state": outcome["state"],
            "layer": "gold",
            "gold_rows": outcome["rows"],
            "reason": outcome["reason"],
            "updated_at": recorded_at,
        }
    return [
        tuple(_audit_value(item.get(name), kind, name) for name, kind in AUDIT_COLUMNS)
        for _, item in sorted(by_key.items(), key=lambda entry: (str(entry[0][0]), str(entry[0][1])))
    ]


def publish_audit(
    spark: SparkSession,
    paths: lake.RunPaths,
    s3: Any,
    glue: Any,
    dynamodb: Any,
    outcomes: list[dict[str, Any]],
) -> dict[str, Any]:
    """``<gold_database>.audit``: the audit trail as of this run, so Athena's saved query
    ``last_run_audit`` reads it (Athena does not read DynamoDB tables); published like a gold table."""
    args = paths.args
    items = scan_audit_items(dynamodb, args.audit_table)
    schema = ", ".join(f"`{name}` {kind}" for name, kind in AUDIT_COLUMNS)
    candidate = Candidate(AUDIT, spark.createDataFrame(audit_rows(items, outcomes, args.run_id), schema))
    candidate.rows = candidate.frame.count()
    written = write_new_run(candidate, paths, s3, glue)
    published = publish(candidate, written, paths, s3, glue)
    return {
        "table": f"{args.gold_database}.{AUDIT}",
        "rows": candidate.rows,
        "location": published["location"],
        "source": args.audit_table,
        "cleanup_errors": published["cleanup_errors"],
    }


# --------------------------------------------------------------------------- the run


def build(spark: SparkSession, silver: Silver) -> tuple[dict[str, Candidate], Callable[[], None]]:
    """The gold candidates, checked; returns them and a function releasing their caches."""
    assert silver.posts is not None, "no gold table is built without silver posts"
    posts = published_posts(silver.posts)
    if "year" not in posts.columns:
        posts = posts.withColumn("year", F.year("date_gmt")).withColumn("month", F.month("date_gmt"))
    posts = posts.cache()
    silver_stats = posts.agg(F.count(F.lit(1)).alias("rows"), F.countDistinct("id").alias("ids")).collect()[0]
    terms = post_terms(spark, posts, silver).cache()
    enriched = posts_enriched(spark, posts, terms, silver).cache()
    candidates = {
        POSTS_ENRICHED: Candidate(POSTS_ENRICHED, enriched),
        PUBLISHING_ACTIVITY: Candidate(PUBLISHING_ACTIVITY, publishing_activity(enriched).cache()),
        TAXONOMY_USAGE: Candidate(TAXONOMY_USAGE, taxonomy_usage(terms).cache()),
    }
    stats = enriched.agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct("id").alias("ids"),
        F.coalesce(F.sum("word_count"), F.lit(0)).alias("words"),
        F.min("year").alias("first_year"),
        F.max("year").alias("last_year"),
    ).collect()[0]
    for candidate in candidates.values():
        candidate.rows = stats["rows"] if candidate.name == POSTS_ENRICHED else candidate.frame.count()
    if stats["first_year"] is not None:
        candidates[POSTS_ENRICHED].years = (stats["first_year"], stats["last_year"])
    check(candidates, silver_stats["rows"], silver_stats["ids"], stats, terms)

    def release() -> None:
        for frame in (posts, terms, *(c.frame for c in candidates.values())):
            frame.unpersist()

    return candidates, release


def run(spark: SparkSession, args: Arguments, s3: Any, glue: Any, dynamodb: Any = None) -> dict[str, Any]:
    """The whole run; returns the result document (also written to the run's ``result.json``)."""
    lake.configure(spark)
    paths = run_paths(args)
    silver = open_silver(spark, paths, s3, glue)  # every input opened before anything is written
    skipped = silver.skip_reasons()
    for name, reason in skipped.items():
        logger.warning("skipped %s: %s", name, reason)
    candidates, release = {}, lambda: None
    if len(skipped) < len(GOLD_TABLES):
        built, release = build(spark, silver)
        candidates = {name: c for name, c in built.items() if name not in skipped}
    for candidate in candidates.values():
        logger.info(
            "checked %s: %s rows, failed rules %s",
            candidate.name,
            candidate.rows,
            [rule.rule for rule in candidate.failed_rules],
        )
    # Every passing table is written before any Glue table is switched: a run that fails while writing
    # leaves every gold table as it was.
    written = {name: write_new_run(c, paths, s3, glue) for name, c in candidates.items() if c.passed}
    outcomes = {name: quarantine(c, paths, s3) for name, c in candidates.items() if not c.passed}
    outcomes |= {name: publish(candidates[name], w, paths, s3, glue) for name, w in written.items()}
    tables: dict[str, dict[str, Any]] = {}
    for name in GOLD_TABLES:
        if name in skipped:
            tables[name] = {
                "state": "SKIPPED",
                "rows": 0,
                "location": None,
                "table": f"{args.gold_database}.{name}",
                "failed_rules": [],
                "reason": skipped[name],
            }
            continue
        candidate = candidates[name]
        entry: dict[str, Any] = {
            "state": outcomes[name]["state"],
            "rows": candidate.rows,
            "location": outcomes[name]["location"],
            "table": f"{args.gold_database}.{name}",
            "failed_rules": [rule.as_dict() for rule in candidate.failed_rules],
            **{k: v for k, v in outcomes[name].items() if k not in ("state", "location")},
        }
        if not candidate.passed:
            entry["reason"] = candidate.reason()
        if candidate.unresolved:
            entry["unresolved"] = candidate.unresolved
        tables[name] = entry
    release()
    outcome_list = [
        {
            "table": name,
            "state": table["state"],
            "rows": int(table.get("rows") or 0),
            "location": table.get("location") or "",
            "reason": table.get("reason") or "",
        }
        for name, table in tables.items()
    ]
    audit = None
    if args.audit_table:
        if dynamodb is None:
            import boto3

            dynamodb = boto3.client("dynamodb", region_name=glue.meta.region_name)
        audit = publish_audit(spark, paths, s3, glue, dynamodb, outcome_list)
    result = {
        "run_id": args.run_id,
        "silver_database": args.silver_database,
        "gold_database": args.gold_database,
        "published": [name for name, t in tables.items() if t["state"] == "GOLD"],
        "quarantined": [name for name, t in tables.items() if t["state"] == "QUARANTINED"],
        "skipped": [name for name, t in tables.items() if t["state"] == "SKIPPED"],
        "tables": tables,
        # The same, as a list the state machine's Map records in the audit table (every key present).
        "outcomes": outcome_list,
        "audit": audit,  # the published audit trail (None without --audit_table)
        "finished_at": datetime.now(UTC).isoformat(),
    }
    lake.put_json(s3, args.gold_bucket, paths.result_key(), result)
    return result


def main(
    argv: Sequence[str] | None = None, *, s3: Any = None, glue: Any = None, dynamodb: Any = None
) -> dict[str, Any]:
    """Entry point on Glue and locally; ``s3``/``glue``/``dynamodb``: boto3 clients (created when not
    given)."""
    return lake.run_job(
        "wordpress_silver_to_gold",
        argv,
        parse_arguments,
        lambda spark, args, s3, glue: run(spark, args, s3, glue, dynamodb),
        lambda result: [
            *(name for name, t in result["tables"].items() if t.get("cleanup_errors")),
            *([AUDIT] if (result.get("audit") or {}).get("cleanup_errors") else []),
        ],
        lambda args: f"s3://{args.gold_bucket}/{run_paths(args).result_key()}",
        logger,
        s3,
        glue,
    )


if __name__ == "__main__":
    main()
