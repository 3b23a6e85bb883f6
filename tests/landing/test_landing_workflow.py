"""The landing zone end to end (issue 19): files put under s3://<raw>/landing/ are registered by the
landing_intake function on S3's Object Created events (the Object Created rule's pattern as the module
declares it), then Landing_To_Silver as the module renders it runs in moto's Step Functions
interpreter with the real handler, the real large-file Glue job and the real silver Glue job (local
PySpark).

What a user relies on: valid files of any accepted format reach silver in one run; every bad input
gets a clear reason in its audit item and in the run's ONE alert, is moved to failed/, and never
blocks the other files; a key outside a dataset folder is refused at arrival with an alert and no
item; the same content uploaded twice is registered once; a run without new files ends at once and
sends nothing; a file above the Lambda threshold takes the Glue path; 200 small files complete in one
run with at most one alert.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from local.emulator import Emulator, aws_emulator, entered_states, run_execution, sns_messages
from local.landing import (
    DeployedLanding,
    LandingDeployment,
    deploy_landing,
    enable_arrival,
    landing_items,
    landing_run_id,
    read_landing_deployment,
)
from local.run_pipeline import DeployedPipeline, Deployment, deploy, read_deployment
from tests.pipeline.silver_helpers import read_silver, silver_tables

ENDPOINTS = ["http://127.0.0.1:9/wp-json/wp/v2/posts"]  # never fetched: only the landing zone runs here


@dataclasses.dataclass
class Lakehouse:
    emulator: Emulator
    deployment: Deployment
    pipeline: DeployedPipeline
    landing: LandingDeployment
    deployed: DeployedLanding
    runs: int = 0

    def put(self, key: str, body: bytes) -> None:
        self.emulator.client("s3").put_object(Bucket=self.deployment.raw_bucket, Key=key, Body=body)

    def alerts(self) -> list[dict[str, Any]]:
        return sns_messages(self.deployed.failure_topic_arn, self.emulator.region, self.emulator.account_id)

    def run(self, deployed: DeployedLanding | None = None) -> dict[str, Any]:
        self.runs += 1
        sfn = self.emulator.client("stepfunctions")
        description = run_execution(
            sfn,
            (deployed or self.deployed).alias_arn,
            {"trigger": "test"},
            name=f"landing-{self.runs}",
            timeout_seconds=600,
        )
        description["states"] = entered_states(sfn, description["executionArn"])
        description["run_id"] = landing_run_id(sfn, description["executionArn"])
        return description

    def items(self, run_id: str | None, keys: list[str] = ()) -> dict[str, dict[str, Any]]:
        """The audit items this run processed (and of `keys`), by file name."""
        found = landing_items(self.emulator.client("dynamodb"), self.deployment.audit_table, run_id, keys)
        return {item["file_name"]: item for item in found}

    def silver(self, dataset: str) -> list[dict[str, Any]]:
        location = silver_tables(self.emulator, self.deployment)[dataset]["location"]
        return read_silver(self.emulator, location).to_pylist()

    def keys(self, prefix: str) -> list[str]:
        s3 = self.emulator.client("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.deployment.raw_bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture(scope="module")
def lakehouse() -> Iterator[Lakehouse]:
    with aws_emulator() as emulator:
        deployment = read_deployment(emulator.account_id, emulator.region)
        pipeline = deploy(emulator, deployment, ENDPOINTS)
        topic = pipeline.topic_arns["failure_stepfunction"]
        landing = read_landing_deployment(deployment, topic)
        deployed = deploy_landing(emulator, deployment, landing, topic)
        enable_arrival(emulator, deployment, landing, deployed)
        # A contract of the tests' own (datasets/<dataset>.json, as Terraform uploads the repository's).
        emulator.client("s3").put_object(
            Bucket=deployment.artifacts_bucket,
            Key=f"{landing.contracts_prefix}orders.json",
            Body=json.dumps(
                {
                    "primary_key": ["order_id"],
                    "columns": {
                        "order_id": "bigint",
                        "customer": "string",
                        "amount": "double",
                        "ordered_on": "date",
                    },
                }
            ).encode(),
        )
        yield Lakehouse(emulator, deployment, pipeline, landing, deployed)


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_a_run_without_new_files_ends_at_once_and_sends_nothing(lakehouse: Lakehouse) -> None:
    alerts = len(lakehouse.alerts())
    invocations = len(lakehouse.emulator.invocations)

    result = lakehouse.run()

    assert result["status"] == "SUCCEEDED", result
    assert result["states"][-1] == "No new files"
    assert len(lakehouse.alerts()) == alerts
    assert len(lakehouse.emulator.invocations) == invocations  # no Lambda, no Glue
    assert not lakehouse.emulator.job_runs


def test_three_formats_of_two_datasets_reach_silver_in_one_run(lakehouse: Lakehouse) -> None:
    alerts = len(lakehouse.alerts())
    lakehouse.put(
        "landing/orders/2026-11.csv",
        b"order_id,customer,amount,ordered_on\n1,ana,10.5,2026-11-02\n2,ben,3,2026-11-03\n",
    )
    lakehouse.put(
        "landing/orders/2026-12.jsonl.gz",
        gzip.compress(
            b'{"order_id": 2, "customer": "ben", "amount": 4.25, "ordered_on": "2026-11-03"}\n'
            b'{"order_id": 3, "customer": "chloe", "amount": 7, "ordered_on": "2026-12-01", "coupon": "X1"}\n'
        ),
    )
    lakehouse.put(
        "landing/visits/week 49 – café.parquet",
        parquet_bytes(
            pa.table({"page": ["/", "/about"], "visits": [120, 7], "nested": [{"a": 1}, {"a": 2}]})
        ),
    )
    lakehouse.put("landing/visits/week-50.json", json.dumps([{"page": "/", "visits": 99}]).encode())

    result = lakehouse.run()

    assert result["status"] == "SUCCEEDED", result
    items = lakehouse.items(result["run_id"])
    assert {name: item["state"] for name, item in items.items()} == {
        "2026-11.csv": "SILVER",
        "2026-12.jsonl.gz": "SILVER",
        "week 49 – café.parquet": "SILVER",
        "week-50.json": "SILVER",
    }
    assert items["2026-12.jsonl.gz"]["columns_added"] == ["coupon"]
    orders = {row["order_id"]: row for row in lakehouse.silver("orders")}
    # The contract's key: the later file's order 2 wins; the new column extends the table.
    assert sorted(orders) == [1, 2, 3]
    assert orders[2]["amount"] == 4.25 and orders[3]["coupon"] == "X1" and orders[1]["coupon"] is None
    visits = lakehouse.silver("visits")
    assert sorted((row["page"], row["visits"]) for row in visits) == [("/", 99), ("/", 120), ("/about", 7)]
    assert len(lakehouse.alerts()) == alerts
    # Valid files stay where they landed (the raw layer); nothing was moved to failed/.
    assert "landing/visits/week 49 – café.parquet" in lakehouse.keys("landing/visits/")
    assert not lakehouse.keys("failed/visits/")


def test_each_bad_input_is_rejected_with_its_reason_in_one_alert_and_blocks_nothing(
    lakehouse: Lakehouse,
) -> None:
    alerts = len(lakehouse.alerts())
    bad = {
        "truncated.json": b'[{"order_id": 10, "customer": "x"}, {"order_id": 11',
        "ragged.csv": b"order_id,customer\n12,dora\n13,eli,extra\n",
        "latin1.csv": "order_id,customer\n14,Jos\xe9\n".encode("latin-1"),
        "empty.csv": b"",
        "not-parquet.parquet": b"order_id,customer\n15,fay\n",
        "typed-wrong.csv": b"order_id,customer,amount\n16,gus,a lot\n",
    }
    for name, body in bad.items():
        lakehouse.put(f"landing/orders/{name}", body)
    lakehouse.put("landing/orders/good.csv", b"order_id,customer,amount\n20,hana,1.5\n")
    # Two files of one dataset in one batch: the second changes the type of a column the first defined.
    lakehouse.put("landing/sensors/a.csv", b"sensor,reading\ns1,1.5\n")
    lakehouse.put("landing/sensors/b.csv", b"sensor,reading\ns2,high\n")

    result = lakehouse.run()

    assert result["status"] == "FAILED" and result["error"] == "LandingFilesNeedAttention", result
    items = lakehouse.items(result["run_id"])
    assert items["good.csv"]["state"] == "SILVER"
    assert items["a.csv"]["state"] == "SILVER"
    expected_reasons = {
        "truncated.json": "truncated",
        "ragged.csv": "3 fields where the header has 2",
        "latin1.csv": "not UTF-8",
        "empty.csv": "empty (0 bytes)",
        "not-parquet.parquet": "not a Parquet file",
        "typed-wrong.csv": "'amount'",
        "b.csv": "'reading'",
    }
    for name, words in expected_reasons.items():
        assert items[name]["state"] == "INVALID", items[name]
        assert words in items[name]["reason"] and name in items[name]["reason"], items[name]["reason"]
        dataset = items[name]["dataset"]
        assert f"failed/{dataset}/{result['run_id']}/{name}" in lakehouse.keys(f"failed/{dataset}/")
        assert f"landing/{dataset}/{name}" not in lakehouse.keys(f"landing/{dataset}/")
    new_alerts = lakehouse.alerts()[alerts:]
    assert len(new_alerts) == 1, new_alerts
    for name in expected_reasons:
        assert name in new_alerts[0]["message"]
    assert 20 in {row["order_id"] for row in lakehouse.silver("orders")}
    assert [row["sensor"] for row in lakehouse.silver("sensors")] == ["s1"]


def test_keys_outside_a_dataset_folder_are_refused_at_arrival_with_an_alert(lakehouse: Lakehouse) -> None:
    alerts = len(lakehouse.alerts())
    deliveries = len(lakehouse.emulator.event_deliveries)
    lakehouse.put("landing/loose.csv", b"a\n1\n")
    lakehouse.put("landing/Bad Name/x.csv", b"a\n1\n")
    lakehouse.put("raw-elsewhere/x.csv", b"a\n1\n")  # not under landing/: the rule does not match

    delivered = lakehouse.emulator.event_deliveries[deliveries:]
    assert [d["event"]["detail"]["object"]["key"] for d in delivered] == [
        "landing/loose.csv",
        "landing/Bad Name/x.csv",
    ]
    assert all(d["result"]["registered"] is False for d in delivered)
    new_alerts = lakehouse.alerts()[alerts:]
    assert len(new_alerts) == 2
    assert "landing/loose.csv" in new_alerts[0]["message"] and "Bad Name" in new_alerts[1]["message"]
    assert not lakehouse.items(None, ["landing/loose.csv", "landing/Bad Name/x.csv"])


def test_the_same_content_uploaded_twice_is_registered_once(lakehouse: Lakehouse) -> None:
    body = b"order_id,customer\n30,ivy\n"
    lakehouse.put("landing/orders/march.csv", body)
    alerts = len(lakehouse.alerts())
    lakehouse.put("landing/orders/march-copy.csv", body)

    new_alerts = lakehouse.alerts()[alerts:]
    assert len(new_alerts) == 1 and "march.csv" in new_alerts[0]["message"]
    result = lakehouse.run()
    assert result["status"] == "SUCCEEDED", result
    items = lakehouse.items(result["run_id"])
    assert list(items) == ["march.csv"]
    assert items["march.csv"]["duplicate_uploads"][0]["key"] == "landing/orders/march-copy.csv"


def test_a_file_above_the_lambda_threshold_takes_the_glue_path(lakehouse: Lakehouse) -> None:
    small_threshold = dataclasses.replace(lakehouse.landing, lambda_max_file_bytes=64)
    glue_first = deploy_landing_variant(lakehouse, small_threshold)
    rows = "".join(f"{n},c{n}\n" for n in range(40, 60)).encode()
    lakehouse.put("landing/orders/big.csv", b"order_id,customer\n" + rows)  # > 64 bytes

    result = lakehouse.run(glue_first)

    assert result["status"] == "SUCCEEDED", result
    assert "Validate and load in Glue" in result["states"]
    item = lakehouse.items(result["run_id"])["big.csv"]
    assert item["state"] == "SILVER" and item["path"] == "glue" and item["rows"] == 20
    jobs = [run["job_name"] for run in lakehouse.emulator.job_runs]
    assert lakehouse.landing.jobs["file_to_bronze"].name in jobs


def deploy_landing_variant(lakehouse: Lakehouse, landing: LandingDeployment) -> DeployedLanding:
    """A second Landing_To_Silver with other settings (its own name), same function and jobs."""
    from local.landing import render_landing_definition
    from local.run_pipeline import create_state_machine

    definition = render_landing_definition(
        lakehouse.deployed.function_alias_arn,
        lakehouse.deployment.audit_table,
        landing.audit_state_index_name,
        landing.jobs["file_to_bronze"].name,
        landing.jobs["bronze_to_silver"].name,
        lakehouse.deployed.failure_topic_arn,
        landing.max_files_per_run,
        landing.lambda_max_file_bytes,
    )
    name = f"{landing.state_machine_name}-{landing.lambda_max_file_bytes}"
    arn, alias = create_state_machine(lakehouse.emulator, name, definition, lakehouse.deployment.alias_name)
    return dataclasses.replace(lakehouse.deployed, state_machine_arn=arn, alias_arn=alias)


def test_two_hundred_small_files_complete_in_one_run_with_at_most_one_alert(lakehouse: Lakehouse) -> None:
    alerts = len(lakehouse.alerts())
    for number in range(200):
        lakehouse.put(
            f"landing/clicks/part-{number:03d}.csv", f"click_id,page\n{number},/p{number % 7}\n".encode()
        )

    result = lakehouse.run()

    assert result["status"] == "SUCCEEDED", result
    items = lakehouse.items(result["run_id"])
    assert len(items) == 200 and {item["state"] for item in items.values()} == {"SILVER"}
    assert len(lakehouse.silver("clicks")) == 200
    assert len(lakehouse.alerts()) - alerts <= 1
