"""data_wordpressapi_bronze: raw JSON objects in moto S3 -> Parquet + Glue tables."""

from __future__ import annotations

import codecs
import io
import json
from contextlib import nullcontext
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from local.sample_wordpress import generate_posts, generate_terms, generate_users, iter_json_array_chunks

from .conftest import BRONZE_BUCKET, GLUE_DATABASE, RAW_BUCKET, Aws

HETEROGENEOUS = [
    {
        "id": 1,
        "title": {"rendered": "Caf&eacute; \u2013 \U0001f988"},
        "meta": [],
        "tags": [1, 2],
        "score": 1,
        "flag": True,
    },
    {
        "id": 2,
        "title": {"rendered": "\u65e5\u672c\u8a9e"},
        "meta": {"footnotes": ""},
        "tags": [],
        "score": 2.5,
        "extra": {"a": {"b": 3}},
    },
    {
        "id": 3,
        "title": None,
        "meta": {"footnotes": "x", "n": 1},
        "score": "n/a",
        "flag": False,
        "Wp:Term": "odd key",
    },
]


RUN = "20261207T070000Z-test"


def put_raw(aws: Aws, name: str, body: bytes | str, *, run_id: str = RUN, filename: str = "") -> str:
    """A raw run object, where the raw step stores it: ``wordpress_api/<name>/<run id>/<name>.json``."""
    key = f"wordpress_api/{name}/{run_id}/{filename or name + '.json'}"
    aws.s3.put_object(Bucket=RAW_BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)
    return key


def endpoint(name: str, *keys: str, mode: str = "InitialLoad", ids_key: str | None = None, **fields) -> dict:
    """One entry of the raw summary's ``endpoints`` (the fields bronze reads, plus echoed ones)."""
    return {"name": name, "mode": mode, "key": keys[0], "keys": list(keys), "ids_key": ids_key, **fields}


def bronze_event(*endpoints: dict, run_id: str = RUN) -> dict:
    """The state machine's state as bronze gets it."""
    summary = {"function": "data_wordpressapi_raw", "endpoints": list(endpoints)}
    return {"run": {"id": run_id}, "raw": {"summary": summary}}


def load(bronze_function, *endpoints: dict, run_id: str = RUN) -> dict:
    return bronze_function.lambda_handler(bronze_event(*endpoints, run_id=run_id), None)


def put_and_load(aws: Aws, bronze_function, objects: dict[str, str], *, run_id: str = RUN) -> dict:
    """Store each raw object of a run and convert them all as InitialLoads."""
    keys = {name: put_raw(aws, name, body, run_id=run_id) for name, body in objects.items()}
    return load(bronze_function, *(endpoint(name, key) for name, key in keys.items()), run_id=run_id)


def read_parquet(aws: Aws, name: str) -> pa.Table:
    return pq.read_table(io.BytesIO(aws.get_bytes(f"wordpress_api/{name}/{name}.parquet", BRONZE_BUCKET)))


def test_row_counts_equal_raw_record_counts(aws: Aws, wordpress, raw_function, bronze_function) -> None:
    aws.set_endpoints(
        [wordpress.url(n) for n in ("posts", "categories", "tags", "users", "statistics_pages")]
    )
    raw = raw_function.lambda_handler({}, None)
    for entry in raw["endpoints"]:  # a manual raw run: every dataset an InitialLoad of one object
        entry.setdefault("mode", "InitialLoad")
        entry.setdefault("keys", [entry["key"]])

    summary = bronze_function.lambda_handler({"run": {"id": RUN}, "raw": {"summary": raw}}, None)

    raw_counts = {e["name"]: e["records"] for e in raw["endpoints"]}
    raw_keys = {e["name"]: e["key"] for e in raw["endpoints"]}  # the run's own objects
    assert {o["key"].split("/")[1]: o["rows"] for o in summary["objects"]} == raw_counts
    for name, count in raw_counts.items():
        table = read_parquet(aws, name)
        assert table.num_rows == count
        assert table.column("_source_key").to_pylist() == [raw_keys[name]] * count
    posts = read_parquet(aws, "posts")
    site_posts = sorted(wordpress.site.collections["posts"], key=lambda p: p["id"])  # raw pages posts by id
    assert posts.column("id").to_pylist() == [p["id"] for p in site_posts]
    assert posts.column("title_rendered").to_pylist() == [p["title"]["rendered"] for p in site_posts]
    assert posts.column("_links_wp_term").to_pylist()[0] == json.dumps(
        site_posts[0]["_links"]["wp:term"], ensure_ascii=False, separators=(",", ":")
    )
    assert aws.messages(aws.bronze_topic_arn) == []


