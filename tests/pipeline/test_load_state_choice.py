"""The load-state decisions of both workflows, run alone in moto's interpreter from the rendered
definitions (no Lambda, no Spark): WordPress_Raw_To_Bronze's Choice between InitialLoad and Update,
rule by rule, on the looked-up item; WordPress_Bronze_To_Silver's conditional advance of the load
state after SILVER, and the run that finds another run advanced it first (WatermarkConflict)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.emulator import Emulator, entered_states, run_execution, sns_messages
from local.run_pipeline import (
    create_audit_table,
    create_load_state_table,
    render_definition,
    render_silver_definition,
)
from tests.pipeline.test_audit_writes import only

LOAD_STATE = "data-lakehouse-load-state"
AUDIT = "data-lakehouse-audit"
RUN = "20261207T070000Z-daily"
DUE = "2026-11-30T07:00:00Z"  # full_reload_before: a last full load at or before it is due again


@pytest.fixture
def dynamodb(emulator: Emulator) -> Any:
    client = emulator.client("dynamodb")
    create_load_state_table(client, LOAD_STATE)
    create_audit_table(client, AUDIT)
    return client


def put_state(dynamodb: Any, dataset: str, **attributes: str) -> None:
    item = {"dataset": {"S": dataset}, **{name: {"S": value} for name, value in attributes.items()}}
    dynamodb.put_item(TableName=LOAD_STATE, Item=item)


def dataset(name: str, *, incremental: bool = True, requested: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "endpoint": f"http://127.0.0.1:9/wp-json/wp/v2/{name}",
        "incremental": incremental,
        "initial_load_requested": requested,
    }


def test_the_choice_follows_its_rules_in_order(emulator: Emulator, dynamodb: Any) -> None:
    recent, old = "2026-12-06T07:00:00Z", "2026-11-01T07:00:00Z"
    put_state(dynamodb, "posts", watermark="2026-12-06T06:59:00Z", last_full_load_at=recent)
    put_state(dynamodb, "pages", watermark="2026-12-06T06:59:00Z", last_full_load_at=old)
    put_state(dynamodb, "media", watermark="2026-12-06T06:59:00Z", last_full_load_at=old)
    put_state(dynamodb, "blocks", watermark="2026-12-06T06:59:00Z", last_full_load_at=recent)
    put_state(dynamodb, "comments", last_full_load_at=recent)  # no watermark (an empty collection)
    plan = {
        "datasets": [
            dataset("posts"),  # a recent full load and a watermark: Update
            dataset("pages"),  # the last full load is due
            dataset("media", requested=True),  # asked for, whatever the item says
            dataset("blocks", incremental=False),  # no modified_after filter
            dataset("comments"),  # no watermark yet
            dataset("menus"),  # no item at all (a new endpoint)
        ],
        "full_reload_before": DUE,
    }
    definition = render_definition("arn:raw", "arn:bronze", "arn:topic", AUDIT, "arn:silver")
    machine = only(emulator, definition, "Initial load or update, per dataset")

    execution = run_execution(emulator.client("stepfunctions"), machine, {"plan": {"summary": plan}})

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    loads = {load["name"]: load for load in json.loads(execution["output"])["plan"]["loads"]}
    assert {name: (load["mode"], load["reason"]) for name, load in loads.items()} == {
        "posts": ("Update", "changes since the watermark"),
        "pages": ("InitialLoad", "last full load is older than full_reload_days"),
        "media": ("InitialLoad", "requested by the execution input"),
        "blocks": ("InitialLoad", "endpoint has no modified_after filter: fetched in full every run"),
        "comments": ("InitialLoad", "no watermark yet: first successful load"),
        "menus": ("InitialLoad", "no watermark yet: first successful load"),
    }
    # The looked-up item goes to the raw step as it is: it reads the watermark and the run that set it.
    assert loads["posts"]["load_state"]["Item"]["watermark"] == {"S": "2026-12-06T06:59:00Z"}
    assert "Item" not in loads["menus"]["load_state"]

    # full_reload_days = 0: never due.
    plan["full_reload_before"] = None
    never = run_execution(
        emulator.client("stepfunctions"), machine, {"plan": {"summary": plan}}, name="never"
    )
    modes = {load["name"]: load["mode"] for load in json.loads(never["output"])["plan"]["loads"]}
    assert modes["pages"] == "Update"


def silver_result(load: dict[str, Any]) -> dict[str, Any]:
    """What WordPress_Bronze_To_Silver's Map records for one published dataset."""
    return {
        "run_id": RUN,
        "outcome": {
            "result": {
                "published": ["posts"],
                "quarantined": [],
                "datasets": [
                    {
                        "dataset": "posts",
                        "state": "SILVER",
                        "silver_rows": 10,
                        "bytes": 100,
                        "location": f"s3://silver/wordpress_api/posts/run_id={RUN}/",
                        "partitions": 1,
                        "load_mode": load["mode"],
                        "watermark_before": load["watermark_before"],
                        "watermark_after": load["watermark_after"],
                        "silver_inserted": 1,
                        "silver_updated": 2,
                        "silver_deleted": 3,
                        "load": load,
                    }
                ],
            }
        },
    }


