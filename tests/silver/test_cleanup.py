"""Clean-up of superseded run folders when S3 refuses to delete some objects (issue 15 item 4).

DeleteObjects answers HTTP 200 and lists the objects it could not delete in ``Errors``. The job reads
them: it logs each key with S3's code and message at ERROR, keeps reporting the table as published
(the switch already happened), records the failures in the dataset's ``cleanup_errors`` in
result.json, keeps the folder it could not empty (in the local mirror too) and ends with an ERROR
line naming the tables whose clean-up failed. The next publish of the table tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.silver.moto_env import mocked_aws
from tests.silver.test_quality_gate import (
    BRONZE,
    DATABASE,
    REGION,
    SILVER,
    arguments,
    site_records,
    write_bronze,
)

DENIED = {"Code": "AccessDenied", "Message": "Access Denied"}


class RefusingDeletes:
    """An S3 client whose DeleteObjects refuses every key under `refused` (reported in Errors, as S3
    does per object), and deletes the others."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.refused: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def delete_objects(self, Bucket: str, Delete: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's
        refused = [o for o in Delete["Objects"] if self.refused and o["Key"].startswith(self.refused)]
        allowed = [o for o in Delete["Objects"] if o not in refused]
        response: dict[str, Any] = {}
        if allowed:
            response = self._s3.delete_objects(Bucket=Bucket, Delete={**Delete, "Objects": allowed})
        errors = list(response.get("Errors", [])) + [{"Key": o["Key"], **DENIED} for o in refused]
        return {**response, "Errors": errors} if errors else response


@pytest.fixture
def lake(job: ModuleType, tmp_path: Path) -> Iterator[tuple[Path, Any, Any]]:
    with mocked_aws(REGION):
        s3, glue = boto3.client("s3", region_name=REGION), boto3.client("glue", region_name=REGION)
        for bucket in (BRONZE, SILVER):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        glue.create_database(DatabaseInput={"Name": DATABASE})
        yield tmp_path, s3, glue


def _mirror_to_s3(root: Path, s3: Any) -> None:
    """What the emulator does after a run: the local mirror's objects go to S3 (the job lists and
    deletes there)."""
    base = root / SILVER
    for path in base.rglob("*"):
        if path.is_file():
            s3.put_object(Bucket=SILVER, Key=path.relative_to(base).as_posix(), Body=path.read_bytes())


def test_objects_s3_refuses_to_delete_are_logged_reported_and_kept(
    job: ModuleType, lake: tuple[Path, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    root, s3, glue = lake
    refusing = RefusingDeletes(s3)
    write_bronze(root, site_records())

    def publish(run_id: str) -> dict[str, Any]:
        result = job.main(arguments(root, run_id, ("categories",)), s3=refusing, glue=glue)
        _mirror_to_s3(root, s3)
        return result

    publish("run-a")
    publish("run-b")
    prefix = "wordpress_api/categories/"
    stuck = s3.list_objects_v2(Bucket=SILVER, Prefix=f"{prefix}run_id=run-a/")["Contents"]
    refusing.refused = f"{prefix}run_id=run-a/"

    with caplog.at_level(logging.INFO):
        result = publish("run-c")

    [dataset] = result["datasets"]
    # the switch happened: the table is published and reported so
    assert result["published"] == ["categories"] and dataset["state"] == "SILVER"
    table = glue.get_table(DatabaseName=DATABASE, Name="categories")["Table"]
    assert table["StorageDescriptor"]["Location"].endswith(f"/{prefix}run_id=run-c/")
    # every object S3 refused, with S3's code and message, in the result and in the log
    assert sorted(e["key"] for e in dataset["cleanup_errors"]) == sorted(o["Key"] for o in stuck)
    assert {(e["code"], e["message"]) for e in dataset["cleanup_errors"]} == {
        ("AccessDenied", "Access Denied")
    }
    assert dataset["removed_run_folders"] == []
    written = s3.get_object(Bucket=SILVER, Key="_runs/wordpress_api/run-c/result.json")["Body"].read()
    assert b'"cleanup_errors"' in written and stuck[0]["Key"].encode() in written
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    for item in stuck:
        assert any(item["Key"] in r.getMessage() and "AccessDenied" in r.getMessage() for r in errors), item
    assert any("clean-up FAILED for ['categories']" in r.getMessage() for r in errors)
    # the folder it could not empty stays, in S3 and in the local mirror, for the next publish
    assert (root / SILVER / prefix / "run_id=run-a").is_dir()
    assert s3.list_objects_v2(Bucket=SILVER, Prefix=f"{prefix}run_id=run-a/")["KeyCount"] == len(stuck)

    refusing.refused = None
    caplog.clear()
    retried = publish("run-d")
    assert retried["datasets"][0]["cleanup_errors"] == []
    assert retried["datasets"][0]["removed_run_folders"] == ["run_id=run-a", "run_id=run-b"]
    assert not [r for r in caplog.records if r.levelno == logging.ERROR]