def test_heterogeneous_nested_records_are_flattened(aws: Aws, bronze_function) -> None:
    summary = put_and_load(aws, bronze_function, {"mixed": json.dumps(HETEROGENEOUS)})

    table = read_parquet(aws, "mixed")
    columns = ["id", "title_rendered", "meta", "tags", "score", "flag", "extra_a_b", "wp_term"]
    assert table.column_names == [*columns, "_ingested_at", "_source_key"]
    rows = table.drop_columns(["_ingested_at", "_source_key"]).to_pylist()
    assert rows == [
        dict(
            zip(
                columns,
                [1, "Caf&eacute; \u2013 \U0001f988", "[]", "[1,2]", "1", True, None, None],
                strict=True,
            )
        ),
        dict(
            zip(
                columns,
                [2, "\u65e5\u672c\u8a9e", '{"footnotes":""}', "[]", "2.5", None, 3, None],
                strict=True,
            )
        ),
        dict(
            zip(
                columns,
                [3, None, '{"footnotes":"x","n":1}', None, '"n/a"', False, None, "odd key"],
                strict=True,
            )
        ),
    ]
    assert table.schema.field("_ingested_at").type == pa.timestamp("ms", tz="UTC")
    ingested = table.column("_ingested_at").to_pylist()[0]
    assert abs((datetime.now(UTC) - ingested).total_seconds()) < 600
    assert summary["objects"] == [
        {
            "source_key": f"wordpress_api/mixed/{RUN}/mixed.json",
            "key": "wordpress_api/mixed/mixed.parquet",
            "table": f"{GLUE_DATABASE}.mixed",
            "rows": 3,
            "columns": 10,
            "bytes": len(aws.get_bytes("wordpress_api/mixed/mixed.parquet", BRONZE_BUCKET)),
            "dataset": "mixed",
            "mode": "InitialLoad",
            "increment_rows": 3,
            "snapshot_rows_before": 0,
            "deleted_rows": 0,
        }
    ]


def test_unicode_survives(aws: Aws, bronze_function) -> None:
    records = [
        {
            "id": 1,
            "text": "na\u00efve r\u00e9sum\u00e9 \u043f\u0440\u0438\u0432\u0435\u0442 "
            "\u0645\u0631\u062d\u0628\u0627 \U0001f680",
            "list": ["\u00fcber"],
        }
    ]
    # \u escapes in the raw file
    put_and_load(aws, bronze_function, {"unicode": json.dumps(records, ensure_ascii=True)})

    row = read_parquet(aws, "unicode").to_pylist()[0]
    assert row["text"] == records[0]["text"]
    assert json.loads(row["list"]) == ["\u00fcber"]
    assert "\u00fcber" in row["list"]  # stored readable, not \u-escaped


def test_single_document_and_empty_array(aws: Aws, bronze_function) -> None:
    put_and_load(aws, bronze_function, {"document": '{"total": 5, "by": {"day": 2}}', "empty": "[]"})

    assert read_parquet(aws, "document").drop_columns(["_ingested_at", "_source_key"]).to_pylist() == [
        {"total": 5, "by_day": 2}
    ]
    empty = read_parquet(aws, "empty")
    assert empty.num_rows == 0
    assert empty.column_names == ["_ingested_at", "_source_key"]


def test_an_empty_wordpress_collection_gets_its_known_columns(aws: Aws, bronze_function) -> None:
    # A new blog without pages: WordPress answers [], and bronze writes the columns of pages.
    summary = put_and_load(aws, bronze_function, {"pages": "[]"})

    from wordpress_schema import KNOWN_COLUMNS

    known = [column for column, _ in KNOWN_COLUMNS["pages"]]
    pages = read_parquet(aws, "pages")
    assert pages.num_rows == 0
    assert pages.column_names == [*known, "_ingested_at", "_source_key"]
    types = {field.name: field.type for field in pages.schema}
    assert types["id"] == pa.int64() and types["author"] == pa.int64() and types["parent"] == pa.int64()
    assert types["date_gmt"] == pa.string() and types["content_protected"] == pa.bool_()
    assert types["_ingested_at"] == pa.timestamp("ms", tz="UTC")
    table = aws.glue.get_table(DatabaseName=GLUE_DATABASE, Name="pages")["Table"]
    glue_columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert list(glue_columns) == pages.column_names
    assert (glue_columns["id"], glue_columns["date_gmt"], glue_columns["_ingested_at"]) == (
        "bigint",
        "string",
        "timestamp",
    )
    assert summary["objects"][0]["rows"] == 0
    assert summary["objects"][0]["columns"] == len(known) + 2


def test_known_columns_are_the_ones_bronze_writes_for_the_sample_site(aws: Aws, bronze_function) -> None:
    from wordpress_schema import known_fields

    records = {
        "posts": generate_posts(30),
        "categories": generate_terms(4, "category"),
        "tags": generate_terms(4, "post_tag"),
        "users": generate_users(3),
    }
    put_and_load(aws, bronze_function, {name: json.dumps(items) for name, items in records.items()})

    for name in records:
        schema = read_parquet(aws, name).schema
        written = [
            (f.name, f.type) for f in schema if not f.name.startswith(("_links", "_ingested", "_source"))
        ]
        known = [(f.name, f.type) for f in known_fields(name)]
        assert known == written, name


