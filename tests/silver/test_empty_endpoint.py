"""An empty endpoint through the job's main() (moto in process, Spark on a local mirror): it is
published as an empty table with the endpoint's known columns, the other tables are unaffected,
and a run that fails while writing switches no table."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.silver.moto_env import mocked_aws
from tests.silver.test_quality_gate import (
    BRONZE,
    BRONZE_SRC,
    DATABASE,
    REGION,
    SILVER,
    Lake,
    arguments,
    site_records,
    write_bronze,
)

if str(BRONZE_SRC) not in sys.path:
    sys.path.insert(0, str(BRONZE_SRC))

from wordpress_schema import KNOWN_COLUMNS, add_known_columns  # noqa: E402 - the bronze function's module

DATASETS = ("posts", "pages", "categories", "tags", "users")


def records_with_empty_pages() -> dict[str, Any]:
    records = site_records()
    del records["statistics_pages"]
    return {"posts": records.pop("posts"), "pages": [], **records}


def empty_bronze_with_known_columns(root: Path, name: str) -> None:
    """What the bronze Lambda does for an empty WordPress collection."""
    parquet = root / BRONZE / "wordpress_api" / name / f"{name}.parquet"
    add_known_columns(str(parquet), name, {"_ingested_at": "timestamp", "_source_key": "string"})


@pytest.fixture(scope="module")
def lake(job: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """moto with the buckets and the silver database; a first run ``run-empty-pages`` in which the
    site has posts but no pages."""
    with mocked_aws(REGION):
        root = tmp_path_factory.mktemp("s3")
        lake = Lake(root, job)
        for bucket in (BRONZE, SILVER):
            lake.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        lake.glue.create_database(DatabaseInput={"Name": DATABASE})
        write_bronze(root, records_with_empty_pages())
        empty_bronze_with_known_columns(root, "pages")
        lake.first = job.main(arguments(root, "run-empty-pages", DATASETS), s3=lake.s3, glue=lake.glue)
        yield lake


def test_an_empty_endpoint_is_published_empty_with_its_known_columns(lake: Lake) -> None:
    result = lake.first
    assert result["published"] == list(DATASETS) and result["quarantined"] == []
    outcome = {item["dataset"]: item for item in result["datasets"]}
    assert (outcome["pages"]["state"], outcome["pages"]["silver_rows"], outcome["pages"]["failed_rules"]) == (
        "SILVER",
        0,
        [],
    )
    assert outcome["posts"]["silver_rows"] == 24 and outcome["users"]["silver_rows"] == 3

    table = lake.table("pages")
    columns = {column["Name"]: column["Type"] for column in table["StorageDescriptor"]["Columns"]}
    assert columns["id"] == "bigint"
    for name in ("date", "date_gmt", "modified", "modified_gmt"):
        assert columns[name] == "timestamp", name
    assert columns["title"] == columns["content"] == columns["template"] == "string"
    assert columns["class_list"] == "array<string>"
    assert columns["author"] == columns["parent"] == columns["menu_order"] == "bigint"
    known = {name for name, _ in KNOWN_COLUMNS["pages"]}
    renamed = {name.removesuffix("_rendered") for name in known}
    assert renamed <= set(columns), "every known column of pages"
    assert [key["Name"] for key in table["PartitionKeys"]] == ["year", "month"]
    this_year = datetime.now(UTC).year
    assert table["Parameters"]["projection.year.range"] == f"{this_year},{this_year}"
    # The same types as a full table: posts has the same typed columns.
    posts = {c["Name"]: c["Type"] for c in lake.table("posts")["StorageDescriptor"]["Columns"]}
    assert {name: posts[name] for name in ("id", "date", "date_gmt", "title", "class_list")} == {
        name: columns[name] for name in ("id", "date", "date_gmt", "title", "class_list")
    }


def test_an_empty_bronze_object_without_any_column_is_published_empty(lake: Lake) -> None:
    # A bronze object written before bronze knew the columns (or an endpoint it does not know):
    # the lineage columns only. The job used to fail on sortWithinPartitions("id").
    records = records_with_empty_pages()
    result = lake.run("run-lineage-only", {"posts": records["posts"], "pages": []}, ("posts", "pages"))

    assert result["published"] == ["posts", "pages"]
    pages = {item["dataset"]: item for item in result["datasets"]}["pages"]
    assert (pages["state"], pages["silver_rows"]) == ("SILVER", 0)
    columns = [column["Name"] for column in lake.table("pages")["StorageDescriptor"]["Columns"]]
    assert columns == ["_ingested_at", "_source_key", "_run_id"]


def test_a_run_that_fails_while_writing_switches_no_table(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {name: lake.table(name)["StorageDescriptor"]["Location"] for name in ("posts", "tags")}
    original = lake.job.write_table

    def write_table(df: Any, name: str, spark_path: str, rows: int) -> None:
        if name == "users":  # the last table of the run: posts and tags are written by then
            raise RuntimeError("disk full")
        original(df, name, spark_path, rows)

    monkeypatch.setattr(lake.job, "write_table", write_table)
    write_bronze(lake.root, records_with_empty_pages())
    empty_bronze_with_known_columns(lake.root, "pages")

    with pytest.raises(RuntimeError, match="disk full"):
        lake.job.main(
            arguments(lake.root, "run-crash", ("posts", "tags", "users")), s3=lake.s3, glue=lake.glue
        )

    after = {name: lake.table(name)["StorageDescriptor"]["Location"] for name in ("posts", "tags")}
    assert after == before, "no table is live from a run that failed"
    with pytest.raises(lake.s3.exceptions.NoSuchKey):
        lake.s3.get_object(Bucket=SILVER, Key="_runs/wordpress_api/run-crash/result.json")
