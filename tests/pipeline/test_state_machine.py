"""WordPress_Raw_To_Bronze end to end in moto's Step Functions interpreter.

The definition is the module's own, rendered by real Terraform `templatefile` with exactly the
variables the module passes; its `lambda:invoke` tasks run the real handlers in process against
the sample WordPress site on 127.0.0.1. Resources are created as the modules name them
(`local.run_pipeline.deploy`, shared with `make run-local`).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from local.emulator import Emulator, entered_states, run_execution, sns_messages
from local.run_pipeline import (
    DeployedPipeline,
    Deployment,
    deploy,
    execution_run_id,
    read_deployment,
    render_definition,
    render_silver_definition,
)
from local.sample_wordpress import SampleWordPress
from tests.pipeline.silver_helpers import all_states, audit, read_silver, silver_tables, top_level

RAW_STEP, BRONZE_STEP = "WordPress API to raw", "Raw to bronze"
PIPELINE_ERROR = (
    "WordPressPipelineFailed"  # the project's own error name: a Fail state may not raise States.*
)
FAILURE_PATH = ["Failure has a cause?", "Describe failure", "Publish failure alert", "Pipeline failed"]
# What a raw failure adds between describing and alerting: FAILED for every bronze table in the audit.
RAW_FAILED_AUDIT = ["Which datasets failed?", "List the bronze tables", "Record FAILED for every dataset"]
BRONZE_FAILED_AUDIT = ["Which datasets failed?", "Use the raw datasets", "Record FAILED for every dataset"]


def failure_path(audit: list[str]) -> list[str]:
    """FAILURE_PATH with the audit of the failed run's datasets after "Describe failure"."""
    return [*FAILURE_PATH[:2], *audit, *FAILURE_PATH[2:]]


RUN_ID_STEPS = ["Name the run", "Set the run id"]
# Before the fetch: the datasets, and per dataset InitialLoad or Update (a Map: one line here).
PLAN_STEPS = ["Plan the datasets", "Initial load or update, per dataset"]
SPLIT_CHOICE = "Any split InitialLoad?"
RAW_AUDIT, BRONZE_AUDIT = "Record RAW in the audit table", "Record BRONZE in the audit table"
# No real backoff between HTTP attempts in tests; everything else as Terraform sets it.
FAST = {"RETRY_BASE_SECONDS": "0"}
LAMBDA_MAX_TIMEOUT_SECONDS = 900


@pytest.fixture
def site() -> Iterator[SampleWordPress]:
    with SampleWordPress(posts=150, categories=5, tags=12, users=3) as running:
        yield running


@pytest.fixture
def deployment(emulator: Emulator) -> Deployment:
    return read_deployment(emulator.account_id, emulator.region)


def endpoints(site: SampleWordPress) -> list[str]:
    return [
        site.url("posts"),  # two pages of 100
        site.url("tags", pretty=False),  # the ?rest_route= form
        site.url("statistics_pages", namespace="/wp-statistics/v2"),  # custom, not paginated
    ]


def objects(emulator: Emulator, bucket: str) -> dict[str, bytes]:
    s3 = emulator.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def invoked(emulator: Emulator) -> list[str]:
    return [name for name, _ in emulator.invocations]


def run(emulator: Emulator, pipeline: DeployedPipeline, name: str) -> dict[str, Any]:
    sfn = emulator.client("stepfunctions")
    description = run_execution(sfn, pipeline.alias_arn, {"trigger": "test"}, name=name, timeout_seconds=600)
    description["states"] = entered_states(sfn, description["executionArn"])
    return description


def run_id_of(emulator: Emulator, execution: dict[str, Any]) -> str:
    """The run id an execution named itself ("Set the run id" state's output)."""
    run_id = execution_run_id(emulator.client("stepfunctions"), execution["executionArn"])
    assert run_id is not None, "the execution never named its run"
    return run_id