def test_malformed_object_fails_alone(aws: Aws, bronze_function) -> None:
    put_and_load(aws, bronze_function, {"good": json.dumps(HETEROGENEOUS)}, run_id="run-1")
    previous = aws.get_bytes("wordpress_api/good/good.parquet", BRONZE_BUCKET)
    broken_key = put_raw(aws, "good", '[{"id": 1}, {"id": 2, "title": ', run_id="run-2")  # today's is broken
    other_key = put_raw(aws, "other", json.dumps(HETEROGENEOUS[:2]), run_id="run-2")

    with pytest.raises(bronze_function.PipelineStepFailed) as raised:
        load(bronze_function, endpoint("good", broken_key), endpoint("other", other_key), run_id="run-2")

    assert [f.item for f in raised.value.failures] == [f"s3://{RAW_BUCKET}/{broken_key}"]
    assert "malformed raw JSON" in raised.value.failures[0].reason
    assert aws.get_bytes("wordpress_api/good/good.parquet", BRONZE_BUCKET) == previous  # good parquet kept
    assert read_parquet(aws, "other").num_rows == 2  # the others are still converted
    [(subject, message)] = aws.messages(aws.bronze_topic_arn)
    assert subject == "data_wordpressapi_bronze: 1 failure(s)"
    assert f"s3://{RAW_BUCKET}/{broken_key}: malformed raw JSON" in message


def test_glue_table_registered(aws: Aws, bronze_function) -> None:
    put_and_load(aws, bronze_function, {"mixed": json.dumps(HETEROGENEOUS)}, run_id="run-1")
    # a second run updates the table in place
    put_and_load(aws, bronze_function, {"mixed": json.dumps(HETEROGENEOUS)}, run_id="run-2")

    table = aws.glue.get_table(DatabaseName=GLUE_DATABASE, Name="mixed")["Table"]
    descriptor = table["StorageDescriptor"]
    assert descriptor["Location"] == f"s3://{BRONZE_BUCKET}/wordpress_api/mixed/"
    assert {c["Name"]: c["Type"] for c in descriptor["Columns"]} == {
        "id": "bigint", "title_rendered": "string", "meta": "string", "tags": "string", "score": "string",
        "flag": "boolean", "extra_a_b": "bigint", "wp_term": "string", "_ingested_at": "timestamp",
        "_source_key": "string",
    }  # fmt: skip
    assert "Parquet" in descriptor["InputFormat"]
    assert table["Parameters"]["classification"] == "parquet"


def test_no_raw_objects_is_a_failure(aws: Aws, bronze_function) -> None:
    with pytest.raises(bronze_function.PipelineStepFailed, match="raw.summary.endpoints: empty"):
        load(bronze_function)
    assert len(aws.messages(aws.bronze_topic_arn)) == 1


def test_missing_database_fails_object_not_run(aws: Aws, bronze_function, monkeypatch) -> None:
    monkeypatch.setenv("GLUE_DATABASE_NAME", "does_not_exist")
    with pytest.raises(bronze_function.PipelineStepFailed, match="mixed.json: EntityNotFoundException"):
        put_and_load(aws, bronze_function, {"mixed": json.dumps(HETEROGENEOUS)})


# --------------------------------------------------------------------------- snapshot and increments


def post(post_id: int, modified: str, title: str, **fields) -> dict:
    return {"id": post_id, "modified_gmt": f"2026-12-0{modified}", "title": {"rendered": title}, **fields}


def initial_load(aws: Aws, bronze_function, name: str, records: list[dict], *, run_id: str) -> dict:
    key = put_raw(aws, name, json.dumps(records), run_id=run_id)
    return load(bronze_function, endpoint(name, key), run_id=run_id)


def update(
    aws: Aws, bronze_function, name: str, records: list[dict] | str, *, run_id: str, published=None, **fields
) -> dict:
    body = records if isinstance(records, str) else json.dumps(records)
    key = put_raw(aws, name, body, run_id=run_id)
    ids_key = None
    if published is not None:
        ids_body = published if isinstance(published, str) else json.dumps(published)
        ids_key = put_raw(aws, name, ids_body, run_id=run_id, filename="published_ids.json")
    return load(bronze_function, endpoint(name, key, mode="Update", ids_key=ids_key, **fields), run_id=run_id)


def read_run_object(aws: Aws, run_id: str, name: str, filename: str) -> pa.Table:
    return pq.read_table(
        io.BytesIO(aws.get_bytes(f"_runs/wordpress_api/{run_id}/{name}/{filename}", BRONZE_BUCKET))
    )


def glue_columns(aws: Aws, name: str) -> dict[str, str]:
    table = aws.glue.get_table(DatabaseName=GLUE_DATABASE, Name=name)["Table"]
    return {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}


LOAD_FIELDS = {
    "reason": "watermark found",
    "watermark_before": "2026-12-06T07:00:00Z",
    "watermark_after": "2026-12-07T06:59:00Z",
    "expected_run_id": "run-1",
    "window_start": "2026-12-06T06:00:00Z",
    "ignored_modified_after": False,
    "incremental": True,
    "fetch_started_at": "2026-12-07T07:00:05Z",
}


