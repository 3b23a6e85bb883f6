"""Registration: an S3 ``Object Created`` event (EventBridge) for ``landing/<dataset>/<file>`` in
the raw bucket -> one audit item in state NEW.

- A key ending in ``/`` (a console "folder") is ignored silently.
- A key outside a dataset folder, a bad dataset name, or a dataset name taken by a bronze table of
  another source is refused: no item, one alert, ``{"registered": false, "reason": ...}``.
- The item's range key is ``file#<etag>``: the same content in one dataset is registered once
  (conditional put). A redelivered event (same event id) changes nothing; another upload of the
  same content is appended to the item's ``duplicate_uploads`` and alerted once.

Nothing here raises for a bad key or a duplicate: EventBridge would retry, and the answer would not
change. AWS errors do raise (EventBridge retries, then the dead-letter queue keeps the event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError
from landing_audit import NEW, SOURCE, audit_id, get_item, to_dynamodb, utc_now
from landing_files import InvalidFile, landing_dataset
from landing_load import bronze_table, table_source

logger = logging.getLogger("landing_intake")

Alert = Callable[[str, str], None]  # (subject, message)


@dataclass(frozen=True)
class RegistrationSettings:
    raw_bucket: str
    bronze_database: str
    audit_table: str


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str
    event_id: str
    time: str


def object_created(event: dict[str, Any]) -> ObjectCreated:
    """The fields of an EventBridge ``Object Created`` event; a malformed event raises ValueError."""
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise ValueError(f"not an S3 Object Created event (no detail): {event!r}")
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key")
    if not bucket or not key:
        raise ValueError(f"S3 event without detail.bucket.name or detail.object.key: {detail!r}")
    return ObjectCreated(
        str(bucket), str(key), str(event.get("id") or ""), iso_utc(str(event.get("time") or ""))
    )


def iso_utc(time: str) -> str:
    """EventBridge's ``time`` (``2026-12-07T10:00:00Z``) as ISO-8601 UTC ending in ``Z``; now if absent."""
    return time if time.endswith("Z") else (time.replace("+00:00", "Z") if time else utc_now())


def head(s3: Any, bucket: str, key: str) -> tuple[str, dict[str, Any]] | None:
    """The key as stored and its HeadObject; S3 events may URL-encode keys (``a+b%C3%A9.csv``), so
    a key that is not found is tried decoded. None when neither exists."""
    candidates = [key] + ([unquote_plus(key)] if unquote_plus(key) != key else [])
    for candidate in candidates:
        try:
            return candidate, s3.head_object(Bucket=bucket, Key=candidate)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) not in ("404", "NoSuchKey", "NotFound"):
                raise
    return None


def refused(key: str, reason: str, alert: Alert) -> dict[str, Any]:
    logger.warning("landing file refused", extra={"key": key, "reason": reason})
    alert(
        "Landing zone: a file was not registered",
        f"{key} was not registered: {reason}\n\nFiles go to landing/<dataset>/<file> in the raw bucket; "
        "dataset names are lower-case letters, digits and _.",
    )
    return {"registered": False, "key": key, "reason": reason}


def register(
    s3: Any, glue: Any, dynamodb: Any, settings: RegistrationSettings, event: dict[str, Any], alert: Alert
) -> dict[str, Any]:
    """Register the created object (see the module's docstring)."""
    created = object_created(event)
    if created.key.endswith("/"):
        logger.info("folder marker ignored", extra={"key": created.key})
        return {"registered": False, "key": created.key, "reason": "a folder marker (key ending in /)"}
    found = head(s3, created.bucket, created.key)
    if found is None:
        return refused(
            created.key, f"it is gone from s3://{created.bucket}/ (deleted before registration)", alert
        )
    key, metadata = found
    try:
        dataset, file_name = landing_dataset(key)
    except InvalidFile as invalid:
        return refused(key, invalid.reason, alert)
    table = bronze_table(glue, settings.bronze_database, dataset)
    if table is not None and table_source(table) != SOURCE:
        return refused(
            key,
            f"the dataset name {dataset!r} is taken by the bronze table {settings.bronze_database}.{dataset} "
            f"of source {table_source(table) or '(none)'!r}: use another folder name",
            alert,
        )
    etag = str(metadata["ETag"]).strip('"')
    item = {
        "dataset": dataset,
        "run_id": audit_id(etag),
        "source": SOURCE,
        "key": key,
        "file_name": file_name,
        "size": int(metadata.get("ContentLength", 0)),
        "etag": etag,
        "arrived_at": created.time,
        "registered_at": utc_now(),
        "event_id": created.event_id,
        "state": NEW,
    }
    try:
        dynamodb.put_item(
            TableName=settings.audit_table,
            Item=to_dynamodb(item),
            ConditionExpression="attribute_not_exists(run_id)",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return duplicate(dynamodb, settings, item, alert)
    logger.info("landing file registered", extra={"dataset": dataset, "key": key, "audit_id": item["run_id"]})
    return {"registered": True, "dataset": dataset, "key": key, "audit_id": item["run_id"], "state": NEW}


def duplicate(
    dynamodb: Any, settings: RegistrationSettings, item: dict[str, Any], alert: Alert
) -> dict[str, Any]:
    """The same content is already registered: a redelivery changes nothing, another upload is noted
    on the existing item and alerted once."""
    existing = get_item(dynamodb, settings.audit_table, item["dataset"], item["run_id"]) or {}
    uploads = existing.get("duplicate_uploads") or []
    result = {"registered": False, "dataset": item["dataset"], "key": item["key"], "audit_id": item["run_id"]}
    if existing.get("event_id") == item["event_id"] or any(
        upload.get("event_id") == item["event_id"] for upload in uploads
    ):
        logger.info("event redelivered", extra={"key": item["key"], "event_id": item["event_id"]})
        return {**result, "reason": "event already registered (redelivery)"}
    upload = {"key": item["key"], "event_id": item["event_id"], "at": item["arrived_at"]}
    dynamodb.update_item(
        TableName=settings.audit_table,
        Key={"dataset": {"S": item["dataset"]}, "run_id": {"S": item["run_id"]}},
        UpdateExpression="SET duplicate_uploads = "
        "list_append(if_not_exists(duplicate_uploads, :none), :upload), updated_at = :now",
        ExpressionAttributeValues=to_dynamodb({":none": [], ":upload": [upload], ":now": utc_now()}),
    )
    reason = (
        f"{item['key']} has the same content as {existing.get('key')}, "
        f"registered {existing.get('registered_at')}, state {existing.get('state')}: not registered again"
    )
    logger.warning("duplicate upload", extra={"key": item["key"], "existing_key": existing.get("key")})
    alert("Landing zone: a file was uploaded twice", reason)
    return {**result, "reason": reason}
