"""The local lakehouse kept between `make run-local` runs (local/lakehouse_state.py, --fresh):
saved after a run, loaded into the next run's emulator, refused when saved by another format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from local import run_pipeline
from local.emulator import aws_emulator
from local.lakehouse_state import STATE_FORMAT, StateError, load_state, read_state, save_state
from local.sample_wordpress import SampleWordPress
from tests.pipeline.test_local_run import SECOND_RUN_MARKER, readme_sample, section_rows, shape, summary_rows

MARKER_KEY = "wordpress_api/posts/from-the-previous-run.json"
MARKER_ITEM = {"run_id": {"S": "previous-run"}, "dataset": {"S": "posts"}, "state": {"S": "SILVER"}}


def deployed(emulator: run_pipeline.Emulator) -> run_pipeline.Deployment:
    deployment = run_pipeline.read_deployment(emulator.account_id, emulator.region)
    run_pipeline.deploy(emulator, deployment, ["http://127.0.0.1:9/wp-json/wp/v2/posts"])
    return deployment


def key_attributes(emulator: run_pipeline.Emulator, table: str) -> dict[str, dict[str, str]]:
    schema = emulator.client("dynamodb").describe_table(TableName=table)["Table"]["KeySchema"]
    return {
        key["AttributeName"]: MARKER_ITEM.get(key["AttributeName"], {"S": "previous-run"}) for key in schema
    }


def save_a_lakehouse(directory: Path) -> None:
    """A saved state holding one raw object, one audit item and one bronze Glue table."""
    with aws_emulator() as emulator:
        deployment = deployed(emulator)
        emulator.client("s3").put_object(Bucket=deployment.raw_bucket, Key=MARKER_KEY, Body=b'[{"id": 1}]')
        emulator.client("s3").put_object(Bucket=deployment.raw_bucket, Key="folder/", Body=b"")
        item = {**MARKER_ITEM, **key_attributes(emulator, deployment.audit_table), "blob": {"B": b"\x00\xff"}}
        emulator.client("dynamodb").put_item(TableName=deployment.audit_table, Item=item)
        emulator.client("glue").create_table(
            DatabaseName=deployment.glue_database,
            TableInput={"Name": "posts", "PartitionKeys": [{"Name": "year", "Type": "string"}]},
        )
        emulator.client("glue").create_partition(
            DatabaseName=deployment.glue_database,
            TableName="posts",
            PartitionInput={"Values": ["2024"], "StorageDescriptor": {"Location": "s3://x/year=2024/"}},
        )
        save_state(emulator, directory, {deployment.artifacts_bucket}, {"note": "kept"})


def test_a_saved_lakehouse_loads_into_a_fresh_emulator(tmp_path: Path) -> None:
    save_a_lakehouse(tmp_path / "state")
    manifest = json.loads((tmp_path / "state" / "state.json").read_text())
    assert manifest["format"] == STATE_FORMAT
    assert not any(entry["bucket"].startswith("data-lakehouse-artifacts") for entry in manifest["objects"])

    saved = read_state(tmp_path / "state")
    assert saved is not None and saved.extra == {"note": "kept"}
    with aws_emulator() as emulator:
        deployment = deployed(emulator)
        counts = load_state(emulator, saved)
        body = emulator.client("s3").get_object(Bucket=deployment.raw_bucket, Key=MARKER_KEY)["Body"].read()
        items = emulator.client("dynamodb").scan(TableName=deployment.audit_table)["Items"]
        glue = emulator.client("glue")
        partitions = glue.get_partitions(DatabaseName=deployment.glue_database, TableName="posts")[
            "Partitions"
        ]
        folder = emulator.client("s3").head_object(Bucket=deployment.raw_bucket, Key="folder/")

    assert body == b'[{"id": 1}]' and folder["ContentLength"] == 0
    assert [item["blob"]["B"] for item in items] == [b"\x00\xff"]
    assert [partition["Values"] for partition in partitions] == [["2024"]]
    assert (counts.objects, counts.items, counts.glue_tables) == (2, 1, 1)


def test_no_saved_state_is_none() -> None:
    assert read_state(Path("/nonexistent/state")) is None


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (json.dumps({"format": "serverless-lakehouse-local-state/0"}), "saved by an incompatible version"),
        ("{not json", "cannot be read"),
        (json.dumps({"format": STATE_FORMAT}), "is incomplete"),
    ],
)
def test_an_incompatible_or_corrupted_state_is_refused_with_a_hint_at_fresh(
    tmp_path: Path, manifest: str, expected: str
) -> None:
    state = tmp_path / run_pipeline.STATE_DIR
    state.mkdir()
    (state / "state.json").write_text(manifest)
    with pytest.raises(StateError, match=expected):
        read_state(state)

    out = io.StringIO()
    status = run_pipeline.main(["--output", str(tmp_path)], out=out)

    report = out.getvalue()
    assert status == 1, report
    assert f"Cannot continue from the saved local lakehouse: {state}" in report
    assert expected in report and "run with --fresh to start over" in report
    assert "Execution" not in report, "nothing ran"
    assert (state / "state.json").read_text() == manifest, "the saved state is left as it was"


def test_a_missing_object_file_is_refused(tmp_path: Path) -> None:
    save_a_lakehouse(tmp_path / "state")
    next((tmp_path / "state" / "s3").rglob("*.json")).unlink()
    with pytest.raises(StateError, match="1 files missing"):
        read_state(tmp_path / "state")


@pytest.mark.parametrize("fresh", [False, True])
def test_a_run_continues_from_the_saved_state_unless_fresh_and_a_failed_run_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: bool
) -> None:
    # A named site without /wp/v2/pages: the run fails at raw, before Spark (cheap).
    state = tmp_path / run_pipeline.STATE_DIR
    save_a_lakehouse(state)
    before = {path: path.read_bytes() for path in state.rglob("*") if path.is_file()}
    out = io.StringIO()
    with SampleWordPress(posts=5) as site:
        monkeypatch.setenv("WORDPRESS_URL", site.base_url)
        status = run_pipeline.main(["--output", str(tmp_path), *(["--fresh"] if fresh else [])], out=out)

    report = out.getvalue()
    assert status == 1, report
    failed_state = tmp_path / run_pipeline.FAILED_DIR / run_pipeline.STATE_DIR
    objects = [entry["key"] for entry in json.loads((failed_state / "state.json").read_text())["objects"]]
    if fresh:
        assert "Local lakehouse: starting empty (--fresh)" in report
        assert MARKER_KEY not in objects
    else:
        assert f"Local lakehouse: continuing from {state} (saved " in report
        assert "2 S3 objects, 1 DynamoDB items, 1 Glue tables" in report
        assert MARKER_KEY in objects, "the failed run started from the saved lakehouse"
    assert any(key.startswith("wordpress_api/posts/") and key != MARKER_KEY for key in objects), objects
    assert f"This run's lakehouse is in {failed_state}" in report
    after = {path: path.read_bytes() for path in state.rglob("*") if path.is_file()}
    assert after == before, "a failed run leaves the saved state as it was"


def test_sample_changes_is_for_the_sample_site_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WORDPRESS_URL", "https://example.com")
    with pytest.raises(SystemExit) as exited:
        run_pipeline.parse_args(["--sample-changes", "3"])
    assert exited.value.code == 2
    assert "cannot be used with WORDPRESS_URL" in capsys.readouterr().err


def test_a_second_local_run_continues_from_the_first_with_the_sample_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORDPRESS_URL", raising=False)
    state = tmp_path / run_pipeline.STATE_DIR
    first_out, second_out = io.StringIO(), io.StringIO()

    assert run_pipeline.main(["--posts", "20", "--output", str(tmp_path)], out=first_out) == 0, (
        first_out.getvalue()
    )
    first = json.loads((state / "state.json").read_text())
    status = run_pipeline.main(
        ["--posts", "20", "--sample-changes", "3", "--output", str(tmp_path)], out=second_out
    )

    report = second_out.getvalue()
    assert status == 0, report
    assert f"Local lakehouse: continuing from {state} (saved {first['saved_at']})" in report
    assert "Sample site changes (generation 1): edited 1 (" in report
    second = json.loads((state / "state.json").read_text())
    assert {(o["bucket"], o["key"]) for o in first["objects"]} <= {
        (o["bucket"], o["key"]) for o in second["objects"]
    }
    audit = json.loads((state / "dynamodb" / "data-lakehouse-audit.json").read_text())["items"]
    runs = {item["run_id"]["S"] for item in audit if item.get("source", {}).get("S") != "landing"}
    assert len(runs) == 2, "both runs' audit items are kept"
    landed = [item["key"]["S"] for item in audit if item.get("source", {}).get("S") == "landing"]
    assert sorted(landed) == [  # the example dataset's files, loaded by the first run only
        "landing/newsletter_signups/signups-2026-11.csv",
        "landing/newsletter_signups/signups-2026-12.jsonl",
    ]
    assert first["databases"] == second["databases"]
    for database in second["databases"]:
        tables = json.loads((state / "glue" / f"{database}.json").read_text())["tables"]
        assert tables, f"{database}: its Glue tables are saved"
    assert second["extra"]["sample_site"] == {"posts": 20, "seed": 20240101, "changes": [3]}

    # The second run is an Update for posts: it fetched the changes only and says what changed.
    summary = summary_rows(report)
    assert summary["posts"][0] == "Update" and int(summary["posts"][2]) < 20, summary["posts"]
    assert {name: cells[0] for name, cells in summary.items() if name != "posts"} == dict.fromkeys(
        ("categories", "statistics_pages", "tags", "users"), "InitialLoad"
    )
    loads = section_rows(report, "\nLoads (")
    assert loads["posts"][0] == "Update"
    inserted, updated, deleted = (int(value) for value in loads["posts"][3:6])
    assert (inserted, updated, deleted) == (1, 1, 1), loads["posts"]
    assert loads["categories"][3:6] == ["0", "0", "0"], "a full reload of unchanged terms changes nothing"
    # The README's second sample output is what this run prints (its shape).
    sample, folder = readme_sample(SECOND_RUN_MARKER)
    assert shape(sample, folder) == shape(report.splitlines(), tmp_path)