def test_an_initial_load_replaces_the_snapshot(aws: Aws, bronze_function) -> None:
    initial_load(aws, bronze_function, "posts", [post(1, "1", "one"), post(2, "1", "two")], run_id="run-1")
    key = put_raw(aws, "posts", json.dumps([post(4, "2", "four"), post(2, "2", "two again")]), run_id="run-2")

    summary = load(
        bronze_function,
        endpoint("posts", key, reason="requested", watermark_after="2026-12-07T07:00:00Z"),
        run_id="run-2",
    )

    snapshot = read_parquet(aws, "posts")
    assert snapshot.column("id").to_pylist() == [4, 2]
    assert snapshot.column("title_rendered").to_pylist() == ["four", "two again"]
    assert set(snapshot.column("_source_key").to_pylist()) == {key}
    [written] = summary["objects"]
    assert {k: written[k] for k in ("dataset", "mode", "rows", "increment_rows", "snapshot_rows_before")} == {
        "dataset": "posts",
        "mode": "InitialLoad",
        "rows": 2,
        "increment_rows": 2,
        "snapshot_rows_before": 0,
    }
    assert written["deleted_rows"] == 0
    assert read_run_object(aws, "run-2", "posts", "increment.parquet").equals(snapshot)
    assert summary["loads"] == [
        {
            "dataset": "posts",
            "mode": "InitialLoad",
            "reason": "requested",
            "increment_key": "_runs/wordpress_api/run-2/posts/increment.parquet",
            "published_ids_key": None,
            "watermark_before": None,
            "watermark_after": "2026-12-07T07:00:00Z",
            "expected_run_id": "",
            "window_start": None,
            "ignored_modified_after": False,
            "incremental": False,
            "fetch_started_at": None,
        }
    ]


def test_an_update_keeps_a_field_the_snapshot_holds_as_json_text_as_text(aws: Aws, bronze_function) -> None:
    """A full load sees ``meta`` as an object in some posts and ``[]`` in others: one JSON-text column.
    An Update whose posts all hold objects would flatten it (``meta_footnotes``) and, merged by column
    name, lose ``meta`` for every changed post: the increment keeps the snapshot's shape instead."""
    with_meta = {"footnotes": "", "_jetpack_newsletter_access": ""}
    before = [
        {**post(1, "1T10:00:00", "one"), "meta": with_meta},
        {**post(2, "1T10:00:00", "two"), "meta": []},
    ]
    initial_load(aws, bronze_function, "posts", before, run_id="run-1")
    assert read_parquet(aws, "posts").column("meta").to_pylist() == [
        '{"footnotes":"","_jetpack_newsletter_access":""}',
        "[]",
    ]
    fetched = [{**post(1, "5T10:00:00", "one edited"), "meta": {**with_meta, "footnotes": "¹ a note"}}]

    update(aws, bronze_function, "posts", fetched, run_id="run-2", **LOAD_FIELDS)

    snapshot = read_parquet(aws, "posts")
    assert "meta_footnotes" not in snapshot.column_names
    assert dict(zip(snapshot.column("id").to_pylist(), snapshot.column("meta").to_pylist(), strict=True)) == {
        1: '{"footnotes":"¹ a note","_jetpack_newsletter_access":""}',
        2: "[]",
    }
    increment = read_run_object(aws, "run-2", "posts", "increment.parquet")  # what silver merges
    assert increment.column("meta").to_pylist() == [
        '{"footnotes":"¹ a note","_jetpack_newsletter_access":""}'
    ]
    assert "meta_footnotes" not in increment.column_names


def test_an_update_merges_the_increment_into_the_snapshot(aws: Aws, bronze_function) -> None:
    before = [
        post(1, "1T10:00:00", "one"),
        post(2, "1T10:00:00", "two"),
        post(3, "3T10:00:00", "three"),
        post(4, "1T10:00:00", "four"),
    ]
    first = initial_load(aws, bronze_function, "posts", before, run_id="run-1")
    fetched = [
        post(2, "5T10:00:00", "two edited"),  # edited: replaces the snapshot's row
        post(5, "5T11:00:00", "five"),  # new
        post(3, "2T10:00:00", "three, stale"),  # older than the snapshot's row (a replayed run): loses
        post(1, "1T10:00:00", "one, same time"),  # a tie: the increment wins
    ]

    summary = update(
        aws, bronze_function, "posts", fetched, run_id="run-2", published=[1, 2, 3, 5], **LOAD_FIELDS
    )  # post 4 is no longer published

    snapshot = read_parquet(aws, "posts")
    assert snapshot.column("id").to_pylist() == [3, 2, 5, 1]
    assert snapshot.column("title_rendered").to_pylist() == ["three", "two edited", "five", "one, same time"]
    sources = dict(
        zip(snapshot.column("id").to_pylist(), snapshot.column("_source_key").to_pylist(), strict=True)
    )
    assert sources[3] == first["objects"][0]["source_key"]  # the snapshot's row keeps its lineage
    assert sources[2] == "wordpress_api/posts/run-2/posts.json"
    [written] = summary["objects"]
    counts = ("mode", "rows", "increment_rows", "snapshot_rows_before", "deleted_rows")
    assert [written[k] for k in counts] == ["Update", 4, 4, 4, 1]
    assert written["bytes"] == len(aws.get_bytes("wordpress_api/posts/posts.parquet", BRONZE_BUCKET))
    assert summary["loads"] == [
        {
            "dataset": "posts",
            "mode": "Update",
            "increment_key": "_runs/wordpress_api/run-2/posts/increment.parquet",
            "published_ids_key": "_runs/wordpress_api/run-2/posts/published_ids.parquet",
            **LOAD_FIELDS,
        }
    ]
    # the run's own objects: its fetch as converted, and the published ids
    increment = read_run_object(aws, "run-2", "posts", "increment.parquet")
    assert increment.column("title_rendered").to_pylist() == [p["title"]["rendered"] for p in fetched]
    ids = read_run_object(aws, "run-2", "posts", "published_ids.parquet")
    assert ids.schema == pa.schema([pa.field("id", pa.int64())]) and ids.column("id").to_pylist() == [
        1,
        2,
        3,
        5,
    ]
    assert sorted(aws.keys(BRONZE_BUCKET)) == [
        "_runs/wordpress_api/run-1/posts/increment.parquet",
        "_runs/wordpress_api/run-2/posts/increment.parquet",
        "_runs/wordpress_api/run-2/posts/published_ids.parquet",
        "wordpress_api/posts/posts.parquet",
    ]
    assert list(glue_columns(aws, "posts")) == snapshot.column_names