def test_success_writes_all_three_layers_the_audit_reaches_silver_and_silver_alone_rebuilds(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    pipeline = deploy(emulator, deployment, endpoints(site), FAST)

    execution = run(emulator, pipeline, "success")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert top_level(execution["states"]) == [
        *RUN_ID_STEPS,
        *PLAN_STEPS,
        RAW_STEP,
        SPLIT_CHOICE,
        RAW_AUDIT,
        BRONZE_STEP,
        BRONZE_AUDIT,
        "Bronze to silver",
        "Pipeline succeeded",
    ]
    assert execution["states"].count("InitialLoad: no watermark yet") == 1, "posts: the first load"
    assert execution["states"].count("InitialLoad: no modified_after filter") == 2, "tags, statistics_pages"
    expected = {"posts": 150, "tags": 12, "statistics_pages": len(site.site.documents["statistics_pages"])}
    run_id = json.loads(execution["output"])["run"]["id"]
    raw = objects(emulator, deployment.raw_bucket)
    bronze = objects(emulator, deployment.bronze_bucket)
    # Raw keeps this run's input as its own object; bronze holds each dataset's current snapshot (and
    # the run's increment under _runs/, for silver).
    assert set(raw) == {f"wordpress_api/{name}/{run_id}/{name}.json" for name in expected}
    snapshots = {key: body for key, body in bronze.items() if not key.startswith("_runs/")}
    assert set(snapshots) == {f"wordpress_api/{name}/{name}.parquet" for name in expected}
    assert set(bronze) - set(snapshots) == {
        f"_runs/wordpress_api/{run_id}/{name}/increment.parquet" for name in expected
    }
    for name, count in expected.items():
        records = json.loads(raw[f"wordpress_api/{name}/{run_id}/{name}.json"])
        table = pq.read_table(io.BytesIO(bronze[f"wordpress_api/{name}/{name}.parquet"]))
        assert (len(records), table.num_rows) == (count, count), name
    posts = json.loads(raw[f"wordpress_api/posts/{run_id}/posts.json"])
    assert [post["id"] for post in posts] == list(range(1, 151)), "every post once, across both pages, by id"
    assert invoked(emulator) == ["data_wordpressapi_raw", "data_wordpressapi_raw", "data_wordpressapi_bronze"]
    assert sns_messages(pipeline.topic_arns["failure_stepfunction"]) == []
    output = json.loads(execution["output"])
    assert output["raw"]["summary"]["records"] == sum(expected.values()), "the raw summary reaches the output"

    # Silver: one published table per endpoint, read from the location its Glue table points to.
    assert re.fullmatch(r"\d{8}T\d{6}Z-success", run_id), "run ids sort by start time"
    assert output["silver"]["output"]["run_id"] == run_id, "the silver run is this run"
    silver = silver_tables(emulator, deployment)
    assert set(silver) == set(expected)
    for name, count in expected.items():
        assert silver[name]["location"].endswith(f"/wordpress_api/{name}/run_id={run_id}/"), name
        assert read_silver(emulator, silver[name]["location"]).num_rows == count, name
    silver_run, gold_run = emulator.job_runs[-2:]
    assert (silver_run["job_name"], gold_run["job_name"]) == (deployment.job.name, deployment.gold_job.name)
    assert silver_run["state"] == gold_run["state"] == "SUCCEEDED"
    assert json.loads(silver_run["arguments"]["--datasets"]) == list(expected), "endpoint order"

    # Gold runs after silver; without users and categories every gold table is SKIPPED (recorded with
    # the reason, no alert), and the run succeeds.
    gold = audit(emulator, deployment, run_id, layer="gold")
    assert {name: item["state"] for name, item in gold.items()} == dict.fromkeys(
        ("posts_enriched", "publishing_activity", "taxonomy_usage"), "SKIPPED"
    )
    assert gold["publishing_activity"]["reason"].startswith("needs the silver table(s) users, which")
    assert (
        f":execution:{deployment.silver_state_machine_name}:" in gold["taxonomy_usage"]["gold_execution_arn"]
    )

    # The audit: every dataset of the run went RAW -> BRONZE -> SILVER, with its counts.
    items = audit(emulator, deployment, run_id)
    assert set(items) == set(expected)
    for name, count in expected.items():
        item = items[name]
        assert item["state"] == "SILVER", item
        assert item["raw_records"] == item["bronze_rows"] == item["silver_rows"] == count, item
        assert item["bronze_key"] == f"wordpress_api/{name}/{name}.parquet"
        assert item["silver_location"] == silver[name]["location"]
        assert item["execution_arn"] == execution["executionArn"]
        assert "reason" not in item
        assert item["raw_at"] <= item["bronze_at"] <= item["silver_at"]

    # Started on its own, silver rebuilds every bronze table into a new run location.
    rebuild = run_execution(
        emulator.client("stepfunctions"),
        pipeline.silver_state_machine_arn,
        {},
        name="rebuild",
        timeout_seconds=600,
    )
    assert rebuild["status"] == "SUCCEEDED", rebuild.get("cause")
    rebuilt = silver_tables(emulator, deployment)
    rebuild_run = json.loads(rebuild["output"])["run_id"]
    assert re.fullmatch(r"\d{8}T\d{6}Z-rebuild", rebuild_run) and rebuild_run > run_id
    for name, count in expected.items():
        assert rebuilt[name]["location"].endswith(f"/run_id={rebuild_run}/"), (
            "the table switched to the rebuild"
        )
        assert read_silver(emulator, rebuilt[name]["location"]).num_rows == count
    rebuilt_items = audit(emulator, deployment, rebuild_run)
    assert {name: item["state"] for name, item in rebuilt_items.items()} == dict.fromkeys(expected, "SILVER")
    assert audit(emulator, deployment, run_id) == items, "the first run's items are unchanged"
    assert sns_messages(pipeline.topic_arns["failure_stepfunction"]) == []


def test_raw_failure_ends_failed_alerts_with_error_and_cause_and_never_runs_bronze(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    site.fail("tags", "html")  # a maintenance page instead of JSON, on every request
    pipeline = deploy(emulator, deployment, endpoints(site), FAST)
    # The datasets the lakehouse holds from earlier runs: the bronze tables.
    for name in ("posts", "tags"):
        emulator.client("glue").create_table(DatabaseName=deployment.glue_database, TableInput={"Name": name})

    execution = run(emulator, pipeline, "raw-failure")

    assert execution["status"] == "FAILED"
    assert top_level(execution["states"]) == [
        *RUN_ID_STEPS,
        *PLAN_STEPS,
        RAW_STEP,
        "Raw step failed",
        *failure_path(RAW_FAILED_AUDIT),
    ]
    # The project's error name; the cause carries the step, the original error and its cause.
    assert execution["error"] == PIPELINE_ERROR
    tags_url = site.url("tags", pretty=False)
    assert f'Step "{RAW_STEP}" failed with PipelineStepFailed: ' in execution["cause"]
    assert tags_url in execution["cause"]

    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1
    alert = alerts[0]
    assert RAW_STEP in alert["subject"] and deployment.state_machine_name in alert["subject"]
    assert f'step "{RAW_STEP}"' in alert["message"]
    assert "Error: PipelineStepFailed" in alert["message"]
    assert tags_url in alert["message"], "the cause names the failed endpoint"
    assert execution["executionArn"] in alert["message"]

    assert invoked(emulator) == ["data_wordpressapi_raw", "data_wordpressapi_raw"], (
        "plan, then the fetch: a handler error is not retried and bronze never runs"
    )
    assert len(sns_messages(pipeline.topic_arns["raw"])) == 1, "the raw function alerted its topic once"
    assert objects(emulator, deployment.bronze_bucket) == {}
    stored = objects(emulator, deployment.raw_bucket)
    tags = [key for key in stored if key.startswith("wordpress_api/tags/")]
    assert tags == [], "a failed endpoint stores nothing"

    # The audit: every dataset of the run (the bronze tables) FAILED with the reason, the final cause.
    run_id = run_id_of(emulator, execution)
    items = audit(emulator, deployment, run_id)
    assert set(items) == {"posts", "tags"}
    for item in items.values():
        assert item["state"] == "FAILED", item
        assert item["reason"] == execution["cause"], "the reason names the step, the error and its cause"
        assert item["execution_arn"] == execution["executionArn"]
        assert item["failed_at"]


def test_bronze_failure_is_reported_as_the_bronze_step(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    pipeline = deploy(emulator, deployment, [site.url("posts")], FAST)
    raw_handler = emulator.handlers[deployment.functions["raw"].name]
    broken: list[str] = []

    def fetch_then_damage(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The real raw step; then its object is cut short, as a partial copy would leave it."""
        summary = raw_handler(event, context)
        if event.get("action") == "fetch":
            [entry] = summary["endpoints"]
            with emulator.as_test():
                emulator.client("s3").put_object(
                    Bucket=deployment.raw_bucket, Key=entry["key"], Body=b'[{"id": 1, "title": '
                )
            broken.append(entry["key"])
        return summary

    emulator.register_handler(deployment.functions["raw"].name, fetch_then_damage)

    execution = run(emulator, pipeline, "bronze-failure")

    assert execution["status"] == "FAILED"
    assert top_level(execution["states"]) == [
        *RUN_ID_STEPS,
        *PLAN_STEPS,
        RAW_STEP,
        SPLIT_CHOICE,
        RAW_AUDIT,
        BRONZE_STEP,
        "Bronze step failed",
        *failure_path(BRONZE_FAILED_AUDIT),
    ]
    assert execution["error"] == PIPELINE_ERROR and f'Step "{BRONZE_STEP}"' in execution["cause"]
    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1 and f'step "{BRONZE_STEP}"' in alerts[0]["message"]
    assert broken[0] in alerts[0]["message"]
    assert len(sns_messages(pipeline.topic_arns["bronze"])) == 1, "the bronze function alerted its topic once"

    # The audit: every dataset the raw step stored moved from RAW to FAILED with the reason.
    items = audit(emulator, deployment, run_id_of(emulator, execution))
    assert set(items) == {"posts"}
    assert items["posts"]["state"] == "FAILED"
    assert items["posts"]["reason"] == execution["cause"]
    assert broken[0] in items["posts"]["reason"]
    assert items["posts"]["raw_records"] == 150, "the raw counts of the run stay on the item"


def test_an_alert_that_cannot_be_published_still_ends_failed_with_the_step_error(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    site.fail("tags", "html")
    pipeline = deploy(emulator, deployment, endpoints(site), FAST)
    emulator.client("sns").delete_topic(TopicArn=pipeline.topic_arns["failure_stepfunction"])

    execution = run(emulator, pipeline, "alert-failure")

    assert execution["status"] == "FAILED"
    assert execution["states"][-2:] == ["Publish failure alert", "Pipeline failed"]
    assert execution["error"] == PIPELINE_ERROR
    assert "failed with PipelineStepFailed" in execution["cause"], (
        "the original error, not the publishing error"
    )
    assert emulator.retry_intervals, "publishing was retried before giving up"


def with_raw_step(**changes: Any):
    """A definition transform: the rendered definition with the raw task's fields changed."""

    def transform(definition: dict[str, Any]) -> dict[str, Any]:
        definition["States"][RAW_STEP].update(changes)
        return definition

    return transform


def test_a_task_that_times_out_alerts_once_and_fails_with_the_project_error(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    # The product's 930 s task timeout, shortened in this test's rendering only; the handler
    # outlives it by waiting until the execution is over (no fixed sleep).
    pipeline = deploy(emulator, deployment, endpoints(site), FAST, with_raw_step(TimeoutSeconds=1))
    released = threading.Event()

    plans = emulator.handlers[deployment.functions["raw"].name]

    def hangs(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event.get("action") == "plan":
            return plans(event, context)
        released.wait(30)
        return {}

    emulator.register_handler(deployment.functions["raw"].name, hangs)
    try:
        execution = run(emulator, pipeline, "raw-timeout")
    finally:
        released.set()

    assert execution["status"] == "FAILED"
    assert top_level(execution["states"]) == [
        *RUN_ID_STEPS,
        *PLAN_STEPS,
        RAW_STEP,
        "Raw step failed",
        "Failure has a cause?",
        "No cause given",
        *failure_path(RAW_FAILED_AUDIT)[1:],
    ]
    assert execution["error"] == PIPELINE_ERROR
    # A timeout reports no cause: the cause says so rather than ending in ": ".
    assert execution["cause"] == f'Step "{RAW_STEP}" failed with States.Timeout: (no cause given)'
    assert (
        "Cause: (no cause given)" in sns_messages(pipeline.topic_arns["failure_stepfunction"])[0]["message"]
    )
    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1
    assert RAW_STEP in alerts[0]["subject"]
    assert f'step "{RAW_STEP}"' in alerts[0]["message"] and "Error: States.Timeout" in alerts[0]["message"]
    assert invoked(emulator) == ["data_wordpressapi_raw", "data_wordpressapi_raw"], "bronze never runs"


NO_CAUSE = {
    "absent": {"Error": "States.Timeout"},
    "empty": {"Error": "States.Timeout", "Cause": ""},
    "null": {"Error": "States.Timeout", "Cause": None},
}


@pytest.mark.parametrize("cause", sorted(NO_CAUSE))
@pytest.mark.parametrize(
    ("failed_state", "step"), [("Raw step failed", RAW_STEP), ("Bronze step failed", BRONZE_STEP)]
)
def test_an_error_without_a_cause_alerts_once_and_fails_with_the_project_error(
    emulator: Emulator,
    site: SampleWordPress,
    deployment: Deployment,
    failed_state: str,
    step: str,
    cause: str,
) -> None:
    # What a Catch hands on for an error that carries no Cause, or an empty or null one (a task
    # timeout): the execution enters the definition's failure handling with that output.
    def start_at_failure(definition: dict[str, Any]) -> dict[str, Any]:
        definition["StartAt"] = failed_state
        return definition

    pipeline = deploy(emulator, deployment, endpoints(site), FAST, start_at_failure)
    sfn = emulator.client("stepfunctions")
    execution = run_execution(sfn, pipeline.alias_arn, {"failure": NO_CAUSE[cause]}, name="no-cause")

    assert execution["status"] == "FAILED"
    # No dataset is known here (no raw summary, no bronze table), so nothing is recorded.
    audit_path = RAW_FAILED_AUDIT if step == RAW_STEP else ["Which datasets failed?"]
    assert entered_states(sfn, execution["executionArn"]) == [
        failed_state,
        "Failure has a cause?",
        "No cause given",
        *failure_path(audit_path)[1:],
    ]
    assert execution["error"] == PIPELINE_ERROR
    assert execution["cause"] == f'Step "{step}" failed with States.Timeout: (no cause given)'
    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1
    assert f'step "{step}"' in alerts[0]["message"] and "Error: States.Timeout" in alerts[0]["message"]
    assert emulator.invocations == []


def test_no_fail_state_raises_a_reserved_error_name() -> None:
    definition = json.loads(render_definition("arn:raw", "arn:bronze", "arn:topic"))
    fail_states = [state for state in definition["States"].values() if state["Type"] == "Fail"]
    assert fail_states
    for state in fail_states:
        # A literal name of the project's own: a Fail state may not raise a States.* name.
        assert state.get("Error") and not state["Error"].startswith("States.") and "ErrorPath" not in state
    assert definition["States"]["Pipeline failed"]["Error"] == PIPELINE_ERROR
    assert definition["States"]["Silver run failed"]["Error"] == "SilverLayerFailed"


def test_lambda_tasks_time_out_only_after_the_function_itself_would(deployment: Deployment) -> None:
    definition = json.loads(render_definition("arn:raw", "arn:bronze", "arn:topic"))
    tasks = {
        name: state
        for name, state, _ in all_states(definition["States"])
        if state.get("Resource") == "arn:aws:states:::lambda:invoke"
    }
    assert set(tasks) == {
        "Plan the datasets",
        RAW_STEP,
        "Fetch a page range",
        "Seal the split loads",
        BRONZE_STEP,
    }
    for name, state in tasks.items():
        assert state["TimeoutSeconds"] > LAMBDA_MAX_TIMEOUT_SECONDS, name
        for spec in deployment.functions.values():
            assert spec.timeout < state["TimeoutSeconds"]


def test_a_silver_workflow_that_cannot_be_started_fails_the_run_in_the_audit_and_alerts_once(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    # What the Catch of "Bronze to silver" hands on when StartExecution itself fails (AWS names the
    # service error, e.g. StepFunctions.StateMachineDoesNotExistException; moto reports it as
    # States.TaskFailed), entered directly: the run's datasets are those bronze wrote.
    def start_at_silver_failure(definition: dict[str, Any]) -> dict[str, Any]:
        definition["StartAt"] = "Silver step failed"
        return definition

    pipeline = deploy(emulator, deployment, endpoints(site), FAST, start_at_silver_failure)
    sfn = emulator.client("stepfunctions")
    run_id = "20261201T070000Z-silver-not-started"
    caught = {
        "run": {"id": run_id},
        "datasets": ["posts", "tags"],
        "failure": {
            "Error": "StepFunctions.StateMachineDoesNotExistException",
            "Cause": "State Machine Does Not Exist: 'arn:aws:states:eu-west-2:123456789012:stateMachine:x'",
        },
    }

    execution = run_execution(sfn, pipeline.alias_arn, caught, name="silver-not-started")

    assert execution["status"] == "FAILED"
    assert top_level(entered_states(sfn, execution["executionArn"])) == [
        "Silver step failed",
        "Failure has a cause?",
        "Describe failure",
        "Which datasets failed?",
        "Use the bronze datasets",
        "Record FAILED for every dataset",
        "Publish failure alert",
        "Pipeline failed",
    ]
    assert execution["error"] == PIPELINE_ERROR
    assert execution["cause"].startswith(
        'Step "Bronze to silver" failed with StepFunctions.StateMachineDoesNotExistException: '
    )
    alerts = sns_messages(pipeline.topic_arns["failure_stepfunction"])
    assert len(alerts) == 1 and 'step "Bronze to silver"' in alerts[0]["message"]
    items = audit(emulator, deployment, run_id)
    assert {name: item["state"] for name, item in items.items()} == {"posts": "FAILED", "tags": "FAILED"}
    assert all(item["reason"] == execution["cause"] for item in items.values())


LAMBDA_TRANSIENT_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def test_lambda_service_errors_are_retried_with_backoff_and_handler_errors_are_not() -> None:
    """The README's promise: Lambda's transient service errors are retried by the state machine, a
    handler error (the function has alerted its topic) is not, and neither is a timeout."""
    definition = json.loads(render_definition("arn:raw", "arn:bronze", "arn:topic"))
    for step in (RAW_STEP, BRONZE_STEP):
        (retrier,) = definition["States"][step]["Retry"]
        assert set(retrier["ErrorEquals"]) == LAMBDA_TRANSIENT_ERRORS, step
        assert retrier["MaxAttempts"] > 1 and retrier["BackoffRate"] > 1, step


def test_the_silver_job_start_is_retried_only_for_concurrency_and_glue_service_errors() -> None:
    """The README's promise: no automatic retry of a failed job run; ConcurrentRunsExceeded and Glue's
    throttling and service errors are retried with backoff."""
    definition = json.loads(render_silver_definition("job", "silver", "bronze_db", "audit", "arn:topic"))
    retried = {
        error: retrier
        for retrier in definition["States"]["Run the silver job"]["Retry"]
        for error in retrier["ErrorEquals"]
    }
    assert set(retried) == {
        "Glue.ConcurrentRunsExceededException",
        "Glue.ThrottlingException",
        "Glue.InternalServiceException",
        "Glue.OperationTimeoutException",
    }, "a failed job run (States.TaskFailed) is never retried"
    assert all(retrier["MaxAttempts"] > 1 and retrier["BackoffRate"] > 1 for retrier in retried.values())
