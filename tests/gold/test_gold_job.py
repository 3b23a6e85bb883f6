"""The gold job (jobs/wordpress_silver_to_gold.py) through its main(), against moto in process (silver and
gold Glue tables, result and report JSON in S3) with Spark's I/O on a local mirror (``--local_s3_root``).
The silver tables are written here with pyarrow in the layout and types the WordPress silver job
publishes (``wordpress_api/<table>/run_id=<run>/``, posts partitioned by ``year``/``month``; ``date_gmt``
a UTC timestamp, ``date`` the site's wall-clock time, ``categories``/``tags`` lists of ids, ``content``
the HTML body) and registered as Glue tables pointing there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from local.spark import JOBS_DIR, load_job_module
from tests.silver.moto_env import RecordingGlue, mocked_aws

REGION = "eu-west-2"
SILVER, GOLD = "lake-silver", "lake-gold"
SILVER_DB, GOLD_DB = "data_lakehouse_silver", "data_lakehouse_gold"
GLUE_TYPES = {
    pa.int64(): "bigint",
    pa.string(): "string",
    pa.bool_(): "boolean",
    pa.timestamp("us", tz="UTC"): "timestamp",
    pa.timestamp("us"): "timestamp",
    pa.list_(pa.int64()): "array<bigint>",
}
POST_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("date", pa.timestamp("us")),
        ("date_gmt", pa.timestamp("us", tz="UTC")),
        ("modified", pa.timestamp("us")),
        ("modified_gmt", pa.timestamp("us", tz="UTC")),
        ("slug", pa.string()),
        ("status", pa.string()),
        ("link", pa.string()),
        ("title", pa.string()),
        ("content", pa.string()),
        ("author", pa.int64()),
        ("categories", pa.list_(pa.int64())),
        ("tags", pa.list_(pa.int64())),
        ("_run_id", pa.string()),
    ]
)
USER_SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("slug", pa.string())])
TERM_SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("taxonomy", pa.string())])
COMMENT_SCHEMA = pa.schema([("id", pa.int64()), ("post", pa.int64()), ("status", pa.string())])
WORDS_401 = "<p>" + " ".join(["word"] * 400) + "</p>\n<p>last</p>"


def utc(day: int, month: int = 3, hour: int = 10) -> datetime:
    return datetime(2024, month, day, hour, 0, tzinfo=UTC)


def post(
    post_id: int,
    author: int,
    when: datetime,
    categories: list[int],
    tags: list[int],
    content: str | None,
    status: str = "publish",
) -> dict[str, Any]:
    return {
        "id": post_id,
        "date": when.replace(tzinfo=None, hour=when.hour + 1),  # the site is at UTC+1
        "date_gmt": when,
        "modified": when.replace(tzinfo=None, hour=when.hour + 2),
        "modified_gmt": when.replace(hour=when.hour + 1),
        "slug": f"post-{post_id}",
        "status": status,
        "link": f"https://blog.example/post-{post_id}/",
        "title": f"Post {post_id} & more",
        "content": content,
        "author": author,
        "categories": categories,
        "tags": tags,
        "_run_id": "silver-1",
    }


POSTS = [
    # post 1: categories and tags listed out of id order; "&nbsp;" separates two words
    post(1, 1, utc(5), [10, 3], [5, 2], "<p>One two&nbsp;three</p><p>four</p>\n"),
    post(2, 2, utc(20), [3], [], WORDS_401),
    post(3, 1, utc(2, month=4), [7], [2], None),
    post(4, 2, utc(21), [3], [5], "<p>a draft</p>", status="draft"),  # not published: not in gold
]
USERS = [{"id": 1, "name": "Ann", "slug": "ann"}, {"id": 2, "name": "Bob", "slug": "bob"}]
CATEGORIES = [
    {"id": 10, "name": "News", "taxonomy": "category"},
    {"id": 3, "name": "Café & Tips", "taxonomy": "category"},
    {"id": 7, "name": "Zeta", "taxonomy": "category"},
]
TAGS = [{"id": 5, "name": "spark", "taxonomy": "post_tag"}, {"id": 2, "name": "glue", "taxonomy": "post_tag"}]
COMMENTS = [
    {"id": 100, "post": 1, "status": "approved"},
    {"id": 101, "post": 1, "status": "approved"},
    {"id": 102, "post": 2, "status": "hold"},
]


class Lake:
    """moto's S3 and Glue, the local mirror Spark reads and writes, and the job module."""

    def __init__(self, root: Path, job: ModuleType) -> None:
        self.root, self.job = root, job
        self.s3 = boto3.client("s3", region_name=REGION)
        self.glue = RecordingGlue(boto3.client("glue", region_name=REGION))

    def silver(
        self,
        name: str,
        rows: list[dict[str, Any]],
        schema: pa.Schema,
        run: str = "silver-1",
        database: str = SILVER_DB,
    ) -> None:
        """A silver table as the silver job publishes it: Parquet in a run folder (posts by year/month),
        its Glue table pointing there."""
        location = f"s3://{SILVER}/wordpress_api/{name}/run_id={run}/"
        folder = self.root / location.removeprefix("s3://")
        partition_keys = []
        if name == "posts":
            partition_keys = [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "int"}]
            months = sorted({(r["date_gmt"].year, r["date_gmt"].month) for r in rows})
            for year, month in months:
                some = [r for r in rows if (r["date_gmt"].year, r["date_gmt"].month) == (year, month)]
                target = folder / f"year={year}" / f"month={month}" / "part-00000.snappy.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.Table.from_pylist(some, schema=schema), target)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "part-00000.snappy.parquet")
        table = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": partition_keys,
            "StorageDescriptor": {
                "Columns": [{"Name": f.name, "Type": GLUE_TYPES[f.type]} for f in schema],
                "Location": location,
            },
        }
        try:
            self.glue.update_table(DatabaseName=database, TableInput=table)
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_table(DatabaseName=database, TableInput=table)

    def run(self, run_id: str, silver_database: str = SILVER_DB, *extra: str) -> dict[str, Any]:
        self.glue.calls.clear()
        argv = [*arguments(self.root, run_id, silver_database), *extra]
        return self.job.main(
            argv, s3=self.s3, glue=self.glue, dynamodb=boto3.client("dynamodb", region_name=REGION)
        )

    def table(self, name: str) -> dict[str, Any]:
        return self.glue.get_table(DatabaseName=GOLD_DB, Name=name)["Table"]

    def json(self, key: str) -> dict[str, Any]:
        return json.loads(self.s3.get_object(Bucket=GOLD, Key=key)["Body"].read())

    def rows(self, location: str, *order_by: str) -> list[dict[str, Any]]:
        """The Parquet rows at a gold location (partition folders read as columns)."""
        frame = self.job.SparkSession.builder.getOrCreate().read.parquet(f"file://{self.local(location)}")
        return [row.asDict() for row in frame.orderBy(*order_by).collect()]

    def local(self, location: str) -> Path:
        return self.root / location.removeprefix("s3://")


