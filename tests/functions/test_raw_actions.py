"""The raw function's actions for incremental loads (issue 18): ``plan``, ``fetch`` (InitialLoad and
Update), ``fetch_pages`` and ``seal`` for a split InitialLoad, against the sample site and moto.

The events are those the raw-to-bronze state machine sends (issue 18): ``fetch``
gets the plan's entries plus the mode the state machine chose for each dataset.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.sample_wordpress import SampleSite, SampleWordPress

from .conftest import RAW_BUCKET, Aws

RUN_ID = "20261207T070000Z-incremental"


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def as_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def key(name: str, filename: str | None = None) -> str:
    return f"wordpress_api/{name}/{RUN_ID}/{filename or name + '.json'}"


def dataset(
    url: str,
    name: str,
    mode: str = "InitialLoad",
    *,
    incremental: bool = True,
    watermark_before: str | None = None,
) -> dict[str, Any]:
    """A fetch entry as the state machine builds it: the plan entry plus the mode fields."""
    return {
        "name": name,
        "endpoint": url,
        "incremental": incremental,
        "mode": mode,
        "reason": "test",
        "watermark_before": watermark_before,
        "expected_run_id": "" if watermark_before is None else "20261206T070000Z-before",
        "last_full_load_at": None,
    }


def fetch(raw_function: Any, *datasets: dict[str, Any], rejected: list | None = None) -> dict[str, Any]:
    event = {"action": "fetch", "run_id": RUN_ID, "datasets": list(datasets), "rejected": rejected or []}
    return raw_function.lambda_handler(event, None)


def by_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda record: record["id"])


def newest_modified(records: list[dict[str, Any]]) -> str:
    return max(record["modified_gmt"] for record in records) + "Z"


def site_with(posts: list[dict[str, Any]], **collections: list[dict[str, Any]]) -> SampleWordPress:
    return SampleWordPress(SampleSite(collections={"posts": posts, **collections}))


def post(post_id: int, modified_gmt: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"id": post_id, "title": {"rendered": f"P{post_id}"}}
    if modified_gmt is not None:
        record |= {"modified": modified_gmt, "modified_gmt": modified_gmt}
    return record


def edit(site: SampleWordPress, post_id: int, at: datetime) -> None:
    """What an editor's save does to a post of the sample site (timezone UTC)."""
    for record in site.site.collections["posts"]:
        if record["id"] == post_id:
            record["modified"] = record["modified_gmt"] = at.strftime("%Y-%m-%dT%H:%M:%S")
            record["title"] = {"rendered": "Edited"}


def delete(site: SampleWordPress, post_id: int) -> dict[str, Any]:
    posts = site.site.collections["posts"]
    [gone] = [record for record in posts if record["id"] == post_id]
    posts.remove(gone)
    return gone


def failure_of(raised: pytest.ExceptionInfo) -> dict[str, str]:
    return {failure.item: failure.reason for failure in raised.value.failures}


# --------------------------------------------------------------------------- plan


def plan(raw_function: Any, execution_input: Any = None) -> dict[str, Any]:
    event = {"action": "plan", "run_id": RUN_ID}
    if execution_input is not None:
        event["input"] = execution_input
    return raw_function.lambda_handler(event, None)


def test_plan_lists_the_datasets_marks_post_types_incremental_and_keeps_the_rejected_urls(
    aws: Aws, wordpress, raw_function
) -> None:
    urls = [wordpress.url("posts"), wordpress.url("categories"), wordpress.url("statistics_pages")]
    duplicate = wordpress.url("posts", pretty=False)
    aws.set_endpoints([*urls, duplicate, "ftp://example.com/posts"])
    before = datetime.now(UTC).replace(microsecond=0)

    output = plan(raw_function)

    full_reload_before = utc(output.pop("full_reload_before"))
    assert output == {
        "function": "data_wordpressapi_raw",
        "action": "plan",
        "run_id": RUN_ID,
        "datasets": [
            {"name": "posts", "endpoint": urls[0], "incremental": True, "initial_load_requested": False},
            {
                "name": "categories",
                "endpoint": urls[1],
                "incremental": False,
                "initial_load_requested": False,
            },
            {
                "name": "statistics_pages",
                "endpoint": urls[2],
                "incremental": False,
                "initial_load_requested": False,
            },
        ],
        "rejected": [
            {"source": duplicate, "reason": f"object name 'posts' is already used by {urls[0]}"},
            {"source": "ftp://example.com/posts", "reason": "not an http(s) URL"},
        ],
        "requested": {"all": False, "datasets": []},
    }
    assert before - timedelta(days=7) <= full_reload_before <= datetime.now(UTC) - timedelta(days=7)
    assert wordpress.requests == [], "planning asks the site nothing"
    assert aws.messages(aws.raw_topic_arn) == [], "rejected URLs fail the fetch, not the plan"


