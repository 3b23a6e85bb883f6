"""Dataset contracts (issue 19, groundwork): a file is checked against its dataset's contract, or
against the schema the dataset's first file defined; new columns extend it, a type conflict or a
missing key column makes the file INVALID naming the column."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "landing_intake" / "src"))

from landing_contracts import conform, parse_contract, schema_of  # noqa: E402
from landing_files import InvalidFile, read_landed_file  # noqa: E402

CONTRACT = parse_contract(
    "orders",
    '{"primary_key": ["order_id"], "columns": {"order_id": "bigint", "customer": "string", '
    '"amount": "double", "ordered_on": "date"}, "partitioned_by": ["ordered_on"]}',
)


def csv(text: str) -> pa.Table:
    return read_landed_file("landing/orders/orders.csv", text.encode()).table


def test_a_file_takes_the_contract_types_and_a_new_column_extends_the_schema() -> None:
    table = csv(
        "order_id,customer,amount,ordered_on,channel\n1,Ann,3,2026-12-01,web\n2,Bo,2.5,2026-12-02,shop\n"
    )

    conformed, extended = conform("orders.csv", table, CONTRACT)

    assert conformed.schema.names == ["order_id", "customer", "amount", "ordered_on", "channel"]
    assert conformed.column("amount").type == pa.float64() and conformed.column("amount").to_pylist() == [
        3,
        2.5,
    ]
    assert str(conformed.column("ordered_on").type) == "date32[day]"
    assert extended.columns["channel"] == "string" and extended.primary_key == ["order_id"]


def test_a_column_the_file_lacks_is_null() -> None:
    conformed, _ = conform("orders.csv", csv("order_id,customer\n1,Ann\n"), CONTRACT)
    assert conformed.column("amount").to_pylist() == [None]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("customer,amount\nAnn,3\n", "key column(s) ['order_id'] missing"),
        ("order_id,amount\n1,three\n", "column 'amount' holds string values that are not double"),
        ("order_id,ordered_on\n1,yesterday\n", "column 'ordered_on' holds string values that are not date"),
        ("order_id,customer\n,Ann\n", "key column 'order_id' is empty in 1 row(s)"),
    ],
)
def test_a_file_that_conflicts_with_the_contract_is_invalid_naming_the_column(text: str, reason: str) -> None:
    with pytest.raises(InvalidFile) as refused:
        conform("orders.csv", csv(text), CONTRACT)
    assert reason in refused.value.reason and "'orders.csv'" in refused.value.reason


def test_without_a_contract_the_first_file_defines_the_schema_and_the_second_must_fit() -> None:
    first = csv("id,name,score\n1,a,2\n")
    schema = schema_of("scores", first)
    assert schema.columns == {"id": "bigint", "name": "string", "score": "bigint"} and not schema.declared

    widened, extended = conform("second.csv", csv("id,name,score,note\n2,b,3,new\n"), schema)
    assert widened.num_rows == 1 and extended.columns["note"] == "string"
    with pytest.raises(InvalidFile) as refused:
        conform("third.csv", csv("id,name,score\n3,c,high\n"), extended)
    assert "column 'score' holds string values that are not bigint" in refused.value.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "not valid JSON"),
        ('{"columns": {}}', 'needs "columns"'),
        ('{"columns": {"a": "int"}}', "unknown column types {'a': 'int'}"),
        (
            '{"columns": {"a": "bigint"}, "primary_key": ["b"]}',
            "primary_key names columns it does not declare",
        ),
    ],
)
def test_a_bad_contract_says_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match="datasets/orders.json") as refused:
        parse_contract("orders", text)
    assert reason in str(refused.value)
