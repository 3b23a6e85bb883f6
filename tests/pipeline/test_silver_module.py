"""The silver layer's Terraform (modules/pipeline/silver.tf, modules/lakehouse-buckets) and both
workflow definitions, read from the HCL and the rendered ASL.

What users rely on: a Glue 5.0 Spark job on 2 G.1X workers by default, no automatic retries, its
script uploaded from jobs/ and redeployed when it changes, encrypted S3 output, logs and bookmarks;
an on-demand, recoverable, encrypted audit table keyed by dataset and run id; IAM limited to the
job's prefixes, database, logs and the workflows' own job, table and child state machine; and
workflows whose every task has a timeout, retries transient errors and catches the rest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.hcl import blocks_of, labelled, parse_dir, resources
from local.run_pipeline import render_definition, render_silver_definition
from local.terraform import MODULES_DIR, REPO_ROOT
from tests.pipeline.silver_helpers import all_states

MODULE_DIR = MODULES_DIR / "pipeline"
JOB_ARGUMENTS = ("--bronze_bucket", "--silver_bucket", "--silver_database", "--data_source")


@pytest.fixture(scope="module")
def tree() -> dict[str, list[Any]]:
    return parse_dir(MODULE_DIR)


def resource(tree: dict[str, list[Any]], rtype: str, name: str, kind: str = "resource") -> dict[str, Any]:
    for found_type, found_name, body in resources(tree, kind):
        if (found_type, found_name) == (rtype, name):
            return body
    raise AssertionError(f"modules/pipeline has no {kind} {rtype}.{name}")


def one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def grants(tree: dict[str, list[Any]], document: str) -> dict[str, list[str]]:
    """Action -> resources of a policy document."""
    found: dict[str, list[str]] = {}
    for statement in blocks_of(resource(tree, "aws_iam_policy_document", document, "data"), "statement"):
        for action in statement["actions"]:
            found.setdefault(action, []).extend(statement["resources"])
    return found


def test_glue_job_is_glue_5_spark_on_two_g1x_workers_without_retries(tree: dict[str, list[Any]]) -> None:
    job = resource(tree, "aws_glue_job", "silver")
    variables = {name: body.get("default") for name, body in labelled(tree["variable"]).items()}
    assert job["glue_version"] == "5.0"
    command = blocks_of(job, "command")[0]
    assert (command["name"], command["python_version"]) == ("glueetl", "3")
    assert (
        command["script_location"]
        == "s3://${var.artifacts_bucket_name}/${aws_s3_object.silver_job_script.key}"
    )
    assert (
        job["worker_type"] == "${var.silver_job_worker_type}"
        and variables["silver_job_worker_type"] == "G.1X"
    )
    assert job["number_of_workers"] == "${var.silver_job_number_of_workers}"
    assert variables["silver_job_number_of_workers"] == 2
    assert job["timeout"] == "${var.silver_job_timeout_minutes}"
    assert job["max_retries"] == 0, "no automatic retries: a failed run is alerted and rerun on purpose"
    assert job["security_configuration"] == "${aws_glue_security_configuration.silver.name}"
    arguments = one(job["default_arguments"])
    # Glue 5.0 logging: the groups Glue writes to carry this prefix (the 4.0 continuous-logging
    # arguments are gone: Glue 5.0 ignores them).
    assert arguments["--custom-logGroup-prefix"] == "${local.silver_job_log_name_prefix}"
    assert not [name for name in arguments if "continuous" in name], arguments
    assert arguments["--enable-metrics"] == "true"
    assert arguments["--job-language"] == "python"
    assert arguments["--TempDir"].startswith("s3://${var.artifacts_bucket_name}/")
    assert set(JOB_ARGUMENTS) <= set(arguments), "every contract argument the state machine does not pass"


def test_job_script_is_uploaded_from_jobs_and_redeploys_when_it_changes(tree: dict[str, list[Any]]) -> None:
    script = resource(tree, "aws_s3_object", "silver_job_script")
    values: dict[str, Any] = {}
    for block in tree["locals"]:
        values.update(block)
    assert values["silver_job_script_source"] == "${path.module}/../../jobs/wordpress_bronze_to_silver.py"
    assert (MODULE_DIR / "../../jobs").resolve() == REPO_ROOT / "jobs"
    assert script["source"] == "${local.silver_job_script_source}"
    assert script["source_hash"] == "${filemd5(local.silver_job_script_source)}"
    assert script["key"] == "${local.silver_job_script_key}"


def test_security_configuration_encrypts_s3_logs_and_bookmarks(tree: dict[str, list[Any]]) -> None:
    config = blocks_of(
        resource(tree, "aws_glue_security_configuration", "silver"), "encryption_configuration"
    )[0]
    assert blocks_of(config, "cloudwatch_encryption")[0]["cloudwatch_encryption_mode"] == "SSE-KMS"
    assert blocks_of(config, "job_bookmarks_encryption")[0]["job_bookmarks_encryption_mode"] == "CSE-KMS"
    assert blocks_of(config, "s3_encryption")[0]["s3_encryption_mode"] == "SSE-S3"


def test_audit_table_is_on_demand_recoverable_encrypted_and_keyed_by_dataset_and_run(
    tree: dict[str, list[Any]],
) -> None:
    table = resource(tree, "aws_dynamodb_table", "audit")
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert (table["hash_key"], table["range_key"]) == ("dataset", "run_id")
    # state and arrived_at: the keys of the landing zone's state index (issue 19).
    assert {(a["name"], a["type"]) for a in blocks_of(table, "attribute")} == {
        ("dataset", "S"),
        ("run_id", "S"),
        ("state", "S"),
        ("arrived_at", "S"),
    }
    assert blocks_of(table, "global_secondary_index") == [
        {
            "name": "${local.audit_state_index_name}",
            "hash_key": "state",
            "range_key": "arrived_at",
            "projection_type": "ALL",
        }
    ]
    assert blocks_of(table, "point_in_time_recovery")[0]["enabled"] is True
    assert blocks_of(table, "server_side_encryption")[0]["enabled"] is True


def test_job_role_reads_bronze_writes_only_its_silver_prefixes_and_tables(tree: dict[str, list[Any]]) -> None:
    job = grants(tree, "silver_job")
    assert job["s3:GetObject"].count("${var.bronze_bucket_arn}/${local.data_source}/*") == 1
    assert sorted(job["s3:PutObject"]) == [
        "${var.artifacts_bucket_arn}/${local.silver_job_temp_prefix}*",
        "${var.silver_bucket_arn}/${local.data_source}/*",
        "${var.silver_bucket_arn}/_runs/${local.data_source}/*",
        "${var.silver_bucket_arn}/quarantine/${local.data_source}/*",
    ], "Spark's temp dir and the silver prefixes only: never bronze"
    # Spark's output (overwrite, committer) deletes under what it writes; result.json is only put.
    assert sorted(job["s3:DeleteObject"]) == sorted(
        arn for arn in job["s3:PutObject"] if "/_runs/" not in arn
    )
    glue_resources = {arn for action, arns in job.items() if action.startswith("glue:") for arn in arns}
    assert glue_resources == {
        "${local.silver_glue_catalog_arn}",
        "${local.silver_glue_database_arn}",
        "${local.silver_glue_tables_arn}",
    }, "only the silver database's tables"
    assert not [action for action in job if action.startswith("glue:Delete")]
    # Logs: exactly the two groups Glue 5.0 writes to (and their streams), nothing else.
    document = resource(tree, "aws_iam_policy_document", "silver_job", "data")
    log_statements = [
        s for s in blocks_of(document, "statement") if any(a.startswith("logs:") for a in s["actions"])
    ]
    assert [s["sid"] for s in log_statements] == ["WriteOwnJobLogs"]
    assert log_statements[0]["resources"] == (
        '${flatten([for arn in local.silver_job_log_group_arns : [arn, "${arn}:*"]])}'
    )


def test_state_machines_run_only_their_job_table_and_child(tree: dict[str, list[Any]]) -> None:
    silver = grants(tree, "silver_state_machine")
    for action in ("glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"):
        # The silver job, then the gold job after a clean silver run.
        assert silver[action] == ["${local.silver_glue_job_arn}", "${local.gold_glue_job_arn}"], action
    # The audit trail, and the load state a dataset that reached SILVER advances (nothing else).
    assert sorted(silver["dynamodb:UpdateItem"]) == [
        "${aws_dynamodb_table.audit.arn}",
        "${aws_dynamodb_table.load_state.arn}",
    ]
    assert silver["s3:GetObject"] == [
        "${var.silver_bucket_arn}/_runs/${local.data_source}/*",
        "${var.gold_bucket_arn}/_runs/${local.data_source}/*",
    ]
    daily = grants(tree, "state_machine")
    assert daily["dynamodb:UpdateItem"] == ["${aws_dynamodb_table.audit.arn}"]
    # The daily workflow only reads the load state to choose InitialLoad or Update.
    assert daily["dynamodb:GetItem"] == ["${aws_dynamodb_table.load_state.arn}"]
    # Through its live alias: authorized on the state machine, narrowed by the qualifier.
    assert daily["states:StartExecution"] == ["${module.silver_state_machine.state_machine_arn}"]
    document = resource(tree, "aws_iam_policy_document", "state_machine", "data")
    [start] = [s for s in blocks_of(document, "statement") if s.get("sid") == "StartSilverLiveAlias"]
    assert blocks_of(start, "condition")[0]["variable"] == "states:StateMachineQualifier"
    assert (
        daily["states:DescribeExecution"]
        == daily["states:StopExecution"]
        == ["${local.silver_execution_arn_glob}"]
    )


# --------------------------------------------------------------------------- workflows


@pytest.fixture(scope="module")
def definitions() -> dict[str, dict[str, Any]]:
    return {
        "raw_to_bronze": json.loads(
            render_definition("arn:raw", "arn:bronze", "arn:topic", "audit", "arn:silver")
        ),
        "bronze_to_silver": json.loads(
            render_silver_definition("job", "silver", "bronze_db", "audit", "arn:topic")
        ),
    }


@pytest.mark.parametrize("workflow", ["raw_to_bronze", "bronze_to_silver"])
def test_every_task_has_a_timeout_retries_and_a_catch(definitions: dict[str, Any], workflow: str) -> None:
    for name, state, inside_map in all_states(definitions[workflow]["States"]):
        if state["Type"] == "Map":
            assert [c["ErrorEquals"] for c in state["Catch"]] == [["States.ALL"]], name
        if state["Type"] != "Task":
            continue
        assert state.get("TimeoutSeconds"), f"{workflow}: {name} has no TimeoutSeconds"
        assert state.get("Retry"), f"{workflow}: {name} has no Retry"
        caught = [error for catcher in state.get("Catch", []) for error in catcher["ErrorEquals"]]
        if inside_map:  # a conditional write that lost keeps the later state; the Map catches the rest
            assert caught in ([], ["DynamoDB.ConditionalCheckFailedException"]), name
        else:
            assert "States.ALL" in caught, f"{workflow}: {name} does not catch every error"
        if state["Resource"] == "arn:aws:states:::dynamodb:updateItem":
            assert "ConditionExpression" in state["Parameters"], f"{name}: audit writes are conditional"


@pytest.mark.parametrize("workflow", ["raw_to_bronze", "bronze_to_silver"])
def test_every_failure_ends_with_a_project_error_name(definitions: dict[str, Any], workflow: str) -> None:
    for name, state, _ in all_states(definitions[workflow]["States"]):
        if state["Type"] == "Fail" and "Error" in state:
            assert not state["Error"].startswith("States."), f"{workflow}: {name}"
    silver = definitions["bronze_to_silver"]["States"]
    assert {silver["Quality gate failed"]["Error"], silver["Silver job failed"]["Error"]} == {
        "SilverQualityGateFailed",
        "SilverJobFailed",
    }


def test_tasks_wait_longer_than_the_job_may_run(
    definitions: dict[str, Any], tree: dict[str, list[Any]]
) -> None:
    variable = labelled(tree["variable"])["silver_job_timeout_minutes"]
    condition = blocks_of(variable, "validation")[0]["condition"]
    maximum = int(re.search(r"var\.silver_job_timeout_minutes <= (\d+)", condition).group(1))
    glue_task = definitions["bronze_to_silver"]["States"]["Run the silver job"]
    assert glue_task["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert glue_task["TimeoutSeconds"] > maximum * 60
    assert set(glue_task["Parameters"]["Arguments"]) == {"--run_id.$", "--datasets.$", "--loads.$"}
    child = definitions["raw_to_bronze"]["States"]["Bronze to silver"]
    assert child["Resource"] == "arn:aws:states:::states:startExecution.sync:2"
    assert child["TimeoutSeconds"] > glue_task["TimeoutSeconds"]
    # A failed silver run alerted already: the daily run fails without a second alert.
    caught = {tuple(c["ErrorEquals"]): c["Next"] for c in child["Catch"]}
    assert caught[("States.TaskFailed",)] == "Silver run failed"
    assert definitions["raw_to_bronze"]["States"]["Silver run failed"]["Type"] == "Fail"


def test_the_job_script_exists_where_the_module_uploads_it_from() -> None:
    assert Path(REPO_ROOT / "jobs" / "wordpress_bronze_to_silver.py").is_file()
