"""WordPress_Raw_To_Bronze -> WordPress_Bronze_To_Silver when silver fails, end to end in moto's
interpreter: both definitions rendered by real Terraform `templatefile`, the real Lambda handlers,
and the real Glue job script (jobs/wordpress_bronze_to_silver.py) run under local PySpark by the
emulator's `glue:startJobRun.sync`.

One failure, one message: the silver workflow publishes the alert (quarantined tables and their
rules, or the job's error) and ends FAILED with its own error; the daily execution then ends FAILED
too (SilverLayerFailed) without a second message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.emulator import Emulator, entered_states, run_execution, sns_messages
from local.run_pipeline import DeployedPipeline, Deployment, deploy, read_deployment
from local.sample_wordpress import SampleWordPress
from tests.pipeline.silver_helpers import audit, silver_tables

FAST = {"RETRY_BASE_SECONDS": "0"}


@pytest.fixture
def site() -> Iterator[SampleWordPress]:
    with SampleWordPress(posts=60, categories=4, tags=8, users=3) as running:
        yield running


@pytest.fixture
def deployment(emulator: Emulator) -> Deployment:
    return read_deployment(emulator.account_id, emulator.region)


def run_daily(
    emulator: Emulator, pipeline: DeployedPipeline, name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run WordPress_Raw_To_Bronze; return its description and that of the silver execution it started."""
    sfn = emulator.client("stepfunctions")
    daily = run_execution(
        sfn, pipeline.state_machine_arn, {"trigger": "test"}, name=name, timeout_seconds=600
    )
    (child,) = sfn.list_executions(stateMachineArn=pipeline.silver_state_machine_arn)["executions"]
    silver = sfn.describe_execution(executionArn=child["executionArn"])
    silver["states"] = entered_states(sfn, silver["executionArn"])
    return daily, silver


