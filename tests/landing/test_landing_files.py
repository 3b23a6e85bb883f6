"""Reading files dropped in the landing zone (issue 19, groundwork): each accepted format, and each
bad input of the issue refused with a reason a person can act on."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "landing_intake" / "src"))

from landing_files import InvalidFile, landing_key_parts, read_landed_file  # noqa: E402

ROWS = [{"id": 1, "name": "Zoë", "price": 2.5}, {"id": 2, "name": "日本", "price": 3.0}]


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


GOOD = {
    "orders.csv": b"id,name,price\n1,Zo\xc3\xab,2.5\n2,\xe6\x97\xa5\xe6\x9c\xac,3.0\n",
    "orders.json": json.dumps(ROWS, ensure_ascii=False).encode(),
    "orders.jsonl": "\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS).encode() + b"\n",
    "orders.ndjson": "\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS).encode(),
    "orders.parquet": parquet_bytes(pa.Table.from_pylist(ROWS)),
    "orders.csv.gz": gzip.compress(b"id,name,price\n1,Zo\xc3\xab,2.5\n2,\xe6\x97\xa5\xe6\x9c\xac,3.0\n"),
    "Bestellungen März 2026 (final).jsonl.gz": gzip.compress(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS).encode()
    ),
}


@pytest.mark.parametrize("file_name", sorted(GOOD))
def test_every_accepted_format_reads_the_same_records(file_name: str) -> None:
    landed = read_landed_file(f"landing/orders/{file_name}", GOOD[file_name])

    assert landed.key.dataset == "orders" and landed.key.file_name == file_name
    assert landed.rows == 2
    assert landed.table.select(["id", "name", "price"]).to_pylist() == ROWS


def test_a_configured_delimiter_reads_semicolon_csv() -> None:
    landed = read_landed_file("landing/orders/orders.csv", b"id;name\n1;a\n2;b\n", delimiter=";")
    assert landed.table.to_pylist() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


BAD = {
    "truncated JSON": (
        "orders.json",
        b'[{"id": 1, "name": "a"}, {"id": 2, "na',
        "is not valid JSON: Unterminated string starting at (line 1, column 36) (the array never closes",
    ),
    "ragged CSV rows": (
        "orders.csv",
        b"id,name\n1,a\n2,b,extra\n",
        "a row has 3 fields where the header has 2",
    ),
    "not UTF-8": ("orders.csv", b"id,name\n1,caf\xe9\n", "is not UTF-8: byte 0xe9 on line 2"),
    "0 bytes": ("orders.jsonl", b"", "is empty (0 bytes)"),
    "Parquet that is not Parquet": ("orders.parquet", b"id,name\n1,a\n", "is not a Parquet file"),
    "a JSON object, not an array": ("orders.json", b'{"id": 1}', "holds one JSON array of objects"),
    "a header only": ("orders.csv", b"id,name\n", "holds no records"),
    "a bad JSON line": ("orders.jsonl", b'{"id": 1}\n{"id": \n', "line 2 is not valid JSON"),
    "gzip that is not gzip": ("orders.csv.gz", b"id,name\n1,a\n", "ends in .gz but is not valid gzip"),
    "repeated columns": ("orders.csv", b"id,id\n1,2\n", "empty or repeated column names"),
    "a record that is not an object": ("orders.jsonl", b'{"id": 1}\n[1, 2]\n', "line 2 is a JSON array"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_with_a_reason_naming_it(case: str) -> None:
    file_name, body, reason = BAD[case]

    with pytest.raises(InvalidFile) as refused:
        read_landed_file(f"landing/orders/{file_name}", body)

    assert reason in refused.value.reason
    assert repr(file_name) in refused.value.reason, "the reason names the file"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("landing/orders.csv", "is not in a dataset folder"),
        ("landing/a/b/orders.csv", "is not in a dataset folder"),
        ("landing/Orders/orders.csv", "'Orders' is not a valid dataset name"),
        ("landing/my orders/orders.csv", "'my orders' is not a valid dataset name"),
        ("landing/orders/orders.xlsx", "unknown format .xlsx"),
        ("landing/orders/orders.parquet.gz", "Parquet is compressed inside the file"),
        ("raw/orders/orders.csv", "is not under landing/"),
    ],
)
def test_a_key_outside_a_dataset_folder_or_of_an_unknown_format_is_refused(key: str, reason: str) -> None:
    with pytest.raises(InvalidFile) as refused:
        landing_key_parts(key)
    assert reason in refused.value.reason


def test_json_records_follow_the_wordpress_bronze_rules() -> None:
    """Nested objects -> ``a_b`` columns, lists and fields of varying types -> JSON text, ints mixed
    with floats -> double, names made Athena-safe (as functions/data_wordpressapi_bronze does)."""
    records = [
        {
            "id": 1,
            "Customer": {"Name": "Zoë", "Address": {"City": "Köln"}},
            "tags": ["a", "b"],
            "amount": 1,
            "meta": [],
            "Big Number": 2**70,
        },
        {"id": 2, "Customer": {"Name": "日本"}, "tags": [], "amount": 2.5, "meta": {"x": 1}, "Big Number": 1},
    ]
    landed = read_landed_file(
        "landing/orders/orders.jsonl", "\n".join(json.dumps(r) for r in records).encode()
    )

    assert landed.table.schema == pa.schema(
        [
            ("id", pa.int64()),
            ("customer_name", pa.string()),
            ("customer_address_city", pa.string()),
            ("tags", pa.string()),
            ("amount", pa.float64()),
            ("meta", pa.string()),
            ("big_number", pa.string()),
        ]
    )
    assert landed.table.to_pylist() == [
        {
            "id": 1,
            "customer_name": "Zoë",
            "customer_address_city": "Köln",
            "tags": '["a","b"]',
            "amount": 1.0,
            "meta": "[]",
            "big_number": str(2**70),
        },
        {
            "id": 2,
            "customer_name": "日本",
            "customer_address_city": None,
            "tags": "[]",
            "amount": 2.5,
            "meta": '{"x":1}',
            "big_number": "1",
        },
    ]


def test_csv_column_names_are_made_athena_safe() -> None:
    landed = read_landed_file("landing/orders/orders.csv", b"Order ID,Name,name\n1,a,b\n")
    assert landed.table.column_names == ["order_id", "name", "name_2"]
