"""The raw function's WordPress client against a real WordPress (Debian's package, local/real_wordpress.py).

Pins what modules/pipeline/wordpress-incremental-reads.md says about ``modified_after``, ``orderby`` and
``_fields=id``: if a WordPress behaves otherwise, these tests fail. Skipped when the Debian packages
are not installed. One site (timezone Europe/Berlin) serves the whole module: setup takes ~5 s.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from local.functions import load_function_module
from local.real_wordpress import DEBIAN_PACKAGES, RealWordPress, missing_requirements

from .conftest import Aws

logger = logging.getLogger(__name__)

MISSING = missing_requirements()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"real WordPress not installed ({', '.join(MISSING)}); "
        f"apt-get install {' '.join(DEBIAN_PACKAGES)}",
    ),
]

PAGED_POSTS = 25
TIED_POSTS = 12
# Posts whose modification columns are set by SQL (site timezone Europe/Berlin, summer: UTC+2).
# "D" is deliberately inconsistent: only its local column is after 2024-07-01 18:00.
MODIFIED = {
    "A": ("2024-07-01 12:00:00", "2024-07-01 10:00:00"),
    "B": ("2024-07-01 13:00:00", "2024-07-01 11:00:00"),
    "C": ("2024-07-01 14:00:00", "2024-07-01 12:00:00"),
    "D": ("2024-07-02 12:00:00", "2024-07-01 00:00:00"),
}
JULY_WINDOW_END = "&modified_before=2024-07-03T00:00:00Z"  # keeps other posts out of the July queries
UPDATE_RUN_ID = "20261207T070000Z-real-wordpress"


@dataclass
class Site:
    wordpress: RealWordPress
    paged: list[int]
    tied: list[int]
    modified: dict[str, int]
    autumn: dict[str, int]  # "first" 02:40 CEST, "second" 02:30 CET on 2024-10-27


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with RealWordPress(timezone="Europe/Berlin") as wordpress:
        paged = [
            wordpress.create_post(f"Paged {n}", date=f"2023-01-{1 + n // 24:02d}T{n % 24:02d}:00:00")
            for n in range(PAGED_POSTS)
        ]
        tied = [wordpress.create_post(f"Tied {n}", date="2022-06-01T08:00:00") for n in range(TIED_POSTS)]
        modified = {}
        for name, (local, gmt) in MODIFIED.items():
            modified[name] = wordpress.create_post(name, date=local.replace(" ", "T"))
            wordpress.set_modified(modified[name], local=local, gmt=gmt)
        autumn = {
            "first": wordpress.create_post("02:40 CEST", date_gmt="2024-10-27T00:40:00"),
            "second": wordpress.create_post("02:30 CET", date_gmt="2024-10-27T01:30:00"),
        }
        yield Site(wordpress, paged, tied, modified, autumn)


@pytest.fixture(scope="module")
def raw() -> ModuleType:
    return load_function_module("data_wordpressapi_raw")


@pytest.fixture
def fetcher(raw: ModuleType) -> Iterator[Any]:
    with raw.Fetcher(
        concurrency=4, timeout=10.0, max_attempts=1, retry_base_seconds=0.01, user_agent="real-wordpress-test"
    ) as client:
        yield client


def fetch_ids(raw: ModuleType, fetcher: Any, url: str) -> list[int]:
    """Ids of every record the raw client fetches from ``url`` (all pages), in order."""
    data = raw.fetch_all_pages(fetcher, url)
    return [record["id"] for record in json.loads(data.body)]


def posts_url(site: Site, query: str) -> str:
    return f"{site.wordpress.url('posts')}?{query}"


def published_ids(site: Site) -> set[int]:
    rows = site.wordpress.sql("SELECT ID FROM wp_posts WHERE post_type = 'post' AND post_status = 'publish'")
    return {int(row[0]) for row in rows}


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize("order", ["", "orderby=id&order=asc&", "orderby=date&order=asc&"])
def test_a_paginated_fetch_returns_every_post_once(
    site: Site, raw: ModuleType, fetcher: Any, order: str
) -> None:
    ids = fetch_ids(raw, fetcher, posts_url(site, f"{order}per_page=10"))

    assert len(ids) == len(set(ids)), "no post twice"
    assert set(ids) == published_ids(site)
    assert set(site.paged + site.tied) <= set(ids)


def test_both_url_forms_page_the_same_posts(site: Site, raw: ModuleType, fetcher: Any) -> None:
    pretty = fetch_ids(raw, fetcher, posts_url(site, "per_page=7"))
    plain = fetch_ids(raw, fetcher, f"{site.wordpress.url('posts', pretty=False)}&per_page=7")
    assert pretty == plain


def test_orderby_modified_pages_with_headers_in_ascending_local_order(site: Site) -> None:
    answer = site.wordpress.get(
        "/wp-json/wp/v2/posts?orderby=modified&order=asc&per_page=2&_fields=id,modified"
        "&modified_after=2024-07-01T00:00:00Z" + JULY_WINDOW_END
    )
    assert answer.status == 200
    assert (answer.headers["x-wp-total"], answer.headers["x-wp-totalpages"]) == ("4", "2")
    assert 'rel="next"' in answer.headers["link"] and "page=2" in answer.headers["link"]
    assert [post["id"] for post in answer.body] == [site.modified["A"], site.modified["B"]]


def test_orderby_modified_does_not_break_ties_by_id(site: Site, raw: ModuleType, fetcher: Any) -> None:
    """Twelve posts modified in the same second, 5 a page: orderby=modified repeats some and never
    returns others, while the record count still matches X-WP-Total (so only unique ids reveal it).
    If this starts failing, WordPress (or MariaDB) now orders ties stably: update the doc."""
    window = "modified_after=2022-05-31T00:00:00Z&modified_before=2022-06-02T00:00:00Z&per_page=5"
    by_modified = fetch_ids(raw, fetcher, posts_url(site, f"orderby=modified&order=asc&{window}"))
    by_id = fetch_ids(raw, fetcher, posts_url(site, f"orderby=id&order=asc&{window}"))

    assert len(by_modified) == TIED_POSTS
    assert len(set(by_modified)) < TIED_POSTS
    assert by_id == sorted(site.tied)


def test_fields_id_returns_only_ids(site: Site) -> None:
    answer = site.wordpress.get("/wp-json/wp/v2/posts?_fields=id&per_page=100")
    assert answer.status == 200
    assert all(record.keys() == {"id"} for record in answer.body)
    assert {record["id"] for record in answer.body} == published_ids(site)
    assert answer.headers["x-wp-total"] == str(len(answer.body))


# --------------------------------------------------------------------------- modified_after


def july_ids(site: Site, raw: ModuleType, fetcher: Any, after: str) -> list[str]:
    """Names (A..D) of the July posts the raw client gets for ``modified_after=after``."""
    names = {post_id: name for name, post_id in site.modified.items()}
    query = f"modified_after={after}{JULY_WINDOW_END}&orderby=id&order=asc"
    return [names[post_id] for post_id in fetch_ids(raw, fetcher, posts_url(site, query))]


def test_modified_after_compares_the_local_post_modified_column(
    site: Site, raw: ModuleType, fetcher: Any
) -> None:
    # D: post_modified 2024-07-02 12:00 (local), post_modified_gmt 2024-07-01 00:00.
    assert july_ids(site, raw, fetcher, "2024-07-01T18:00:00Z") == ["D"]


def test_modified_after_without_a_timezone_means_site_local_time(
    site: Site, raw: ModuleType, fetcher: Any
) -> None:
    assert july_ids(site, raw, fetcher, "2024-07-01T11:30:00") == ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2024-07-01T11:30:00Z", ["C", "D"]),  # 13:30 in Berlin
        ("2024-07-01T11:30:00%2B02:00", ["A", "B", "C", "D"]),
        ("2024-07-01T11:30:00-03:00", ["D"]),  # 16:30 in Berlin
    ],
)
def test_modified_after_converts_a_timezone_to_site_local_time(
    site: Site, raw: ModuleType, fetcher: Any, after: str, expected: list[str]
) -> None:
    assert july_ids(site, raw, fetcher, after) == expected


@pytest.mark.parametrize("bound", ["2024-07-01T12:00:00", "2024-07-01T10:00:00Z"])
def test_modified_after_is_exclusive(site: Site, raw: ModuleType, fetcher: Any, bound: str) -> None:
    assert july_ids(site, raw, fetcher, bound) == ["B", "C", "D"], "A, modified exactly at the bound, is out"


@pytest.mark.parametrize("value", ["2024-07-01", "yesterday", "2024-07-01T11:30:00+02:00"])
def test_modified_after_rejects_other_formats(site: Site, value: str) -> None:
    answer = site.wordpress.get(f"/wp-json/wp/v2/posts?modified_after={value}")
    assert answer.status == 400
    assert answer.body["code"] == "rest_invalid_param"


def test_the_second_autumn_hour_needs_a_lookback(site: Site, raw: ModuleType, fetcher: Any) -> None:
    """Berlin, 2024-10-27: 02:00-03:00 happens twice. A watermark at 00:45Z (02:45 CEST) misses a
    post modified at 01:30Z (02:30 CET), which is later; 60 minutes of lookback find it."""
    window = "&modified_before=2024-10-28T00:00:00Z&orderby=id&order=asc"
    without_lookback = fetch_ids(
        raw, fetcher, posts_url(site, f"modified_after=2024-10-27T00:45:00Z{window}")
    )
    with_lookback = fetch_ids(raw, fetcher, posts_url(site, f"modified_after=2024-10-26T23:45:00Z{window}"))

    assert without_lookback == []
    assert set(with_lookback) == set(site.autumn.values())


def test_collections_without_the_filter_ignore_it(site: Site, raw: ModuleType, fetcher: Any) -> None:
    url = f"{site.wordpress.url('categories')}?modified_after=2999-01-01T00:00:00Z"
    assert fetch_ids(raw, fetcher, url) == [1], "Uncategorized, although nothing is modified after 2999"


def test_an_edit_is_found_by_a_utc_watermark(site: Site, raw: ModuleType, fetcher: Any) -> None:
    watermark = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    post_id = site.wordpress.create_post("Edited later", date="2021-03-01T09:00:00")
    assert fetch_ids(raw, fetcher, posts_url(site, f"modified_after={watermark}")) == []

    edited = site.wordpress.edit_post(post_id, title="Edited now")

    assert fetch_ids(raw, fetcher, posts_url(site, f"modified_after={watermark}")) == [post_id]
    modified_gmt = datetime.fromisoformat(edited["modified_gmt"]).replace(tzinfo=UTC)
    assert abs(modified_gmt - datetime.now(UTC)) < timedelta(minutes=1), "post_modified_gmt is now, UTC"


# --------------------------------------------------------------------------- deletions


def test_trashed_deleted_and_unpublished_posts_vanish_for_anonymous_clients(
    site: Site, raw: ModuleType, fetcher: Any
) -> None:
    wordpress = site.wordpress
    trashed, deleted, drafted = (wordpress.create_post(f"Going {n}") for n in range(3))
    assert {trashed, deleted, drafted} <= set(fetch_ids(raw, fetcher, posts_url(site, "_fields=id")))

    wordpress.trash_post(trashed)
    wordpress.delete_post(deleted)
    wordpress.edit_post(drafted, status="draft")

    listed = set(fetch_ids(raw, fetcher, posts_url(site, "_fields=id")))
    assert not {trashed, deleted, drafted} & listed
    assert listed == published_ids(site)
    update = fetch_ids(raw, fetcher, posts_url(site, "modified_after=2000-01-01T00:00:00Z&_fields=id"))
    assert set(update) == listed, "no tombstones in an Update either"
    statuses = {
        post_id: wordpress.get(f"/wp-json/wp/v2/posts/{post_id}") for post_id in (trashed, deleted, drafted)
    }
    assert [(answer.status, answer.body["code"]) for answer in statuses.values()] == [
        (401, "rest_forbidden"),
        (404, "rest_post_invalid_id"),
        (401, "rest_forbidden"),
    ]
    forbidden = wordpress.get("/wp-json/wp/v2/posts?status=trash")
    assert (forbidden.status, forbidden.body["code"]) == (400, "rest_invalid_param")
    seen_by_editor = wordpress.request("GET", "/wp-json/wp/v2/posts?status=trash,draft&_fields=id,status")
    assert {(post["id"], post["status"]) for post in seen_by_editor.body} >= {
        (trashed, "trash"),
        (drafted, "draft"),
    }


# --------------------------------------------------------------------------- the handler's Update


def test_an_update_run_of_the_handler_picks_up_an_edit_and_lists_ids_without_a_trashed_post(
    site: Site, raw: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The raw handler's ``fetch`` action, mode Update, against the real site (Europe/Berlin): the
    window start goes out in UTC, the edit made after the watermark comes back, the trashed post is
    neither fetched nor listed among the published ids."""
    wordpress = site.wordpress
    edited = wordpress.create_post("Update: edited later", date="2021-05-01T09:00:00")
    trashed = wordpress.create_post("Update: trashed later", date="2021-05-02T09:00:00")
    watermark = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.1)  # modified_after is exclusive and reads whole seconds
    wordpress.edit_post(edited, title="Edited after the watermark")
    wordpress.trash_post(trashed)  # trashing bumps post_modified too
    monkeypatch.setenv("LOOKBACK_MINUTES", "0")  # only this test's changes are after the watermark
    aws.set_endpoints([wordpress.url("posts")])
    planned = raw.lambda_handler({"action": "plan", "run_id": UPDATE_RUN_ID}, None)
    [posts] = planned["datasets"]
    since = watermark.strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "action": "fetch",
        "run_id": UPDATE_RUN_ID,
        "datasets": [
            posts
            | {
                "mode": "Update",
                "reason": "watermark",
                "watermark_before": since,
                "expected_run_id": "",
                "last_full_load_at": None,
            }
        ],
        "rejected": planned["rejected"],
    }

    [entry] = raw.lambda_handler(event, None)["endpoints"]

    records = aws.get_json(entry["key"])
    assert [record["id"] for record in records] == [edited]
    assert records[0]["title"]["rendered"] == "Edited after the watermark"
    ids = aws.get_json(entry["ids_key"])
    assert trashed not in ids and edited in ids
    assert set(ids) == published_ids(site) and entry["published_ids"] == len(ids)
    assert entry["window_start"] == since
    assert since < entry["watermark_after"] <= entry["fetch_started_at"]
    assert entry["watermark_after"] == records[0]["modified_gmt"] + "Z", "the edit's UTC time"
    assert entry["ignored_modified_after"] is False
