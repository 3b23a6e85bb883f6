"""landing_intake, action load_file: a landed file -> its bronze object and table, or INVALID and
moved to failed/ with a reason naming the file (issue 19)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .landing_intake_env import BRONZE, BRONZE_DATABASE, RAW, RUN, LandingAws, landing_aws

ROWS = [{"id": 1, "name": "Zoë", "price": 2.5}, {"id": 2, "name": "日本", "price": 3.0}]
CSV = "id,name,price\n1,Zoë,2.5\n2,日本,3.0\n".encode()


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def file_id(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LandingAws]:
    with landing_aws(monkeypatch) as env:
        yield env


def bronze_state(aws: LandingAws) -> tuple[dict[str, bytes], Any]:
    """Every bronze object's content and every bronze table, to show nothing changed."""
    objects = {key: aws.get_bytes(key, BRONZE) for key in aws.keys(BRONZE)}
    tables = aws.glue.get_tables(DatabaseName=BRONZE_DATABASE)["TableList"]
    return objects, [
        (table["Name"], table["StorageDescriptor"]["Columns"], table["Parameters"]) for table in tables
    ]


# --------------------------------------------------------------------------- happy paths

GOOD = {
    "orders.csv": CSV,
    "orders.json": json.dumps(ROWS, ensure_ascii=False).encode(),
    "orders.jsonl": "\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS).encode(),
    "orders.parquet": parquet_bytes(pa.Table.from_pylist(ROWS)),
    "orders.csv.gz": gzip.compress(CSV),
}


@pytest.mark.parametrize("file_name", sorted(GOOD))
def test_a_valid_file_becomes_its_bronze_object_and_table(aws: LandingAws, file_name: str) -> None:
    key = f"landing/orders/{file_name}"

    outcome = aws.land_and_load(key, GOOD[file_name], time="2026-12-07T09:00:00Z")

    etag = aws.s3.head_object(Bucket=RAW, Key=key)["ETag"].strip('"')
    assert outcome == {
        "dataset": "orders",
        "key": key,
        "file_name": file_name,
        "audit_id": f"file#{etag}",
        "state": "BRONZE",
        "rows": 2,
        "columns_added": ["id", "name", "price"],
        "path": "lambda",
    }
    bronze_key = f"landing/orders/{file_id(file_name)}.parquet"
    assert aws.keys(BRONZE) == [bronze_key]
    table = aws.parquet(bronze_key)
    assert table.schema.names == [
        "id",
        "name",
        "price",
        "_source_key",
        "_source_etag",
        "_arrived_at",
        "_ingested_at",
    ]
    assert [str(field.type) for field in table.schema] == [
        "int64",
        "string",
        "double",
        "string",
        "string",
        "timestamp[us, tz=UTC]",
        "timestamp[us, tz=UTC]",
    ]
    assert table.select(["id", "name", "price"]).to_pylist() == ROWS
    assert set(table.column("_source_key").to_pylist()) == {key}
    assert set(table.column("_source_etag").to_pylist()) == {etag}
    assert {value.isoformat() for value in table.column("_arrived_at").to_pylist()} == {
        "2026-12-07T09:00:00+00:00"
    }

    glue_table = aws.table("orders")
    assert glue_table is not None
    assert aws.columns("orders") == {
        "id": "bigint",
        "name": "string",
        "price": "double",
        "_source_key": "string",
        "_source_etag": "string",
        "_arrived_at": "timestamp",
        "_ingested_at": "timestamp",
    }
    assert glue_table["StorageDescriptor"]["Location"] == f"s3://{BRONZE}/landing/orders/"
    assert glue_table["Parameters"] == {
        "source": "landing",
        "primary_key": "",
        "partitioned_by": "",
        "contract": "inferred",
        "classification": "parquet",
    }
    item = aws.item("orders", f"file#{etag}")
    assert item is not None
    assert {
        name: item[name] for name in ("state", "processed_by", "path", "rows", "columns_added", "bronze_key")
    } == {
        "state": "BRONZE",
        "processed_by": RUN,
        "path": "lambda",
        "rows": 2,
        "columns_added": ["id", "name", "price"],
        "bronze_key": bronze_key,
    }
    assert "reason" not in item
    assert aws.keys(RAW) == [key], "a loaded file stays in landing/"