def test_an_update_without_changes_keeps_the_snapshot_minus_deletions(aws: Aws, bronze_function) -> None:
    records = [post(1, "1", "one", author=7), post(2, "1", "two", author=8)]
    initial_load(aws, bronze_function, "posts", records, run_id="run-1")
    types = read_parquet(aws, "posts").schema

    summary = update(aws, bronze_function, "posts", "[]", run_id="run-2", published=[2])

    snapshot = read_parquet(aws, "posts")
    assert snapshot.column("id").to_pylist() == [2]
    # the empty increment's known columns (posts) take the snapshot's types, and add no column type
    assert {f.name: f.type for f in types} == {
        f.name: f.type for f in snapshot.schema if f.name in types.names
    }
    assert snapshot.schema.field("author").type == pa.int64()
    assert (summary["objects"][0]["increment_rows"], summary["objects"][0]["deleted_rows"]) == (0, 1)


def test_a_type_conflict_between_snapshot_and_increment_gives_string_columns(
    aws: Aws, bronze_function
) -> None:
    initial_load(
        aws,
        bronze_function,
        "items",
        [
            {"id": 1, "modified_gmt": "2026-12-01", "score": 1, "flag": True, "note": None, "n": 1},
            {"id": 2, "modified_gmt": "2026-12-01", "score": 2, "flag": False, "note": None, "n": 2},
        ],
        run_id="run-1",
    )

    update(
        aws,
        bronze_function,
        "items",
        [{"id": 3, "modified_gmt": "2026-12-02", "score": "high", "flag": 2.5, "note": 7, "n": 3}],
        run_id="run-2",
    )

    snapshot = read_parquet(aws, "items").drop_columns(["_ingested_at", "_source_key"])
    assert snapshot.to_pylist() == [
        {"id": 1, "modified_gmt": "2026-12-01", "score": "1", "flag": "true", "note": None, "n": 1},
        {"id": 2, "modified_gmt": "2026-12-01", "score": "2", "flag": "false", "note": None, "n": 2},
        {"id": 3, "modified_gmt": "2026-12-02", "score": "high", "flag": "2.5", "note": 7, "n": 3},
    ]
    columns = glue_columns(aws, "items")
    assert (columns["score"], columns["flag"], columns["id"], columns["n"]) == (
        "string",
        "string",
        "bigint",
        "bigint",
    )
    assert columns["note"] == "bigint"  # always null in the snapshot: the increment's type, no conflict


def merge(
    tmp_path, snapshot: list[dict], increment: list[dict], published: list[int] | None = None
) -> list[dict]:
    """bronze_snapshot.merge_snapshot on two Parquet files made from ``snapshot`` and ``increment``."""
    import bronze_snapshot

    pq.write_table(pa.Table.from_pylist(snapshot), tmp_path / "snapshot.parquet")
    pq.write_table(pa.Table.from_pylist(increment), tmp_path / "increment.parquet")
    bronze_snapshot.merge_snapshot(
        str(tmp_path / "snapshot.parquet"),
        str(tmp_path / "increment.parquet"),
        str(tmp_path / "merged.parquet"),
        None if published is None else pa.array(published, pa.int64()),
    )
    return pq.read_table(tmp_path / "merged.parquet").to_pylist()


def test_within_an_increment_the_newest_row_of_an_id_wins_the_later_on_a_tie(
    bronze_function, tmp_path
) -> None:
    increment = [
        {"id": 1, "modified_gmt": "2026-12-02", "v": "newest"},
        {"id": 1, "modified_gmt": "2026-12-01", "v": "older, fetched later"},
        {"id": 2, "modified_gmt": "2026-12-02", "v": "first"},
        {"id": 2, "modified_gmt": "2026-12-02", "v": "same time, fetched later"},
    ]
    rows = merge(tmp_path, [{"id": 9, "modified_gmt": "2026-12-01", "v": "kept"}], increment)
    assert [(row["id"], row["v"]) for row in rows] == [
        (9, "kept"),
        (1, "newest"),
        (2, "same time, fetched later"),
    ]


