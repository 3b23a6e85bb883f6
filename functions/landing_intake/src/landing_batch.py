"""The landing run's bookkeeping actions: ``plan`` (claim NEW files, group them by dataset),
``file_outcome`` (what the Glue large-file job recorded), ``summarize`` (the bronze outcomes of
every dataset) and ``record_silver`` (the silver job's result onto each file's audit item)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError
from landing_audit import (
    BRONZE,
    FAILED,
    LOADING,
    NEW,
    QUARANTINED,
    SILVER,
    from_dynamodb,
    get_item,
    update_item,
)
from landing_load import recorded_outcome

logger = logging.getLogger("landing_intake")

RESULT_KEY = "_runs/landing/{run_id}/result.json"


class OutcomeMissing(RuntimeError):
    """The Glue job did not record the file's outcome (its audit item is still LOADING, or gone)."""


# --------------------------------------------------------------------------- plan


def claim(dynamodb: Any, table: str, item: dict[str, Any], run_id: str) -> bool:
    """NEW -> LOADING for this run; False when another run claimed the file first."""
    try:
        update_item(
            dynamodb,
            table,
            item["dataset"],
            item["run_id"],
            {"state": LOADING, "processed_by": run_id},
            condition="#state = :c_new",
            condition_values={":c_new": NEW},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            logger.info(
                "claim lost", extra={"dataset": item["dataset"], "key": item.get("key"), "run_id": run_id}
            )
            return False
        raise
    return True


def as_file(item: dict[str, Any]) -> dict[str, Any]:
    """An audit item -> the File the state machine hands to load_file."""
    return {
        "dataset": item["dataset"],
        "key": item["key"],
        "file_name": item["file_name"],
        "size": int(item.get("size", 0)),
        "etag": item["etag"],
        "audit_id": item["run_id"],
        "arrived_at": item["arrived_at"],
    }


def plan(dynamodb: Any, table: str, run_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Claim each item (DynamoDB JSON, as the state index's Query returns it) and group the claimed
    files by dataset, in order of arrival (datasets in the order of their first file)."""
    plain = sorted(
        (from_dynamodb(item) for item in items), key=lambda item: (item["arrived_at"], item["key"])
    )
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in plain:
        if item.get("state") != NEW or not claim(dynamodb, table, item, run_id):
            continue
        groups.setdefault(item["dataset"], []).append(as_file(item))
    files = sum(len(group) for group in groups.values())
    logger.info("run planned", extra={"run_id": run_id, "files": files, "datasets": list(groups)})
    return {
        "run_id": run_id,
        "files": files,
        "datasets": [{"dataset": dataset, "files": group} for dataset, group in groups.items()],
    }


# --------------------------------------------------------------------------- file_outcome


def file_outcome(dynamodb: Any, table: str, file: dict[str, Any]) -> dict[str, Any]:
    """The Outcome the Glue job recorded on the file's audit item."""
    item = get_item(dynamodb, table, file["dataset"], file["audit_id"])
    if item is None:
        raise OutcomeMissing(f"{file['key']}: no audit item {file['dataset']}/{file['audit_id']}")
    if item.get("state") in (None, NEW, LOADING):
        raise OutcomeMissing(
            f"{file['key']}: the large-file job did not record an outcome "
            f"(audit item still {item.get('state')})"
        )
    return recorded_outcome(item, "glue")


# --------------------------------------------------------------------------- summarize


def problem(outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "dataset": outcome["dataset"],
        "key": outcome["key"],
        "state": outcome["state"],
        "reason": outcome.get("reason", ""),
    }


def summarize(outcomes: list[Any]) -> dict[str, Any]:
    """One list of Outcomes per dataset (as a Map returns them) -> what silver publishes and what
    went wrong."""
    flat = [outcome for group in outcomes for outcome in (group if isinstance(group, list) else [group])]
    bronze = [outcome for outcome in flat if outcome.get("state") == BRONZE]
    return {
        "datasets_to_publish": list(dict.fromkeys(outcome["dataset"] for outcome in bronze)),
        "bronze_files": bronze,
        "problems": [problem(outcome) for outcome in flat if outcome.get("state") != BRONZE],
        "counts": dict(Counter(outcome.get("state", "UNKNOWN") for outcome in flat)),
    }


# --------------------------------------------------------------------------- record_silver


def read_result(s3: Any, bucket: str, run_id: str) -> dict[str, Any] | None:
    key = RESULT_KEY.format(run_id=run_id)
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def silver_state(
    dataset: str, result: dict[str, Any] | None, job_error: dict[str, Any] | None, run_id: str
) -> tuple[str, str]:
    """(state, reason) of a BRONZE file of ``dataset`` after the silver job."""
    if job_error:
        return FAILED, f"the silver job failed: {job_error.get('Error', '')}: {job_error.get('Cause', '')}"[
            :2000
        ]
    if result is None:
        return FAILED, f"the silver job wrote no {RESULT_KEY.format(run_id=run_id)}"
    entry = (result.get("datasets") or {}).get(dataset)
    if not isinstance(entry, dict):
        return FAILED, f"dataset {dataset!r} is missing from the silver job's result"
    if entry.get("state") == SILVER:
        return SILVER, ""
    if entry.get("state") == QUARANTINED:
        return QUARANTINED, str(entry.get("reason") or "quarantined by the silver job")
    return FAILED, f"the silver job's result says {entry.get('state')!r} for dataset {dataset!r}"


def record_silver(
    s3: Any,
    dynamodb: Any,
    silver_bucket: str,
    table: str,
    run_id: str,
    bronze_files: list[dict[str, Any]],
    job_error: dict[str, Any] | None,
) -> dict[str, Any]:
    """Each BRONZE file of the run becomes SILVER, QUARANTINED or FAILED."""
    result = None if job_error else read_result(s3, silver_bucket, run_id)
    published: list[str] = []
    problems = []
    for file in bronze_files:
        state, reason = silver_state(file["dataset"], result, job_error, run_id)
        values: dict[str, Any] = {"state": state}
        if reason:
            values["reason"] = reason
        update_item(dynamodb, table, file["dataset"], file["audit_id"], values)
        if state == SILVER:
            if file["dataset"] not in published:
                published.append(file["dataset"])
        else:
            problems.append(
                {"dataset": file["dataset"], "key": file["key"], "state": state, "reason": reason}
            )
    logger.info(
        "silver recorded", extra={"run_id": run_id, "published": published, "problems": len(problems)}
    )
    return {"published": published, "problems": problems}
