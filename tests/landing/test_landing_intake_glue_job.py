"""The large-file path: jobs/landing_file_to_bronze.py run as Glue runs it (local.emulator.run_glue_job),
with landing_load from its --extra-py-files zip of functions/landing_intake/src (issue 19)."""

from __future__ import annotations

import ast
import io
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.emulator import run_glue_job

from .landing_intake_env import (
    ARTIFACTS,
    AUDIT_TABLE,
    BRONZE,
    BRONZE_DATABASE,
    RAW,
    RUN,
    LandingAws,
    landing_aws,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE = REPO_ROOT / "functions" / "landing_intake" / "src"
SCRIPT = REPO_ROOT / "jobs" / "landing_file_to_bronze.py"
ZIP_URI = f"s3://{ARTIFACTS}/jobs/landing_intake.zip"
SCRIPT_URI = f"s3://{ARTIFACTS}/jobs/landing_file_to_bronze.py"


def source_zip() -> bytes:
    """What Terraform uploads as jobs/landing_intake.zip: the function's modules at the zip's root."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for path in sorted(SOURCE.glob("*.py")):
            archive.write(path, path.name)
    return sink.getvalue()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LandingAws]:
    with landing_aws(monkeypatch) as env:
        env.put("jobs/landing_file_to_bronze.py", SCRIPT.read_bytes(), bucket=ARTIFACTS)
        env.put("jobs/landing_intake.zip", source_zip(), bucket=ARTIFACTS)
        yield env


def job_arguments(file: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "--file": json.dumps(file, ensure_ascii=False),
        "--run_id": RUN,
        "--raw_bucket": RAW,
        "--bronze_bucket": BRONZE,
        "--bronze_database": BRONZE_DATABASE,
        "--audit_table": AUDIT_TABLE,
        "--contracts_bucket": ARTIFACTS,
        "--contracts_prefix": "datasets/",
        "--csv_delimiter": ",",
        "--extra-py-files": ZIP_URI,
        **extra,
    }


def planned_file(aws: LandingAws, key: str, body: bytes) -> dict[str, Any]:
    aws.land(key, body)
    return aws.plan()["datasets"][0]["files"][0]


def test_the_glue_job_loads_a_file_and_records_its_outcome(aws: LandingAws) -> None:
    file = planned_file(aws, "landing/orders/Große Datei.csv", "id,name\n1,Zoë\n2,b\n".encode())

    run_glue_job(aws.s3, "landing_file_to_bronze", SCRIPT_URI, job_arguments(file))

    item = aws.item("orders", file["audit_id"])
    assert item is not None
    assert (item["state"], item["path"], item["rows"], item["processed_by"]) == ("BRONZE", "glue", 2, RUN)
    assert aws.parquet(item["bronze_key"]).select(["id", "name"]).to_pylist() == [
        {"id": 1, "name": "Zoë"},
        {"id": 2, "name": "b"},
    ]
    assert aws.table("orders")["Parameters"]["source"] == "landing"
    outcome = aws.handler({"action": "file_outcome", "run_id": RUN, "file": file})
    assert outcome["state"] == "BRONZE" and outcome["path"] == "glue" and outcome["rows"] == 2


def test_the_glue_job_records_an_invalid_file_without_failing(aws: LandingAws) -> None:
    file = planned_file(aws, "landing/orders/orders.csv", b"id,name\n1,a,extra\n")

    run_glue_job(aws.s3, "landing_file_to_bronze", SCRIPT_URI, job_arguments(file))

    outcome = aws.handler({"action": "file_outcome", "run_id": RUN, "file": file})
    assert outcome["state"] == "INVALID" and "'orders.csv': a row has 3 fields" in outcome["reason"]
    assert f"failed/orders/{RUN}/orders.csv" in aws.keys(RAW)
    assert aws.keys(BRONZE) == []


def test_a_bad_argument_fails_the_job_naming_it(aws: LandingAws) -> None:
    file = planned_file(aws, "landing/orders/orders.csv", b"id\n1\n")

    with pytest.raises(ValueError, match="--file: not JSON"):
        run_glue_job(aws.s3, "landing_file_to_bronze", SCRIPT_URI, {**job_arguments(file), "--file": "{"})
    assert aws.item("orders", file["audit_id"])["state"] == "LOADING"


def test_extra_py_files_are_imported_from_the_zip_and_removed_after(aws: LandingAws, tmp_path: Path) -> None:
    """The script imports the zip's copy of a module the process already imported (a fresh Glue
    process has only the zip); afterwards sys.path and sys.modules are as before."""
    import landing_load  # the Lambda's copy (functions/landing_intake/src)

    probe = (
        b"import sys, landing_load\n"
        b"open(sys.argv[sys.argv.index('--out') + 1], 'w').write(landing_load.__file__)\n"
    )
    aws.put("jobs/probe.py", probe, bucket=ARTIFACTS)
    path_before = list(sys.path)
    out = tmp_path / "imported_from.txt"

    run_glue_job(
        aws.s3, "probe", f"s3://{ARTIFACTS}/jobs/probe.py", {"--extra-py-files": ZIP_URI, "--out": str(out)}
    )

    assert out.read_text().endswith("landing_intake.zip/landing_load.py")
    assert sys.path == path_before
    assert sys.modules["landing_load"] is landing_load


@pytest.mark.parametrize(
    ("uris", "message"),
    [
        (f"s3://{ARTIFACTS}/jobs/landing_intake.tar.gz", "is neither a .zip nor a .py object"),
        ("/tmp/landing_intake.zip", "is not an s3://bucket/key URI"),
    ],
)
def test_a_bad_extra_py_file_is_named(aws: LandingAws, uris: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"--extra-py-files: .*{message}"):
        run_glue_job(aws.s3, "landing_file_to_bronze", SCRIPT_URI, {"--extra-py-files": uris})


def imported_names(module: str) -> set[str]:
    """Top-level names ``functions/landing_intake/src/<module>.py`` imports."""
    names = set()
    for node in ast.walk(ast.parse((SOURCE / f"{module}.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
    return names


def local_imports(module: str) -> set[str]:
    """``module`` and the modules of functions/landing_intake/src it imports, transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name not in seen and (SOURCE / f"{name}.py").is_file():
            seen.add(name)
            todo += sorted(imported_names(name))
    return seen


def test_the_code_the_glue_job_runs_does_not_import_the_lambda_layer() -> None:
    """The job gets only the zip of functions/landing_intake/src, not the lakehouse_common layer."""
    modules = local_imports("landing_load")
    assert {"landing_load", "landing_files", "landing_contracts", "landing_audit"} <= modules
    assert "lambda_function" not in modules
    assert {module: sorted(imported_names(module) & {"lakehouse_common"}) for module in sorted(modules)} == {
        module: [] for module in sorted(modules)
    }