def test_without_modified_gmt_the_increment_wins(bronze_function, tmp_path) -> None:
    """A dataset without modification times (a full fetch of categories): every fetched id replaces
    the snapshot's row, ids not fetched stay (deletions come from the published ids alone)."""
    rows = merge(
        tmp_path, [{"id": 1, "name": "old"}, {"id": 2, "name": "two"}], [{"id": 1, "name": "renamed"}]
    )
    assert rows == [{"id": 2, "name": "two"}, {"id": 1, "name": "renamed"}]
    assert merge(tmp_path, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], [], published=[2]) == [
        {"id": 2, "name": "b"}
    ]


IDS_KEY = "wordpress_api/posts/run-2/published_ids.json"


@pytest.mark.parametrize(
    ("increment", "published", "reason"),
    [
        ('[{"id": 5, "title": ', None, "malformed raw JSON"),
        ("[]", '["5"]', f"published ids s3://{RAW_BUCKET}/{IDS_KEY}: item 1 is not an integer: '5'"),
        ('[{"title": "no id"}]', None, "SnapshotMergeError: the increment has no 'id' column"),
    ],
    ids=["malformed-increment", "published-ids-not-integers", "increment-without-id"],
)
def test_a_failed_update_leaves_the_previous_snapshot(
    aws: Aws, bronze_function, increment, published, reason
) -> None:
    initial_load(aws, bronze_function, "posts", [post(1, "1", "one"), post(2, "1", "two")], run_id="run-1")
    previous, columns = (
        aws.get_bytes("wordpress_api/posts/posts.parquet", BRONZE_BUCKET),
        glue_columns(aws, "posts"),
    )

    with pytest.raises(bronze_function.PipelineStepFailed) as raised:
        update(aws, bronze_function, "posts", increment, run_id="run-2", published=published)

    [failure] = raised.value.failures
    assert failure.item == f"s3://{RAW_BUCKET}/wordpress_api/posts/run-2/posts.json"
    assert reason in failure.reason
    assert aws.get_bytes("wordpress_api/posts/posts.parquet", BRONZE_BUCKET) == previous
    assert glue_columns(aws, "posts") == columns
    assert not [key for key in aws.keys(BRONZE_BUCKET) if "/run-2/" in key]  # nothing of the failed run
    assert len(aws.messages(aws.bronze_topic_arn)) == 1


def test_an_update_without_a_previous_snapshot_fails(aws: Aws, bronze_function) -> None:
    with pytest.raises(bronze_function.PipelineStepFailed, match="InitialLoad") as raised:
        update(aws, bronze_function, "posts", [post(1, "1", "one")], run_id="run-2")

    assert "s3://test-data-lakehouse-bronze/wordpress_api/posts/posts.parquet" in str(raised.value)
    assert "wordpress_api/posts/posts.parquet" not in aws.keys(BRONZE_BUCKET)


def test_a_multi_part_load_is_converted_as_one_dataset(aws: Aws, bronze_function) -> None:
    parts = ['[{"id": 1, "n": 1}, {"id": 2, "n": 2}]', "[]", ' \n[ {"id": 3, "n": 3.5, "late": "x"} ]\n']
    keys = [
        put_raw(aws, "posts", body, filename=f"posts-{number:06d}.json")
        for number, body in enumerate(parts, start=1)
    ]

    summary = load(bronze_function, endpoint("posts", *keys))

    snapshot = read_parquet(aws, "posts")
    assert snapshot.drop_columns(["_ingested_at", "_source_key"]).to_pylist() == [
        {"id": 1, "n": 1.0, "late": None},
        {"id": 2, "n": 2.0, "late": None},
        {"id": 3, "n": 3.5, "late": "x"},
    ]
    run_folder = f"wordpress_api/posts/{RUN}/"  # the lineage of a split load: the run's folder
    assert set(snapshot.column("_source_key").to_pylist()) == {run_folder}
    assert summary["objects"][0]["source_key"] == run_folder
    assert summary["objects"][0]["rows"] == 3


def test_a_part_that_is_not_a_json_array_fails_naming_it(aws: Aws, bronze_function) -> None:
    keys = [
        put_raw(aws, "posts", '[{"id": 1}]', filename="posts-000001.json"),
        put_raw(aws, "posts", '{"id": 2}', filename="posts-000002.json"),
    ]

    with pytest.raises(bronze_function.PipelineStepFailed) as raised:
        load(bronze_function, endpoint("posts", *keys))

    assert f"s3://{RAW_BUCKET}/{keys[1]} is not a JSON array" in raised.value.failures[0].reason


@pytest.mark.parametrize(
    ("event", "item"),
    [
        ({}, "raw.summary.endpoints"),
        ({"run": {"id": RUN}, "raw": {"status": 200}}, "raw.summary.endpoints"),
        (None, "raw.summary.endpoints"),
        ({"raw": {"summary": {"endpoints": []}}}, "run.id"),
    ],
    ids=["empty-event", "no-summary", "no-event", "no-run-id"],
)
def test_an_event_without_its_input_fails_naming_it(aws: Aws, bronze_function, event, item) -> None:
    with pytest.raises(bronze_function.PipelineStepFailed) as raised:
        bronze_function.lambda_handler(event, None)

    [failure] = raised.value.failures
    assert failure.item == item
    assert "missing" in failure.reason
    [(_, message)] = aws.messages(aws.bronze_topic_arn)
    assert f"{item}: missing" in message


