"""The incremental case (issue 18): an InitialLoad, then 1 % of the posts changed, then an Update.

Each run is the whole pipeline in the emulator, as tests/pipeline/test_incremental_loads.py runs it:
``aws_emulator`` + ``local.run_pipeline.deploy`` (the modules' names and settings, the real handlers
and state machines) + ``run_execution`` of WordPress_Raw_To_Bronze, whose "Bronze to silver" state
runs the real silver Glue job on local PySpark. The sample WordPress site serves the posts (the other
collections at their defaults) and logs every request with its body's length.

Per run: the site's requests and bytes (split into content pages of the posts, id-list pages and the
small endpoints), the raw+bronze time from the execution history (entering "Plan the datasets" to
leaving "Record BRONZE in the audit table"), the silver time ("Bronze to silver" entered to exited),
the execution's wall time, and the posts' audit item (records fetched, silver rows
inserted/updated/deleted). ``benchmarks/child.py incremental <result.json> <posts> <seed>`` runs one
post count in a process of its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from local.emulator import Emulator, aws_emulator, execution_events, run_execution
from local.run_pipeline import DeployedPipeline, Deployment, audit_items, deploy, read_deployment
from local.sample_wordpress import PostShape, SampleWordPress, apply_changes, build_site

RAW_BRONZE_FIRST_STATE = "Plan the datasets"
RAW_BRONZE_LAST_STATE = "Record BRONZE in the audit table"
SILVER_STATE = "Bronze to silver"
SMALL_ENDPOINTS = ("categories", "tags", "users")
ENDPOINTS = ("posts", *SMALL_ENDPOINTS)
CHANGED_SHARE = 100  # 1 % of the posts change between the runs
PAGE_SIZE = 100  # records per page the raw function asks for (per_page=100)
EXECUTION_TIMEOUT_SECONDS = 3600.0


def changed_count(posts: int) -> int:
    """How many posts change between the runs: 1 % (at least one)."""
    return max(1, posts // CHANGED_SHARE)


def request_budget(posts: int, changed: int, small_endpoint_pages: int = len(SMALL_ENDPOINTS)) -> int:
    """Issue 18's goal for an Update's requests: the changes' pages + the id-list pages + the small
    endpoints' pages (one each for categories, tags and users at the defaults)."""
    return math.ceil(changed / PAGE_SIZE) + math.ceil(posts / PAGE_SIZE) + small_endpoint_pages


def state_times(events: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds of raw+bronze and of silver, from an execution history's state events."""
    entered, exited = "stateEnteredEventDetails", "stateExitedEventDetails"
    return {
        "raw_bronze_seconds": (
            _event_time(reversed(events), exited, RAW_BRONZE_LAST_STATE)
            - _event_time(events, entered, RAW_BRONZE_FIRST_STATE)
        ).total_seconds(),
        "silver_seconds": (
            _event_time(reversed(events), exited, SILVER_STATE) - _event_time(events, entered, SILVER_STATE)
        ).total_seconds(),
    }


def _event_time(events: Iterable[dict[str, Any]], kind: str, name: str) -> datetime:
    """The timestamp of the first event of ``events`` that is ``kind`` (entered/exited) of state ``name``."""
    for event in events:
        if (event.get(kind) or {}).get("name") == name:
            return event["timestamp"]
    raise ValueError(f"the execution history has no {kind} for state {name!r}")


def traffic(site: SampleWordPress, since: int) -> dict[str, int]:
    """Requests and body bytes the site answered from request ``since`` on, by kind."""
    counts = dict.fromkeys(("content", "id_list", "small_endpoints", "other"), 0)
    sizes = dict(counts)
    for entry in site.requests[since:]:
        name = entry.route.rstrip("/").rsplit("/", 1)[-1]
        if name == "posts":
            kind = "id_list" if entry.query.get("_fields") == "id" else "content"
        else:
            kind = "small_endpoints" if name in SMALL_ENDPOINTS else "other"
        counts[kind] += 1
        sizes[kind] += entry.bytes
    return {
        "requests": sum(counts.values()),
        "bytes": sum(sizes.values()),
        **{f"{kind}_requests": value for kind, value in counts.items()},
        **{f"{kind}_bytes": value for kind, value in sizes.items()},
    }


def measured_run(
    emulator: Emulator, deployment: Deployment, pipeline: DeployedPipeline, site: SampleWordPress, name: str
) -> dict[str, Any]:
    """One execution of WordPress_Raw_To_Bronze (and through it the silver one), measured."""
    sfn = emulator.client("stepfunctions")
    since = len(site.requests)
    started = time.perf_counter()
    execution = run_execution(
        sfn, pipeline.alias_arn, {"trigger": "bench"}, name=name, timeout_seconds=EXECUTION_TIMEOUT_SECONDS
    )
    seconds = time.perf_counter() - started
    if execution["status"] != "SUCCEEDED":
        raise RuntimeError(
            f"{name}: {execution['status']}: {execution.get('error')}: {execution.get('cause')}"
        )
    items = {
        item["dataset"]: item
        for item in audit_items(
            emulator.client("dynamodb"), deployment.audit_table, execution["executionArn"]
        )
    }
    posts = items["posts"]
    return {
        "run": posts["load_mode"],
        "execution": name,
        "seconds": seconds,
        **state_times(execution_events(sfn, execution["executionArn"])),
        **traffic(site, since),
        "raw_records": posts.get("raw_records"),
        "silver_rows": posts.get("silver_rows"),
        "silver_inserted": posts.get("silver_inserted"),
        "silver_updated": posts.get("silver_updated"),
        "silver_deleted": posts.get("silver_deleted"),
        "audit_states": {dataset: item.get("state") for dataset, item in items.items()},
    }


def run_case(posts: int, seed: int) -> dict[str, Any]:
    """InitialLoad, 1 % of the posts changed, Update: both runs measured, on one deployment."""
    site_data = build_site(posts=posts, seed=seed)
    collections = site_data.collections
    shape = PostShape(
        categories=len(collections["categories"]),
        tags=len(collections["tags"]),
        users=len(collections["users"]),
    )
    with aws_emulator() as emulator, SampleWordPress(site_data) as site:
        deployment = read_deployment(emulator.account_id, emulator.region)
        pipeline = deploy(emulator, deployment, [site.url(name) for name in ENDPOINTS])
        initial = measured_run(emulator, deployment, pipeline, site, "initial-load")
        changes = apply_changes(site.site, changed_count(posts), generation=1, seed=seed, shape=shape)
        update = measured_run(emulator, deployment, pipeline, site, "update")
    changed = {
        "count": changed_count(posts),
        "edited": len(changes.edited),
        "added": len(changes.added),
        "deleted": len(changes.deleted),
        "unpublished": len(changes.unpublished),
    }
    return {"posts": posts, "changed": changed, "runs": [initial, update]}
