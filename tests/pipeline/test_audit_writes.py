"""The audit writes of both workflows, run alone in moto's interpreter from the rendered definitions:
a write creates or advances an item, a retried or late write never moves an item back from a
later state (the conditional update loses, the workflow goes on), and a FAILED item is left only by
a later attempt of the same run (the state order in modules/pipeline/README.md)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local.emulator import Emulator, run_execution
from local.run_pipeline import create_audit_table, render_definition, render_silver_definition

TABLE = "data-lakehouse-audit"
RUN = "20261201T070000Z-daily"


@pytest.fixture
def table(emulator: Emulator) -> Any:
    dynamodb = emulator.client("dynamodb")
    create_audit_table(dynamodb, TABLE)
    return dynamodb


def only(emulator: Emulator, definition: str, state: str) -> str:
    """A state machine running one state of a definition (its Next/Catch targets become ends)."""
    machine = json.loads(definition)["States"][state]
    machine.pop("Next", None)
    machine["End"] = True
    for catcher in machine.get("Catch", []):
        catcher["Next"] = "Caught"
    definition = {"StartAt": state, "States": {state: machine, "Caught": {"Type": "Fail", "Error": "Caught"}}}
    return emulator.client("stepfunctions").create_state_machine(
        name=re.sub(r"[^A-Za-z0-9_-]+", "-", state),
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/x",
    )["stateMachineArn"]


def state_of(table: Any, dataset: str) -> str:
    item = table.get_item(TableName=TABLE, Key={"dataset": {"S": dataset}, "run_id": {"S": RUN}})["Item"]
    return item["state"]["S"]


def test_raw_records_new_items_and_never_moves_a_bronze_item_back(emulator: Emulator, table: Any) -> None:
    table.put_item(
        TableName=TABLE, Item={"dataset": {"S": "posts"}, "run_id": {"S": RUN}, "state": {"S": "BRONZE"}}
    )
    definition = render_definition("arn:raw", "arn:bronze", "arn:topic", TABLE, "arn:silver")
    machine = only(emulator, definition, "Record RAW in the audit table")
    endpoints = [
        {"name": name, "records": 3, "bytes": 100, "key": f"wordpress_api/{name}/{name}.json", **LOADED}
        for name in ("posts", "tags")
    ]

    execution = run_execution(
        emulator.client("stepfunctions"),
        machine,
        {"run": {"id": RUN}, "raw": {"summary": {"endpoints": endpoints}}},
    )

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert state_of(table, "tags") == "RAW"
    assert state_of(table, "posts") == "BRONZE", "a late RAW write does not regress BRONZE"


def test_a_silver_outcome_never_replaces_a_different_final_state(emulator: Emulator, table: Any) -> None:
    table.put_item(
        TableName=TABLE, Item={"dataset": {"S": "posts"}, "run_id": {"S": RUN}, "state": {"S": "SILVER"}}
    )
    table.put_item(
        TableName=TABLE, Item={"dataset": {"S": "tags"}, "run_id": {"S": RUN}, "state": {"S": "BRONZE"}}
    )
    definition = render_silver_definition("job", "silver", "bronze_db", TABLE, "arn:topic")
    machine = only(emulator, definition, "Record FAILED for every dataset")

    execution = run_execution(
        emulator.client("stepfunctions"),
        machine,
        {
            "run_id": RUN,
            "datasets": ["posts", "tags"],
            "failure": {"Error": "States.TaskFailed", "Cause": "job"},
        },
    )

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert state_of(table, "posts") == "SILVER", "a retried failure write does not undo a published table"
    assert state_of(table, "tags") == "FAILED"


# A FAILED item records when the failure was written (`failed_at`, the recording state's entered
# time). A write of a later attempt of the run (a redrive, or a new execution with the same run id)
# enters after it and moves the item on; a write of the attempt that failed entered before it and is
# stale. The far past and far future stand for "before" and "after" this test's writes.
BEFORE_THIS_ATTEMPT, AFTER_THIS_ATTEMPT = "2000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"


def put_failed(table: Any, dataset: str, failed_at: str) -> None:
    table.put_item(
        TableName=TABLE,
        Item={
            "dataset": {"S": dataset},
            "run_id": {"S": RUN},
            "state": {"S": "FAILED"},
            "reason": {"S": "the first attempt failed"},
            "failed_at": {"S": failed_at},
        },
    )


# How the raw step says each dataset was loaded (the audit fields of its summary entries).
LOADED = {
    "audit": {
        "load_mode": "InitialLoad",
        "load_reason": "no watermark yet: first successful load",
        "watermark_before": "",
        "window_start": "",
        "ignored_modified_after": False,
    }
}
# What the silver job's result says of each published dataset's load (a rebuild: no load state).
SILVER_LOAD = {
    "load_mode": "InitialLoad",
    "watermark_before": "",
    "watermark_after": "",
    "silver_inserted": 3,
    "silver_updated": 0,
    "silver_deleted": 0,
    "load": {"mode": "InitialLoad"},
}


def item_of(table: Any, dataset: str) -> dict[str, Any]:
    item = table.get_item(TableName=TABLE, Key={"dataset": {"S": dataset}, "run_id": {"S": RUN}})["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def silver_outcomes() -> dict[str, Any]:
    return {
        "run_id": RUN,
        "outcome": {
            "result": {
                "datasets": [
                    {
                        "dataset": name,
                        "state": "SILVER",
                        "silver_rows": 3,
                        "bytes": 100,
                        "location": f"s3://silver/wordpress_api/{name}/run_id={RUN}/",
                        "partitions": 0,
                        **SILVER_LOAD,
                    }
                    for name in ("posts", "tags")
                ]
                + [
                    {
                        "dataset": "users",
                        "state": "QUARANTINED",
                        "silver_rows": 3,
                        "failed_rules": [{"rule": "id_unique", "count": 1, "detail": "1 id"}],
                        "report_key": f"quarantine/wordpress_api/users/run_id={RUN}/report.json",
                    }
                ]
            }
        },
    }


def test_a_retried_run_moves_failed_items_to_its_outcome_and_a_stale_write_never_does(
    emulator: Emulator, table: Any
) -> None:
    put_failed(table, "posts", BEFORE_THIS_ATTEMPT)  # failed, then the run was retried: this attempt
    put_failed(table, "users", BEFORE_THIS_ATTEMPT)
    put_failed(table, "tags", AFTER_THIS_ATTEMPT)  # a write from before the failure arrives late
    definition = render_silver_definition("job", "silver", "bronze_db", TABLE, "arn:topic")
    machine = only(emulator, definition, "Record the outcome of every dataset")

    execution = run_execution(emulator.client("stepfunctions"), machine, silver_outcomes())

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    posts, users, tags = (item_of(table, name) for name in ("posts", "users", "tags"))
    assert posts["state"] == "SILVER", "the retry's outcome replaces FAILED"
    assert "reason" not in posts and "failed_at" not in posts, "the failure no longer describes the item"
    assert users["state"] == "QUARANTINED" and "id_unique" in users["reason"] and "failed_at" not in users
    assert tags["state"] == "FAILED", "a write of the attempt that failed does not undo the failure"
    assert tags["reason"] == "the first attempt failed"


@pytest.mark.parametrize("step", ["RAW", "BRONZE"])
def test_a_redriven_run_moves_failed_items_forward_and_a_late_write_never_does(
    emulator: Emulator, table: Any, step: str
) -> None:
    put_failed(table, "posts", BEFORE_THIS_ATTEMPT)  # redriven: this attempt started after the failure
    put_failed(table, "tags", AFTER_THIS_ATTEMPT)  # late: from the attempt that failed
    definition = render_definition("arn:raw", "arn:bronze", "arn:topic", TABLE, "arn:silver")
    machine = only(emulator, definition, f"Record {step} in the audit table")
    summary = [
        {
            "name": name,
            "records": 3,
            "rows": 3,
            "bytes": 100,
            "key": f"wordpress_api/{name}/{name}.json",
            **LOADED,
        }
        for name in ("posts", "tags")
    ]
    execution_input = {
        "run": {"id": RUN},
        "raw": {"summary": {"endpoints": summary}},
        "bronze": {"summary": {"objects": summary}},
    }

    execution = run_execution(emulator.client("stepfunctions"), machine, execution_input)

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    posts, tags = item_of(table, "posts"), item_of(table, "tags")
    assert posts["state"] == step and "reason" not in posts and "failed_at" not in posts
    assert tags["state"] == "FAILED" and tags["reason"] == "the first attempt failed"


def test_the_daily_failure_record_never_replaces_an_outcome_and_repeats_a_failure(
    emulator: Emulator, table: Any
) -> None:
    for dataset, state in (("posts", "SILVER"), ("users", "QUARANTINED"), ("tags", "BRONZE")):
        table.put_item(
            TableName=TABLE, Item={"dataset": {"S": dataset}, "run_id": {"S": RUN}, "state": {"S": state}}
        )
    put_failed(table, "pages", BEFORE_THIS_ATTEMPT)  # a redrive that failed again
    definition = render_definition("arn:raw", "arn:bronze", "arn:topic", TABLE, "arn:silver")
    machine = only(emulator, definition, "Record FAILED for every dataset")

    execution = run_execution(
        emulator.client("stepfunctions"),
        machine,
        {
            "run": {"id": RUN},
            "failed_datasets": {"names": ["posts", "users", "tags", "pages", "media"]},
            "alert": {"cause": 'Step "Raw to bronze" failed with PipelineStepFailed: again'},
        },
    )

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert state_of(table, "posts") == "SILVER" and state_of(table, "users") == "QUARANTINED"
    for dataset in ("tags", "pages", "media"):
        item = item_of(table, dataset)
        assert item["state"] == "FAILED", dataset
        assert item["reason"] == 'Step "Raw to bronze" failed with PipelineStepFailed: again'