def test_a_bad_endpoint_entry_fails_alone(aws: Aws, bronze_function) -> None:
    good = endpoint("tags", put_raw(aws, "tags", '[{"id": 1}]'))
    bad = {**endpoint("posts", put_raw(aws, "posts", '[{"id": 1}]')), "mode": "Sometimes"}

    with pytest.raises(bronze_function.PipelineStepFailed) as raised:
        load(bronze_function, bad, good)

    [failure] = raised.value.failures
    assert failure.item == "raw.summary.endpoints[0] (posts)"
    assert "'mode' must be 'InitialLoad' or 'Update': 'Sometimes'" in failure.reason
    assert read_parquet(aws, "tags").num_rows == 1


# --------------------------------------------------------------------------- conversion internals


@pytest.fixture
def bronze_parquet(bronze_function):
    import bronze_parquet

    return bronze_parquet


def convert_rows(bronze_parquet, tmp_path, records_json: str, **options) -> tuple[list[dict], object]:
    source = tmp_path / "in.json"
    source.write_text(records_json, encoding="utf-8")
    result = bronze_parquet.write_parquet(
        str(source),
        str(tmp_path / "out.parquet"),
        source_key="k",
        ingested_at=datetime(2024, 1, 1, tzinfo=UTC),
        **options,
    )
    return pq.read_table(tmp_path / "out.parquet").to_pylist(), result


def test_late_type_change_rereads_the_file(bronze_parquet, tmp_path) -> None:
    records = [{"id": i, "meta": {"footnotes": str(i)}} for i in range(50)] + [{"id": 50, "meta": []}]

    rows, result = convert_rows(bronze_parquet, tmp_path, json.dumps(records), batch_characters=200)

    assert result.passes == 2
    assert [row["meta"] for row in rows] == [json.dumps(r["meta"], separators=(",", ":")) for r in records]
    assert list(rows[0]) == ["id", "meta", "_ingested_at", "_source_key"]


def test_late_new_column_and_int_to_double_need_no_second_pass(bronze_parquet, tmp_path) -> None:
    records = [{"id": i, "n": i} for i in range(30)] + [{"id": 30, "n": 0.5, "late": "x"}]

    rows, result = convert_rows(bronze_parquet, tmp_path, json.dumps(records), batch_characters=100)

    assert result.passes == 1
    assert [row["n"] for row in rows] == [float(i) for i in range(30)] + [0.5]
    assert [row["late"] for row in rows] == [None] * 30 + ["x"]


def test_integers_beyond_int64_become_json(bronze_parquet, tmp_path) -> None:
    rows, _ = convert_rows(bronze_parquet, tmp_path, '[{"big": 1}, {"big": 99999999999999999999999}]')
    assert [row["big"] for row in rows] == ["1", "99999999999999999999999"]


@pytest.mark.parametrize("prepared", [False, True], ids=["workers-started-when-needed", "prepared-workers"])
def test_parallel_conversion_matches_sequential(bronze_parquet, tmp_path, monkeypatch, prepared) -> None:
    monkeypatch.setattr(bronze_parquet, "PARALLEL_MIN_BYTES", 0)
    text = "".join(iter_json_array_chunks(generate_posts(300, paragraphs=1)))

    sequential, one = convert_rows(bronze_parquet, tmp_path, text, workers=1)
    with bronze_parquet.prepared_workers(len(text), 3) if prepared else nullcontext() as pool:
        parallel, two = convert_rows(
            bronze_parquet, tmp_path, text, workers=3, batch_characters=50_000, pool=pool
        )

    assert (one.processes, two.processes) == (1, 3)
    assert parallel == sequential
    assert one.columns == two.columns


