"""moto in process with what the landing_intake function works on: the raw, bronze, silver and
artifacts buckets, the bronze database, the audit table as modules/pipeline/silver.tf declares it
(with the state index), an alert topic; and the real handler, loaded as Lambda would."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from local.emulator import fake_aws_environment
from local.functions import load_function_module
from local.run_pipeline import AUDIT_STATE_INDEX as STATE_INDEX
from local.run_pipeline import create_audit_table as create_pipeline_audit_table

REGION = "eu-west-2"
RAW = "test-landing-raw"
BRONZE = "test-landing-bronze"
SILVER = "test-landing-silver"
ARTIFACTS = "test-landing-artifacts"
BRONZE_DATABASE = "test_lakehouse_bronze"
AUDIT_TABLE = "test-data-lakehouse-audit"
RUN = "landing-20261207T100000Z"


def create_audit_table(dynamodb: Any) -> None:
    """The audit table as silver.tf declares it (with the landing zone's state index)."""
    create_pipeline_audit_table(dynamodb, AUDIT_TABLE)


@dataclass
class LandingAws:
    s3: Any
    glue: Any
    dynamodb: Any
    topic_arn: str
    function: Any

    def handler(self, event: dict[str, Any]) -> Any:
        return self.function.lambda_handler(event, None)

    # ----------------------------------------------------------------------- S3

    def put(self, key: str, body: bytes, bucket: str = RAW) -> str:
        """Store an object; its ETag without quotes."""
        return self.s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [item["Key"] for item in page.get("Contents", [])]
        return found

    def get_bytes(self, key: str, bucket: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def parquet(self, key: str, bucket: str = BRONZE) -> pa.Table:
        return pq.read_table(io.BytesIO(self.get_bytes(key, bucket)))

    def put_contract(self, dataset: str, contract: dict[str, Any]) -> None:
        self.put(f"datasets/{dataset}.json", json.dumps(contract).encode(), bucket=ARTIFACTS)

    # ----------------------------------------------------------------------- events

    @staticmethod
    def created_event(
        key: str, event_id: str = "event-1", time: str = "2026-12-07T09:00:00Z"
    ) -> dict[str, Any]:
        """EventBridge's Object Created event for ``key`` in the raw bucket."""
        return {
            "version": "0",
            "id": event_id,
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": DEFAULT_ACCOUNT_ID,
            "time": time,
            "region": REGION,
            "resources": [f"arn:aws:s3:::{RAW}"],
            "detail": {
                "version": "0",
                "bucket": {"name": RAW},
                "object": {"key": key, "size": 1, "etag": "ignored", "sequencer": "0"},
                "request-id": "r",
                "requester": DEFAULT_ACCOUNT_ID,
                "reason": "PutObject",
            },
        }

    def land(self, key: str, body: bytes, *, event_id: str = "", time: str = "2026-12-07T09:00:00Z") -> dict:
        """Upload a file and register it as its EventBridge event would."""
        self.put(key, body)
        return self.handler(self.created_event(key, event_id or f"event-{key}", time))

    # ----------------------------------------------------------------------- audit

    def item(self, dataset: str, audit_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=AUDIT_TABLE, Key={"dataset": {"S": dataset}, "run_id": {"S": audit_id}}
        ).get("Item")
        return self.function_module("landing_audit").from_dynamodb(item) if item else None

    def items(self) -> list[dict[str, Any]]:
        from_dynamodb = self.function_module("landing_audit").from_dynamodb
        return [from_dynamodb(item) for item in self.dynamodb.scan(TableName=AUDIT_TABLE)["Items"]]

    def new_items(self) -> list[dict[str, Any]]:
        """What the state machine's Query of the state index hands to plan (DynamoDB JSON)."""
        return self.dynamodb.query(
            TableName=AUDIT_TABLE,
            IndexName=STATE_INDEX,
            KeyConditionExpression="#s = :new",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":new": {"S": "NEW"}},
        )["Items"]

    def plan(self, run_id: str = RUN) -> dict[str, Any]:
        return self.handler({"action": "plan", "run_id": run_id, "items": self.new_items()})

    def load(self, file: dict[str, Any], run_id: str = RUN) -> dict[str, Any]:
        return self.handler({"action": "load_file", "run_id": run_id, "file": file})

    def land_and_load(self, key: str, body: bytes, **event: str) -> dict[str, Any]:
        """Register a file, plan a run holding it, load it: its Outcome."""
        self.land(key, body, **event)
        planned = self.plan()
        files = [file for dataset in planned["datasets"] for file in dataset["files"] if file["key"] == key]
        assert files, f"{key} was not planned: {planned}"
        return self.load(files[0])

    @staticmethod
    def function_module(name: str) -> Any:
        import sys

        return sys.modules[name]

    # ----------------------------------------------------------------------- Glue, SNS

    def table(self, dataset: str) -> dict[str, Any] | None:
        try:
            return self.glue.get_table(DatabaseName=BRONZE_DATABASE, Name=dataset)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            return None

    def columns(self, dataset: str) -> dict[str, str]:
        table = self.table(dataset)
        assert table is not None, f"no bronze table {dataset}"
        return {column["Name"]: column["Type"] for column in table["StorageDescriptor"]["Columns"]}

    def alerts(self) -> list[tuple[str, str]]:
        """(subject, message) of every alert published."""
        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [(subject, message) for _, message, subject, _, _ in topic.sent_notifications]


@contextmanager
def landing_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LandingAws]:
    for name, value in {
        **fake_aws_environment(REGION),
        "RAW_BUCKET": RAW,
        "BRONZE_BUCKET": BRONZE,
        "SILVER_BUCKET": SILVER,
        "BRONZE_DATABASE": BRONZE_DATABASE,
        "AUDIT_TABLE": AUDIT_TABLE,
        "CONTRACTS_BUCKET": ARTIFACTS,
        "CONTRACTS_PREFIX": "datasets/",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CSV_DELIMITER", raising=False)
    with mock_aws():
        s3, glue, dynamodb, sns = (
            boto3.client(service, region_name=REGION) for service in ("s3", "glue", "dynamodb", "sns")
        )
        for bucket in (RAW, BRONZE, SILVER, ARTIFACTS):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        glue.create_database(DatabaseInput={"Name": BRONZE_DATABASE})
        create_audit_table(dynamodb)
        topic_arn = sns.create_topic(Name="test-landing-alerts")["TopicArn"]
        monkeypatch.setenv("ALERT_TOPIC_ARN", topic_arn)
        yield LandingAws(s3, glue, dynamodb, topic_arn, load_function_module("landing_intake"))