@pytest.mark.parametrize(
    ("execution_input", "requested"),
    [
        ({}, {"all": False, "datasets": []}),
        ({"mode": "Update"}, {"all": False, "datasets": []}),
        ({"mode": "InitialLoad"}, {"all": True, "datasets": []}),
        (
            {"mode": "InitialLoad", "datasets": ["tags", "posts"]},
            {"all": False, "datasets": ["tags", "posts"]},
        ),
        ({"mode": "InitialLoad", "source": "replay"}, {"all": True, "datasets": []}),
    ],
)
def test_plan_reads_what_the_execution_input_requests(
    aws: Aws, wordpress, raw_function, execution_input: dict, requested: dict
) -> None:
    aws.set_endpoints([wordpress.url("posts"), wordpress.url("tags")])

    output = plan(raw_function, execution_input)

    assert output["requested"] == requested
    # What the state machine's first rule reads: each dataset the input asks to reload.
    flagged = {entry["name"]: entry["initial_load_requested"] for entry in output["datasets"]}
    assert flagged == {name: requested["all"] or name in requested["datasets"] for name in ("posts", "tags")}


def test_an_update_continues_from_the_load_state_the_state_machine_looked_up(
    aws: Aws, wordpress, raw_function
) -> None:
    """The state machine passes the load-state table's GetItem output as it is: the watermark, the run
    that advanced it (the silver workflow's condition) and the last full load come from it."""
    aws.set_endpoints([wordpress.url("posts")])
    posts = wordpress.site.collections["posts"]
    watermark = newest_modified(posts)
    looked_up = {
        "name": "posts",
        "endpoint": wordpress.url("posts"),
        "incremental": True,
        "mode": "Update",
        "reason": "changes since the watermark",
        "load_state": {
            "Item": {
                "dataset": {"S": "posts"},
                "watermark": {"S": watermark},
                "loaded_run_id": {"S": "20261206T070000Z-before"},
                "last_full_load_at": {"S": "2026-12-01T07:00:00Z"},
            }
        },
    }

    [entry] = fetch(raw_function, looked_up)["endpoints"]

    assert "load_state" not in entry
    assert (entry["watermark_before"], entry["expected_run_id"], entry["last_full_load_at"]) == (
        watermark,
        "20261206T070000Z-before",
        "2026-12-01T07:00:00Z",
    )
    assert entry["audit"] == {
        "load_mode": "Update",
        "load_reason": "changes since the watermark",
        "watermark_before": watermark,
        "window_start": entry["window_start"],
        "ignored_modified_after": False,
    }
    assert entry["window_start"] < watermark


def test_a_first_load_has_no_load_state_item(aws: Aws, wordpress, raw_function) -> None:
    aws.set_endpoints([wordpress.url("posts")])
    first = {
        "name": "posts",
        "endpoint": wordpress.url("posts"),
        "incremental": True,
        "mode": "InitialLoad",
        "reason": "no watermark yet: first successful load",
        "load_state": {},  # GetItem of a missing key: no Item
    }

    [entry] = fetch(raw_function, first)["endpoints"]

    assert (entry["watermark_before"], entry["expected_run_id"], entry["last_full_load_at"]) == (
        None,
        "",
        None,
    )
    assert entry["audit"]["watermark_before"] == "" and entry["audit"]["window_start"] == ""