def arguments(root: Path, run_id: str, silver_database: str = SILVER_DB) -> list[str]:
    return [
        "--JOB_NAME", "wordpress_silver_to_gold",
        "--run_id", run_id,
        "--silver_database", silver_database,
        "--gold_bucket", GOLD,
        "--gold_database", GOLD_DB,
        "--local_s3_root", str(root),
        "--TempDir", "s3://lake-scripts/temp/",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def job(spark: Any) -> ModuleType:
    return load_job_module(JOBS_DIR / "wordpress_silver_to_gold.py")


@pytest.fixture(scope="module")
def lake(job: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """moto with the buckets and databases, the silver tables above and a first gold run ``gold-1``."""
    with mocked_aws(REGION):
        lake = Lake(tmp_path_factory.mktemp("s3"), job)
        for bucket in (SILVER, GOLD):
            lake.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        for database in (SILVER_DB, GOLD_DB):
            lake.glue.create_database(DatabaseInput={"Name": database})
        lake.silver("posts", POSTS, POST_SCHEMA)
        lake.silver("users", USERS, USER_SCHEMA)
        lake.silver("categories", CATEGORIES, TERM_SCHEMA)
        lake.silver("tags", TAGS, TERM_SCHEMA)
        lake.silver("comments", COMMENTS, COMMENT_SCHEMA)
        lake.first = lake.run("gold-1")
        lake.first_calls = list(lake.glue.calls)
        yield lake


def test_posts_enriched_resolves_names_in_id_order_and_counts_words(lake: Lake) -> None:
    entry = lake.first["tables"]["posts_enriched"]
    assert (entry["state"], entry["rows"]) == ("GOLD", 3), "the draft (post 4) is not a published post"
    rows = lake.rows(entry["location"], "id")
    assert [r["id"] for r in rows] == [1, 2, 3]
    first = rows[0]
    assert (first["slug"], first["title"], first["link"]) == (
        "post-1",
        "Post 1 & more",
        "https://blog.example/post-1/",
    )
    assert (first["author_id"], first["author_name"]) == (1, "Ann")
    assert first["category_names"] == ["Café & Tips", "News"], "category ids 3, 10: in id order"
    assert first["tag_names"] == ["glue", "spark"], "tag ids 2, 5: in id order"
    assert rows[1]["tag_names"] == [], "a post without tags has an empty list"
    assert first["date_utc"] == datetime(2024, 3, 5, 10, 0)  # the session reads UTC instants in UTC
    assert first["date_local"] == datetime(2024, 3, 5, 11, 0), "the site's wall-clock time"
    assert first["modified_utc"] == datetime(2024, 3, 5, 11, 0)
    assert [(r["year"], r["month"]) for r in rows] == [(2024, 3), (2024, 3), (2024, 4)]
    # "One two&nbsp;three</p><p>four": tags removed, the entity decoded to white space: 4 words
    assert [(r["word_count"], r["reading_minutes"]) for r in rows] == [(4, 1), (401, 3), (0, 0)]
    assert [r["comment_count"] for r in rows] == [2, 0, 0], "approved comments only"


def test_posts_enriched_is_partitioned_by_year_and_month_with_projection(lake: Lake) -> None:
    entry = lake.first["tables"]["posts_enriched"]
    assert entry["location"] == "s3://lake-gold/wordpress_api/posts_enriched/run=gold-1/"
    folder = lake.local(entry["location"])
    assert sorted(str(p.relative_to(folder)) for p in folder.glob("year=*/month=*")) == [
        "year=2024/month=3",
        "year=2024/month=4",
    ]
    table = lake.table("posts_enriched")
    assert table["PartitionKeys"] == [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "int"}]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == {
        "id": "bigint",
        "slug": "string",
        "title": "string",
        "link": "string",
        "date_utc": "timestamp",
        "date_local": "timestamp",
        "modified_utc": "timestamp",
        "author_id": "bigint",
        "author_name": "string",
        "category_names": "array<string>",
        "tag_names": "array<string>",
        "word_count": "int",
        "reading_minutes": "int",
        "comment_count": "bigint",
    }
    parameters = table["Parameters"]
    assert parameters["projection.year.range"] == "2024,2024"
    assert parameters["storage.location.template"] == entry["location"] + "year=${year}/month=${month}/"
    assert parameters["lakehouse.layer"] == "gold" and parameters["lakehouse.run_id"] == "gold-1"


def test_publishing_activity_totals_equal_the_post_counts(lake: Lake) -> None:
    entry = lake.first["tables"]["publishing_activity"]
    assert entry["state"] == "GOLD"
    rows = lake.rows(entry["location"], "year", "month", "author_id")
    assert [
        (r["year"], r["month"], r["author_id"], r["author_name"], r["posts"], r["words"]) for r in rows
    ] == [(2024, 3, 1, "Ann", 1, 4), (2024, 3, 2, "Bob", 1, 401), (2024, 4, 1, "Ann", 1, 0)]
    assert (rows[0]["first_post_utc"], rows[0]["last_post_utc"]) == (
        datetime(2024, 3, 5, 10),
        datetime(2024, 3, 5, 10),
    )
    assert sum(r["posts"] for r in rows) == lake.first["tables"]["posts_enriched"]["rows"]
    columns = [c["Name"] for c in lake.table("publishing_activity")["StorageDescriptor"]["Columns"]]
    assert columns == [
        "year",
        "month",
        "author_id",
        "author_name",
        "posts",
        "words",
        "first_post_utc",
        "last_post_utc",
    ]


def test_taxonomy_usage_counts_posts_per_term_and_month(lake: Lake) -> None:
    entry = lake.first["tables"]["taxonomy_usage"]
    assert entry["state"] == "GOLD"
    rows = lake.rows(entry["location"], "taxonomy", "term_id", "year", "month")
    assert [
        (r["taxonomy"], r["term_id"], r["term_name"], r["year"], r["month"], r["posts"]) for r in rows
    ] == [
        ("category", 3, "Café & Tips", 2024, 3, 2),  # posts 1 and 2 (post 4 is a draft)
        ("category", 7, "Zeta", 2024, 4, 1),
        ("category", 10, "News", 2024, 3, 1),
        ("tag", 2, "glue", 2024, 3, 1),
        ("tag", 2, "glue", 2024, 4, 1),
        ("tag", 5, "spark", 2024, 3, 1),
    ]
    assert rows == sorted(rows, key=lambda r: (r["taxonomy"], r["term_id"], r["year"], r["month"]))


def test_result_json_has_the_contract_shape(lake: Lake) -> None:
    result = lake.json("_runs/wordpress_api/gold-1/result.json")
    assert result == json.loads(json.dumps(lake.first, default=str))
    assert result["run_id"] == "gold-1"
    assert result["published"] == ["posts_enriched", "publishing_activity", "taxonomy_usage"]
    assert result["quarantined"] == []
    for name, entry in result["tables"].items():
        assert {"state", "rows", "location"} <= set(entry), name
        assert "reason" not in entry and "unresolved" not in entry, name
        assert entry["location"] == f"s3://lake-gold/wordpress_api/{name}/run=gold-1/"
    assert sorted(lake.first_calls) == [
        ("CreateTable", GOLD_DB, "posts_enriched"),
        ("CreateTable", GOLD_DB, "publishing_activity"),
        ("CreateTable", GOLD_DB, "taxonomy_usage"),
    ], "one catalog write per gold table"


def test_a_second_run_switches_the_tables_and_removes_superseded_folders(lake: Lake) -> None:
    lake.glue.delete_table(DatabaseName=SILVER_DB, Name="comments")  # comments no longer loaded
    second = lake.run("gold-2")
    assert sorted(lake.glue.calls) == [
        ("UpdateTable", GOLD_DB, "posts_enriched"),
        ("UpdateTable", GOLD_DB, "publishing_activity"),
        ("UpdateTable", GOLD_DB, "taxonomy_usage"),
    ]
    entry = second["tables"]["posts_enriched"]
    assert entry["previous_location"] == "s3://lake-gold/wordpress_api/posts_enriched/run=gold-1/"
    assert lake.table("posts_enriched")["StorageDescriptor"]["Location"] == entry["location"]
    assert "comment_count" not in lake.rows(entry["location"], "id")[0], "no comments table: no column"
    assert "comment_count" not in [
        c["Name"] for c in lake.table("posts_enriched")["StorageDescriptor"]["Columns"]
    ]
    assert lake.local(entry["previous_location"]).is_dir(), "the replaced run stays until the next publish"

    third = lake.run("gold-3")
    for name in ("posts_enriched", "publishing_activity", "taxonomy_usage"):
        assert third["tables"][name]["removed_run_folders"] == ["run=gold-1"], name
        assert sorted(p.name for p in lake.local(f"s3://lake-gold/wordpress_api/{name}/").iterdir()) == [
            "run=gold-2",
            "run=gold-3",
        ]


def test_an_unresolved_author_quarantines_posts_and_activity_but_taxonomy_publishes(lake: Lake) -> None:
    live = {
        name: lake.table(name)["StorageDescriptor"]["Location"]
        for name in ("posts_enriched", "publishing_activity")
    }
    lake.silver(
        "posts", [*POSTS, post(5, 99, utc(6, month=4), [7], [], "<p>ghost</p>")], POST_SCHEMA, run="silver-2"
    )
    try:
        result = lake.run("gold-bad")
        calls = list(lake.glue.calls)
    finally:
        lake.silver("posts", POSTS, POST_SCHEMA)
    assert result["published"] == ["taxonomy_usage"]
    assert result["quarantined"] == ["posts_enriched", "publishing_activity"]
    for name in ("posts_enriched", "publishing_activity"):
        entry = result["tables"][name]
        assert entry["state"] == "QUARANTINED"
        assert entry["unresolved"] == {"author": [99]}
        assert entry["reason"] == "author_resolved: 1 author ids have no name in silver users: [99]"
        assert entry["location"] == f"s3://lake-gold/quarantine/wordpress_api/{name}/gold-bad/"
        report = lake.json(f"quarantine/wordpress_api/{name}/gold-bad/report.json")
        assert report["unresolved"] == {"author": [99]}
        assert [rule["rule"] for rule in report["failed_rules"]] == ["author_resolved"]
        assert lake.table(name)["StorageDescriptor"]["Location"] == live[name], "the gold table is untouched"
    assert calls == [("UpdateTable", GOLD_DB, "taxonomy_usage")], "only taxonomy_usage is switched"
    usage = result["tables"]["taxonomy_usage"]
    assert usage["state"] == "GOLD" and "unresolved" not in usage
    quarantined = lake.rows(result["tables"]["posts_enriched"]["location"], "id")
    assert [(r["id"], r["author_name"]) for r in quarantined][-1] == (5, None), "the rows kept for inspection"


def test_unresolved_terms_quarantine_the_tables_that_name_them(lake: Lake) -> None:
    lake.silver("tags", [TAGS[0]], TERM_SCHEMA, run="silver-2")  # tag 2 ("glue") is gone
    try:
        result = lake.run("gold-tags")
    finally:
        lake.silver("tags", TAGS, TERM_SCHEMA)
    assert result["published"] == ["publishing_activity"]
    for name in ("posts_enriched", "taxonomy_usage"):
        assert result["tables"][name]["unresolved"] == {"tag": [2]}
        assert result["tables"][name]["reason"].startswith("tags_resolved: 1 tag ids have no name")


def test_a_post_twice_in_silver_quarantines_posts_and_activity(lake: Lake) -> None:
    lake.silver("posts", [*POSTS, POSTS[0]], POST_SCHEMA, run="silver-dup")
    try:
        result = lake.run("gold-dup")
    finally:
        lake.silver("posts", POSTS, POST_SCHEMA)
    assert result["quarantined"] == ["posts_enriched", "publishing_activity"]
    assert [r["rule"] for r in result["tables"]["posts_enriched"]["failed_rules"]] == ["posts_once"]
    assert result["tables"]["posts_enriched"]["reason"] == (
        "posts_once: posts_enriched has 4 rows for 3 ids; silver has 4 published posts with 3 distinct ids"
    )
    assert [r["rule"] for r in result["tables"]["publishing_activity"]["failed_rules"]] == ["activity_totals"]
    assert result["published"] == ["taxonomy_usage"]


def test_an_empty_silver_posts_table_publishes_empty_gold_tables(lake: Lake) -> None:
    lake.glue.create_database(DatabaseInput={"Name": "new_blog_silver"})
    lake.silver("posts", [], POST_SCHEMA, run="silver-empty", database="new_blog_silver")
    for name, schema in (("users", USER_SCHEMA), ("categories", TERM_SCHEMA), ("tags", TERM_SCHEMA)):
        lake.silver(name, [], schema, run="silver-empty", database="new_blog_silver")
    result = lake.run("gold-empty", silver_database="new_blog_silver")
    assert result["published"] == ["posts_enriched", "publishing_activity", "taxonomy_usage"]
    assert {name: t["rows"] for name, t in result["tables"].items()} == {
        "posts_enriched": 0,
        "publishing_activity": 0,
        "taxonomy_usage": 0,
    }
    this_year = datetime.now(UTC).year
    projection = lake.table("posts_enriched")["Parameters"]["projection.year.range"]
    assert projection == f"{this_year},{this_year}", "an empty table still gets a valid range"
    assert "comment_count" not in [
        c["Name"] for c in lake.table("posts_enriched")["StorageDescriptor"]["Columns"]
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--run_id", "bad run"), r"--run_id: 'bad run' must be letters"),
        (("--gold_bucket", " "), r"--gold_bucket is empty"),
        (("--silver_database", ""), r"--silver_database is empty"),
    ],
)
def test_a_bad_argument_is_named(job: ModuleType, change: tuple[str, str], message: str) -> None:
    argv = arguments(Path("/tmp"), "gold-x")
    argv[argv.index(change[0]) + 1] = change[1]
    with pytest.raises(job.JobError, match=message):
        job.parse_arguments(argv)


