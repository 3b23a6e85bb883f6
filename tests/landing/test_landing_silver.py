"""The landing silver job (jobs/landing_bronze_to_silver.py) through its main(), against moto in
process (bronze/silver Glue tables, result and report JSON in S3) with Spark's I/O on a local mirror
(``--local_s3_root``). Bronze files are written here with pyarrow in the contract's layout
(``landing/<dataset>/<file_id>.parquet``: the dataset's columns and ``_source_key``, ``_source_etag``,
``_arrived_at``, ``_ingested_at``), and each bronze Glue table as the intake registers it
(``Parameters``: ``source`` landing, ``primary_key``, ``partitioned_by``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
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
BRONZE, SILVER = "lake-bronze", "lake-silver"
BRONZE_DB, SILVER_DB = "data_lakehouse_bronze", "data_lakehouse_silver"
ARROW_TYPES = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
LINEAGE = {
    "_source_key": "string",
    "_source_etag": "string",
    "_arrived_at": "timestamp",
    "_ingested_at": "timestamp",
}


def at(hour: int) -> datetime:
    return datetime(2026, 12, 7, hour, 0, tzinfo=UTC)


class Lake:
    """moto's S3 and Glue, the local mirror Spark reads and writes, and the job module."""

    def __init__(self, root: Path, job: ModuleType) -> None:
        self.root, self.job = root, job
        self.s3 = boto3.client("s3", region_name=REGION)
        self.glue = RecordingGlue(boto3.client("glue", region_name=REGION))
        self.columns: dict[str, dict[str, str]] = {}

    def register(
        self, dataset: str, columns: dict[str, str], primary_key: str = "", partitioned_by: str = ""
    ) -> None:
        """The bronze Glue table as the intake registers it (columns never removed, only added)."""
        self.columns[dataset] = {**self.columns.get(dataset, {}), **columns}
        table = {
            "Name": dataset,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "source": "landing",
                "primary_key": primary_key,
                "partitioned_by": partitioned_by,
                "contract": "declared" if primary_key else "inferred",
                "classification": "parquet",
            },
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in {**self.columns[dataset], **LINEAGE}.items()],
                "Location": f"s3://{BRONZE}/landing/{dataset}/",
            },
        }
        try:
            self.glue.update_table(DatabaseName=BRONZE_DB, TableInput=table)
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_table(DatabaseName=BRONZE_DB, TableInput=table)

    def land(self, dataset: str, file_name: str, rows: list[dict[str, Any]], arrived_at: datetime) -> Path:
        """One bronze file for one landing file, in the columns the file has (older files lack the
        columns added later)."""
        names = list(dict.fromkeys(name for row in rows for name in row))
        types = self.columns[dataset]
        fields = [pa.field(n, ARROW_TYPES[types[n]]) for n in names]
        fields += [pa.field(n, ARROW_TYPES[t]) for n, t in LINEAGE.items()]
        key = f"landing/{dataset}/{file_name}"
        lineage = {
            "_source_key": key,
            "_source_etag": hashlib.md5(json.dumps(rows, default=str).encode()).hexdigest(),  # noqa: S324
            "_arrived_at": arrived_at,
            "_ingested_at": at(23),
        }
        table = pa.Table.from_pylist([{**row, **lineage} for row in rows], schema=pa.schema(fields))
        file_id = hashlib.sha256(file_name.encode("utf-8")).hexdigest()[:16]
        target = self.root / BRONZE / "landing" / dataset / f"{file_id}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target)
        return target

    def run(self, run_id: str, datasets: list[str]) -> dict[str, Any]:
        self.glue.calls.clear()
        return self.job.main(arguments(self.root, run_id, json.dumps(datasets)), s3=self.s3, glue=self.glue)

    def table(self, dataset: str) -> dict[str, Any]:
        return self.glue.get_table(DatabaseName=SILVER_DB, Name=dataset)["Table"]

    def json(self, key: str) -> dict[str, Any]:
        return json.loads(self.s3.get_object(Bucket=SILVER, Key=key)["Body"].read())

    def rows(self, location: str, order_by: str) -> list[dict[str, Any]]:
        """The Parquet rows at a silver location (partition folders read as columns)."""
        folder = self.root / location.removeprefix("s3://")
        frame = self.job.SparkSession.builder.getOrCreate().read.parquet(f"file://{folder}")
        return [row.asDict() for row in frame.orderBy(order_by).collect()]

    def local(self, location: str) -> Path:
        return self.root / location.removeprefix("s3://")


