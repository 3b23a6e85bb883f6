"""Issue 18's silver merge of an increment (``merge_increment``, ``merged_row_count_rule``) on small
hand-made silver frames: the live table as published, the increment as ``to_silver`` gives it."""

from __future__ import annotations

from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import (
    ArrayType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

MARCH = datetime(2024, 3, 6, 8, 0)
LATER = datetime(2024, 3, 9, 8, 0)
EARLIER = datetime(2024, 3, 1, 8, 0)
COLUMNS = [
    ("id", LongType()),
    ("modified_gmt", TimestampType()),
    ("title", StringType()),
    ("categories", ArrayType(LongType())),
    ("_ingested_at", TimestampType()),
    ("_source_key", StringType()),
    ("_run_id", StringType()),
]
SCHEMA = StructType([StructField(name, kind) for name, kind in COLUMNS])


def row(post_id: int, modified: datetime = MARCH, run: str = "run-1", **overrides: Any) -> dict[str, Any]:
    values = {
        "id": post_id,
        "modified_gmt": modified,
        "title": f"Post {post_id}",
        "categories": [1],
        "_ingested_at": datetime(2024, 3, 10) if run == "run-2" else datetime(2024, 3, 7),
        "_source_key": f"wordpress_api/posts/{run}.json",
        "_run_id": run,
    }
    values.update(overrides)
    return values


def frame(spark: SparkSession, rows: list[dict[str, Any]], schema: StructType = SCHEMA) -> DataFrame:
    return spark.createDataFrame([tuple(r.get(f.name) for f in schema.fields) for r in rows], schema)


def ids(spark: SparkSession, *values: int) -> DataFrame:
    return spark.createDataFrame([(v,) for v in values], "id bigint")


def by_id(merged: DataFrame) -> dict[int, dict[str, Any]]:
    rows = merged.collect()
    assert len(rows) == len({r["id"] for r in rows}), "one row per id"
    return {r["id"]: r.asDict() for r in rows}


def test_edits_replace_new_rows_insert_deletions_remove_stale_rows_lose_counts_exact(spark, job) -> None:
    live = frame(spark, [row(n) for n in range(1, 6)])
    increment = frame(
        spark,
        [
            row(1, MARCH, "run-2", title="Same time, new title"),  # tie with live: the increment wins
            row(2, LATER, "run-2", title="Edited", categories=[1, 2]),
            row(3, MARCH, "run-2"),  # re-fetched unchanged (the lookback window): not an update
            row(4, EARLIER, "run-2", title="Stale"),  # older than live: does not overwrite
            row(6, LATER, "run-2"),
            row(7, LATER, "run-2"),
            row(7, LATER, "run-2"),  # an exact copy collapses
            row(8, LATER, "run-2"),  # new and deleted in the same run: neither inserted nor deleted
        ],
    )
    merged, counts = job.merge_increment(live, increment, ids(spark, 5, 8, 99, 5))  # 99: never live

    rows = by_id(merged)
    assert sorted(rows) == [1, 2, 3, 4, 6, 7]
    assert rows[1]["title"] == "Same time, new title" and rows[1]["_run_id"] == "run-2"
    assert (rows[2]["title"], rows[2]["categories"], rows[2]["modified_gmt"]) == ("Edited", [1, 2], LATER)
    assert rows[3]["_run_id"] == "run-2"  # exact copies: the increment's lineage is kept
    assert rows[4]["title"] == "Post 4" and rows[4]["_run_id"] == "run-1"  # live row, its own lineage
    assert merged.columns == [name for name, _ in COLUMNS]
    assert counts == job.MergeCounts(previous=5, inserted=2, updated=2, deleted=1)
    assert counts.as_dict() == {"previous": 5, "inserted": 2, "updated": 2, "deleted": 1}
    assert job.merged_row_count_rule(len(rows), counts) == []
    # rows lost after the merge (or a merge that drops them): the rule fails and names the counts
    [failed] = job.merged_row_count_rule(merged.where("id <> 7").count(), counts)
    assert (failed.rule, failed.count) == ("row_count_matches_merge", 1)
    assert failed.detail == "silver has 5 rows, previous 5 + inserted 2 - deleted 1 = 6 (updated 2)"


def test_no_deletions_and_ties_within_the_increment_stay_for_the_gate(spark, job) -> None:
    live = frame(spark, [row(1), row(2)])
    increment = frame(spark, [row(2, LATER, "run-2", title="A"), row(2, LATER, "run-2", title="B")])
    merged, counts = job.merge_increment(live, increment, None)

    assert sorted(r["title"] for r in merged.where("id = 2").collect()) == ["A", "B"]
    assert counts == job.MergeCounts(previous=2, inserted=0, updated=1, deleted=0)
    [failed] = job.merged_row_count_rule(merged.count(), counts)  # 3 rows for 2 ids (id_unique fails too)
    assert failed.detail.startswith("silver has 3 rows, previous 2 + inserted 0 - deleted 0 = 2")


def test_schema_drift_both_ways_unites_by_name_with_live_types(spark, job) -> None:
    live = frame(spark, [row(1), row(2)])
    # the increment lacks `title`, brings a new field `menu_order`, and has `id` as int, `categories`
    # as JSON text (a bronze column that was always [] in a small increment stays text)
    drift = StructType(
        [
            StructField("id", IntegerType()),
            StructField("modified_gmt", TimestampType()),
            StructField("categories", StringType()),
            StructField("menu_order", LongType()),
            StructField("_ingested_at", TimestampType()),
            StructField("_source_key", StringType()),
            StructField("_run_id", StringType()),
        ]
    )
    increment = frame(spark, [{**row(2, LATER, "run-2", categories="[3]"), "menu_order": 5}], drift)
    merged, counts = job.merge_increment(live, increment, ids(spark))

    assert [(f.name, f.dataType) for f in merged.schema.fields] == [
        *[(name, kind) for name, kind in COLUMNS],
        ("menu_order", LongType()),
    ]
    rows = by_id(merged)
    assert (rows[1]["title"], rows[1]["menu_order"]) == ("Post 1", None)  # live row: the new field NULL
    assert (rows[2]["title"], rows[2]["categories"], rows[2]["menu_order"]) == (None, [3], 5)
    assert counts == job.MergeCounts(previous=2, inserted=0, updated=1, deleted=0)


def test_a_value_that_does_not_fit_live_type_fails_naming_the_column(spark, job: ModuleType) -> None:
    live = frame(spark, [row(1)])
    text = StructType(
        [f if f.name != "categories" else StructField("categories", StringType()) for f in SCHEMA]
    )
    increment = frame(spark, [row(1, LATER, "run-2", categories='{"not": "a list"}')], text)

    with pytest.raises(job.JobError, match=r"categories \(string -> array<bigint>: 1 values lost\)"):
        job.merge_increment(live, increment, None)
