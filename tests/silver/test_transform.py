"""Silver transform rules on small hand-made bronze DataFrames (bronze's shapes: nested objects
flattened to ``a_b`` columns, lists and varying types as JSON text, see
functions/data_wordpressapi_bronze/src/bronze_parquet.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampNTZType,
    TimestampType,
)

INGESTED = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
POST_COLUMNS = [
    ("id", LongType()),
    ("date", StringType()),
    ("date_gmt", StringType()),
    ("guid_rendered", StringType()),
    ("modified", StringType()),
    ("modified_gmt", StringType()),
    ("slug", StringType()),
    ("link", StringType()),
    ("title_rendered", StringType()),
    ("content_rendered", StringType()),
    ("content_protected", BooleanType()),
    ("excerpt_rendered", StringType()),
    ("author", LongType()),
    ("meta", StringType()),
    ("categories", StringType()),
    ("tags", StringType()),
    ("class_list", StringType()),
    ("_links_self", StringType()),
    ("_links_wp_term", StringType()),
    ("_ingested_at", TimestampType()),
    ("_source_key", StringType()),
]
POST_SCHEMA = StructType([StructField(name, kind) for name, kind in POST_COLUMNS])


def post(post_id: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": post_id,
        "date": "2024-03-05T11:20:30",
        "date_gmt": "2024-03-05T10:20:30",
        "guid_rendered": f"http://127.0.0.1/?p={post_id}",
        "modified": "2024-03-06T09:00:00",
        "modified_gmt": "2024-03-06T08:00:00",
        "slug": f"post-{post_id}",
        "link": f"http://127.0.0.1/2024/03/05/post-{post_id}/",
        "title_rendered": f"Post {post_id}",
        "content_rendered": "<p>Body &amp; <em>more</em></p>\n",
        "content_protected": False,
        "excerpt_rendered": "<p>Body</p>\n",
        "author": 1,
        "meta": "[]",
        "categories": "[1,2]",
        "tags": "[]",
        "class_list": f'["post-{post_id}","post"]',
        "_links_self": '[{"href":"http://127.0.0.1/wp-json/wp/v2/posts/1"}]',
        "_links_wp_term": "[]",
        "_ingested_at": INGESTED,
        "_source_key": "wordpress_api/posts/posts.json",
    }
    row.update(overrides)
    return row


def bronze(spark: SparkSession, rows: list[dict[str, Any]], schema: StructType = POST_SCHEMA) -> DataFrame:
    return spark.createDataFrame([tuple(row.get(f.name) for f in schema.fields) for row in rows], schema)


def silver(job: ModuleType, frame: DataFrame, name: str = "posts") -> tuple[DataFrame, Any]:
    found = job.profile(frame)
    return job.to_silver(frame, found, name, "run-1"), found


def by_id(frame: DataFrame) -> dict[int, dict[str, Any]]:
    return {row["id"]: row.asDict() for row in frame.collect()}


def test_post_twice_newest_modified_gmt_wins_and_exact_copies_collapse(spark, job) -> None:
    rows = [
        post(1, modified_gmt="2024-03-06T08:00:00", title_rendered="Old"),
        post(1, modified_gmt="2024-03-07T08:00:00", title_rendered="New"),
        post(2),
        post(2),  # the same record fetched twice (the site changed during pagination)
    ]
    result, found = silver(job, bronze(spark, rows))

    assert found.bronze_rows == 4 and found.bronze_distinct_ids == 2
    rows_by_id = by_id(result)
    assert result.count() == 2
    assert rows_by_id[1]["title"] == "New"
    assert rows_by_id[1]["modified_gmt"] == datetime(2024, 3, 7, 8, 0)  # session time zone: UTC


def test_different_records_with_the_same_newest_modified_gmt_both_stay_for_the_gate(spark, job) -> None:
    rows = [post(3, title_rendered="One"), post(3, title_rendered="Other")]
    result, _ = silver(job, bronze(spark, rows))
    assert sorted(row["title"] for row in result.collect()) == ["One", "Other"]


def test_id_is_a_non_null_bigint(spark, job) -> None:
    schema = StructType([StructField("id", StringType()), StructField("name", StringType())])
    frame = spark.createDataFrame([("7", "a"), ("8", "b")], schema)
    result, found = silver(job, frame, "users")
    assert result.schema["id"].dataType == LongType()
    assert sorted(row["id"] for row in result.collect()) == [7, 8]
    assert found.bronze_distinct_ids == 2


def test_wordpress_dates_utc_and_local_timestamps(spark, job) -> None:
    result, _ = silver(job, bronze(spark, [post(1)]))
    types = {f.name: f.dataType for f in result.schema.fields}
    assert types["date_gmt"] == TimestampType() and types["modified_gmt"] == TimestampType()
    assert types["date"] == TimestampNTZType() and types["modified"] == TimestampNTZType()
    row = result.collect()[0]
    assert row["date"] == datetime(2024, 3, 5, 11, 20, 30)  # wall clock of the site, no zone
    # the instant, independent of the session time zone: 10:20:30 UTC
    epoch = result.selectExpr("unix_timestamp(date_gmt) AS s").collect()[0]["s"]
    assert epoch == int(datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC).timestamp())


def test_rendered_fields_named_plainly_with_entities_decoded_and_excerpt_as_text(spark, job) -> None:
    rows = [
        post(
            1,
            title_rendered="Caf&eacute; &amp; cr&egrave;me &#8211; &#8220;Zo&euml; &lt;3&#8221; 日本",
            excerpt_rendered="<p>Hello &amp; <strong>wörld</strong>\n  again [&hellip;]</p>\n",
            content_rendered="<p>Body &amp; <em>more</em> ✓</p>\n",
        )
    ]
    result, _ = silver(job, bronze(spark, rows))
    row = result.collect()[0]
    assert row["title"] == "Café & crème – “Zoë <3” 日本"
    assert row["excerpt"] == "Hello & wörld again […]"
    assert row["content"] == "<p>Body &amp; <em>more</em> ✓</p>\n"  # HTML, as it is
    assert row["guid"] == "http://127.0.0.1/?p=1"
    assert row["link"] == "http://127.0.0.1/2024/03/05/post-1/" and row["slug"] == "post-1"
    assert row["content_protected"] is False
    assert not {"title_rendered", "excerpt_rendered", "content_rendered", "guid_rendered"} & set(
        result.columns
    )


def test_id_lists_become_bigint_arrays_string_lists_string_arrays_other_json_stays_text(spark, job) -> None:
    rows = [
        post(1, meta="[]", categories="[1, 2]", tags="[]"),
        post(
            2,
            meta='{"footnotes":"","_jetpack_newsletter_access":""}',
            categories="[3]",
            tags="[12,9007199254740993]",
        ),
    ]
    result, found = silver(job, bronze(spark, rows))
    types = {f.name: f.dataType for f in result.schema.fields}
    assert types["categories"] == ArrayType(LongType()) and types["tags"] == ArrayType(LongType())
    assert types["meta"] == StringType() and types["class_list"] == ArrayType(StringType())
    assert set(found.int_list_columns) == {"categories", "tags"}
    assert found.string_list_columns == ("class_list",)
    rows_by_id = by_id(result)
    assert rows_by_id[1]["categories"] == [1, 2] and rows_by_id[1]["tags"] == []
    assert rows_by_id[2]["tags"] == [12, 9007199254740993]
    assert rows_by_id[1]["meta"] == "[]"
    assert rows_by_id[2]["meta"] == '{"footnotes":"","_jetpack_newsletter_access":""}'


def test_any_int_list_column_is_typed_but_always_empty_lists_of_other_columns_stay_text(spark, job) -> None:
    schema = StructType(
        [
            StructField("id", LongType()),
            StructField("related", StringType()),
            StructField("meta", StringType()),
            StructField("scores", StringType()),
        ]
    )
    frame = spark.createDataFrame([(1, "[3,4]", "[]", "[1.5]"), (2, None, "[]", "[2]")], schema)
    result, _ = silver(job, frame, "custom")
    types = {f.name: f.dataType for f in result.schema.fields}
    assert types["related"] == ArrayType(LongType())
    assert types["meta"] == StringType()  # nothing says [] is a list of ids
    assert types["scores"] == StringType()  # not only integers


def test_links_dropped_lineage_kept_run_id_added(spark, job) -> None:
    result, _ = silver(job, bronze(spark, [post(1)]))
    assert not [c for c in result.columns if c.startswith("_links")]
    row = result.collect()[0]
    assert row["_source_key"] == "wordpress_api/posts/posts.json"
    assert row["_ingested_at"] == datetime(2026, 12, 1, 6, 0)
    assert row["_run_id"] == "run-1"


@pytest.mark.parametrize("name", ["posts", "pages"])
def test_posts_and_pages_partitioned_by_year_and_month_of_date_gmt(spark, job, name) -> None:
    rows = [
        post(1, date_gmt="2024-01-31T23:30:00", date="2024-02-01T01:30:00"),  # UTC month wins
        post(2, date_gmt=None, date="2023-12-31T20:00:00"),  # no date_gmt: the local date
    ]
    result, _ = silver(job, bronze(spark, rows), name)
    rows_by_id = by_id(result)
    assert (rows_by_id[1]["year"], rows_by_id[1]["month"]) == (2024, 1)
    assert (rows_by_id[2]["year"], rows_by_id[2]["month"]) == (2023, 12)


def test_small_tables_are_not_partitioned(spark, job) -> None:
    result, _ = silver(job, bronze(spark, [post(1)]), "categories")
    assert "year" not in result.columns and "month" not in result.columns


def test_custom_endpoint_gets_generic_rules_only(spark, job) -> None:
    schema = StructType(
        [
            StructField("page_id", LongType()),
            StructField("uri", StringType()),
            StructField("count", LongType()),
            StructField("date", StringType()),
            StructField("_links_self", StringType()),
            StructField("_ingested_at", TimestampType()),
            StructField("_source_key", StringType()),
        ]
    )
    rows = [
        (1, "/a/", 5, "2024-01-01", "[]", INGESTED, "k"),
        (1, "/a/", 5, "2024-01-01", "[]", INGESTED, "k"),
    ]
    result, found = silver(job, spark.createDataFrame(rows, schema), "statistics_pages")
    assert result.count() == 2  # no id: nothing to deduplicate on
    assert found.bronze_distinct_ids is None
    assert dict(result.dtypes)["date"] == "date"  # not a WordPress timestamp: a calendar date
    assert result.collect()[0]["date"] == date(2024, 1, 1)
    assert result.columns == ["page_id", "uri", "count", "date", "_ingested_at", "_source_key", "_run_id"]


def test_html_helpers_handle_null(job) -> None:
    assert job._decode_entities(None) is None and job._html_to_text(None) is None
    assert job._html_to_text("<p>a</p><p>b&nbsp;c</p>") == "a b c"  # \xa0 is whitespace too


def test_calendar_dates_become_date_columns_other_text_stays_text(spark, job) -> None:
    schema = StructType(
        [
            StructField("page_id", LongType()),
            StructField("date", StringType()),  # statistics_pages: 2024-01-01
            StructField("day", StringType()),
            StructField("not_a_date", StringType()),
            StructField("mixed", StringType()),
            StructField("slug", StringType()),
            StructField("always_null", StringType()),
        ]
    )
    rows = [
        (1, "2024-01-01", "2023-12-31", "2024-02-30", "2024-01-01", "2024-01-01", None),
        (2, "2024-02-29", "", "2024-01-02", "soon", "2024-01-02", None),  # '' is no date
        (3, None, None, None, None, "2024-01-03", None),
    ]
    result, found = silver(job, spark.createDataFrame(rows, schema), "statistics_pages")
    types = dict(result.dtypes)
    assert (types["date"], types["day"]) == ("date", "date")
    assert found.calendar_date_columns == ("date", "day")
    assert types["not_a_date"] == "string", "2024-02-30 is not a date: the column stays text"
    assert types["mixed"] == "string"
    assert types["slug"] == "string", "WordPress's free text stays text even when it looks like a date"
    assert types["always_null"] == "string"
    by_page = {row["page_id"]: row for row in result.collect()}
    assert by_page[1]["date"] == date(2024, 1, 1) and by_page[2]["date"] == date(2024, 2, 29)
    assert by_page[2]["day"] is None and by_page[3]["date"] is None


TERM_SCHEMA = StructType(
    [
        StructField("id", LongType()),
        StructField("count", LongType()),
        StructField("description", StringType()),
        StructField("link", StringType()),
        StructField("name", StringType()),
        StructField("slug", StringType()),
        StructField("taxonomy", StringType()),
        StructField("meta", StringType()),
    ]
)


@pytest.mark.parametrize("name", ["categories", "tags"])
def test_term_names_and_descriptions_have_html_entities_decoded_like_post_titles(spark, job, name) -> None:
    rows = [
        (
            1,
            3,
            "About Tips &amp; Tricks &#8211; &lt;b&gt;",
            "http://x/t/1/",
            "Tips &amp; Tricks",
            "tips",
            "x",
            "[]",
        ),
        (2, 0, "", "http://x/t/2/", "Caf&eacute; &#8220;Zo&euml;&#8221;", "cafe", "x", "[]"),
    ]
    result, _ = silver(job, spark.createDataFrame(rows, TERM_SCHEMA), name)
    terms = by_id(result)
    assert terms[1]["name"] == "Tips & Tricks"
    assert terms[1]["description"] == "About Tips & Tricks – <b>"
    assert terms[2]["name"] == "Café “Zoë”"
    assert terms[1]["slug"] == "tips" and terms[1]["link"] == "http://x/t/1/", "other fields as they are"


def test_empty_strings_where_wordpress_means_none_become_null(spark, job) -> None:
    rows = [post(1, title_rendered="", excerpt_rendered="<p></p>", class_list="[]"), post(2)]
    schema = StructType([*POST_SCHEMA.fields, StructField("template", StringType())])
    frame = spark.createDataFrame(
        [tuple({**row, "template": ""}.get(f.name) for f in schema.fields) for row in rows], schema
    )
    posts = by_id(silver(job, frame)[0])
    assert posts[1]["template"] is None and posts[2]["template"] is None
    assert posts[1]["title"] is None and posts[1]["excerpt"] is None
    assert posts[2]["title"] == "Post 2" and posts[2]["excerpt"] == "Body"
    assert posts[1]["meta"] == "[]", "JSON text is not empty"

    users_schema = StructType([StructField(n, t) for n, t in (("id", LongType()), ("url", StringType()))])
    users = silver(job, spark.createDataFrame([(1, ""), (2, "https://example.com")], users_schema), "users")[
        0
    ]
    assert by_id(users) == {
        1: {"id": 1, "url": None, "_run_id": "run-1"},
        2: {"id": 2, "url": "https://example.com", "_run_id": "run-1"},
    }


def test_lists_of_strings_become_string_arrays(spark, job) -> None:
    schema = StructType(
        [
            StructField("id", LongType()),
            StructField("class_list", StringType()),
            StructField("labels", StringType()),
            StructField("mixed", StringType()),
            StructField("objects", StringType()),
            StructField("empty", StringType()),
        ]
    )
    rows = [
        (1, '["post-1","post","caf\u00e9 \\\\ \\"q\\""]', "[]", '["a",1]', '[{"a":"b"}]', "[]"),
        (2, '["post-2"]', '["x"]', '["b"]', "[]", "[]"),
        (3, None, None, None, None, None),
    ]
    result, found = silver(job, spark.createDataFrame(rows, schema), "custom")
    types = dict(result.dtypes)
    assert (types["class_list"], types["labels"]) == ("array<string>", "array<string>")
    assert found.string_list_columns == ("class_list", "labels")
    assert types["mixed"] == "string", "not only strings"
    assert types["objects"] == "string"
    assert types["empty"] == "string", "always [] says nothing about the items"
    rows_by_id = by_id(result)
    assert rows_by_id[1]["class_list"] == ["post-1", "post", 'caf\u00e9 \\ "q"']
    assert rows_by_id[1]["labels"] == [] and rows_by_id[3]["class_list"] is None
