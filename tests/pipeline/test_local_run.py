"""`make run-local` (`python -m local.run_pipeline`) on a fresh machine, without the network:
the built-in sample WordPress on 127.0.0.1, or a site named by WORDPRESS_URL. Raw, bronze and
silver (the real Glue job script under local PySpark), the silver summary and the audit trail."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from local import run_pipeline
from local.sample_wordpress import SampleWordPress

SAMPLE_SIZES = {"posts": 120, "categories": 8, "tags": 20, "users": 4, "statistics_pages": 12}


def section_rows(report: str, heading: str) -> dict[str, list[str]]:
    """A printed table after `heading`: first column -> the other cells."""
    table = report.split(heading, 1)[1].split("\n", 1)[1]
    rows = {}
    lines = table.splitlines()
    for line in lines[2:]:
        if not line.startswith("  ") or line.startswith("   "):
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows


def summary_rows(report: str) -> dict[str, list[str]]:
    """The summary table's rows: endpoint -> [pages, records, raw bytes, parquet rows]."""
    table = report.split("\nSummary\n", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = line.split()
        if cells and cells[0] not in ("endpoint", "total") and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = cells[1:]
    return rows


def test_local_run_pulls_the_sample_site_into_both_layers_and_copies_the_parquet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORDPRESS_URL", raising=False)
    out = io.StringIO()

    status = run_pipeline.main(["--posts", str(SAMPLE_SIZES["posts"]), "--output", str(tmp_path)], out=out)

    report = out.getvalue()
    assert status == 0, report
    steps = re.findall(r"\] (.+?) \.\.\. (started|succeeded)", report)
    assert steps == [
        ("WordPress API to raw", "started"),
        ("WordPress API to raw", "succeeded"),
        ("Raw to bronze", "started"),
        ("Raw to bronze", "succeeded"),
        ("Bronze to silver", "started"),
        ("Bronze to silver", "succeeded"),
    ]
    assert "execution SUCCEEDED" in report
    rows = summary_rows(report)
    assert set(rows) == set(SAMPLE_SIZES)
    for name, count in SAMPLE_SIZES.items():
        pages, records, raw_bytes, parquet_rows = rows[name]
        assert int(records) == int(parquet_rows) == count, name
        assert int(raw_bytes.replace(",", "")) > 0
        local_file = tmp_path / "bronze" / "wordpress_api" / name / f"{name}.parquet"
        assert pq.ParquetFile(local_file).metadata.num_rows == count
        assert str(local_file) in report, "the report says where the file is"
        assert (tmp_path / "raw" / "wordpress_api" / name / f"{name}.json").is_file()
    assert rows["posts"][0] == "2", "120 posts arrive in two pages of 100"
    assert rows["statistics_pages"][0] == "1", "the custom endpoint is fetched once"
    assert (tmp_path / "pipeline.log").stat().st_size > 0

    # Silver: every table passed the quality gate on the sample site (users cover the authors, ...).
    silver = section_rows(report, "\nSilver (")
    assert {name: cells[0] for name, cells in silver.items()} == dict.fromkeys(SAMPLE_SIZES, "SILVER")
    for name, count in SAMPLE_SIZES.items():
        assert silver[name][1] == f"{count:,}", name
        assert silver[name][-1] == "passed", name
        published = tmp_path / "silver" / "wordpress_api" / name
        assert pq.read_table(published).num_rows == count, f"{name}: the published table is copied"
    assert int(silver["posts"][2]) >= 1, "posts are partitioned by year and month"
    assert list((tmp_path / "silver" / "wordpress_api" / "posts").glob("year=*/month=*/*.parquet"))
    assert not list((tmp_path / "silver").rglob("quarantine*")), "only published data is copied"

    # The audit trail: printed, and written as a JSON array of the run's items.
    trail = section_rows(report, "\nAudit trail (")
    assert {name: cells[0] for name, cells in trail.items()} == dict.fromkeys(SAMPLE_SIZES, "SILVER")
    items = json.loads((tmp_path / "audit.json").read_text())
    assert sorted(item["dataset"] for item in items) == sorted(SAMPLE_SIZES)
    assert len({item["run_id"] for item in items}) == 1
    for item in items:
        count = SAMPLE_SIZES[item["dataset"]]
        assert (item["state"], item["raw_records"], item["bronze_rows"], item["silver_rows"]) == (
            "SILVER",
            count,
            count,
            count,
        )


def test_local_run_against_a_named_site_reports_a_failed_run_with_a_non_zero_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A site whose /wp/v2/pages route does not exist (404): the other endpoints are still written.
    with SampleWordPress(posts=30) as site:
        base_url = site.base_url
        monkeypatch.setenv("WORDPRESS_URL", base_url)
        out = io.StringIO()
        status = run_pipeline.main(["--output", str(tmp_path)], out=out)

    report = out.getvalue()
    assert status == 1, report
    assert f"WordPress source: {base_url}" in report
    assert "execution FAILED" in report
    assert "The pipeline FAILED: WordPressPipelineFailed" in report
    assert 'step "WordPress API to raw" failed with PipelineStepFailed: ' in report, "the original error"
    assert f"{base_url}/wp-json/wp/v2/pages" in report, "the failed endpoint is named"
    assert "Alert published to failure-stepfunction" in report
    assert "Raw to bronze ... started" not in report
    assert "Bronze to silver ... started" not in report
    assert sorted(path.name for path in (tmp_path / "raw" / "wordpress_api").glob("*/*.json")) == [
        "categories.json",
        "posts.json",
        "tags.json",
        "users.json",
    ]
