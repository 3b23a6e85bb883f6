"""modules/landing-zone as the resolved offline apply of the root module deploys it (every name, ARN
and policy rendered as AWS would have them in the emulator's account and region): the audit table's
state index the state machine queries, what each of the module's roles may do, and the names that
carry name_prefix."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.run_pipeline import create_audit_table
from tests.iam.model import all_resources
from tests.offline_plan.plan import PlanResult

MODULE = "module.landing_zone"


@pytest.fixture(scope="module")
def deployed(offline_plans: dict[str, PlanResult]) -> dict[str, dict[str, Any]]:
    resolved = offline_plans["root-resolved"]
    assert resolved.ok, resolved.report
    return {r["address"]: r["values"] for r in all_resources(resolved.plan) if r.get("mode") == "managed"}


def _grants(policy: str) -> dict[str, tuple[set[str], set[str], Any]]:
    """Sid -> (actions, resources, condition) of a rendered policy."""

    def as_set(value: Any) -> set[str]:
        return set(value) if isinstance(value, list) else {value}

    return {
        s["Sid"]: (as_set(s["Action"]), as_set(s["Resource"]), s.get("Condition"))
        for s in json.loads(policy)["Statement"]
    }


def test_the_audit_table_has_the_state_index_the_landing_zone_queries(deployed: dict[str, Any]) -> None:
    table = deployed["module.pipeline.aws_dynamodb_table.audit"]
    [index] = table["global_secondary_index"]
    assert index["name"] == "state-arrived_at-index"
    assert (index["hash_key"], index["range_key"], index["projection_type"]) == ("state", "arrived_at", "ALL")
    attributes = {a["name"]: a["type"] for a in table["attribute"]}
    assert attributes == {"dataset": "S", "run_id": "S", "state": "S", "arrived_at": "S"}
    assert (table["hash_key"], table["range_key"]) == ("dataset", "run_id"), "the table's keys are unchanged"


def test_the_local_audit_table_has_the_same_index(deployed: dict[str, Any]) -> None:
    """The local run and the workflow tests create the table as silver.tf declares it."""
    [declared] = deployed["module.pipeline.aws_dynamodb_table.audit"]["global_secondary_index"]
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-2")
        create_audit_table(dynamodb, "audit")
        [index] = dynamodb.describe_table(TableName="audit")["Table"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == declared["name"]
    assert index["KeySchema"] == [
        {"AttributeName": declared["hash_key"], "KeyType": "HASH"},
        {"AttributeName": declared["range_key"], "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": declared["projection_type"]}


def test_the_state_machine_may_query_the_index_run_both_jobs_invoke_the_alias_and_report(
    deployed: dict[str, Any],
) -> None:
    table = deployed["module.pipeline.aws_dynamodb_table.audit"]
    function = deployed[f"{MODULE}.module.function.aws_lambda_alias.live"]
    jobs = {
        deployed[f'{MODULE}.aws_glue_job.this["{key}"]']["arn"]
        for key in ("file_to_bronze", "bronze_to_silver")
    }
    topic = deployed['module.alerting.aws_sns_topic.this["failure_stepfunction"]']["arn"]
    key = deployed["module.alerting.module.sns_key.aws_kms_key.this"]["arn"]
    policy = deployed[f"{MODULE}.module.state_machine.aws_iam_role_policy.this"]["policy"]
    task_grants = {
        sid: grant
        for sid, grant in _grants(policy).items()
        if sid not in ("DeliverExecutionLogs", "WriteTraces")  # modules/state-machine's own
    }
    assert task_grants == {
        "QueryNewFiles": ({"dynamodb:Query"}, {f"{table['arn']}/index/state-arrived_at-index"}, None),
        "RecordFailedFiles": ({"dynamodb:UpdateItem"}, {table["arn"]}, None),
        "InvokeIntakeAlias": ({"lambda:InvokeFunction"}, {function["arn"]}, None),
        "RunLandingJobs": (
            {"glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"},
            jobs,
            None,
        ),
        "PublishRunReport": ({"sns:Publish"}, {topic}, None),
        "UseTopicKey": (
            {"kms:GenerateDataKey", "kms:Decrypt"},
            {key},
            {"StringEquals": {"kms:ViaService": "sns.eu-west-2.amazonaws.com"}},
        ),
    }
    assert function["arn"].endswith(":function:landing_intake:live")


def test_the_rule_invokes_the_live_alias_and_only_the_rule_may(deployed: dict[str, Any]) -> None:
    rule = deployed[f"{MODULE}.aws_cloudwatch_event_rule.object_created"]
    target = deployed[f"{MODULE}.aws_cloudwatch_event_target.function"]
    alias = deployed[f"{MODULE}.module.function.aws_lambda_alias.live"]
    permission = deployed[f"{MODULE}.aws_lambda_permission.object_created"]
    queue = deployed[f"{MODULE}.aws_sqs_queue.dead_letter"]
    assert target["arn"] == alias["arn"] and target["rule"] == rule["name"]
    assert target["dead_letter_config"] == [{"arn": queue["arn"]}]
    assert (permission["source_arn"], permission["qualifier"]) == (rule["arn"], "live")
    raw = deployed['module.lakehouse_buckets.aws_s3_bucket.this["raw"]']["bucket"]
    assert json.loads(rule["event_pattern"])["detail"]["bucket"]["name"] == [raw]
    notification = deployed[f"{MODULE}.aws_s3_bucket_notification.raw_to_eventbridge"]
    assert (notification["bucket"], notification["eventbridge"]) == (raw, True)


def test_the_silver_jobs_share_the_uploaded_publish_helpers(deployed: dict[str, Any]) -> None:
    helpers = deployed["module.pipeline.aws_s3_object.lakehouse_publish"]
    uri = f"s3://{helpers['bucket']}/{helpers['key']}"
    assert helpers["key"] == "jobs/lakehouse_publish.py"
    wordpress = deployed["module.pipeline.aws_glue_job.silver"]
    landing = deployed[f'{MODULE}.aws_glue_job.this["bronze_to_silver"]']
    assert wordpress["default_arguments"]["--extra-py-files"] == uri
    assert landing["default_arguments"]["--extra-py-files"] == uri
    object_arn = f"arn:aws:s3:::{helpers['bucket']}/{helpers['key']}"
    wordpress_role = _grants(deployed["module.pipeline.aws_iam_role_policy.silver_job"]["policy"])
    landing_role = _grants(deployed[f'{MODULE}.aws_iam_role_policy.job["bronze_to_silver"]']["policy"])
    assert object_arn in wordpress_role["ReadJobScript"][1]
    assert object_arn in landing_role["ReadJobCode"][1]
    file_job = deployed[f'{MODULE}.aws_glue_job.this["file_to_bronze"]']
    package = deployed[f"{MODULE}.aws_s3_object.intake_package"]
    assert (
        file_job["default_arguments"]["--extra-py-files"]
        == f"s3://{package['bucket']}/jobs/landing_intake.zip"
    )


def test_the_job_roles_touch_only_landing_prefixes(deployed: dict[str, Any]) -> None:
    """Every S3 object grant of the landing zone's roles is under a landing prefix, failed/, the
    contracts, the job code or the silver job's temp dir: never the WordPress data."""
    allowed = (
        "/landing/",
        "/failed/",
        "/quarantine/landing/",
        "/_runs/landing/",
        "/datasets/",
        "/jobs/",
        "/temp/",
    )
    roles = [
        f'{MODULE}.aws_iam_role_policy.job["file_to_bronze"]',
        f'{MODULE}.aws_iam_role_policy.job["bronze_to_silver"]',
        f"{MODULE}.module.function.aws_iam_role_policy.this",
    ]
    for address in roles:
        for sid, (actions, resources, _) in _grants(deployed[address]["policy"]).items():
            if not any(action.startswith("s3:") and action != "s3:ListBucket" for action in actions):
                continue
            for resource in resources:
                bucket_and_key = resource.removeprefix("arn:aws:s3:::")
                assert any(part in bucket_and_key for part in allowed), f"{address} {sid}: {resource}"
                assert "wordpress_api" not in resource, f"{address} {sid}: {resource}"
