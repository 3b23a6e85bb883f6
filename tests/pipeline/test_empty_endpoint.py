"""A site with an empty endpoint (a new blog without pages) through the whole pipeline in the
emulator: raw, bronze and the real silver job under local PySpark. The empty endpoint is
published as an empty silver table with its known columns; the other tables are unaffected."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from local.emulator import Emulator, run_execution, sns_messages
from local.run_pipeline import Deployment, deploy, read_deployment
from local.sample_wordpress import SampleWordPress
from tests.pipeline.silver_helpers import audit, read_silver, silver_tables

FAST = {"RETRY_BASE_SECONDS": "0"}


@pytest.fixture
def site() -> Iterator[SampleWordPress]:
    with SampleWordPress(posts=30, categories=4, tags=6, users=3, extra_collections={"pages": []}) as running:
        yield running


@pytest.fixture
def deployment(emulator: Emulator) -> Deployment:
    return read_deployment(emulator.account_id, emulator.region)


def test_posts_present_and_pages_empty_publishes_pages_empty_with_its_columns(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    endpoints = [site.url(name) for name in ("posts", "pages", "tags", "users")]
    pipeline = deploy(emulator, deployment, endpoints, FAST)

    execution = run_execution(
        emulator.client("stepfunctions"),
        pipeline.alias_arn,
        {"trigger": "test"},
        name="empty-pages",
        timeout_seconds=600,
    )

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert sns_messages(pipeline.topic_arns["failure_stepfunction"]) == []
    run_id = json.loads(execution["output"])["run"]["id"]
    expected = {"posts": 30, "pages": 0, "tags": 6, "users": 3}
    items = audit(emulator, deployment, run_id)
    assert {name: item["state"] for name, item in items.items()} == dict.fromkeys(expected, "SILVER")
    for name, count in expected.items():
        assert items[name]["raw_records"] == items[name]["bronze_rows"] == items[name]["silver_rows"] == count

    # Bronze wrote the columns WordPress sends for pages, with no row.
    s3 = emulator.client("s3")
    body = s3.get_object(Bucket=deployment.bronze_bucket, Key="wordpress_api/pages/pages.parquet")["Body"]
    bronze_pages = pq.read_table(io.BytesIO(body.read()))
    assert bronze_pages.num_rows == 0
    assert bronze_pages.schema.field("id").type == pa.int64()
    assert {"date_gmt", "title_rendered", "parent", "menu_order"} <= set(bronze_pages.column_names)

    # Silver: an empty pages table with the known columns, typed like posts; the others as usual.
    tables = silver_tables(emulator, deployment)
    assert set(tables) == set(expected)
    pages = emulator.client("glue").get_table(DatabaseName=deployment.silver_database, Name="pages")["Table"]
    columns = {column["Name"]: column["Type"] for column in pages["StorageDescriptor"]["Columns"]}
    assert (columns["id"], columns["date_gmt"], columns["modified"], columns["title"]) == (
        "bigint",
        "timestamp",
        "timestamp",
        "string",
    )
    assert tables["pages"]["partition_keys"] == ["year", "month"]
    for name, count in expected.items():
        if count:
            assert read_silver(emulator, tables[name]["location"]).num_rows == count, name