@pytest.mark.parametrize(
    ("execution_input", "item", "reason"),
    [
        ({"mode": "Full"}, "input.mode", "'Full' is not one of InitialLoad, Update (or absent)"),
        ({"mode": "InitialLoad", "datasets": "posts"}, "input.datasets", "is not a non-empty list"),
        ({"mode": "InitialLoad", "datasets": []}, "input.datasets", "is not a non-empty list"),
        ({"mode": "InitialLoad", "datasets": [1]}, "input.datasets", "is not a non-empty list"),
        (
            {"mode": "InitialLoad", "datasets": ["comments"]},
            "input.datasets",
            "['comments'] are not configured",
        ),
        ({"datasets": ["posts"]}, "input.datasets", 'it needs "mode": "InitialLoad"'),
        (["InitialLoad"], "input", "list is not an object"),
    ],
)
def test_plan_fails_on_bad_input_naming_it(
    aws: Aws, wordpress, raw_function, execution_input: Any, item: str, reason: str
) -> None:
    aws.set_endpoints([wordpress.url("posts")])

    with pytest.raises(raw_function.PipelineStepFailed) as raised:
        plan(raw_function, execution_input)

    assert reason in failure_of(raised)[item]
    [(_, message)] = aws.messages(aws.raw_topic_arn)
    assert f"- {item}: " in message


@pytest.mark.parametrize(("days", "expected"), [("0", None), ("2", timedelta(days=2))])
def test_full_reload_days(aws: Aws, wordpress, raw_function, monkeypatch, days: str, expected) -> None:
    monkeypatch.setenv("FULL_RELOAD_DAYS", days)
    aws.set_endpoints([wordpress.url("posts")])

    before = plan(raw_function)["full_reload_before"]

    if expected is None:
        assert before is None, "0 = never"
    else:
        assert abs(utc(before) - (datetime.now(UTC) - expected)) < timedelta(seconds=5)


