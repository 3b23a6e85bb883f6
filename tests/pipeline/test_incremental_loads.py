"""Incremental loads end to end (issue 18): WordPress_Raw_To_Bronze and WordPress_Bronze_To_Silver
as the module renders them, in moto's Step Functions interpreter, the real handlers and the real
silver job (local PySpark), against the sample WordPress site changed between runs.

What a user relies on: the first run is an InitialLoad; the next one fetches only what changed and
silver equals what the site publishes (edits, new posts, deleted and unpublished posts, a renamed
category); the audit says how each dataset was loaded and what changed; the watermark advances only
when the dataset reached SILVER, so a failed run is recovered by the next; ``{"mode": "InitialLoad"}``
rebuilds; a big InitialLoad is split into page ranges. The Choice's rules one by one (a due full
reload among them) and two runs that race to advance one watermark (WatermarkConflict) are run from
the same definitions without Lambda or Spark in tests/pipeline/test_load_state_choice.py.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from local.emulator import Emulator, entered_states, run_execution
from local.run_pipeline import DeployedPipeline, Deployment, deploy, execution_run_id, read_deployment
from local.sample_wordpress import PostShape, SampleWordPress, SiteChanges, apply_changes, build_site
from tests.pipeline.silver_helpers import audit, read_silver, silver_tables, top_level

FAST = {"RETRY_BASE_SECONDS": "0"}
SITE = {"posts": 150, "categories": 5, "tags": 12, "users": 3}


@pytest.fixture
def site() -> Iterator[SampleWordPress]:
    with SampleWordPress(build_site(**SITE)) as running:
        yield running


@pytest.fixture
def deployment(emulator: Emulator) -> Deployment:
    return read_deployment(emulator.account_id, emulator.region)


def endpoints(site: SampleWordPress) -> list[str]:
    return [site.url(name) for name in ("posts", "categories", "tags", "users")]


def run(
    emulator: Emulator, pipeline: DeployedPipeline, name: str, execution_input: dict[str, Any] | None = None
) -> dict[str, Any]:
    sfn = emulator.client("stepfunctions")
    description = run_execution(
        sfn, pipeline.alias_arn, execution_input or {"trigger": "test"}, name=name, timeout_seconds=600
    )
    description["states"] = entered_states(sfn, description["executionArn"])
    description["run_id"] = execution_run_id(sfn, description["executionArn"])
    return description


def load_state(emulator: Emulator, deployment: Deployment) -> dict[str, dict[str, Any]]:
    deserializer = TypeDeserializer()
    items = emulator.client("dynamodb").scan(TableName=deployment.load_state_table)["Items"]
    plain = [{key: deserializer.deserialize(value) for key, value in item.items()} for item in items]
    return {item["dataset"]: item for item in plain}


def change_posts(site: SampleWordPress, count: int, generation: int) -> SiteChanges:
    """Edit, add and remove ``count`` posts; new posts use the site's own authors and terms."""
    shape = PostShape(categories=SITE["categories"], tags=SITE["tags"], users=SITE["users"])
    return apply_changes(site.site, count, generation, shape=shape)


def newest_modified(site: SampleWordPress) -> str:
    return max(post["modified_gmt"] for post in site.site.collections["posts"]) + "Z"


def silver_rows(emulator: Emulator, deployment: Deployment, table: str) -> dict[int, dict[str, Any]]:
    location = silver_tables(emulator, deployment)[table]["location"]
    return {row["id"]: row for row in read_silver(emulator, location).to_pylist()}


def assert_silver_is_the_site(emulator: Emulator, deployment: Deployment, site: SampleWordPress) -> None:
    """Silver holds exactly what the site publishes: the same ids, each with its current title,
    modification time and name."""
    posts = silver_rows(emulator, deployment, "posts")
    published = {post["id"]: post for post in site.site.collections["posts"]}
    assert sorted(posts) == sorted(published)
    for post_id, post in published.items():
        assert posts[post_id]["title"] == html.unescape(post["title"]["rendered"]), post_id
        assert posts[post_id]["modified_gmt"].replace(tzinfo=None) == datetime.fromisoformat(
            post["modified_gmt"]
        ), post_id
    categories = silver_rows(emulator, deployment, "categories")
    assert {k: v["name"] for k, v in categories.items()} == {
        term["id"]: html.unescape(term["name"]) for term in site.site.collections["categories"]
    }


def post_requests(site: SampleWordPress) -> list[dict[str, str]]:
    return [entry.query for entry in site.requests_for("posts")]


