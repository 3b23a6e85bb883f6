"""The quality gate and the publication order through the job's main(), against moto in process
(result/report JSON in S3, the Glue catalog) with Spark's I/O on a local mirror
(``--local_s3_root``). Bronze inputs are written by the bronze Lambda's own converter from the sample
WordPress site's records."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from local.sample_wordpress import generate_posts, generate_statistics_pages, generate_terms, generate_users
from tests.silver.moto_env import mocked_aws

BRONZE_SRC = Path(__file__).resolve().parents[2] / "functions" / "data_wordpressapi_bronze" / "src"
if str(BRONZE_SRC) not in sys.path:
    sys.path.insert(0, str(BRONZE_SRC))

from bronze_parquet import write_parquet  # noqa: E402

REGION = "eu-west-2"
BRONZE, SILVER, DATABASE = "lake-bronze", "lake-silver", "data_lakehouse_silver"
DATASETS = ("posts", "categories", "tags", "users", "statistics_pages")
POSTS = 24
FAULT_RUN = ("posts", "users", "tags")  # the tables the faults involve (fewer Spark jobs per run)


def site_records() -> dict[str, Any]:
    posts = generate_posts(POSTS, categories=4, tags=6, users=3)
    for number, post in enumerate(posts):  # one post a month over two years
        post["date_gmt"] = f"{2020 + number // 12}-{number % 12 + 1:02d}-15T10:00:00"
        post["date"] = post["date_gmt"].replace("T10", "T11")
    return {
        "posts": posts,
        "categories": generate_terms(4, "category"),
        "tags": generate_terms(6, "post_tag"),
        "users": generate_users(3),
        "statistics_pages": generate_statistics_pages(5),
    }


def write_bronze(root: Path, records: dict[str, Any]) -> None:
    """Bronze Parquet exactly as the bronze Lambda writes it, in the local mirror of the bucket."""
    for name, items in records.items():
        raw = root / "raw" / f"{name}.json"
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        target = root / BRONZE / "wordpress_api" / name / f"{name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(
            str(raw),
            str(target),
            source_key=f"wordpress_api/{name}/{name}.json",
            ingested_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC),
        )


def arguments(root: Path, run_id: str, datasets: tuple[str, ...] = DATASETS) -> list[str]:
    return [
        "--JOB_NAME", "wordpress_bronze_to_silver",
        "--bronze_bucket", BRONZE,
        "--silver_bucket", SILVER,
        "--silver_database", DATABASE,
        "--run_id", run_id,
        "--datasets", ",".join(datasets),
        "--local_s3_root", str(root),
        "--TempDir", "s3://lake-scripts/temp/",
    ]  # fmt: skip


class Lake:
    def __init__(self, root: Path, job: ModuleType) -> None:
        self.root, self.job = root, job
        self.s3 = boto3.client("s3", region_name=REGION)
        self.glue = boto3.client("glue", region_name=REGION)

    def run(
        self, run_id: str, records: dict[str, Any], datasets: tuple[str, ...] = DATASETS
    ) -> dict[str, Any]:
        write_bronze(self.root, records)
        return self.job.main(arguments(self.root, run_id, datasets), s3=self.s3, glue=self.glue)

    def table(self, name: str) -> dict[str, Any]:
        table = self.glue.get_table(DatabaseName=DATABASE, Name=name)["Table"]
        return {key: table[key] for key in ("StorageDescriptor", "Parameters", "PartitionKeys")}

    def json(self, key: str) -> dict[str, Any]:
        return json.loads(self.s3.get_object(Bucket=SILVER, Key=key)["Body"].read())

    def local(self, location: str) -> Path:
        return self.root / location.removeprefix("s3://")


@pytest.fixture(scope="module")
def lake(job: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """moto with the buckets and the silver database, and a first clean run ``run-clean``."""
    with mocked_aws(REGION):
        root = tmp_path_factory.mktemp("s3")
        lake = Lake(root, job)
        for bucket in (BRONZE, SILVER):
            lake.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        lake.glue.create_database(DatabaseInput={"Name": DATABASE})
        lake.clean = lake.run("run-clean", site_records())
        yield lake


def test_clean_run_publishes_every_table_with_partitions_and_projection(lake: Lake, spark) -> None:
    result = lake.clean
    assert result["published"] == list(DATASETS) and result["quarantined"] == []
    assert lake.json("_runs/wordpress_api/run-clean/result.json") == json.loads(
        json.dumps(result, default=str)
    )
    entries = {d["dataset"]: d for d in result["datasets"]}
    assert entries["posts"]["silver_rows"] == POSTS == entries["posts"]["bronze_distinct_ids"]
    assert all(
        d["state"] == "SILVER" and d["failed_rules"] == [] and d["bytes"] > 0 for d in entries.values()
    )

    posts = lake.table("posts")
    location = "s3://lake-silver/wordpress_api/posts/run_id=run-clean/"
    assert posts["StorageDescriptor"]["Location"] == location == entries["posts"]["location"]
    assert [key["Name"] for key in posts["PartitionKeys"]] == ["year", "month"]
    columns = {c["Name"]: c["Type"] for c in posts["StorageDescriptor"]["Columns"]}
    assert columns["id"] == "bigint" and columns["categories"] == "array<bigint>"
    assert columns["date_gmt"] == "timestamp" and columns["title"] == "string"
    assert columns["meta"] == "string" and "_run_id" in columns and "year" not in columns
    assert not [name for name in columns if name.startswith("_links")]
    parameters = posts["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["storage.location.template"] == location + "year=${year}/month=${month}/"

    folder = lake.local(location)
    months = sorted((int(p.parent.name[5:]), int(p.name[6:])) for p in folder.glob("year=*/month=*"))
    assert len(months) == entries["posts"]["partitions"] > 1
    years = [year for year, _ in months]
    assert parameters["projection.year.range"] == f"{min(years)},{max(years)}"
    assert not list(folder.rglob("*.crc")) and not list(folder.rglob("_SUCCESS"))
    published = spark.read.parquet(str(folder))
    assert published.count() == POSTS and published.select("id").distinct().count() == POSTS

    users = lake.table("users")
    assert users["PartitionKeys"] == [] and "projection.enabled" not in users["Parameters"]
    statistics = lake.table("statistics_pages")
    assert statistics["StorageDescriptor"]["Location"].endswith("/statistics_pages/run_id=run-clean/")


def with_duplicate_id(records: dict[str, Any]) -> None:
    copy = dict(records["posts"][0], title={"rendered": "Same id, same modified_gmt, other title"})
    records["posts"].append(copy)


def with_orphan_author(records: dict[str, Any]) -> None:
    records["posts"][1]["author"] = 99


def with_unknown_tag(records: dict[str, Any]) -> None:
    records["posts"][2]["tags"] = [1, 777]


def with_unknown_category(records: dict[str, Any]) -> None:
    records["posts"][3]["categories"] = [1, 555, 556]


def with_post_without_id(records: dict[str, Any]) -> None:
    """One more post that has no ``id``: it cannot be deduplicated or referenced, so ``id_not_null``
    rejects it; bronze's distinct ids do not count it, so silver also has one row more than bronze
    has ids (``row_count_matches_bronze``, the one real input that makes that rule fail: the rule
    otherwise guards against the job's own code losing or adding rows, see
    ``test_row_count_rule_names_the_counts_when_silver_lost_or_gained_rows``)."""
    post = dict(records["posts"][4])
    del post["id"]
    records["posts"].append(post)


def with_post_without_dates(records: dict[str, Any]) -> None:
    records["posts"][5]["date_gmt"] = None  # a draft: WordPress gives no date_gmt
    records["posts"][5]["date"] = None


# fault -> the tables of the run -> {rule: (count, text its detail must contain)}
QUARANTINE_CASES = {
    "duplicate-id": (
        with_duplicate_id,
        FAULT_RUN,
        {"id_unique": (1, f"1 rows too many: {site_records()['posts'][0]['id']}")},
    ),
    "orphan-author": (with_orphan_author, FAULT_RUN, {"author_in_users": (1, "missing from users.id: 99")}),
    "unknown-tag": (
        with_unknown_tag,
        FAULT_RUN,
        {"tags_in_tags": (1, "name 1 ids missing from tags.id: 777")},
    ),
    "unknown-category": (
        with_unknown_category,
        ("posts", "users", "categories"),
        {
            "categories_in_categories": (
                2,
                "2 posts.categories values name 2 ids missing from categories.id: 555, 556",
            )
        },
    ),
    "post-without-id": (
        with_post_without_id,
        FAULT_RUN,
        {
            "id_not_null": (1, "1 rows have no id"),
            "row_count_matches_bronze": (1, f"silver has {POSTS + 1} rows, bronze distinct ids {POSTS}"),
        },
    ),
    "post-without-dates": (
        with_post_without_dates,
        FAULT_RUN,
        {"partition_date": (1, "1 rows have neither date_gmt nor date as a WordPress date")},
    ),
}


@pytest.mark.parametrize(("fault", "datasets", "rules"), QUARANTINE_CASES.values(), ids=QUARANTINE_CASES)
def test_a_failing_table_is_quarantined_alone_and_its_silver_table_kept(
    lake: Lake, fault, datasets, rules
) -> None:
    before = lake.table("posts")
    others = [name for name in datasets if name != "posts"]
    run_id = f"run-{fault.__name__.replace('_', '-')}"
    records = site_records()
    fault(records)

    result = lake.run(run_id, records, datasets)

    assert result["quarantined"] == ["posts"]
    assert result["published"] == others
    entry = next(d for d in result["datasets"] if d["dataset"] == "posts")
    assert entry["state"] == "QUARANTINED"
    failed = {r["rule"]: r for r in entry["failed_rules"]}
    for rule, (count, detail) in rules.items():
        assert rule in failed, f"{rule} did not fail: {entry['failed_rules']}"
        assert failed[rule]["count"] == count
        assert detail in failed[rule]["detail"], "the detail names the offending values"
    # the previous silver table is untouched, and its data is still there
    assert lake.table("posts") == before
    assert any(lake.local(before["StorageDescriptor"]["Location"]).rglob("*.parquet"))
    # the rejected rows are kept aside with a report
    quarantine = f"quarantine/wordpress_api/posts/run_id={run_id}/"
    assert entry["report_key"] == quarantine + "report.json"
    report = lake.json(entry["report_key"])
    assert report["dataset"] == "posts" and report["failed_rules"] == entry["failed_rules"]
    assert any(lake.local(f"s3://{SILVER}/{quarantine}").rglob("*.parquet"))
    # the other tables moved to this run
    for name in others:
        assert lake.table(name)["StorageDescriptor"]["Location"].endswith(f"/{name}/run_id={run_id}/")
    assert lake.json(f"_runs/wordpress_api/{run_id}/result.json")["quarantined"] == ["posts"]


def test_row_count_rule_names_the_counts_when_silver_lost_or_gained_rows(job: ModuleType, spark) -> None:
    """``row_count_matches_bronze`` guards the job's own code: deduplication keeps one row per
    distinct bronze id, so from real input silver can only differ from bronze's count alongside
    another rule (a row without id, see the ``post-without-id`` case above). Rows lost or gained
    by a bug in the transform cannot be made from input, so the rule is checked here on silver
    frames that lost a row (a table with ids) or gained one (a table without ids)."""
    lost = job.Candidate(
        "users",
        spark.createDataFrame([(1, "a"), (2, "b")], "id bigint, name string"),
        job.Profile(bronze_rows=3, bronze_distinct_ids=3, int_list_columns=(), date_columns=()),
    )
    gained = job.Candidate(
        "statistics_pages",
        spark.createDataFrame([("a",), ("b",), ("c",)], "page string"),
        job.Profile(bronze_rows=2, bronze_distinct_ids=None, int_list_columns=(), date_columns=()),
    )

    assert [rule.as_dict() for rule in job.key_rules(lost)] == [
        {"rule": "row_count_matches_bronze", "count": 1, "detail": "silver has 2 rows, bronze distinct ids 3"}
    ]
    assert [rule.as_dict() for rule in job.key_rules(gained)] == [
        {"rule": "row_count_matches_bronze", "count": 1, "detail": "silver has 3 rows, bronze rows 2"}
    ]


def with_empty_tags(records: dict[str, Any]) -> None:
    records["tags"] = []  # the endpoint returned no record


def with_tags_without_id(records: dict[str, Any]) -> None:
    records["tags"] = [{key: value for key, value in tag.items() if key != "id"} for tag in records["tags"]]


REFERENCED_WITHOUT_IDS = pytest.mark.parametrize(
    "referenced", [with_empty_tags, with_tags_without_id], ids=["empty", "no-id-column"]
)


@REFERENCED_WITHOUT_IDS
def test_references_to_an_empty_or_id_less_table_quarantine_naming_the_ids(lake: Lake, referenced) -> None:
    records = site_records()
    referenced(records)
    references = [tag for post in records["posts"] for tag in post["tags"]]
    assert references, "the sample's posts reference tags"
    run_id = f"run-references-{referenced.__name__.replace('_', '-')}"

    result = lake.run(run_id, records, ("posts", "tags"))

    assert "posts" in result["quarantined"], "a rule never passes by skipping"
    entry = next(d for d in result["datasets"] if d["dataset"] == "posts")
    (rule,) = [r for r in entry["failed_rules"] if r["rule"] == "tags_in_tags"]
    assert rule["count"] == len(references), "every reference is an orphan"
    missing = sorted(set(references))
    assert f"name {len(missing)} ids missing from tags.id" in rule["detail"]
    assert rule["detail"].endswith(
        ": " + ", ".join(str(tag) for tag in missing[:10]) + (", ..." if len(missing) > 10 else "")
    )
    if referenced is with_tags_without_id:
        assert "(the table has no id column)" in rule["detail"]
    assert lake.json(entry["report_key"])["failed_rules"] == entry["failed_rules"]


@REFERENCED_WITHOUT_IDS
def test_an_empty_or_id_less_table_nothing_references_lets_the_rule_pass(lake: Lake, referenced) -> None:
    records = site_records()
    referenced(records)
    for post in records["posts"]:
        post["tags"] = []
    run_id = f"run-unreferenced-{referenced.__name__.replace('_', '-')}"

    result = lake.run(run_id, records, ("posts", "tags"))

    entry = next(d for d in result["datasets"] if d["dataset"] == "posts")
    assert (entry["state"], entry["failed_rules"]) == ("SILVER", [])
    assert lake.table("posts")["StorageDescriptor"]["Location"].endswith(f"/posts/run_id={run_id}/")


def test_missing_bronze_object_fails_the_job_naming_the_dataset_before_publishing(lake: Lake) -> None:
    before = lake.table("users")
    with pytest.raises(
        lake.job.JobError, match="dataset comments: .*wordpress_api/comments/comments.parquet"
    ):
        lake.job.main(arguments(lake.root, "run-missing", ("users", "comments")), s3=lake.s3, glue=lake.glue)
    assert lake.table("users") == before


def parquet_files(folder: Path) -> dict[str, bytes]:
    """The Parquet files under a run folder (partition folders included), by relative path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*.parquet")}


