"""The benchmark machinery end to end at a tiny size: it must produce a well-formed result table.

Timings are not asserted (benchmarks are scripts, not timed tests); this proves ``make bench``
can run: data generation, moto server, handler and baseline runs in their own processes,
memory sampling, the output check against the reference flattening, zips and import times, and
the incremental case (an InitialLoad and an Update of the whole pipeline in the emulator).
"""

from __future__ import annotations

import json

import pytest

from benchmarks import run

pytestmark = pytest.mark.timeout(300)  # the incremental case runs the silver job twice


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
    assert list(checks.values()) == ["PASS", "PASS", "PASS"]
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
        "## Incremental loads",
    ):
        assert heading in markdown
    assert "| target | value | result |" in markdown
    # the incremental case: an InitialLoad and an Update side by side, measured from the site and audit
    (case,) = results["incremental"]
    assert (case["posts"], case["changed"]["count"]) == (300, 3)
    initial, update = case["runs"]
    assert (initial["run"], update["run"]) == ("InitialLoad", "Update")
    assert (
        initial["content_requests"],
        initial["id_list_requests"],
        initial["small_endpoints_requests"],
    ) == (3, 0, 3)
    assert update["id_list_requests"] == 3 and update["small_endpoints_requests"] == 3
    assert 0 < update["bytes"] < initial["bytes"]
    for run_row in case["runs"]:
        assert run_row["requests"] == sum(
            run_row[f"{kind}_requests"] for kind in ("content", "id_list", "small_endpoints")
        )
        assert run_row["raw_bronze_seconds"] > 0 and run_row["silver_seconds"] > 0
    assert (initial["raw_records"], initial["silver_inserted"], initial["silver_rows"]) == (300, 300, 300)
    changed = case["changed"]
    assert (update["silver_inserted"], update["silver_updated"], update["silver_deleted"]) == (
        changed["added"],
        changed["edited"],
        changed["deleted"] + changed["unpublished"],
    )
    incremental_targets = [name for name in targets if name.startswith("incremental 300 posts")]
    assert len(incremental_targets) == 2
    assert any("Update requests <=" in name for name in incremental_targets)
    assert any("Update bytes <= 5%" in name for name in incremental_targets)
    table = markdown[markdown.index("## Incremental loads") :]
    assert "| posts | changed | run | requests (content + ids + small) | bytes downloaded |" in table
    assert "| 300 | 3 | InitialLoad | 6 (3 + 0 + 3) |" in table
    assert "| 300 | 3 | Update |" in table