def test_an_update_after_the_initial_load_fetches_only_the_changes_and_silver_equals_the_site(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    pipeline = deploy(emulator, deployment, endpoints(site), FAST)

    first = run(emulator, pipeline, "initial")

    assert first["status"] == "SUCCEEDED", first.get("cause")
    assert "Initial load or update, per dataset" in top_level(first["states"])
    assert "InitialLoad: no watermark yet" in first["states"]
    loaded = audit(emulator, deployment, first["run_id"])
    assert {name: item["load_mode"] for name, item in loaded.items()} == dict.fromkeys(
        ("posts", "categories", "tags", "users"), "InitialLoad"
    )
    assert loaded["posts"]["watermark_before"] == ""
    state = load_state(emulator, deployment)
    assert set(state) == {"posts"}, "only datasets with modified_after keep a watermark"
    assert state["posts"]["watermark"] == newest_modified(site)
    assert state["posts"]["loaded_run_id"] == first["run_id"]
    first_watermark = state["posts"]["watermark"]

    changes = change_posts(site, 6, generation=1)
    renamed = site.site.collections["categories"][0]
    renamed["name"] = "Renamed category"
    site.requests.clear()

    second = run(emulator, pipeline, "update")

    assert second["status"] == "SUCCEEDED", second.get("cause")
    assert "Update" in second["states"]
    assert "InitialLoad: no modified_after filter" in second["states"]
    assert_silver_is_the_site(emulator, deployment, site)
    updated = audit(emulator, deployment, second["run_id"])["posts"]
    assert updated["state"] == "SILVER"
    assert updated["load_mode"] == "Update"
    assert updated["watermark_before"] == first_watermark
    assert updated["watermark_after"] == newest_modified(site)
    assert (updated["silver_inserted"], updated["silver_updated"], updated["silver_deleted"]) == (
        len(changes.added),
        len(changes.edited),
        len(changes.deleted) + len(changes.unpublished),
    )
    assert updated["silver_rows"] == SITE["posts"] + len(changes.added) - len(changes.deleted) - len(
        changes.unpublished
    )
    # Only the window was fetched with content; the rest of the posts requests list ids.
    content = [query for query in post_requests(site) if "modified_after" in query]
    ids = [query for query in post_requests(site) if query.get("_fields") == "id"]
    assert content and ids
    assert len(content) + len(ids) == len(post_requests(site))
    assert updated["raw_records"] < SITE["posts"] // 10
    state = load_state(emulator, deployment)["posts"]
    assert state["watermark"] == newest_modified(site)
    assert state["loaded_run_id"] == second["run_id"]

    rebuilt = run(emulator, pipeline, "rebuild", {"mode": "InitialLoad", "datasets": ["posts"]})

    assert rebuilt["status"] == "SUCCEEDED", rebuilt.get("cause")
    assert "InitialLoad: requested" in rebuilt["states"]
    items = audit(emulator, deployment, rebuilt["run_id"])
    assert items["posts"]["load_mode"] == "InitialLoad"
    assert items["posts"]["load_reason"] == "requested by the execution input"
    assert items["posts"]["silver_deleted"] == 0
    assert_silver_is_the_site(emulator, deployment, site)
    state = load_state(emulator, deployment)["posts"]
    assert state["loaded_run_id"] == rebuilt["run_id"]
    assert state["last_full_load_at"] > load_state_full_load(first)


def load_state_full_load(execution: dict[str, Any]) -> str:
    """A lower bound of the full-load time a run records: the run's start, as the load state writes it."""
    return execution["startDate"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_failed_update_keeps_the_watermark_and_the_next_run_recovers_the_same_changes(
    emulator: Emulator, site: SampleWordPress, deployment: Deployment
) -> None:
    # One page per invocation: the InitialLoad of 150 posts is split into two page ranges.
    pipeline = deploy(emulator, deployment, endpoints(site), {**FAST, "PAGES_PER_INVOCATION": "1"})

    first = run(emulator, pipeline, "split-initial")

    assert first["status"] == "SUCCEEDED", first.get("cause")
    assert {"Fetch the page ranges", "Seal the split loads"} <= set(top_level(first["states"]))
    assert first["states"].count("Fetch a page range") == 2
    assert len(silver_rows(emulator, deployment, "posts")) == SITE["posts"]
    watermark = load_state(emulator, deployment)["posts"]["watermark"]

    changes = change_posts(site, 9, generation=1)
    site.fail("tags", "html")  # raw fails after fetching the posts' changes

    failed = run(emulator, pipeline, "failed-update")

    assert failed["status"] == "FAILED"
    assert load_state(emulator, deployment)["posts"]["watermark"] == watermark, "a failed run never advances"
    assert audit(emulator, deployment, failed["run_id"])["posts"]["state"] == "FAILED"

    site.heal()
    recovered = run(emulator, pipeline, "recovered")

    assert recovered["status"] == "SUCCEEDED", recovered.get("cause")
    item = audit(emulator, deployment, recovered["run_id"])["posts"]
    assert item["load_mode"] == "Update"
    assert item["watermark_before"] == watermark
    assert item["silver_inserted"] == len(changes.added)
    assert item["silver_deleted"] == len(changes.deleted) + len(changes.unpublished)
    assert_silver_is_the_site(emulator, deployment, site)
    assert load_state(emulator, deployment)["posts"]["watermark"] == newest_modified(site)
