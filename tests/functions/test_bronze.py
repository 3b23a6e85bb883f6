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


def put_raw(aws: Aws, name: str, body: bytes | str) -> str:
    key = f"wordpress_api/{name}/{name}.json"
    aws.s3.put_object(Bucket=RAW_BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)
    return key


def read_parquet(aws: Aws, name: str) -> pa.Table:
    return pq.read_table(io.BytesIO(aws.get_bytes(f"wordpress_api/{name}/{name}.parquet", BRONZE_BUCKET)))


def test_row_counts_equal_raw_record_counts(aws: Aws, wordpress, raw_function, bronze_function) -> None:
    aws.set_endpoints(
        [wordpress.url(n) for n in ("posts", "categories", "tags", "users", "statistics_pages")]
    )
    raw = raw_function.lambda_handler({}, None)

    summary = bronze_function.lambda_handler(raw, None)

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
    put_raw(aws, "mixed", json.dumps(HETEROGENEOUS))

    summary = bronze_function.lambda_handler({}, None)

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
            "source_key": "wordpress_api/mixed/mixed.json",
            "key": "wordpress_api/mixed/mixed.parquet",
            "table": f"{GLUE_DATABASE}.mixed",
            "rows": 3,
            "columns": 10,
            "bytes": len(aws.get_bytes("wordpress_api/mixed/mixed.parquet", BRONZE_BUCKET)),
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
    put_raw(aws, "unicode", json.dumps(records, ensure_ascii=True))  # \u escapes in the raw file

    bronze_function.lambda_handler({}, None)

    row = read_parquet(aws, "unicode").to_pylist()[0]
    assert row["text"] == records[0]["text"]
    assert json.loads(row["list"]) == ["\u00fcber"]
    assert "\u00fcber" in row["list"]  # stored readable, not \u-escaped


def test_single_document_and_empty_array(aws: Aws, bronze_function) -> None:
    put_raw(aws, "document", '{"total": 5, "by": {"day": 2}}')
    put_raw(aws, "empty", "[]")

    bronze_function.lambda_handler({}, None)

    assert read_parquet(aws, "document").drop_columns(["_ingested_at", "_source_key"]).to_pylist() == [
        {"total": 5, "by_day": 2}
    ]
    empty = read_parquet(aws, "empty")
    assert empty.num_rows == 0
    assert empty.column_names == ["_ingested_at", "_source_key"]


def test_an_empty_wordpress_collection_gets_its_known_columns(aws: Aws, bronze_function) -> None:
    # A new blog without pages: WordPress answers [], and bronze writes the columns of pages.
    put_raw(aws, "pages", "[]")

    summary = bronze_function.lambda_handler({}, None)

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
    for name, items in records.items():
        put_raw(aws, name, json.dumps(items))

    bronze_function.lambda_handler({}, None)

    for name in records:
        schema = read_parquet(aws, name).schema
        written = [
            (f.name, f.type) for f in schema if not f.name.startswith(("_links", "_ingested", "_source"))
        ]
        known = [(f.name, f.type) for f in known_fields(name)]
        assert known == written, name


def test_malformed_object_fails_alone(aws: Aws, bronze_function) -> None:
    put_raw(aws, "good", json.dumps(HETEROGENEOUS))
    bronze_function.lambda_handler({}, None)
    previous = aws.get_bytes("wordpress_api/good/good.parquet", BRONZE_BUCKET)
    broken_key = put_raw(
        aws, "good", '[{"id": 1}, {"id": 2, "title": '
    )  # yesterday's good object, now broken
    put_raw(aws, "other", json.dumps(HETEROGENEOUS[:2]))

    with pytest.raises(bronze_function.PipelineStepFailed) as raised:
        bronze_function.lambda_handler({}, None)

    assert [f.item for f in raised.value.failures] == [f"s3://{RAW_BUCKET}/{broken_key}"]
    assert "malformed raw JSON" in raised.value.failures[0].reason
    assert aws.get_bytes("wordpress_api/good/good.parquet", BRONZE_BUCKET) == previous  # good parquet kept
    assert read_parquet(aws, "other").num_rows == 2  # the others are still converted
    [(subject, message)] = aws.messages(aws.bronze_topic_arn)
    assert subject == "data_wordpressapi_bronze: 1 failure(s)"
    assert f"s3://{RAW_BUCKET}/{broken_key}: malformed raw JSON" in message


def test_glue_table_registered(aws: Aws, bronze_function) -> None:
    put_raw(aws, "mixed", json.dumps(HETEROGENEOUS))

    bronze_function.lambda_handler({}, None)
    bronze_function.lambda_handler({}, None)  # a second run updates the table in place

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
    with pytest.raises(bronze_function.PipelineStepFailed, match="no .json objects"):
        bronze_function.lambda_handler({}, None)
    assert len(aws.messages(aws.bronze_topic_arn)) == 1


def test_missing_database_fails_object_not_run(aws: Aws, bronze_function, monkeypatch) -> None:
    monkeypatch.setenv("GLUE_DATABASE_NAME", "does_not_exist")
    put_raw(aws, "mixed", json.dumps(HETEROGENEOUS))
    with pytest.raises(bronze_function.PipelineStepFailed, match="mixed.json: EntityNotFoundException"):
        bronze_function.lambda_handler({}, None)


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
