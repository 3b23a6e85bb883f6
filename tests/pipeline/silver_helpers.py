"""Reading what the silver layer, the audit table and the executions hold, for the end-to-end tests."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from boto3.dynamodb.types import TypeDeserializer

from local.emulator import Emulator
from local.run_pipeline import Deployment


def silver_tables(emulator: Emulator, deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Silver Glue tables: name -> {"location", "partition_keys"}."""
    glue = emulator.client("glue")
    tables = glue.get_tables(DatabaseName=deployment.silver_database)["TableList"]
    return {
        table["Name"]: {
            "location": table["StorageDescriptor"]["Location"],
            "partition_keys": [key["Name"] for key in table.get("PartitionKeys", [])],
        }
        for table in tables
    }


def read_silver(emulator: Emulator, location: str) -> pa.Table:
    """Every Parquet file under an s3:// location (partition folders included) as one table."""
    s3 = emulator.client("s3")
    bucket, prefix = location.removeprefix("s3://").split("/", 1)
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if item["Key"].endswith(".parquet")
    ]
    assert keys, f"no Parquet file under {location}"
    tables = [pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())) for key in keys]
    return pa.concat_tables(tables, promote_options="permissive")


def audit(
    emulator: Emulator, deployment: Deployment, run_id: str, layer: str = "datasets"
) -> dict[str, dict[str, Any]]:
    """The audit items of a run, by dataset, with plain values (numbers as int): the datasets' items,
    or with ``layer="gold"`` the gold tables' (``layer`` ``gold``)."""
    deserializer = TypeDeserializer()
    items = emulator.client("dynamodb").scan(
        TableName=deployment.audit_table,
        FilterExpression="run_id = :run",
        ExpressionAttributeValues={":run": {"S": run_id}},
    )["Items"]
    plain = [{key: deserializer.deserialize(value) for key, value in item.items()} for item in items]
    return {
        item["dataset"]: {
            key: int(value) if isinstance(value, Decimal) else value for key, value in item.items()
        }
        for item in plain
        if (item.get("layer") == "gold") == (layer == "gold")
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
    return value


# States entered once per dataset inside the workflows' audit Map states.
ITERATION_STATES = {
    "Record RAW",
    "RAW already superseded",
    "Record BRONZE",
    "BRONZE already superseded",
    "Record FAILED",
    "FAILED already superseded",
    "FAILED already recorded",
    "Published?",
    "Record SILVER",
    "Record QUARANTINED",
    "Outcome already recorded",
    # Incremental loads: the per-dataset Choice, the page ranges, the load state advanced after SILVER.
    "Look up the load state",
    "InitialLoad or Update?",
    "InitialLoad: requested",
    "InitialLoad: no modified_after filter",
    "InitialLoad: no watermark yet",
    "InitialLoad: full reload due",
    "Update",
    "Fetch a page range",
    "Load state to advance?",
    "Advance the load state after an InitialLoad",
    "Advance the load state after an Update",
    "Watermark advanced by another run",
    "No load state to advance",
}


def top_level(states: list[str]) -> list[str]:
    """The states an execution entered, without those of its Map iterations."""
    return [state for state in states if state not in ITERATION_STATES]


def all_states(states: dict[str, Any], inside_map: bool = False) -> list[tuple[str, dict[str, Any], bool]]:
    """Every state of a definition, Map iterations included: (name, state, inside a Map)."""
    found = []
    for name, state in states.items():
        found.append((name, state, inside_map))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found += all_states(processor["States"], inside_map=True)
    return found