def test_a_write_that_fails_part_way_leaves_the_previous_run_served_and_untouched(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = lake.table("posts")
    previous = lake.local(before["StorageDescriptor"]["Location"])
    previous_files = parquet_files(previous)
    assert previous_files
    real_write = lake.job.write_table
    failing_id = site_records()["posts"][POSTS // 2]["id"]

    def write_that_fails_part_way(df, name, spark_path, rows):
        # A Spark task dies on one row while the others write their files: the write job aborts.
        from pyspark.sql import functions as F  # noqa: N812

        dies = F.udf(lambda value: 1 // 0 if value == failing_id else value, "bigint")
        return real_write(df.withColumn("id", dies("id")), name, spark_path, rows)

    monkeypatch.setattr(lake.job, "write_table", write_that_fails_part_way)

    with pytest.raises(Exception, match="ZeroDivisionError"):
        lake.run("run-write-fails", site_records(), ("posts",))

    after = lake.table("posts")
    assert after["StorageDescriptor"]["Location"] == before["StorageDescriptor"]["Location"]
    assert after["StorageDescriptor"]["Columns"] == before["StorageDescriptor"]["Columns"], "schema"
    assert after["Parameters"] == before["Parameters"], "projection and location template"
    assert after == before
    assert parquet_files(previous) == previous_files, "the previous run's folder is untouched"


class SwitchObserver:
    """The Glue client, noting at each UpdateTable/CreateTable what the new folder and the catalog
    hold at that moment."""

    def __init__(self, lake: Lake) -> None:
        self.lake, self.glue, self.switches = lake, lake.glue, {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.glue, name)

    def _observe(self, DatabaseName: str, TableInput: dict[str, Any]) -> None:  # noqa: N803 - boto3's names
        import pyarrow.parquet as pq

        folder = self.lake.local(TableInput["StorageDescriptor"]["Location"])
        files = sorted(path for path in folder.rglob("*") if path.is_file())
        self.switches[TableInput["Name"]] = {
            "files": [path.relative_to(folder).as_posix() for path in files],
            "rows": sum(
                pq.ParquetFile(path).metadata.num_rows for path in files if path.suffix == ".parquet"
            ),
            "served": self.glue.get_table(DatabaseName=DatabaseName, Name=TableInput["Name"])["Table"][
                "StorageDescriptor"
            ]["Location"],
        }

    def update_table(self, **kwargs: Any) -> Any:
        self._observe(kwargs["DatabaseName"], kwargs["TableInput"])
        return self.glue.update_table(**kwargs)


def test_a_table_is_switched_only_after_every_file_of_its_new_folder_exists(lake: Lake) -> None:
    before = {name: lake.table(name)["StorageDescriptor"]["Location"] for name in ("posts", "users")}
    observer = SwitchObserver(lake)
    write_bronze(lake.root, site_records())

    result = lake.job.main(arguments(lake.root, "run-switch", ("posts", "users")), s3=lake.s3, glue=observer)

    assert result["published"] == ["posts", "users"]
    for entry in result["datasets"]:
        name, location = entry["dataset"], entry["location"]
        seen = observer.switches[name]
        assert seen["served"] == before[name], "until the switch the catalog serves the previous run"
        folder = lake.local(location)
        final = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
        assert seen["files"] == final, "every file of the new folder existed at the switch, none came later"
        assert seen["rows"] == entry["silver_rows"] > 0, "and held every row"
        assert lake.table(name)["StorageDescriptor"]["Location"] == location


def folders(lake: Lake, name: str) -> list[str]:
    listing = lake.s3.list_objects_v2(Bucket=SILVER, Prefix=f"wordpress_api/{name}/", Delimiter="/")
    remote = [p["Prefix"].split("/")[-2] for p in listing.get("CommonPrefixes", [])]
    local = sorted(p.name for p in (lake.root / SILVER / "wordpress_api" / name).glob("run_id=*"))
    return sorted(set(remote) | set(local))


def test_retry_never_rewrites_the_live_run_and_superseded_runs_are_removed(lake: Lake) -> None:
    records = site_records()

    def publish(run_id: str) -> str:
        lake.run(run_id, records, ("categories",))
        return lake.table("categories")["StorageDescriptor"]["Location"]

    # the objects S3 holds after the emulator mirrors a run back (the job lists and deletes there)
    def mirror_to_s3() -> None:
        base = lake.root / SILVER
        for path in base.rglob("*"):
            if path.is_file():
                lake.s3.put_object(
                    Bucket=SILVER, Key=path.relative_to(base).as_posix(), Body=path.read_bytes()
                )

    first = publish("run-retry")
    mirror_to_s3()
    assert first.endswith("/categories/run_id=run-retry/")
    second = publish("run-retry")  # the same execution retried after publishing
    mirror_to_s3()
    assert second.endswith("/categories/run_id=run-retry-attempt2/")
    assert any(Path(lake.local(first)).rglob("*.parquet"))  # the live data was not rewritten
    third = publish("run-next")
    assert third.endswith("/categories/run_id=run-next/")
    # kept: the new run and the one it replaced; everything older is gone, in S3 and locally
    assert folders(lake, "categories") == ["run_id=run-next", "run_id=run-retry-attempt2"]