def arguments(root: Path, run_id: str, datasets: str) -> list[str]:
    return [
        "--JOB_NAME", "landing_bronze_to_silver",
        "--datasets", datasets,
        "--run_id", run_id,
        "--bronze_bucket", BRONZE,
        "--bronze_database", BRONZE_DB,
        "--silver_bucket", SILVER,
        "--silver_database", SILVER_DB,
        "--local_s3_root", str(root),
        "--TempDir", "s3://lake-scripts/temp/",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def job(spark: Any) -> ModuleType:
    return load_job_module(JOBS_DIR / "landing_bronze_to_silver.py")


@pytest.fixture(scope="module")
def lake(job: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """moto with the buckets and databases, and a first run ``run-1`` of four datasets:

    - ``orders`` (contract key ``order_id``): ``monday.csv`` (orders 1-3) then ``tuesday.csv`` with a
      new column ``coupon``, order 3 again (changed) and order 4;
    - ``sales`` (key ``sale_id``, partitioned by ``region``): two regions;
    - ``events`` (no key): two files, one event listed twice;
    - ``customers`` (key ``customer_id``): a row without a key and one key twice in one file.
    """
    with mocked_aws(REGION):
        lake = Lake(tmp_path_factory.mktemp("s3"), job)
        for bucket in (BRONZE, SILVER):
            lake.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        for database in (BRONZE_DB, SILVER_DB):
            lake.glue.create_database(DatabaseInput={"Name": database})

        lake.register("orders", {"order_id": "bigint", "amount": "double", "ordered_on": "date"}, "order_id")
        lake.land(
            "orders",
            "monday.csv",
            [
                {"order_id": 1, "amount": 10.0, "ordered_on": date(2026, 12, 7)},
                {"order_id": 2, "amount": 20.0, "ordered_on": date(2026, 12, 7)},
                {"order_id": 3, "amount": 30.0, "ordered_on": date(2026, 12, 7)},
            ],
            at(8),
        )
        lake.register("orders", {"coupon": "string"}, "order_id")  # tuesday.csv adds a column
        lake.land(
            "orders",
            "tuesday.csv",
            [
                {"order_id": 3, "amount": 33.0, "ordered_on": date(2026, 12, 8), "coupon": "XMAS"},
                {"order_id": 4, "amount": 40.0, "ordered_on": date(2026, 12, 8), "coupon": None},
            ],
            at(9),
        )
        lake.register(
            "sales", {"sale_id": "bigint", "region": "string", "total": "double"}, "sale_id", "region"
        )
        lake.land(
            "sales",
            "sales 2026 été.csv",  # any file name: spaces, non-ASCII
            [
                {"sale_id": 1, "region": "north", "total": 1.5},
                {"sale_id": 2, "region": "south", "total": 2.5},
                {"sale_id": 3, "region": "south", "total": 3.5},
            ],
            at(8),
        )
        lake.register("events", {"event": "string", "value": "bigint"})
        lake.land("events", "a.json", [{"event": "click", "value": 1}, {"event": "view", "value": 2}], at(8))
        lake.land("events", "b.json", [{"event": "click", "value": 1}], at(9))
        lake.register("customers", {"customer_id": "bigint", "name": "string"}, "customer_id")
        lake.land("customers", "ok.csv", [{"customer_id": 1, "name": "Ann"}], at(8))
        lake.land(
            "customers",
            "bad.csv",
            [
                {"customer_id": 2, "name": "Bob"},
                {"customer_id": 2, "name": "Robert"},
                {"customer_id": None, "name": "Nobody"},
            ],
            at(9),
        )
        lake.first = lake.run("run-1", ["orders", "sales", "events", "customers"])
        lake.first_calls = list(lake.glue.calls)
        yield lake


def test_latest_arrival_wins_per_key_and_older_files_lack_the_added_column(lake: Lake) -> None:
    entry = lake.first["datasets"]["orders"]
    assert entry["state"] == "SILVER"
    assert (entry["rows"], entry["bronze_rows"], entry["duplicates_removed"]) == (4, 5, 1)
    rows = lake.rows(entry["location"], "order_id")
    assert [(r["order_id"], r["amount"], r["coupon"]) for r in rows] == [
        (1, 10.0, None),  # monday.csv has no coupon column: null
        (2, 20.0, None),
        (3, 33.0, "XMAS"),  # in both files: tuesday.csv arrived later and wins
        (4, 40.0, None),
    ]
    assert rows[2]["_source_key"] == "landing/orders/tuesday.csv"
    assert "_source_etag" not in rows[0], "silver columns are bronze's without _source_etag"
    assert {"_source_key", "_arrived_at", "_ingested_at"} <= set(rows[0])


def test_the_silver_table_is_switched_once_per_published_dataset(lake: Lake) -> None:
    assert sorted(lake.first_calls) == [
        ("CreateTable", SILVER_DB, "events"),
        ("CreateTable", SILVER_DB, "orders"),
        ("CreateTable", SILVER_DB, "sales"),
    ], "one catalog write per published dataset, none for the quarantined one"
    table = lake.table("orders")
    location = "s3://lake-silver/landing/orders/run=run-1/"
    assert table["StorageDescriptor"]["Location"] == location == lake.first["datasets"]["orders"]["location"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == {
        "order_id": "bigint",
        "amount": "double",
        "ordered_on": "date",
        "coupon": "string",
        "_source_key": "string",
        "_arrived_at": "timestamp",
        "_ingested_at": "timestamp",
    }
    parameters = table["Parameters"]
    assert (parameters["source"], parameters["primary_key"], parameters["lakehouse.run_id"]) == (
        "landing",
        "order_id",
        "run-1",
    )
    assert table["PartitionKeys"] == []


def test_a_partitioned_dataset_is_written_by_partition_with_projected_partitions(lake: Lake) -> None:
    entry = lake.first["datasets"]["sales"]
    assert entry["state"] == "SILVER" and entry["rows"] == 3
    folder = lake.local(entry["location"])
    assert sorted(p.name for p in folder.glob("region=*")) == ["region=north", "region=south"]
    table = lake.table("sales")
    assert table["PartitionKeys"] == [{"Name": "region", "Type": "string"}]
    assert "region" not in [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert (parameters["projection.region.type"], parameters["projection.region.values"]) == (
        "enum",
        "north,south",
    )
    assert parameters["storage.location.template"] == entry["location"] + "region=${region}/"
    assert [r["sale_id"] for r in lake.rows(entry["location"], "sale_id")] == [1, 2, 3]


def test_a_dataset_without_key_keeps_every_bronze_row(lake: Lake) -> None:
    entry = lake.first["datasets"]["events"]
    assert (entry["state"], entry["rows"], entry["bronze_rows"], entry["duplicates_removed"]) == (
        "SILVER",
        3,
        3,
        0,
    )
    assert lake.table("events")["Parameters"]["primary_key"] == ""


def test_a_null_key_and_one_key_twice_in_one_file_quarantine_the_dataset_only(lake: Lake) -> None:
    entry = lake.first["datasets"]["customers"]
    assert entry["state"] == "QUARANTINED"
    assert lake.first["published"] == ["orders", "sales", "events"]
    assert lake.first["quarantined"] == ["customers"]
    with pytest.raises(lake.glue.exceptions.EntityNotFoundException):
        lake.table("customers")  # never published: no silver table
    assert entry["location"] == "s3://lake-silver/quarantine/landing/customers/run-1/"
    report = lake.json("quarantine/landing/customers/run-1/report.json")
    rules = {rule["rule"]: rule for rule in report["failed_rules"]}
    assert set(rules) == {"key_not_null", "key_unique_in_file", "row_count_matches_bronze"}
    assert rules["key_not_null"]["count"] == 1
    assert rules["key_not_null"]["examples"] == [{"file": "landing/customers/bad.csv", "rows": 1}]
    assert rules["key_unique_in_file"]["examples"] == [
        {"file": "landing/customers/bad.csv", "key": {"customer_id": 2}, "rows": 2}
    ]
    assert "customer_id=2 2 times in landing/customers/bad.csv" in entry["reason"]
    assert entry["reason"].startswith("key_not_null: 1 rows have no customer_id")
    assert lake.rows(entry["location"], "name"), "the rows it would have published are kept for inspection"


def test_result_json_has_the_contract_shape(lake: Lake) -> None:
    result = lake.json("_runs/landing/run-1/result.json")
    assert result == json.loads(json.dumps(lake.first, default=str))
    assert result["run_id"] == "run-1"
    assert set(result["datasets"]) == {"orders", "sales", "events", "customers"}
    for name, entry in result["datasets"].items():
        assert {"state", "rows", "bronze_rows", "duplicates_removed", "location"} <= set(entry), name
        assert ("reason" in entry) == (entry["state"] == "QUARANTINED"), name


def test_a_new_run_switches_to_a_new_folder_and_removes_superseded_ones(lake: Lake) -> None:
    # monday.csv uploaded again: its bronze object is replaced (one object per landing file name).
    lake.land(
        "orders", "monday.csv", [{"order_id": 1, "amount": 11.0, "ordered_on": date(2026, 12, 9)}], at(10)
    )
    second = lake.run("run-2", ["orders"])
    assert lake.glue.calls == [("UpdateTable", SILVER_DB, "orders")]
    entry = second["datasets"]["orders"]
    assert entry["location"] == "s3://lake-silver/landing/orders/run=run-2/"
    assert entry["previous_location"] == "s3://lake-silver/landing/orders/run=run-1/"
    assert [(r["order_id"], r["amount"]) for r in lake.rows(entry["location"], "order_id")] == [
        (1, 11.0),  # monday.csv's new content; orders 2 and 3 of its first version are gone
        (3, 33.0),
        (4, 40.0),
    ]
    assert lake.local("s3://lake-silver/landing/orders/run=run-1/").is_dir(), (
        "the replaced run stays until next"
    )

    third = lake.run("run-3", ["orders"])
    assert third["datasets"]["orders"]["removed_run_folders"] == ["run=run-1"]
    assert sorted(p.name for p in lake.local("s3://lake-silver/landing/orders/").iterdir()) == [
        "run=run-2",
        "run=run-3",
    ]


def test_an_empty_dataset_is_quarantined(lake: Lake) -> None:
    lake.register("nothing", {"thing_id": "bigint"}, "thing_id")
    result = lake.run("run-empty", ["nothing"])
    entry = result["datasets"]["nothing"]
    assert entry["state"] == "QUARANTINED" and entry["rows"] == 0
    assert [rule["rule"] for rule in entry["failed_rules"]] == ["not_empty"]
    assert lake.glue.calls == []


@pytest.mark.parametrize(
    ("datasets", "message"),
    [
        ('["Orders"]', r"--datasets: 'Orders' is not a dataset name"),
        ('{"orders": 1}', r"--datasets: .* is not a JSON list"),
        ('["orders", 7]', r"--datasets: 7 is not a dataset name"),
        ("[", r"--datasets: '\[' is not a JSON list"),
        ("[]", r"--datasets names no dataset"),
    ],
)
def test_a_bad_datasets_argument_is_named(job: ModuleType, datasets: str, message: str) -> None:
    with pytest.raises(job.JobError, match=message):
        job.parse_arguments(arguments(Path("/tmp"), "run-x", datasets))


def test_a_missing_or_foreign_bronze_table_fails_the_run_naming_the_dataset(lake: Lake) -> None:
    with pytest.raises(
        lake.job.JobError, match=r"dataset unknown: no bronze table data_lakehouse_bronze.unknown"
    ):
        lake.run("run-missing", ["orders", "unknown"])
    lake.glue.create_table(
        DatabaseName=BRONZE_DB,
        TableInput={"Name": "posts", "Parameters": {"source": "wordpress_api"}, "StorageDescriptor": {}},
    )
    with pytest.raises(lake.job.JobError, match=r"dataset posts: .* is not a landing table"):
        lake.run("run-foreign", ["posts"])
    assert lake.glue.calls == [], "nothing published by a failed run"


def test_a_retried_run_never_rewrites_its_live_folder(lake: Lake) -> None:
    live = lake.table("events")["StorageDescriptor"]["Location"]
    assert live == "s3://lake-silver/landing/events/run=run-1/"
    retried = lake.run("run-1", ["events"])  # the same run id again (a retried execution)
    assert retried["datasets"]["events"]["location"] == "s3://lake-silver/landing/events/run=run-1-attempt2/"
    assert lake.local(live).is_dir(), "the live folder was kept as the previous location"


def test_partition_values_a_folder_cannot_carry_quarantine_the_dataset(lake: Lake) -> None:
    lake.register("visits", {"visit_id": "bigint", "site": "string", "day": "date"}, "visit_id", "site,day")
    lake.land(
        "visits",
        "visits.csv",
        [
            {"visit_id": 1, "site": "shop", "day": date(2026, 12, 7)},
            {"visit_id": 2, "site": None, "day": date(2026, 12, 7)},
            {"visit_id": 3, "site": "a/b", "day": date(2026, 12, 8)},
        ],
        at(8),
    )
    result = lake.run("run-visits", ["visits"])
    entry = result["datasets"]["visits"]
    assert entry["state"] == "QUARANTINED"
    (rule,) = entry["failed_rules"]
    assert rule["rule"] == "partition_values" and rule["count"] == 2
    assert "1 rows have no site" in rule["detail"] and "['a/b']" in rule["detail"]
    assert lake.glue.calls == []

    lake.land("visits", "visits.csv", [{"visit_id": 1, "site": "shop", "day": date(2026, 12, 7)}], at(9))
    lake.land("visits", "more.csv", [{"visit_id": 4, "site": "blog", "day": date(2026, 12, 8)}], at(9))
    entry = lake.run("run-visits-2", ["visits"])["datasets"]["visits"]
    assert entry["state"] == "SILVER"
    parameters = lake.table("visits")["Parameters"]
    assert parameters["projection.site.values"] == "blog,shop"
    assert parameters["projection.day.values"] == "2026-12-07,2026-12-08"
    assert parameters["storage.location.template"] == entry["location"] + "site=${site}/day=${day}/"
    folders = sorted(
        str(p.relative_to(lake.local(entry["location"]))) for p in lake.local(entry["location"]).glob("*/*")
    )
    assert folders == ["site=blog/day=2026-12-08", "site=shop/day=2026-12-07"]