def test_a_declared_contract_types_the_file_and_names_the_key(aws: LandingAws) -> None:
    aws.put_contract(
        "orders",
        {
            "primary_key": ["id"],
            "columns": {"id": "bigint", "name": "string", "price": "double", "ordered_on": "date"},
            "partitioned_by": ["ordered_on"],
        },
    )

    outcome = aws.land_and_load("landing/orders/orders.csv", b"id,name,price,ordered_on\n1,a,2,2026-12-01\n")

    assert outcome["state"] == "BRONZE"
    assert list(aws.columns("orders").items())[:4] == [
        ("id", "bigint"),
        ("name", "string"),
        ("price", "double"),
        ("ordered_on", "date"),
    ]
    assert aws.table("orders")["Parameters"] | {} == {
        "source": "landing",
        "primary_key": "id",
        "partitioned_by": "ordered_on",
        "contract": "declared",
        "classification": "parquet",
    }
    row = aws.parquet(f"landing/orders/{file_id('orders.csv')}.parquet").to_pylist()[0]
    assert row["price"] == 2.0 and str(row["ordered_on"]) == "2026-12-01"


def test_a_name_with_spaces_and_non_ascii_characters_is_loaded(aws: LandingAws) -> None:
    name = "Bestellungen März 2026 (final) 日本.csv"

    outcome = aws.land_and_load(f"landing/orders/{name}", CSV)

    assert outcome["state"] == "BRONZE" and outcome["file_name"] == name
    assert aws.keys(BRONZE) == [f"landing/orders/{file_id(name)}.parquet"]


def test_a_second_file_with_a_new_column_extends_the_table(aws: LandingAws) -> None:
    aws.land_and_load("landing/orders/day1.csv", b"id,name\n1,a\n")

    outcome = aws.land_and_load(
        "landing/orders/day2.csv", b"id,name,discount\n2,b,0.5\n", time="2026-12-07T10:00:00Z"
    )

    assert outcome["state"] == "BRONZE" and outcome["columns_added"] == ["discount"]
    assert list(aws.columns("orders")) == [
        "id",
        "name",
        "discount",
        "_source_key",
        "_source_etag",
        "_arrived_at",
        "_ingested_at",
    ]
    assert aws.columns("orders")["discount"] == "double"
    assert len(aws.keys(BRONZE)) == 2


def test_a_file_without_a_column_the_table_has_gets_nulls_and_the_column_stays(aws: LandingAws) -> None:
    aws.land_and_load("landing/orders/day1.csv", b"id,name,discount\n1,a,0.5\n")

    outcome = aws.land_and_load("landing/orders/day2.csv", b"id,name\n2,b\n", time="2026-12-07T10:00:00Z")

    assert outcome["state"] == "BRONZE" and outcome["columns_added"] == []
    assert "discount" in aws.columns("orders")
    assert aws.parquet(f"landing/orders/{file_id('day2.csv')}.parquet").column("discount").to_pylist() == [
        None
    ]


# --------------------------------------------------------------------------- invalid files


def assert_invalid(aws: LandingAws, outcome: dict[str, Any], key: str, reason: str, before: Any) -> None:
    """INVALID with the reason, moved to failed/<dataset>/<run>/<file>, bronze untouched."""
    dataset, file_name = key.split("/")[1], key.split("/", 2)[2]
    assert outcome["state"] == "INVALID" and reason in outcome["reason"], outcome
    assert outcome["rows"] == 0 and outcome["columns_added"] == []
    item = aws.item(dataset, outcome["audit_id"])
    assert item is not None
    assert item["state"] == "INVALID" and item["reason"] == outcome["reason"]
    failed_key = f"failed/{dataset}/{RUN}/{file_name}"
    assert item["failed_key"] == failed_key
    assert key not in aws.keys(RAW), "gone from landing/"
    assert failed_key in aws.keys(RAW), "kept in failed/"
    assert bronze_state(aws) == before, "no bronze object or table changed"


