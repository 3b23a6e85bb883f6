"""When the audit itself fails, end to end in moto's interpreter: both definitions rendered by real
Terraform `templatefile`, the real Lambda handlers and (for silver) the real Glue job script.

The promises (statemachine/*.asl.json Comments, modules/pipeline/README.md): a failed audit write
of WordPress_Raw_To_Bronze publishes one alert naming the step ("Record audit") and the cause, is
not recorded again, and ends FAILED with WordPressPipelineFailed; in WordPress_Bronze_To_Silver a
failure reading the job's result or recording the audit publishes one alert and ends FAILED with
SilverJobFailed (the daily execution then ends SilverLayerFailed without a second message). Neither
loses data: what raw, bronze and the silver job wrote stays where it is.

The audit write fails the way it does on AWS when the table is gone: DynamoDB's
ResourceNotFoundException, which no Retry of the definitions covers.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from local.emulator import Emulator, entered_states, run_execution, sns_messages
from local.run_pipeline import DeployedPipeline, Deployment, deploy, read_deployment
from local.sample_wordpress import SampleWordPress
from tests.pipeline.silver_helpers import audit, read_silver, silver_tables, top_level

FAST = {"RETRY_BASE_SECONDS": "0"}
AUDIT_STEP = "Record audit"  # the step "Audit step failed" names in the alert and the cause
PIPELINE_ERROR, SILVER_LAYER_ERROR, SILVER_JOB_ERROR = (
    "WordPressPipelineFailed",
    "SilverLayerFailed",
    "SilverJobFailed",
)
TABLE_GONE = "DynamoDB.ResourceNotFoundException"
COUNTS = {"posts": 60, "tags": 8}


@pytest.fixture
def site() -> Iterator[SampleWordPress]:
    with SampleWordPress(posts=COUNTS["posts"], categories=4, tags=COUNTS["tags"], users=3) as running:
        yield running


@pytest.fixture
def deployment(emulator: Emulator) -> Deployment:
    return read_deployment(emulator.account_id, emulator.region)


def top_level_states(sfn: Any, execution_arn: str) -> list[str]:
    return top_level(entered_states(sfn, execution_arn))


def objects(emulator: Emulator, bucket: str) -> dict[str, bytes]:
    s3 = emulator.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def assert_raw_and_bronze_kept(emulator: Emulator, deployment: Deployment, bronze: bool) -> None:
    """Every record the raw step stored (and, with `bronze`, every row bronze wrote) is still there."""
    raw = objects(emulator, deployment.raw_bucket)
    keys = {name: [key for key in raw if key.startswith(f"wordpress_api/{name}/")] for name in COUNTS}
    assert all(len(found) == 1 and found[0].endswith(f"/{name}.json") for name, found in keys.items()), keys
    for name, count in COUNTS.items():
        assert len(json.loads(raw[keys[name][0]])) == count, name
    stored = objects(emulator, deployment.bronze_bucket)
    if not bronze:
        assert stored == {}, "bronze never ran"
        return
    snapshots = {key for key in stored if not key.startswith("_runs/")}
    assert snapshots == {f"wordpress_api/{name}/{name}.parquet" for name in COUNTS}
    for name, count in COUNTS.items():
        assert pq.read_table(io.BytesIO(stored[f"wordpress_api/{name}/{name}.parquet"])).num_rows == count
    tables = emulator.client("glue").get_tables(DatabaseName=deployment.glue_database)["TableList"]
    assert {table["Name"] for table in tables} == set(COUNTS), "the bronze tables stay registered"


@pytest.mark.parametrize(
    ("step", "audit_state"),
    [("raw", "Record RAW in the audit table"), ("bronze", "Record BRONZE in the audit table")],
)
def test_a_failed_raw_to_bronze_audit_write_alerts_once_and_loses_no_data(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment, step: str, audit_state: str
) -> None:
    pipeline = deploy(emulator, deployment, [site.url("posts"), site.url("tags")], FAST)
    # The audit table is gone once the step has written its data: the step's audit write fails.
    name = deployment.functions[step].name
    handler, dynamodb = emulator.handlers[name], emulator.client("dynamodb")

    def then_the_audit_table_is_gone(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = handler(event, context)
        if event.get("action") != "plan":  # raw: after the fetch, not the plan
            with emulator.as_test():  # not a call of the function's
                dynamodb.delete_table(TableName=deployment.audit_table)
        return result

    emulator.register_handler(name, then_the_audit_table_is_gone)
    sfn = emulator.client("stepfunctions")

    execution = run_execution(sfn, pipeline.alias_arn, {"trigger": "test"}, name=f"{step}-audit-lost")

    assert execution["status"] == "FAILED"
    assert execution["error"] == PIPELINE_ERROR, "the project's own error name, not a States.* one"
    assert execution["cause"].startswith(f'Step "{AUDIT_STEP}" failed with {TABLE_GONE}: '), execution[
        "cause"
    ]
    states = top_level_states(sfn, execution["executionArn"])
    assert states[states.index(audit_state) :] == [
        audit_state,
        "Audit step failed",
        "Failure has a cause?",
        "Describe failure",
        # A failed audit write is not recorded again: no "Record FAILED for every dataset".
        "Which datasets failed?",
        "Publish failure alert",
        "Pipeline failed",
    ]
    assert "Bronze to silver" not in states
    assert sfn.list_executions(stateMachineArn=pipeline.silver_state_machine_arn)["executions"] == []

    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1, "one failure, one message"
    (alert,) = alerts
    assert AUDIT_STEP in alert["subject"] and deployment.state_machine_name in alert["subject"]
    assert f'step "{AUDIT_STEP}"' in alert["message"]
    assert f"Error: {TABLE_GONE}" in alert["message"], "the alert names the error"
    assert (
        "Cause: " in alert["message"] and "ResourceNotFoundException" in alert["message"].split("Cause: ")[1]
    )
    assert execution["executionArn"] in alert["message"]

    # The audit failure loses no data: what raw (and bronze) wrote stays.
    assert_raw_and_bronze_kept(emulator, deployment, bronze=step == "bronze")
    assert all(call.operation != "DeleteTable" for call in emulator.calls), (
        "the test's call, not the function's"
    )


def run_daily(emulator: Emulator, pipeline: DeployedPipeline, name: str) -> tuple[dict, dict]:
    """Run WordPress_Raw_To_Bronze; return its description and that of the silver execution it started."""
    sfn = emulator.client("stepfunctions")
    daily = run_execution(sfn, pipeline.alias_arn, {"trigger": "test"}, name=name, timeout_seconds=600)
    (child,) = sfn.list_executions(stateMachineArn=pipeline.silver_state_machine_arn)["executions"]
    return daily, sfn.describe_execution(executionArn=child["executionArn"])


def test_a_failed_silver_audit_write_alerts_once_and_leaves_the_published_tables(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    pipeline = deploy(emulator, deployment, [site.url("posts"), site.url("tags")], FAST)
    dynamodb = emulator.client("dynamodb")
    # The silver job has published its tables; then the audit table is gone, so recording their
    # outcome fails.
    emulator.job_run_hooks.append(lambda run: dynamodb.delete_table(TableName=deployment.audit_table))
    sfn = emulator.client("stepfunctions")

    daily, silver = run_daily(emulator, pipeline, "silver-audit-lost")

    assert emulator.job_runs[-1]["state"] == "SUCCEEDED"
    assert (silver["status"], silver["error"]) == ("FAILED", SILVER_JOB_ERROR)
    assert top_level_states(sfn, silver["executionArn"])[-5:] == [
        "Run the silver job",
        "Read the run result",
        "Record the outcome of every dataset",
        "Publish failure alert",
        "Silver job failed",
    ], "a failed audit write is not recorded again"
    assert (daily["status"], daily["error"]) == ("FAILED", SILVER_LAYER_ERROR)
    daily_states = top_level_states(sfn, daily["executionArn"])
    assert daily_states[-2:] == ["Bronze to silver", "Silver run failed"], "the daily run adds no alert"

    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1, "one failure, one message"
    (alert,) = alerts
    assert deployment.silver_state_machine_name in alert["subject"]
    failure = json.loads(alert["message"].split("Failure: ", 1)[1])
    assert failure["Error"] == TABLE_GONE, failure
    assert "ResourceNotFoundException" in failure["Cause"], "the alert carries the cause"
    assert silver["executionArn"] in alert["message"]

    # Nothing is lost: the published silver tables keep every row; raw and bronze are untouched.
    run_id = json.loads(silver["input"])["run_id"]
    tables = silver_tables(emulator, deployment)
    assert set(tables) == set(COUNTS)
    for name, count in COUNTS.items():
        assert tables[name]["location"].endswith(f"/run_id={run_id}/"), name
        assert read_silver(emulator, tables[name]["location"]).num_rows == count, name
    assert_raw_and_bronze_kept(emulator, deployment, bronze=True)
    assert all(call.operation != "DeleteTable" for call in emulator.calls), "the test's call, not the job's"


def test_a_result_that_cannot_be_read_alerts_once_fails_the_run_in_the_audit_and_keeps_silver(
    emulator: Emulator, deployment: Deployment
) -> None:
    pipeline = deploy(emulator, deployment, ["https://example.com/wp-json/wp/v2/posts"], FAST)
    s3, glue = emulator.client("s3"), emulator.client("glue")
    # The job's script runs and succeeds but leaves no result.json: "Read the run result" fails.
    s3.put_object(
        Bucket=deployment.artifacts_bucket, Key=deployment.job.script_key, Body=b"print('no result')\n"
    )
    # The silver tables an earlier run published.
    published = {
        name: f"s3://{deployment.silver_bucket}/wordpress_api/{name}/run_id=20261130T070000Z-daily/"
        for name in COUNTS
    }
    for name, location in published.items():
        glue.create_table(
            DatabaseName=deployment.silver_database,
            TableInput={"Name": name, "StorageDescriptor": {"Location": location}},
        )
    before = glue.get_tables(DatabaseName=deployment.silver_database)["TableList"]
    sfn = emulator.client("stepfunctions")
    run_id = "20261201T070000Z-result-lost"

    silver = run_execution(
        sfn, pipeline.silver_alias_arn, {"run_id": run_id, "datasets": sorted(COUNTS)}, name="result-lost"
    )

    assert emulator.job_runs[-1]["state"] == "SUCCEEDED"
    assert (silver["status"], silver["error"]) == ("FAILED", SILVER_JOB_ERROR)
    assert top_level_states(sfn, silver["executionArn"])[-5:] == [
        "Run the silver job",
        "Read the run result",
        "Record FAILED for every dataset",
        "Publish failure alert",
        "Silver job failed",
    ]
    assert "Record the outcome of every dataset" not in entered_states(sfn, silver["executionArn"])

    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1, "one failure, one message"
    failure = json.loads(alerts[0]["message"].split("Failure: ", 1)[1])
    assert failure["Error"].startswith("S3."), failure
    assert "NoSuchKey" in failure["Error"] + failure["Cause"], failure

    items = audit(emulator, deployment, run_id)
    assert set(items) == set(COUNTS)
    for item in items.values():
        assert item["state"] == "FAILED", item
        assert json.loads(item["reason"]) == failure, "the audit's reason is the alert's failure"
        assert item["silver_execution_arn"] == silver["executionArn"]
    assert glue.get_tables(DatabaseName=deployment.silver_database)["TableList"] == before, (
        "the published silver tables are untouched"
    )
