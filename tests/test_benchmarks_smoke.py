"""The benchmark machinery end to end at a tiny size: it must produce a well-formed result table.

Timings are not asserted (benchmarks are scripts, not timed tests); this proves ``make bench``
can run: data generation, moto server, handler and baseline runs in their own processes,
memory sampling, the output check against the reference flattening, zips and import times.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import run

pytestmark = pytest.mark.timeout(120)


def test_smoke_run_writes_results(tmp_path) -> None:
    assert run.main(["--smoke", "--out", str(tmp_path)]) == 0

    results = json.loads((tmp_path / "results.json").read_text())
    markdown = (tmp_path / "results.md").read_text()
    assert {"cpus", "python", "packages"} <= set(results["header"])
    assert {"pandas", "pyarrow", "awswrangler", "moto", "boto3"} <= set(results["header"]["packages"])
    assert {row["run"] for row in results["bronze"]} == {"bronze", "baseline"}
    assert all(row["records"] > 0 and row["peak_rss_mb"] > 0 for row in results["bronze"])
    assert [row["run"] for row in results["raw"]] == ["default", "concurrency 1"]
    assert all(row["records"] == 200 and row["requests"] == 2 for row in results["raw"])
    assert {row["package"] for row in results["packages"]} == {
        "data_wordpressapi_raw",
        "data_wordpressapi_bronze",
        "lakehouse_common (layer)",
    }
    assert all(row["zip_bytes"] > 0 for row in results["packages"])
    assert {row["function"] for row in results["imports"]} == {
        "data_wordpressapi_raw",
        "data_wordpressapi_bronze",
    }
    targets = {row["target"]: row["result"] for row in results["targets"]}
    assert all(result in ("PASS", "FAIL") for result in targets.values())
    assert any(name.startswith("raw time <= 0.3x") for name in targets)
    # the optimised bronze output matched the reference flattening, and its ijson rewrite matched it
    checks = {name: r for name, r in targets.items() if name.startswith("output check")}
    assert list(checks.values()) == ["PASS", "PASS"]
    assert any("ijson rewrite == function" in name for name in checks)
    # bronze, its ijson rewrite and the seed's conversion, side by side on one core
    compared = results["bronze_compare"]
    assert {(row["run"], row["cpus"]) for row in compared} == {
        ("bronze", "0"),
        ("bronze_ijson", "0"),
        ("seed_replica", "0"),
    }
    assert all(row["seconds"] > 0 and row["cpu_seconds"] > 0 and row["peak_rss_mb"] > 0 for row in compared)
    assert any(name.startswith("(decision) ijson rewrite") for name in targets)
    for heading in (
        "## Targets",
        "## Bronze",
        "## Bronze: hand-written scanner vs ijson",
        "## Raw",
        "## Packages",
    ):
        assert heading in markdown
    assert "| target | value | result |" in markdown