@pytest.fixture
def started_workers(bronze_parquet, monkeypatch) -> list:
    """Every worker process bronze_parquet starts."""
    started = []
    popen = bronze_parquet.subprocess.Popen

    def recording_popen(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(bronze_parquet.subprocess, "Popen", recording_popen)
    return started


def test_workers_are_reaped_when_conversion_fails(
    bronze_parquet, tmp_path, monkeypatch, started_workers
) -> None:
    monkeypatch.setattr(bronze_parquet, "PARALLEL_MIN_BYTES", 0)
    text = "".join(iter_json_array_chunks(generate_posts(300, paragraphs=1)))
    convert_region = bronze_parquet.convert_region

    def disk_full(path, start, *args):
        if start == 0:  # this process's region: the workers are converting theirs meanwhile
            raise OSError("No space left on device")
        return convert_region(path, start, *args)

    monkeypatch.setattr(bronze_parquet, "convert_region", disk_full)

    with pytest.raises(OSError, match="No space left"), bronze_parquet.prepared_workers(len(text), 3) as pool:
        convert_rows(bronze_parquet, tmp_path, text, workers=3, batch_characters=50_000, pool=pool)

    assert len(started_workers) == 2
    assert all(process.returncode is not None for process in started_workers)  # waited for: no zombie


def test_unused_prepared_workers_exit(bronze_parquet, tmp_path, monkeypatch, started_workers) -> None:
    monkeypatch.setattr(bronze_parquet, "PARALLEL_MIN_BYTES", 0)
    text = json.dumps({"id": 1, "note": "a single document is not split"})

    with bronze_parquet.prepared_workers(len(text), 3) as pool:
        rows, result = convert_rows(bronze_parquet, tmp_path, text, workers=3, pool=pool)

    assert (rows[0]["id"], result.processes) == (1, 1)
    assert [process.returncode for process in started_workers] == [0, 0]  # told to exit, and reaped


def test_a_wrong_split_is_detected(bronze_parquet, tmp_path) -> None:
    records = [{"id": 1, "items": [{"id": 2}, {"id": 3}]}, {"id": 4, "items": []}]
    text = json.dumps(records, separators=(",", ":"))
    path = tmp_path / "in.json"
    path.write_text(text)
    nested = text.index('{"id":3}')  # a "},{"id": pattern inside a record, not between records

    assert bronze_parquet.convert_parallel(str(path), [nested], str(tmp_path), 1000) is None
    assert (
        bronze_parquet.convert_parallel(str(path), [text.index('{"id":4')], str(tmp_path), 1000) is not None
    )


def test_a_failing_worker_falls_back_to_a_sequential_conversion(
    bronze_parquet, tmp_path, monkeypatch
) -> None:
    """The split convert_file finds lands inside a nested object (a "},{"id": inside a record):
    both regions fail to parse, and the file is converted sequentially, with the same output."""
    monkeypatch.setattr(bronze_parquet, "PARALLEL_MIN_BYTES", 0)
    records = [
        {"id": 1, "text": "x" * 1000, "items": [{"id": 2}, {"id": 3, "n": 1.5}]},
        {"id": 4, "items": [], "text": "y"},
        {"id": 5, "items": [{"id": 6}], "text": None, "late": True},
    ]
    text = json.dumps(records, separators=(",", ":"))
    path = tmp_path / "split.json"
    path.write_text(text)
    assert bronze_parquet.find_splits(str(path), len(text), 2) == [text.index('{"id":3')], "a nested split"

    parallel_results = []
    convert_parallel = bronze_parquet.convert_parallel

    def recording_convert_parallel(*args, **kwargs):
        parallel_results.append(convert_parallel(*args, **kwargs))
        return parallel_results[-1]

    monkeypatch.setattr(bronze_parquet, "convert_parallel", recording_convert_parallel)

    sequential, one = convert_rows(bronze_parquet, tmp_path, text, workers=1)
    fallback, two = convert_rows(bronze_parquet, tmp_path, text, workers=2)

    assert parallel_results == [None], "the parallel conversion was tried once, and failed"
    assert (one.processes, two.processes) == (1, 1), "then this process converted the file alone"
    assert fallback == sequential
    assert [row["id"] for row in fallback] == [1, 4, 5]
    assert one.columns == two.columns


NOT_CLOSED = b"[1, 2"
BAD_RECORD_AFTER_50 = (json.dumps([{"id": i} for i in range(50)])[:-1] + ', {"id": tru}]').encode()
NOT_UTF8 = b'[{"a": 1}, {"a": "\xc3("}]'  # the bad byte is byte 18 (from 0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty object: no JSON document"),
        (NOT_CLOSED, "JSON array not closed after 2 records"),
        (b'[{"a": 1} {"b": 2}]', "expected ',' or ']' after record 1, found '{'"),
        (b"[1] 2", "unexpected data after the JSON array (at byte 4)"),
        (b"[1,\n 2]\n x", "unexpected data after the JSON array (at byte 9)"),
        (
            b"{nope}",
            "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b'[1, 2, {"a": tru}]', "record 3 is not valid JSON: Expecting value"),
        (BAD_RECORD_AFTER_50, "record 51 is not valid JSON: Expecting value"),  # fast path failed first
        (NOT_UTF8, "not UTF-8 text at byte 18 (invalid continuation byte)"),
        (codecs.BOM_UTF8 + b'{"a": "\xff"}', "not UTF-8 text at byte 10 (invalid start byte)"),  # BOM counted
    ],
    ids=[
        "empty",
        "not-closed",
        "missing-comma",
        "trailing-data",
        "trailing-data-after-newlines",
        "bad-document",
        "bad-record",
        "bad-record-51",
        "not-utf8-in-array",
        "not-utf8-document-after-bom",
    ],
)
def test_malformed_json_messages(bronze_parquet, tmp_path, raw, message) -> None:
    """MalformedJson says where: the record number, the byte offset in the raw object, or the line
    and column of a single document."""
    source = tmp_path / "in.json"
    source.write_bytes(raw)
    with pytest.raises(bronze_parquet.MalformedJson) as raised:
        bronze_parquet.write_parquet(
            str(source),
            str(tmp_path / "out.parquet"),
            source_key="k",
            ingested_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
    assert str(raised.value) == message