def load(mode: str, expected: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "incremental": True,
        "watermark_before": "2026-12-06T06:59:00Z",
        "watermark_after": "2026-12-07T06:58:00Z",
        "expected_run_id": expected,
        "fetch_started_at": "2026-12-07T07:00:01Z",
    }


def state_item(dynamodb: Any) -> dict[str, str]:
    item = dynamodb.get_item(TableName=LOAD_STATE, Key={"dataset": {"S": "posts"}})["Item"]
    return {name: value["S"] for name, value in item.items()}


def test_silver_advances_the_load_state_only_from_what_it_read(emulator: Emulator, dynamodb: Any) -> None:
    definition = render_silver_definition("job", "silver", "bronze_db", AUDIT, "arn:topic", LOAD_STATE)
    machine = only(emulator, definition, "Record the outcome of every dataset")
    sfn = emulator.client("stepfunctions")
    put_state(dynamodb, "posts", watermark="2026-12-06T06:59:00Z", loaded_run_id="20261206T070000Z-daily")

    update = run_execution(sfn, machine, silver_result(load("Update", "20261206T070000Z-daily")), name="u")

    assert update["status"] == "SUCCEEDED", update.get("cause")
    assert json.loads(update["output"])["recorded"]["watermark_conflicts"] == []
    advanced = state_item(dynamodb)
    assert (advanced["watermark"], advanced["loaded_run_id"]) == ("2026-12-07T06:58:00Z", RUN)
    assert "last_full_load_at" not in advanced, "an Update is no full load"
    audit = dynamodb.get_item(TableName=AUDIT, Key={"dataset": {"S": "posts"}, "run_id": {"S": RUN}})["Item"]
    assert {name: audit[name] for name in ("load_mode", "watermark_after", "silver_deleted")} == {
        "load_mode": {"S": "Update"},
        "watermark_after": {"S": "2026-12-07T06:58:00Z"},
        "silver_deleted": {"N": "3"},
    }

    # The same run again (a retry with the same run id) may write again: loaded_run_id is its own.
    again = run_execution(
        sfn, machine, silver_result(load("InitialLoad", "20261206T070000Z-daily")), name="r"
    )
    assert again["status"] == "SUCCEEDED", again.get("cause")
    assert state_item(dynamodb)["last_full_load_at"] == "2026-12-07T07:00:01Z", "an InitialLoad's start"

    # Another run advanced the item after this one looked it up: the condition fails, nothing moves.
    put_state(dynamodb, "posts", watermark="2026-12-07T08:00:00Z", loaded_run_id="20261207T080000Z-other")
    conflict = run_execution(
        sfn, machine, silver_result(load("Update", "20261206T070000Z-daily")), name="conflict"
    )
    assert conflict["status"] == "SUCCEEDED", conflict.get("cause")
    assert json.loads(conflict["output"])["recorded"]["watermark_conflicts"] == ["posts"]
    assert "Watermark advanced by another run" in entered_states(sfn, conflict["executionArn"])
    assert state_item(dynamodb) == {
        "dataset": "posts",
        "watermark": "2026-12-07T08:00:00Z",
        "loaded_run_id": "20261207T080000Z-other",
    }


def test_a_watermark_conflict_alerts_once_and_fails_with_its_own_error(emulator: Emulator) -> None:
    topic = emulator.client("sns").create_topic(Name="failure-stepfunction")["TopicArn"]
    definition = json.loads(render_silver_definition("job", "silver", "bronze_db", AUDIT, topic))
    path = [
        "Any watermark conflict?",
        "Describe the watermark conflict",
        "Publish watermark conflict alert",
        "Watermark conflict",
    ]
    machine = {"StartAt": path[0], "States": {name: definition["States"][name] for name in path}}
    # Without a conflict the workflow goes on to gold (a stand-in here).
    assert definition["States"]["Any watermark conflict?"]["Default"] == "Run the gold job"
    machine["States"]["Run the gold job"] = {"Type": "Succeed"}
    sfn = emulator.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="conflict-path", definition=json.dumps(machine), roleArn="arn:aws:iam::123456789012:role/x"
    )["stateMachineArn"]

    execution = run_execution(sfn, arn, {"run_id": RUN, "recorded": {"watermark_conflicts": ["posts"]}})
    clean = run_execution(sfn, arn, {"run_id": RUN, "recorded": {"watermark_conflicts": []}}, name="clean")

    assert (execution["status"], execution["error"]) == ("FAILED", "WatermarkConflict")
    assert '["posts"]' in execution["cause"] and RUN in execution["cause"]
    alerts = sns_messages(topic)
    assert len(alerts) == 1, "one failure, one message"
    assert "watermark conflict" in alerts[0]["subject"] and '["posts"]' in alerts[0]["message"]
    assert clean["status"] == "SUCCEEDED", "no conflict: the run goes on to gold"
