"""The audit writes of both workflows, run alone in moto's interpreter from the rendered definitions:
a write creates or advances an item, and a retried or late write never moves an item back from a
later state (the conditional update loses, the workflow goes on)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.emulator import Emulator, run_execution
from local.run_pipeline import render_definition, render_silver_definition

TABLE = "data-lakehouse-audit"
RUN = "20261201T070000Z-daily"


@pytest.fixture
def table(emulator: Emulator) -> Any:
    dynamodb = emulator.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "dataset", "KeyType": "HASH"},
            {"AttributeName": "run_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "dataset", "AttributeType": "S"},
            {"AttributeName": "run_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
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
        name=state.replace(" ", "-"),
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
        {"name": name, "records": 3, "bytes": 100, "key": f"wordpress_api/{name}/{name}.json"}
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