def test_incremental_datasets_come_from_the_environment(
    aws: Aws, wordpress, raw_function, monkeypatch
) -> None:
    monkeypatch.setenv("INCREMENTAL_DATASETS", "tags, pages")
    aws.set_endpoints([wordpress.url("posts"), wordpress.url("tags")])

    datasets = plan(raw_function)["datasets"]

    assert {d["name"]: d["incremental"] for d in datasets} == {"posts": False, "tags": True}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOOKBACK_MINUTES", "an hour", "LOOKBACK_MINUTES='an hour' is not an integer"),
        ("LOOKBACK_MINUTES", "-5", "LOOKBACK_MINUTES=-5 must be >= 0"),
        ("DETECT_DELETIONS", "yes", "DETECT_DELETIONS='yes' must be true or false"),
        ("PAGES_PER_INVOCATION", "0", "PAGES_PER_INVOCATION=0 must be >= 1"),
        ("FULL_RELOAD_DAYS", "7d", "FULL_RELOAD_DAYS='7d' is not an integer"),
        ("INCREMENTAL_DATASETS", "Posts,pages", "INCREMENTAL_DATASETS='Posts,pages': ['Posts'] are not"),
    ],
)
def test_a_bad_setting_fails_naming_the_variable(
    aws: Aws, wordpress, raw_function, monkeypatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    aws.set_endpoints([wordpress.url("posts")])

    with pytest.raises(
        raw_function.PipelineStepFailed, match=re.escape(f"environment: environment variable {message}")
    ):
        plan(raw_function)
    assert len(aws.messages(aws.raw_topic_arn)) == 1


@pytest.mark.parametrize(
    ("event", "item", "reason"),
    [
        ({"action": "plan", "run_id": "2026/12/07"}, "run_id", "must be a non-empty name without '/'"),
        ({"action": "plan"}, "run_id", "None is not a run id string"),
        ({"action": "refetch", "run_id": RUN_ID}, "action", "'refetch' is not one of plan, fetch"),
        ({"action": "fetch", "run_id": RUN_ID, "datasets": {}}, "datasets", "dict is not a list"),
        (
            {"action": "fetch", "run_id": RUN_ID, "datasets": [{"name": "posts", "mode": "Delta"}]},
            "datasets[0].mode",
            "'Delta' is not one of InitialLoad, Update",
        ),
        (
            {
                "action": "fetch",
                "run_id": RUN_ID,
                "datasets": [{"name": "posts", "endpoint": "x", "incremental": True, "mode": "Update"}],
            },
            "datasets[0].watermark_before",
            "an Update needs the watermark it continues from",
        ),
        (
            {
                "action": "fetch",
                "run_id": RUN_ID,
                "datasets": [
                    {"name": "posts", "endpoint": "x", "incremental": True, "mode": "Update",
                     "watermark_before": "2026-12-07"}
                ],
            },
            "datasets[0].watermark_before",
            "'2026-12-07' is not a UTC time YYYY-MM-DDTHH:MM:SSZ",
        ),
        (
            {"action": "fetch_pages", "run_id": RUN_ID, "name": "posts", "endpoint": "x", "first_page": 3,
             "last_page": 4, "total_pages": 3},
            "event.first_page",
            "pages 3..4 are not within 1..3",
        ),
        ({"action": "seal", "run_id": RUN_ID, "endpoints": [], "parts": {}}, "parts", "dict is not a list"),
        (
            {"action": "seal", "run_id": RUN_ID, "parts": [],
             "endpoints": [{"name": "posts", "split": {"total_pages": 3, "total_records": 250}}]},
            "endpoints[0].endpoint",
            "None is not a str",
        ),
        (
            {"action": "fetch", "run_id": RUN_ID,
             "datasets": [dataset("http://127.0.0.1:9/wp-json/wp/v2/posts", "posts")] * 2},
            "datasets",
            "['posts'] come more than once",
        ),
    ],
)  # fmt: skip
def test_a_bad_event_fails_naming_the_input(
    aws: Aws, raw_function, event: dict, item: str, reason: str
) -> None:
    with pytest.raises(raw_function.PipelineStepFailed) as raised:
        raw_function.lambda_handler(event, None)

    assert reason in failure_of(raised)[item]
    assert len(aws.messages(aws.raw_topic_arn)) == 1
    assert aws.keys(RAW_BUCKET) == []


# --------------------------------------------------------------------------- fetch: InitialLoad


def test_initial_load_stores_every_record_by_id_in_the_runs_own_object(
    aws: Aws, wordpress, raw_function
) -> None:
    posts = wordpress.site.collections["posts"]
    entry = dataset(wordpress.url("posts"), "posts")
    categories = dataset(wordpress.url("categories"), "categories", incremental=False)

    output = fetch(raw_function, entry, categories)

    assert aws.get_json(key("posts")) == by_id(posts)
    assert aws.get_json(key("categories")) == wordpress.site.collections["categories"]
    stored, full = output["endpoints"]
    assert {k: stored[k] for k in entry} == entry, "every field of the input entry is echoed"
    assert stored["keys"] == [key("posts")] and stored["key"] == key("posts")
    assert (stored["records"], stored["pages"], stored["split"], stored["ids_key"]) == (250, 3, None, None)
    assert stored["watermark_after"] == newest_modified(posts)
    assert stored["window_start"] is None
    assert full["watermark_after"] is None, "no watermark for a dataset fetched in full every run"
    assert output["records"] == 250 + 8 and output["page_ranges"] == []
    queries = [r.query for r in wordpress.requests_for("posts")]
    assert len(queries) == 3, "page 1 is fetched once, whether or not the load is split"
    assert {(q["orderby"], q["order"]) for q in queries} == {("id", "asc")}
    assert [r.query for r in wordpress.requests_for("categories")] == [{"per_page": "100"}], (
        "unchanged request"
    )


def test_a_non_incremental_dataset_is_fetched_in_full_even_when_asked_for_an_update(
    aws: Aws, wordpress, raw_function
) -> None:
    entry = dataset(
        wordpress.url("tags"), "tags", "Update", incremental=False, watermark_before="2025-01-01T00:00:00Z"
    )

    [stored] = fetch(raw_function, entry)["endpoints"]

    assert aws.get_json(key("tags")) == wordpress.site.collections["tags"]
    assert (stored["mode"], stored["reason"]) == ("InitialLoad", "not incremental: fetched in full every run")
    assert "modified_after" not in wordpress.requests_for("tags")[0].query


def test_a_record_without_modified_gmt_fails_the_dataset_naming_it(aws: Aws, raw_function) -> None:
    with (
        site_with([post(1, "2025-01-02T00:00:00"), post(7, None)], tags=[{"id": 1}]) as site,
        pytest.raises(raw_function.PipelineStepFailed) as raised,
    ):
        posts_url = site.url("posts")
        fetch(raw_function, dataset(posts_url, "posts"), dataset(site.url("tags"), "tags", incremental=False))

    reason = failure_of(raised)[posts_url]
    assert "record 2 (id 7) has no modified_gmt" in reason
    assert aws.keys(RAW_BUCKET) == [key("tags")], "nothing of the failed dataset; the others stored"
    [(_, message)] = aws.messages(aws.raw_topic_arn)
    assert "record 2 (id 7) has no modified_gmt" in message and "1 succeeded" in message


def test_a_post_dated_in_the_future_caps_the_watermark_at_the_fetch_start(aws: Aws, raw_function) -> None:
    posts = [post(1, "2025-01-02T00:00:00"), post(2, "2099-01-01T00:00:00")]
    with site_with(posts) as site:
        [initial] = fetch(raw_function, dataset(site.url("posts"), "posts"))["endpoints"]
        [update] = fetch(
            raw_function,
            dataset(site.url("posts"), "posts", "Update", watermark_before=initial["watermark_after"]),
        )["endpoints"]

    assert initial["watermark_after"] == initial["fetch_started_at"] < "2099"
    assert initial["future_records"] == 1
    assert [record["id"] for record in aws.get_json(key("posts"))] == [2], "fetched again, not skipped"
    assert update["future_records"] == 1
    assert update["watermark_after"] == update["fetch_started_at"]


def test_a_fetch_reports_the_plans_rejected_urls_after_fetching_the_others(
    aws: Aws, wordpress, raw_function
) -> None:
    rejected = [{"source": "ftp://example.com/posts", "reason": "not an http(s) URL"}]

    with pytest.raises(raw_function.PipelineStepFailed, match="ftp://example.com/posts: not an http"):
        fetch(raw_function, dataset(wordpress.url("tags"), "tags", incremental=False), rejected=rejected)

    assert aws.keys(RAW_BUCKET) == [key("tags")]


# --------------------------------------------------------------------------- fetch: Update


@pytest.fixture
def changed_site(wordpress: SampleWordPress) -> Iterator[tuple[SampleWordPress, str, datetime]]:
    """The sample site after its first load: yields (site, watermark of that load, when post 10 was edited);
    post 10 edited a minute ago, post 20 deleted."""
    watermark = newest_modified(wordpress.site.collections["posts"])
    edited_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    edit(wordpress, 10, edited_at)
    delete(wordpress, 20)
    yield wordpress, watermark, edited_at


def test_an_update_fetches_the_changes_since_the_watermark_minus_the_lookback_and_the_published_ids(
    aws: Aws, changed_site, raw_function
) -> None:
    site, watermark, edited_at = changed_site
    posts = site.site.collections["posts"]
    window_start = utc(watermark) - timedelta(minutes=60)
    changed = by_id([p for p in posts if utc(p["modified_gmt"] + "Z") > window_start])

    output = fetch(raw_function, dataset(site.url("posts"), "posts", "Update", watermark_before=watermark))

    [entry] = output["endpoints"]
    assert 10 in [p["id"] for p in changed] and len(changed) < 10, "the edit and the lookback's few"
    assert aws.get_json(key("posts")) == changed
    assert aws.get_json(key("posts", "published_ids.json")) == sorted(p["id"] for p in posts)
    assert 20 not in aws.get_json(key("posts", "published_ids.json")), "the deleted post is gone"
    assert entry["ids_key"] == key("posts", "published_ids.json") and entry["published_ids"] == 249
    assert entry["keys"] == [key("posts")] and entry["records"] == len(changed)
    assert entry["window_start"] == as_text(window_start)
    assert entry["watermark_after"] == as_text(edited_at)
    assert entry["watermark_before"] == watermark and entry["mode"] == "Update"
    assert (entry["ignored_modified_after"], entry["older_than_window"], entry["future_records"]) == (
        False,
        0,
        0,
    )
    change_queries = [r.query for r in site.requests_for("posts") if "modified_after" in r.query]
    assert [q["modified_after"] for q in change_queries] == [as_text(window_start)]
    id_queries = [r.query for r in site.requests_for("posts") if r.query.get("_fields") == "id"]
    assert len(id_queries) == 3, "250 ids, 100 a page"


def test_an_update_with_nothing_new_keeps_the_watermark(
    aws: Aws, wordpress, raw_function, monkeypatch
) -> None:
    monkeypatch.setenv("LOOKBACK_MINUTES", "0")
    watermark = newest_modified(wordpress.site.collections["posts"])

    [entry] = fetch(
        raw_function, dataset(wordpress.url("posts"), "posts", "Update", watermark_before=watermark)
    )["endpoints"]

    assert entry["records"] == 0 and aws.get_json(key("posts")) == []
    assert entry["watermark_after"] == watermark
    assert entry["window_start"] == watermark


def test_detect_deletions_false_lists_no_ids(aws: Aws, changed_site, raw_function, monkeypatch) -> None:
    monkeypatch.setenv("DETECT_DELETIONS", "false")
    site, watermark, _ = changed_site

    [entry] = fetch(raw_function, dataset(site.url("posts"), "posts", "Update", watermark_before=watermark))[
        "endpoints"
    ]

    assert (entry["ids_key"], entry["published_ids"]) == (None, None)
    assert key("posts", "published_ids.json") not in aws.keys(RAW_BUCKET)
    assert all(r.query.get("_fields") != "id" for r in site.requests_for("posts"))


def test_a_site_ignoring_modified_after_is_detected_logged_and_returned(
    aws: Aws, raw_function, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The sample site honours modified_after on posts and pages only: "articles" stands in for a
    # site (or a caching proxy) that ignores it.
    monkeypatch.setenv("INCREMENTAL_DATASETS", "articles")
    articles = [
        post(1, "2020-01-01T00:00:00"),
        post(2, "2025-01-02T00:00:00"),
        post(3, "2021-06-01T00:00:00"),
    ]
    with (
        SampleWordPress(SampleSite(collections={"articles": articles})) as site,
        caplog.at_level(logging.WARNING),
    ):
        [entry] = fetch(
            raw_function,
            dataset(site.url("articles"), "articles", "Update", watermark_before="2025-01-01T00:00:00Z"),
        )["endpoints"]

    assert entry["ignored_modified_after"] is True
    assert entry["older_than_window"] == 2
    assert aws.get_json(key("articles")) == articles, "kept: the merge stays correct either way"
    assert entry["watermark_after"] == "2025-01-02T00:00:00Z"
    assert "ignores modified_after" in caplog.text


# --------------------------------------------------------------------------- split InitialLoad


def fetch_pages(raw_function: Any, page_range: dict[str, Any]) -> dict[str, Any]:
    return raw_function.lambda_handler({"action": "fetch_pages", **page_range}, None)


def seal(raw_function: Any, fetched: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any]:
    event = {"action": "seal", "run_id": RUN_ID, "endpoints": fetched["endpoints"], "parts": parts}
    return raw_function.lambda_handler(event, None)


@pytest.mark.parametrize(
    ("per_invocation", "ranges"), [("1", [(1, 1), (2, 2), (3, 3)]), ("2", [(1, 2), (3, 3)])]
)
def test_a_big_initial_load_is_split_into_page_ranges_fetched_then_sealed(
    aws: Aws, wordpress, raw_function, monkeypatch, per_invocation: str, ranges: list[tuple[int, int]]
) -> None:
    monkeypatch.setenv("PAGES_PER_INVOCATION", per_invocation)
    posts = wordpress.site.collections["posts"]
    tags = dataset(wordpress.url("tags"), "tags", incremental=False)

    fetched = fetch(raw_function, dataset(wordpress.url("posts"), "posts"), tags)

    split, small = fetched["endpoints"]
    assert aws.keys(RAW_BUCKET) == [key("tags")], "a split load stores nothing in fetch"
    assert split["split"] == {"total_pages": 3, "total_records": 250}
    assert (split["key"], split["keys"], split["records"]) == (f"wordpress_api/posts/{RUN_ID}/", [], 0)
    assert fetched["page_ranges"] == [
        {"run_id": RUN_ID, "name": "posts", "endpoint": wordpress.url("posts"), "first_page": first,
         "last_page": last, "total_pages": 3}
        for first, last in ranges
    ]  # fmt: skip

    parts = [fetch_pages(raw_function, page_range) for page_range in fetched["page_ranges"]]

    assert [part["key"] for part in parts] == [key("posts", f"posts-{first:06d}.json") for first, _ in ranges]
    assert parts[0]["min_id"] == 1 and parts[-1]["max_id"] == 250
    stored = [record for part in parts for record in aws.get_json(part["key"])]
    assert stored == by_id(posts)

    sealed = seal(raw_function, fetched, list(reversed(parts)))  # the Map's order does not matter

    posts_entry, tags_entry = sealed["endpoints"]
    assert tags_entry == small
    assert posts_entry["keys"] == [part["key"] for part in parts]
    assert (posts_entry["records"], posts_entry["pages"]) == (250, 3)
    assert posts_entry["bytes"] == sum(part["bytes"] for part in parts)
    assert posts_entry["watermark_after"] == newest_modified(posts)
    assert posts_entry["split"] == split["split"]
    assert (sealed["action"], sealed["records"], sealed["page_ranges"]) == ("seal", 250 + 20, [])
    assert aws.messages(aws.raw_topic_arn) == []


def test_a_seal_that_finds_overlapping_ids_fails_clearly(
    aws: Aws, wordpress, raw_function, monkeypatch
) -> None:
    monkeypatch.setenv("PAGES_PER_INVOCATION", "1")
    fetched = fetch(raw_function, dataset(wordpress.url("posts"), "posts"))
    first, second, third = fetched["page_ranges"]
    hidden = delete(wordpress, 50)  # unpublished while page 1 is read ...
    parts = [fetch_pages(raw_function, first)]
    wordpress.site.collections["posts"].append(hidden)  # ... and published again: pages shift up
    parts += [fetch_pages(raw_function, second), fetch_pages(raw_function, third)]
    assert (parts[0]["max_id"], parts[1]["min_id"]) == (101, 101)

    with pytest.raises(raw_function.PipelineStepFailed) as raised:
        seal(raw_function, fetched, parts)

    reason = failure_of(raised)[wordpress.url("posts")]
    assert "part of pages 2..2 starts at id 101, not after id 101" in reason
    assert reason.endswith("records moved between pages during the load; run again")
    [(_, message)] = aws.messages(aws.raw_topic_arn)
    assert "records moved between pages" in message


def test_a_seal_fails_when_a_record_went_missing_or_a_part_is_absent(
    aws: Aws, wordpress, raw_function, monkeypatch
) -> None:
    monkeypatch.setenv("PAGES_PER_INVOCATION", "1")
    fetched = fetch(raw_function, dataset(wordpress.url("posts"), "posts"))
    first, second, third = fetched["page_ranges"]
    parts = [fetch_pages(raw_function, first)]
    delete(wordpress, 150)  # deleted mid-load: pages shift down, post 201 moves to a page already read
    parts += [fetch_pages(raw_function, second), fetch_pages(raw_function, third)]

    with pytest.raises(
        raw_function.PipelineStepFailed, match="X-WP-Total said 250 records but the parts hold 249"
    ):
        seal(raw_function, fetched, parts)
    with pytest.raises(raw_function.PipelineStepFailed, match=r"parts cover pages 1..2 of 3"):
        seal(raw_function, fetched, parts[:2])


def test_a_manual_run_fetches_a_split_load_in_process(aws: Aws, wordpress, raw_function, monkeypatch) -> None:
    monkeypatch.setenv("PAGES_PER_INVOCATION", "2")
    aws.set_endpoints([wordpress.url("posts")])

    output = raw_function.lambda_handler({"run_id": RUN_ID}, None)

    [entry] = output["endpoints"]
    assert entry["keys"] == [key("posts", "posts-000001.json"), key("posts", "posts-000003.json")]
    assert [r for part in entry["keys"] for r in aws.get_json(part)] == by_id(
        wordpress.site.collections["posts"]
    )
    assert (entry["records"], output["records"], output["page_ranges"]) == (250, 250, [])


def test_a_manual_run_without_a_run_id_gets_one(aws: Aws, wordpress, raw_function) -> None:
    aws.set_endpoints([wordpress.url("tags")])

    output = raw_function.lambda_handler({}, None)

    run_id = output["run_id"]
    assert run_id.endswith("Z-manual") and len(run_id) == len("20261207T070000Z-manual")
    assert abs(
        datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) - datetime.now(UTC)
    ) < timedelta(minutes=1)
    assert aws.keys(RAW_BUCKET) == [f"wordpress_api/tags/{run_id}/tags.json"]
    assert json.loads(json.dumps(output)) == output, "the output is JSON (Step Functions passes it on)"
