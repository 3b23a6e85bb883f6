"""landing_intake, the run's bookkeeping actions: plan, file_outcome, summarize, record_silver and
report (issue 19)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .landing_intake_env import AUDIT_TABLE, RUN, SILVER, LandingAws, landing_aws


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LandingAws]:
    with landing_aws(monkeypatch) as env:
        yield env


# --------------------------------------------------------------------------- plan


def test_plan_claims_new_files_and_groups_them_by_dataset_in_arrival_order(aws: LandingAws) -> None:
    aws.land("landing/orders/b.csv", b"id\n2\n", time="2026-12-07T09:02:00Z")
    aws.land("landing/customers/c.csv", b"id\n3\n", time="2026-12-07T09:01:00Z")
    aws.land("landing/orders/a.csv", b"id\n1\n", time="2026-12-07T09:00:00Z")

    planned = aws.plan()

    assert planned["run_id"] == RUN and planned["files"] == 3
    assert [
        (group["dataset"], [file["file_name"] for file in group["files"]]) for group in planned["datasets"]
    ] == [
        ("orders", ["a.csv", "b.csv"]),
        ("customers", ["c.csv"]),
    ]
    first = planned["datasets"][0]["files"][0]
    etag = aws.s3.head_object(Bucket="test-landing-raw", Key="landing/orders/a.csv")["ETag"].strip('"')
    assert first == {
        "dataset": "orders",
        "key": "landing/orders/a.csv",
        "file_name": "a.csv",
        "size": 5,
        "etag": etag,
        "audit_id": f"file#{etag}",
        "arrived_at": "2026-12-07T09:00:00Z",
    }
    assert {(item["state"], item["processed_by"]) for item in aws.items()} == {("LOADING", RUN)}
    assert aws.new_items() == [], "claimed files leave the NEW partition of the state index"


def test_a_claim_lost_to_another_run_is_skipped(aws: LandingAws) -> None:
    aws.land("landing/orders/a.csv", b"id\n1\n", time="2026-12-07T09:00:00Z")
    aws.land("landing/orders/b.csv", b"id\n2\n", time="2026-12-07T09:01:00Z")
    items = aws.new_items()
    other = aws.handler({"action": "plan", "run_id": "other-run", "items": items[:1]})

    planned = aws.handler({"action": "plan", "run_id": RUN, "items": items})

    assert other["files"] == 1
    assert planned["files"] == 1
    claimed = planned["datasets"][0]["files"][0]["key"]
    assert claimed != other["datasets"][0]["files"][0]["key"]
    owners = {item["key"]: item["processed_by"] for item in aws.items()}
    assert owners[claimed] == RUN and sorted(owners.values()) == sorted([RUN, "other-run"])


def test_plan_with_no_items_plans_nothing(aws: LandingAws) -> None:
    assert aws.handler({"action": "plan", "run_id": RUN, "items": []}) == {
        "run_id": RUN,
        "files": 0,
        "datasets": [],
    }


def test_an_unknown_action_or_a_bad_run_id_is_named(aws: LandingAws) -> None:
    with pytest.raises(ValueError, match="action: 'publish' is not one of"):
        aws.handler({"action": "publish", "run_id": RUN})
    with pytest.raises(ValueError, match="run_id: missing or not a run id"):
        aws.handler({"action": "plan", "run_id": "a/b", "items": []})


# --------------------------------------------------------------------------- file_outcome


def test_file_outcome_reads_what_the_glue_job_recorded(aws: LandingAws) -> None:
    aws.land("landing/orders/a.csv", b"id\n1\n")
    file = aws.plan()["datasets"][0]["files"][0]
    function = aws.function_module("landing_load")
    settings = function.LoadSettings(
        "test-landing-raw", "test-landing-bronze", "test_lakehouse_bronze", AUDIT_TABLE, ""
    )
    function.load_file(aws.s3, aws.glue, aws.dynamodb, settings, file, RUN, "glue")

    outcome = aws.handler({"action": "file_outcome", "run_id": RUN, "file": file})

    assert outcome == {
        "dataset": "orders",
        "key": "landing/orders/a.csv",
        "file_name": "a.csv",
        "audit_id": file["audit_id"],
        "state": "BRONZE",
        "rows": 1,
        "columns_added": ["id"],
        "path": "glue",
    }


def test_file_outcome_of_a_file_still_loading_raises(aws: LandingAws) -> None:
    aws.land("landing/orders/a.csv", b"id\n1\n")
    file = aws.plan()["datasets"][0]["files"][0]

    with pytest.raises(RuntimeError, match="did not record an outcome"):
        aws.handler({"action": "file_outcome", "run_id": RUN, "file": file})


# --------------------------------------------------------------------------- summarize


def outcome(dataset: str, name: str, state: str, reason: str = "") -> dict[str, Any]:
    result = {
        "dataset": dataset,
        "key": f"landing/{dataset}/{name}",
        "file_name": name,
        "audit_id": f"file#{dataset}{name}",
        "state": state,
        "rows": 1 if state == "BRONZE" else 0,
        "columns_added": [],
        "path": "lambda",
    }
    if reason:
        result["reason"] = reason
    return result


def test_summarize_lists_what_to_publish_and_every_problem(aws: LandingAws) -> None:
    outcomes = [
        [outcome("orders", "a.csv", "BRONZE"), outcome("orders", "b.csv", "INVALID", "'b.csv' is empty")],
        [outcome("customers", "c.csv", "SUPERSEDED", "replaced")],
        [outcome("items", "d.csv", "BRONZE")],
    ]

    summary = aws.handler({"action": "summarize", "run_id": RUN, "outcomes": outcomes})

    assert summary == {
        "datasets_to_publish": ["orders", "items"],
        "bronze_files": [outcomes[0][0], outcomes[2][0]],
        "problems": [
            {
                "dataset": "orders",
                "key": "landing/orders/b.csv",
                "state": "INVALID",
                "reason": "'b.csv' is empty",
            },
            {
                "dataset": "customers",
                "key": "landing/customers/c.csv",
                "state": "SUPERSEDED",
                "reason": "replaced",
            },
        ],
        "counts": {"BRONZE": 2, "INVALID": 1, "SUPERSEDED": 1},
    }


# --------------------------------------------------------------------------- record_silver


def loaded(aws: LandingAws, *keys: str) -> list[dict[str, Any]]:
    """Land and load ``keys`` (one row each); their Outcomes."""
    for number, key in enumerate(keys):
        aws.land(key, f"id\n{number}\n".encode(), time=f"2026-12-07T09:0{number}:00Z")
    planned = aws.plan()
    return [aws.load(file) for group in planned["datasets"] for file in group["files"]]


def put_result(aws: LandingAws, datasets: dict[str, Any]) -> None:
    body = json.dumps({"run_id": RUN, "datasets": datasets}).encode()
    aws.put(f"_runs/landing/{RUN}/result.json", body, bucket=SILVER)


def test_record_silver_marks_each_bronze_file_by_its_datasets_result(aws: LandingAws) -> None:
    bronze = loaded(
        aws, "landing/orders/a.csv", "landing/orders/b.csv", "landing/customers/c.csv", "landing/items/d.csv"
    )
    put_result(
        aws,
        {
            "orders": {
                "state": "SILVER",
                "rows": 2,
                "bronze_rows": 2,
                "duplicates_removed": 0,
                "location": "s3://x/",
            },
            "customers": {"state": "QUARANTINED", "reason": "key 'id' is not unique within c.csv", "rows": 0},
        },
    )

    result = aws.handler(
        {
            "action": "record_silver",
            "run_id": RUN,
            "datasets": ["orders", "customers", "items"],
            "bronze_files": bronze,
        }
    )

    assert result == {
        "published": ["orders"],
        "problems": [
            {
                "dataset": "customers",
                "key": "landing/customers/c.csv",
                "state": "QUARANTINED",
                "reason": "key 'id' is not unique within c.csv",
            },
            {
                "dataset": "items",
                "key": "landing/items/d.csv",
                "state": "FAILED",
                "reason": "dataset 'items' is missing from the silver job's result",
            },
        ],
    }
    states = {item["key"]: (item["state"], item.get("reason")) for item in aws.items()}
    assert states == {
        "landing/orders/a.csv": ("SILVER", None),
        "landing/orders/b.csv": ("SILVER", None),
        "landing/customers/c.csv": ("QUARANTINED", "key 'id' is not unique within c.csv"),
        "landing/items/d.csv": ("FAILED", "dataset 'items' is missing from the silver job's result"),
    }


def test_record_silver_after_the_job_failed_marks_every_file_failed(aws: LandingAws) -> None:
    bronze = loaded(aws, "landing/orders/a.csv")

    result = aws.handler(
        {
            "action": "record_silver",
            "run_id": RUN,
            "datasets": ["orders"],
            "bronze_files": bronze,
            "job_error": {"Error": "States.TaskFailed", "Cause": "JobRun FAILED"},
        }
    )

    reason = "the silver job failed: States.TaskFailed: JobRun FAILED"
    assert result == {
        "published": [],
        "problems": [
            {"dataset": "orders", "key": "landing/orders/a.csv", "state": "FAILED", "reason": reason}
        ],
    }
    assert [(item["state"], item["reason"]) for item in aws.items()] == [("FAILED", reason)]


# --------------------------------------------------------------------------- report


def test_report_is_one_message_naming_every_file_grouped_by_dataset(aws: LandingAws) -> None:
    problems = [
        {
            "dataset": "orders",
            "key": "landing/orders/b.csv",
            "state": "INVALID",
            "reason": "'b.csv' is empty (0 bytes)",
        },
        {
            "dataset": "customers",
            "key": "landing/customers/c.csv",
            "state": "QUARANTINED",
            "reason": "key not unique",
        },
        {"dataset": "orders", "key": "landing/orders/März.csv", "state": "SUPERSEDED", "reason": "replaced"},
    ]

    result = aws.handler({"action": "report", "run_id": RUN, "problems": problems})

    assert result["problem_count"] == 3
    assert result["subject"] == f"Landing run {RUN}: 3 file(s) with problems"
    assert len(result["subject"]) <= 100
    message = result["message"]
    assert message.index("Dataset orders:") < message.index(
        "- landing/orders/b.csv: INVALID: 'b.csv' is empty (0 bytes)"
    )
    assert message.index("- landing/orders/März.csv: SUPERSEDED: replaced") < message.index(
        "Dataset customers:"
    )
    assert "- landing/customers/c.csv: QUARANTINED: key not unique" in message


def test_a_long_run_id_keeps_the_subject_within_snss_limit(aws: LandingAws) -> None:
    result = aws.handler({"action": "report", "run_id": "r" * 128, "problems": []})

    assert result["problem_count"] == 0 and len(result["subject"]) == 100
