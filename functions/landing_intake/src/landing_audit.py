"""The landing zone's audit items in the pipeline's audit table (hash ``dataset``, range ``run_id``).

One item per landed file: ``run_id`` = ``file#<etag>`` (so the same content in one dataset is
registered once). States: ``NEW`` -> ``LOADING`` (claimed by a run) -> ``BRONZE`` | ``INVALID`` |
``SUPERSEDED`` | ``FAILED`` -> ``SILVER`` | ``QUARANTINED`` | ``FAILED``.

Used by the Lambda and by the Glue large-file job: nothing here imports ``lakehouse_common``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

SOURCE = "landing"
NEW, LOADING = "NEW", "LOADING"
BRONZE, INVALID, SUPERSEDED, FAILED = "BRONZE", "INVALID", "SUPERSEDED", "FAILED"
SILVER, QUARANTINED = "SILVER", "QUARANTINED"
STATES = (NEW, LOADING, BRONZE, INVALID, SUPERSEDED, FAILED, SILVER, QUARANTINED)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def audit_id(etag: str) -> str:
    """The item's range key for a file of ETag ``etag`` (quotes removed)."""
    return "file#" + etag.strip('"')


def utc_now() -> str:
    """Now, ISO-8601 UTC ending in ``Z`` (what ``arrived_at`` and ``updated_at`` hold)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_dynamodb(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in values.items()}


def from_dynamodb(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB JSON item -> plain values (numbers as int when whole)."""
    plain = {}
    for name, value in item.items():
        decoded = _deserializer.deserialize(value)
        plain[name] = _plain(decoded)
    return plain


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if type(value).__name__ == "Decimal":
        return int(value) if value == int(value) else float(value)
    return value


def item_key(dataset: str, file_audit_id: str) -> dict[str, Any]:
    return {"dataset": {"S": dataset}, "run_id": {"S": file_audit_id}}


def get_item(dynamodb: Any, table: str, dataset: str, file_audit_id: str) -> dict[str, Any] | None:
    response = dynamodb.get_item(TableName=table, Key=item_key(dataset, file_audit_id), ConsistentRead=True)
    item = response.get("Item")
    return from_dynamodb(item) if item else None


def update_item(
    dynamodb: Any,
    table: str,
    dataset: str,
    file_audit_id: str,
    values: dict[str, Any],
    *,
    remove: tuple[str, ...] = (),
    condition: str | None = None,
    condition_values: dict[str, Any] | None = None,
) -> None:
    """SET ``values`` (and ``updated_at``), REMOVE ``remove`` on the file's item, which must exist
    (plus ``condition``, whose ``:c_*`` placeholders come from ``condition_values``)."""
    values = {**values, "updated_at": utc_now()}
    names = {f"#a{number}": name for number, name in enumerate(values)}
    placeholders = {f":v{number}": value for number, value in enumerate(values.values())}
    expression = "SET " + ", ".join(f"#a{number} = :v{number}" for number in range(len(values)))
    if remove:
        names.update({f"#r{number}": name for number, name in enumerate(remove)})
        expression += " REMOVE " + ", ".join(f"#r{number}" for number in range(len(remove)))
    checks = "attribute_exists(run_id)" + (f" AND ({condition})" if condition else "")
    if condition and "#state" in condition:
        names["#state"] = "state"
    dynamodb.update_item(
        TableName=table,
        Key=item_key(dataset, file_audit_id),
        UpdateExpression=expression,
        ConditionExpression=checks,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=to_dynamodb({**placeholders, **(condition_values or {})}),
    )