def test_a_missing_argument_is_named(job: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    argv = arguments(Path("/tmp"), "gold-x")
    del argv[argv.index("--gold_database") : argv.index("--gold_database") + 2]
    with pytest.raises(SystemExit):
        job.parse_arguments(argv)
    assert "--gold_database" in capsys.readouterr().err


def test_a_silver_table_outside_the_silver_bucket_is_named(lake: Lake) -> None:
    argv = [*arguments(lake.root, "gold-elsewhere"), "--silver_bucket", "other-silver"]
    lake.glue.calls.clear()
    with pytest.raises(lake.job.JobError, match=r"silver table data_lakehouse_silver.posts: its location "):
        lake.job.main(argv, s3=lake.s3, glue=lake.glue)
    assert lake.glue.calls == []


def test_a_local_run_without_the_silver_data_fails_rather_than_publishing_nothing(lake: Lake) -> None:
    lake.glue.create_database(DatabaseInput={"Name": "unmirrored_silver"})
    lake.silver("posts", [], POST_SCHEMA, run="only-in-s3", database="unmirrored_silver")
    key = "wordpress_api/posts/run_id=only-in-s3/year=2024/month=3/part-00000.snappy.parquet"
    lake.s3.put_object(Bucket=SILVER, Key=key, Body=b"PAR1")  # in S3, not in the local mirror
    with pytest.raises(lake.job.JobError, match=r"holds Parquet files in S3 but none under --local_s3_root"):
        lake.run("gold-unmirrored", silver_database="unmirrored_silver")
    assert lake.glue.calls == []


def test_a_deployment_without_users_skips_the_tables_that_name_authors(lake: Lake) -> None:
    """Endpoints without users: not an unresolved author (nothing to quarantine or alert), a SKIPPED
    table with the reason; taxonomy_usage still publishes."""
    lake.glue.create_database(DatabaseInput={"Name": "no_users_silver"})
    lake.silver("posts", POSTS, POST_SCHEMA, run="silver-nu", database="no_users_silver")
    for name in ("categories", "tags"):
        lake.silver(
            name, CATEGORIES if name == "categories" else TAGS, TERM_SCHEMA, database="no_users_silver"
        )
    live = lake.table("posts_enriched")["StorageDescriptor"]["Location"]
    result = lake.run("gold-nu", silver_database="no_users_silver")
    assert result["published"] == ["taxonomy_usage"]
    assert result["quarantined"] == []
    assert result["skipped"] == ["posts_enriched", "publishing_activity"]
    for name in result["skipped"]:
        entry = result["tables"][name]
        assert entry["state"] == "SKIPPED" and entry["rows"] == 0 and entry["location"] is None
        assert entry["reason"] == (
            "needs the silver table(s) users, which no_users_silver does not have "
            "(the pipeline's endpoints do not load them)"
        )
    outcomes = {o["table"]: (o["state"], o["location"]) for o in result["outcomes"]}
    assert outcomes["posts_enriched"] == ("SKIPPED", ""), "the Map records every key as a string"
    assert lake.glue.calls == [("UpdateTable", GOLD_DB, "taxonomy_usage")]
    assert lake.table("posts_enriched")["StorageDescriptor"]["Location"] == live, (
        "the gold table is untouched"
    )
    assert not list(lake.root.glob("lake-gold/quarantine/wordpress_api/*/gold-nu")), "nothing quarantined"


def test_no_silver_posts_table_skips_every_gold_table(lake: Lake) -> None:
    lake.glue.create_database(DatabaseInput={"Name": "empty_silver"})
    result = lake.run("gold-none", silver_database="empty_silver")
    assert result["skipped"] == ["posts_enriched", "publishing_activity", "taxonomy_usage"]
    assert result["published"] == [] and result["quarantined"] == []
    assert result["tables"]["taxonomy_usage"]["reason"].startswith(
        "needs the silver table(s) posts, categories, tags, which empty_silver does not have"
    )
    assert lake.json("_runs/wordpress_api/gold-none/result.json")["skipped"] == result["skipped"]
    assert lake.glue.calls == [], "nothing published"


def test_the_audit_trail_is_published_as_the_gold_table_audit(lake: Lake) -> None:
    """--audit_table: every audit item, with this run's gold outcomes as the state machine records them,
    as <gold>.audit (what Athena's last_run_audit reads); the same columns local.query gives audit.json."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="lake-audit",
        KeySchema=[
            {"AttributeName": "dataset", "KeyType": "HASH"},
            {"AttributeName": "run_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "dataset", "AttributeType": "S"},
            {"AttributeName": "run_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    items = [
        {"dataset": {"S": "posts"}, "run_id": {"S": "gold-audit"}, "state": {"S": "SILVER"},
         "raw_records": {"N": "4"}, "bronze_rows": {"N": "4"}, "silver_rows": {"N": "3"},
         "updated_at": {"S": "2026-12-07T07:03:00Z"}, "silver_partitions": {"N": "2"}},
        {"dataset": {"S": "newsletter_signups"}, "run_id": {"S": "file#etag1"}, "state": {"S": "SILVER"},
         "source": {"S": "landing"}, "updated_at": {"S": "2026-12-07T07:12:00Z"}},
        # The previous run's gold item of posts_enriched stays; this run's is added.
        {"dataset": {"S": "posts_enriched"}, "run_id": {"S": "gold-before"}, "state": {"S": "GOLD"},
         "layer": {"S": "gold"}, "gold_rows": {"N": "2"}, "reason": {"S": ""}},
    ]  # fmt: skip
    for item in items:
        dynamodb.put_item(TableName="lake-audit", Item=item)
    result = lake.run("gold-audit", SILVER_DB, "--audit_table", "lake-audit")
    audit = result["audit"]
    assert audit["table"] == f"{GOLD_DB}.audit" and audit["source"] == "lake-audit"
    assert audit["location"] == "s3://lake-gold/wordpress_api/audit/run=gold-audit/"
    assert ("CreateTable", GOLD_DB, "audit") in lake.glue.calls
    columns = [(c["Name"], c["Type"]) for c in lake.table("audit")["StorageDescriptor"]["Columns"]]
    assert columns == list(lake.job.AUDIT_COLUMNS)
    rows = {(r["dataset"], r["run_id"]): r for r in lake.rows(audit["location"], "dataset", "run_id")}
    assert audit["rows"] == len(rows) == 6
    assert (
        rows[("posts", "gold-audit")]["silver_rows"] == 3
        and rows[("posts", "gold-audit")]["state"] == "SILVER"
    )
    assert rows[("newsletter_signups", "file#etag1")]["source"] == "landing"
    assert rows[("posts_enriched", "gold-before")]["gold_rows"] == 2
    for name in ("posts_enriched", "publishing_activity", "taxonomy_usage"):
        row = rows[(name, "gold-audit")]
        assert (row["state"], row["layer"], row["gold_rows"]) == (
            "GOLD",
            "gold",
            result["tables"][name]["rows"],
        )
    assert dynamodb.scan(TableName="lake-audit")["Count"] == 3, "the job reads the audit table, never writes"


def test_the_gold_audit_table_has_the_columns_local_query_gives_audit_json(job: ModuleType) -> None:
    from local import query

    hive = {"string": pa.string(), "bigint": pa.int64()}
    assert [(name, hive[kind]) for name, kind in job.AUDIT_COLUMNS] == list(query.AUDIT_COLUMNS.items())


def test_an_audit_attribute_that_is_not_a_whole_number_is_named(job: ModuleType) -> None:
    with pytest.raises(job.JobError, match=r"audit attribute 'silver_rows' is not a whole number: 'many'"):
        job.audit_rows([{"dataset": "posts", "run_id": "r", "silver_rows": "many"}], [], "r")