def test_a_table_failing_its_quality_rules_is_quarantined_and_the_others_publish(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    # An orphan author: a user who wrote posts is missing from /users.
    posts = site.site.collections["posts"]
    users = site.site.collections["users"]
    orphan = posts[0]["author"]
    users[:] = [user for user in users if user["id"] != orphan]
    orphaned = sum(1 for post in posts if post["author"] == orphan)
    pipeline = deploy(emulator, deployment, [site.url("posts"), site.url("users"), site.url("tags")], FAST)

    daily, silver = run_daily(emulator, pipeline, "quality")

    assert silver["status"] == "FAILED"
    assert silver["error"] == "SilverQualityGateFailed"
    assert silver["states"][-3:] == [
        "Describe the quarantine",
        "Publish quality alert",
        "Quality gate failed",
    ]
    assert daily["status"] == "FAILED"
    assert daily["error"] == "SilverLayerFailed", "the daily run ends FAILED with its own error"

    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1, "one failure, one message"
    alert = alerts[0]
    assert "1 table(s) quarantined" in alert["subject"]
    assert '["posts"]' in alert["message"]
    assert "author_in_users" in alert["message"]
    failed_rules = json.loads(alert["message"].split("Failed rules: ", 1)[1].rsplit(". Execution: ", 1)[0])
    (posts_report,) = failed_rules
    (rule,) = [rule for rule in posts_report["failed_rules"] if rule["rule"] == "author_in_users"]
    assert rule["count"] == orphaned, "the alert gives the count of offending rows"

    run_id = json.loads(silver["input"])["run_id"]
    items = audit(emulator, deployment, run_id)
    assert {name: item["state"] for name, item in items.items()} == {
        "posts": "QUARANTINED",
        "users": "SILVER",
        "tags": "SILVER",
    }
    assert "author_in_users" in items["posts"]["reason"]
    report = items["posts"]["quarantine_report"]
    bucket, key = report.removeprefix("s3://").split("/", 1)
    assert key.startswith(f"quarantine/wordpress_api/posts/run_id={run_id}")
    assert json.loads(emulator.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()), "the report"
    # The quarantined table is not published; the others are.
    assert set(silver_tables(emulator, deployment)) == {"users", "tags"}


def test_a_job_failure_fails_both_executions_with_one_alert_and_the_reason_in_the_audit(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    pipeline = deploy(emulator, deployment, [site.url("posts"), site.url("tags")], FAST)
    # The job reads from a bucket that does not exist: it raises, naming the dataset and the object.
    glue = emulator.client("glue")
    job = glue.get_job(JobName=deployment.job.name)["Job"]
    glue.delete_job(JobName=deployment.job.name)
    broken = {**job["DefaultArguments"], "--bronze_bucket": "data-lakehouse-bronze-missing"}
    glue.create_job(
        Name=job["Name"],
        Role=job["Role"],
        Command=job["Command"],
        DefaultArguments=broken,
        MaxRetries=0,
        ExecutionProperty=job["ExecutionProperty"],
    )

    daily, silver = run_daily(emulator, pipeline, "job-failure")

    assert emulator.job_runs[-1]["state"] == "FAILED"
    error = emulator.job_runs[-1]["error"]
    assert "not found" in error and "data-lakehouse-bronze-missing" in error, error
    assert silver["status"] == "FAILED"
    assert silver["error"] == "SilverJobFailed"
    top_level = [
        state for state in silver["states"] if state not in ("Record FAILED", "FAILED already recorded")
    ]
    assert top_level[-4:] == [
        "Run the silver job",
        "Record FAILED for every dataset",
        "Publish failure alert",
        "Silver job failed",
    ]
    assert daily["status"] == "FAILED"
    assert daily["error"] == "SilverLayerFailed"
    assert "Silver step failed" not in entered_states(emulator.client("stepfunctions"), daily["executionArn"])

    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1, "one failure, one message"
    assert "data-lakehouse-bronze-missing" in alerts[0]["message"], "the alert carries the job's error"

    run_id = json.loads(silver["input"])["run_id"]
    items = audit(emulator, deployment, run_id)
    assert set(items) == {"posts", "tags"}
    for item in items.values():
        assert item["state"] == "FAILED", item
        assert "data-lakehouse-bronze-missing" in item["reason"], "the reason is the job's error"
        assert item["bronze_rows"] > 0, "the bronze counts of the run stay on the item"
    assert silver_tables(emulator, deployment) == {}


def test_a_silver_run_that_failed_on_one_table_ends_silver_when_retried_with_the_same_run_id(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    pipeline = deploy(emulator, deployment, [site.url("posts"), site.url("tags")], FAST)
    # The tags bronze object goes missing after bronze wrote it (the run's other table is fine), so
    # the silver job raises on that one table.
    s3, bronze_name = emulator.client("s3"), deployment.functions["bronze"].name
    write_bronze, tags_key, kept = emulator.handlers[bronze_name], "wordpress_api/tags/tags.parquet", {}

    def bronze_then_tags_goes_missing(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = write_bronze(event, context)
        kept["tags"] = s3.get_object(Bucket=deployment.bronze_bucket, Key=tags_key)["Body"].read()
        s3.delete_object(Bucket=deployment.bronze_bucket, Key=tags_key)
        return result

    emulator.register_handler(bronze_name, bronze_then_tags_goes_missing)

    daily, silver = run_daily(emulator, pipeline, "one-table")

    assert (daily["status"], daily["error"]) == ("FAILED", "SilverLayerFailed")
    assert (silver["status"], silver["error"]) == ("FAILED", "SilverJobFailed")
    run_id = json.loads(silver["input"])["run_id"]
    failed = audit(emulator, deployment, run_id)
    assert {name: item["state"] for name, item in failed.items()} == {"posts": "FAILED", "tags": "FAILED"}
    assert "tags" in failed["tags"]["reason"]

    # The cause is fixed; the run is retried with the same run id: what a redrive of the silver
    # execution does (same execution, same input), emulated as the replay function starts a retry: a
    # new execution named replay-<name> with the failed execution's input (moto has no redrive).
    s3.put_object(Bucket=deployment.bronze_bucket, Key=tags_key, Body=kept["tags"])
    sfn = emulator.client("stepfunctions")
    retry = run_execution(
        sfn,
        pipeline.silver_alias_arn,
        json.loads(silver["input"]),
        name=f"replay-{silver['name']}",
        timeout_seconds=600,
    )

    assert retry["status"] == "SUCCEEDED", retry.get("cause")
    items = audit(emulator, deployment, run_id)
    assert {name: item["state"] for name, item in items.items()} == {"posts": "SILVER", "tags": "SILVER"}
    tables = silver_tables(emulator, deployment)
    for name, item in items.items():
        assert "reason" not in item and "failed_at" not in item, "the failure no longer describes the item"
        assert item["silver_execution_arn"] == retry["executionArn"]
        assert item["silver_location"] == tables[name]["location"], "the audit names the live location"
        assert item["bronze_rows"] == item["silver_rows"] > 0, "the run's bronze counts stay on the item"
    assert len(sns_messages(pipeline.topic_arns["failure_stepfunction"])) == 1, "the failure alerted once"


def test_a_silver_alert_that_cannot_be_published_still_ends_failed_with_the_project_error(
    emulator: Emulator, deployment: Deployment
) -> None:
    # Started on its own, silver lists the bronze tables: the database is gone, so that fails; the
    # failure topic is gone too, so the alert cannot be published after its retries.
    pipeline = deploy(emulator, deployment, ["https://example.com/wp-json/wp/v2/posts"], FAST)
    emulator.client("glue").delete_database(Name=deployment.glue_database)
    emulator.client("sns").delete_topic(TopicArn=pipeline.topic_arns["failure_stepfunction"])
    sfn = emulator.client("stepfunctions")

    silver = run_execution(sfn, pipeline.silver_alias_arn, {}, name="alert-lost", timeout_seconds=600)

    assert (silver["status"], silver["error"]) == ("FAILED", "SilverJobFailed")
    states = entered_states(sfn, silver["executionArn"])
    assert states[-3:] == ["List the bronze tables", "Publish failure alert", "Silver job failed"]
    assert emulator.retry_intervals, "publishing was retried before giving up"
    assert emulator.job_runs == [], "no job ran"
