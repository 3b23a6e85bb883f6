"""Fixtures for the Lambda function tests: moto AWS with the pipeline's parameters, the sample
WordPress site, and the real handlers loaded as Lambda would (local/functions.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from local.emulator import fake_aws_environment
from local.functions import load_function_module
from local.sample_wordpress import SampleWordPress

REGION = "eu-west-2"
RAW_BUCKET = "test-data-lakehouse-raw"
BRONZE_BUCKET = "test-data-lakehouse-bronze"
GLUE_DATABASE = "test_lakehouse_bronze"


@dataclass
class Aws:
    """Clients and names of the emulated account the handlers run against."""

    s3: Any
    ssm: Any
    sns: Any
    glue: Any
    raw_topic_arn: str
    bronze_topic_arn: str

    def messages(self, topic_arn: str) -> list[tuple[str, str]]:
        """(subject, message) of every SNS message published to ``topic_arn``."""
        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[topic_arn]
        return [(subject, message) for _, message, subject, _, _ in topic.sent_notifications]

    def set_endpoints(self, urls: list[str], separator: str = ", ") -> None:
        self.ssm.put_parameter(
            Name="/wordpress/api/endpoints", Value=separator.join(urls), Type="StringList", Overwrite=True
        )

    def get_json(self, key: str, bucket: str = RAW_BUCKET) -> Any:
        return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def get_bytes(self, key: str, bucket: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, bucket: str) -> list[str]:
        return [item["Key"] for item in self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """moto with the buckets, topics, SSM parameters and Glue database the module creates."""
    for name, value in {
        **fake_aws_environment(REGION),
        "GLUE_DATABASE_NAME": GLUE_DATABASE,
        "RETRY_BASE_SECONDS": "0.001",
        "REQUEST_TIMEOUT_SECONDS": "5",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "RAW_BUCKET_PARAMETER",
        "BRONZE_BUCKET_PARAMETER",
        "SNS_TOPIC_PARAMETER",
        "ENDPOINTS_PARAMETER",
        "FETCH_CONCURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        s3, ssm, sns, glue = (
            boto3.client(service, region_name=REGION) for service in ("s3", "ssm", "sns", "glue")
        )
        for bucket in (RAW_BUCKET, BRONZE_BUCKET):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        raw_topic = sns.create_topic(Name="data-lakehouse-raw")["TopicArn"]
        bronze_topic = sns.create_topic(Name="data-lakehouse-bronze")["TopicArn"]
        for name, value in {
            "/s3/lakehouse/name/raw": RAW_BUCKET,
            "/s3/lakehouse/name/bronze": BRONZE_BUCKET,
            "/sns/data/lakehouse/raw": raw_topic,
            "/sns/data/lakehouse/bronze": bronze_topic,
        }.items():
            ssm.put_parameter(Name=name, Value=value, Type="String")
        glue.create_database(DatabaseInput={"Name": GLUE_DATABASE})
        yield Aws(s3=s3, ssm=ssm, sns=sns, glue=glue, raw_topic_arn=raw_topic, bronze_topic_arn=bronze_topic)


@pytest.fixture
def wordpress() -> Iterator[SampleWordPress]:
    """The sample site with 250 posts (3 pages of 100)."""
    with SampleWordPress(posts=250) as site:
        yield site


@pytest.fixture(scope="session")
def raw_function() -> Any:
    return load_function_module("data_wordpressapi_raw")


@pytest.fixture(scope="session")
def bronze_function() -> Any:
    return load_function_module("data_wordpressapi_bronze")