BAD = {
    "truncated JSON": (
        "orders.json",
        b'[{"id": 1, "name": "a"}, {"id": 2, "na',
        "'orders.json' is not valid JSON",
    ),
    "ragged CSV": ("orders.csv", b"id,name\n1,a\n2,b,extra\n", "a row has 3 fields where the header has 2"),
    "not UTF-8": ("orders.csv", b"id,name\n1,caf\xe9\n", "'orders.csv' is not UTF-8: byte 0xe9 on line 2"),
    "0 bytes": ("orders.jsonl", b"", "'orders.jsonl' is empty (0 bytes)"),
    "not Parquet": ("orders.parquet", b"id,name\n9,z\n", "'orders.parquet' is not a Parquet file"),
    "unknown format": ("orders.xlsx", b"PK\x03\x04", "'orders.xlsx': unknown format .xlsx"),
    "a name with spaces and non-ASCII": (
        "Bestellungen März (final).csv",
        b"id,name\n1,a,b\n",
        "'Bestellungen März (final).csv': a row has 3 fields",
    ),
    "a reserved column": ("orders.csv", b"id,_source_key\n1,a\n", "['_source_key'] are reserved"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_invalid_and_moved_to_failed(aws: LandingAws, case: str) -> None:
    file_name, body, reason = BAD[case]
    aws.land_and_load("landing/orders/good.csv", b"id,name\n1,a\n")  # a table and object that must not change
    before = bronze_state(aws)
    key = f"landing/orders/{file_name}"

    outcome = aws.land_and_load(key, body, time="2026-12-07T10:00:00Z")

    assert_invalid(aws, outcome, key, reason, before)
    assert aws.get_bytes(f"failed/orders/{RUN}/{file_name}", RAW) == body, "nothing lost"


def test_a_type_conflict_with_the_contract_is_invalid_naming_the_column(aws: LandingAws) -> None:
    aws.put_contract("orders", {"primary_key": ["id"], "columns": {"id": "bigint", "price": "double"}})
    before = bronze_state(aws)

    outcome = aws.land_and_load("landing/orders/orders.csv", b"id,price\n1,cheap\n")

    assert_invalid(
        aws,
        outcome,
        "landing/orders/orders.csv",
        "column 'price' holds string values that are not double",
        before,
    )
    assert aws.table("orders") is None


def test_a_missing_key_column_is_invalid_naming_it(aws: LandingAws) -> None:
    aws.put_contract("orders", {"primary_key": ["id"], "columns": {"id": "bigint", "price": "double"}})
    before = bronze_state(aws)

    outcome = aws.land_and_load("landing/orders/orders.csv", b"price\n2.5\n")

    assert_invalid(aws, outcome, "landing/orders/orders.csv", "key column(s) ['id'] missing", before)


def test_a_second_file_with_a_conflicting_type_is_invalid_and_the_table_unchanged(aws: LandingAws) -> None:
    aws.land_and_load("landing/orders/day1.csv", b"id,amount\n1,10\n")
    before = bronze_state(aws)

    outcome = aws.land_and_load(
        "landing/orders/day2.csv", b"id,amount\n2,lots\n", time="2026-12-07T10:00:00Z"
    )

    assert_invalid(
        aws, outcome, "landing/orders/day2.csv", "'day2.csv': column 'amount' holds string values", before
    )
    assert aws.columns("orders")["amount"] == "bigint"


# --------------------------------------------------------------------------- changed or gone


def test_a_file_replaced_after_registration_is_superseded_and_left_alone(aws: LandingAws) -> None:
    aws.land("landing/orders/orders.csv", b"id\n1\n")
    file = aws.plan()["datasets"][0]["files"][0]
    aws.put("landing/orders/orders.csv", b"id\n1\n2\n")  # a new upload of the same name

    outcome = aws.load(file)

    assert (
        outcome["state"] == "SUPERSEDED" and "'landing/orders/orders.csv' was replaced" in outcome["reason"]
    )
    assert aws.item("orders", file["audit_id"])["state"] == "SUPERSEDED"
    assert aws.keys(RAW) == ["landing/orders/orders.csv"], "not moved"
    assert aws.keys(BRONZE) == [] and aws.alerts() == []


def test_a_file_deleted_after_registration_is_failed_with_a_reason(aws: LandingAws) -> None:
    aws.land("landing/orders/orders.csv", b"id\n1\n")
    file = aws.plan()["datasets"][0]["files"][0]
    aws.s3.delete_object(Bucket=RAW, Key="landing/orders/orders.csv")

    outcome = aws.load(file)

    assert outcome["state"] == "FAILED" and "'landing/orders/orders.csv' is gone" in outcome["reason"]
    item = aws.item("orders", file["audit_id"])
    assert item["state"] == "FAILED" and item["reason"] == outcome["reason"]
    assert aws.keys(BRONZE) == []


def test_a_load_file_without_a_file_names_the_input(aws: LandingAws) -> None:
    with pytest.raises(ValueError, match="file: expected a File"):
        aws.handler({"action": "load_file", "run_id": RUN, "file": {"dataset": "orders"}})


def test_a_retried_load_file_returns_the_recorded_outcome(aws: LandingAws) -> None:
    """The state machine retries a Lambda that timed out after it moved an invalid file to failed/:
    the retry must not record the file FAILED as gone."""
    aws.land("landing/orders/orders.csv", b"id,name\n1,a,extra\n")
    file = aws.plan()["datasets"][0]["files"][0]
    first = aws.load(file)

    again = aws.load(file)

    assert first["state"] == "INVALID"
    assert again == first
    assert aws.item("orders", file["audit_id"])["state"] == "INVALID"
