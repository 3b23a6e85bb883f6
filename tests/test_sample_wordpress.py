"""The built-in sample WordPress site's generated data (local/sample_wordpress.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from local.sample_wordpress import (
    LAST_POST_DATE,
    SampleSite,
    SampleWordPress,
    build_changed_site,
    build_site,
    generate_posts,
)


def test_large_sample_sites_keep_every_post_date_in_the_past() -> None:
    # At 50,000 posts, 7 hours apart from 2020, posts were dated up to 2060 (480 year/month partitions).
    now = datetime.now(UTC).replace(tzinfo=None)
    posts = generate_posts(50_000, paragraphs=0)

    dates = [datetime.fromisoformat(post[field]) for post in posts for field in ("date", "date_gmt")]
    modified = [datetime.fromisoformat(post[key]) for post in posts for key in ("modified", "modified_gmt")]
    assert max(dates) <= LAST_POST_DATE < now
    assert max(modified) <= LAST_POST_DATE
    assert all(
        datetime.fromisoformat(post["modified"]) >= datetime.fromisoformat(post["date"]) for post in posts
    )
    months = {(date.year, date.month) for date in dates}
    assert len(months) <= 72, "six years of posts at most"
    assert [post["id"] for post in posts] == list(range(50_000, 0, -1)), "newest first"


def test_small_sample_sites_keep_their_dates_seven_hours_apart() -> None:
    posts = generate_posts(250)
    first, second = (datetime.fromisoformat(post["date"]) for post in posts[-1:-3:-1])
    assert (first.year, first.month, first.day, first.hour) == (2020, 1, 1, 14)
    assert (second - first).total_seconds() // 3600 in (6, 7)


# --------------------------------------------------------------------------- incremental reads
# The same cases as tests/functions/test_raw_real_wordpress.py
# (modules/pipeline/wordpress-incremental-reads.md),
# on a site whose timezone is UTC (the sample site's), so local and GMT modification times agree.

MODIFIED_POSTS = [
    {"id": 4, "date": "2024-07-01T10:00:00", "modified": "2024-07-01T10:00:00", "title": "A"},
    {"id": 5, "date": "2024-07-01T11:00:00", "modified": "2024-07-01T11:00:00", "title": "B"},
    {"id": 6, "date": "2024-07-01T12:00:00", "modified": "2024-07-01T12:00:00", "title": "C"},
]


def get(url: str) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture(scope="module")
def modified_site() -> Iterator[SampleWordPress]:
    posts = [{**post, "modified_gmt": post["modified"]} for post in reversed(MODIFIED_POSTS)]
    site = SampleSite(collections={"posts": posts, "categories": [{"id": 1, "name": "Uncategorized"}]})
    with SampleWordPress(site) as running:
        yield running


def titles(site: SampleWordPress, query: str) -> list[str]:
    status, _, body = get(f"{site.url('posts')}?{query}&orderby=id&order=asc")
    assert status == 200, body
    return [post["title"] for post in body]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2024-07-01T11:30:00", ["C"]),  # no timezone: site-local time
        ("2024-07-01T11:30:00Z", ["C"]),
        ("2024-07-01T11:30:00%2B02:00", ["A", "B", "C"]),  # 09:30 UTC
        ("2024-07-01T11:30:00-03:00", []),  # 14:30 UTC
        ("2024-07-01T10:00:00", ["B", "C"]),  # exclusive: A is modified exactly at the bound
        ("2024-07-01%2010:00:00Z", ["B", "C"]),
        ("2024-07-01T09:59:59.5Z", ["A", "B", "C"]),  # the fraction is dropped
    ],
)
def test_modified_after_answers_like_a_real_wordpress(
    modified_site: SampleWordPress, after: str, expected: list[str]
) -> None:
    assert titles(modified_site, f"modified_after={after}") == expected


def test_modified_before_is_exclusive_too(modified_site: SampleWordPress) -> None:
    assert titles(modified_site, "modified_before=2024-07-01T11:00:00Z") == ["A"]


@pytest.mark.parametrize("value", ["2024-07-01", "yesterday", "2024-07-01T11:30:00+02:00"])
def test_modified_after_rejects_what_wordpress_rejects(modified_site: SampleWordPress, value: str) -> None:
    status, _, body = get(f"{modified_site.url('posts')}?modified_after={value}")
    assert (status, body["code"], body["data"]["params"]) == (
        400,
        "rest_invalid_param",
        {"modified_after": "Invalid date."},
    )


def test_collections_without_the_filter_ignore_it(modified_site: SampleWordPress) -> None:
    status, _, body = get(f"{modified_site.url('categories')}?modified_after=2999-01-01T00:00:00Z")
    assert (status, [term["id"] for term in body]) == (200, [1])


def test_orderby_modified_pages_in_ascending_order_with_headers(modified_site: SampleWordPress) -> None:
    url = f"{modified_site.url('posts')}?orderby=modified&order=asc&per_page=2&_fields=id,modified"
    status, headers, body = get(url)
    assert status == 200
    assert (headers["X-WP-Total"], headers["X-WP-TotalPages"]) == ("3", "2")
    assert 'rel="next"' in headers["Link"] and "page=2" in headers["Link"]
    assert body == [
        {"id": 4, "modified": "2024-07-01T10:00:00"},
        {"id": 5, "modified": "2024-07-01T11:00:00"},
    ]
    assert get(f"{url}&page=2")[2] == [{"id": 6, "modified": "2024-07-01T12:00:00"}]
    assert [post["id"] for post in get(f"{modified_site.url('posts')}?orderby=modified")[2]] == [6, 5, 4]


def test_fields_id_returns_only_ids(modified_site: SampleWordPress) -> None:
    status, headers, body = get(f"{modified_site.url('posts')}?_fields=id")
    assert (status, headers["X-WP-Total"], body) == (200, "3", [{"id": 6}, {"id": 5}, {"id": 4}])


def body_length(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return len(response.read())
    except urllib.error.HTTPError as error:
        return len(error.read())


def test_the_request_log_counts_the_bytes_of_each_response_body() -> None:
    """What a client downloaded, for the benchmark's bytes column: each answer's body, errors too."""
    with SampleWordPress(posts=30) as site:
        queries = ("per_page=20", "per_page=20&page=2", "_fields=id&per_page=100", "page=99")
        lengths = [body_length(f"{site.url('posts')}?{query}") for query in queries]
        log = site.requests_for("posts")

    assert [entry.bytes for entry in log] == lengths
    assert lengths[2] == len(json.dumps([{"id": n} for n in range(30, 0, -1)]).encode())
    assert log[3].status == 400 and log[3].bytes > 0


def test_generated_posts_filter_and_order_by_modification_date() -> None:
    with SampleWordPress(posts=40) as site:
        everything = site.site.collections["posts"]
        bound = sorted(post["modified"] for post in everything)[19]
        status, headers, body = get(
            f"{site.url('posts')}?modified_after={bound}&orderby=modified&order=asc&per_page=100&_fields=id,modified"
        )
    assert status == 200
    assert [post["modified"] for post in body] == sorted(
        p["modified"] for p in everything if p["modified"] > bound
    )
    assert headers["X-WP-Total"] == str(len(body))


# --------------------------------------------------------------------------- changes between runs


def newest_modified(posts: list[dict[str, Any]]) -> datetime:
    return max(datetime.fromisoformat(post["modified"]) for post in posts)


def test_the_same_options_give_the_same_site() -> None:
    first, first_changes = build_changed_site([6, 3], posts=30)
    second, second_changes = build_changed_site([6, 3], posts=30)
    assert first == second and first_changes == second_changes
    assert build_site(posts=30) == build_changed_site([], posts=30)[0]


def test_n_changes_edit_add_and_remove_about_a_third_each() -> None:
    before = build_site(posts=30)
    previous_newest = newest_modified(before.collections["posts"])
    old = {post["id"]: post for post in before.collections["posts"]}

    site, [changes] = build_changed_site([7], posts=30)

    posts = {post["id"]: post for post in site.collections["posts"]}
    assert (len(changes.edited), len(changes.added), len(changes.deleted) + len(changes.unpublished)) == (
        3,
        2,
        2,
    )
    assert (len(changes.deleted), len(changes.unpublished)) == (1, 1)
    assert changes.added == [31, 32], "new ids follow the highest"
    assert set(posts) == set(old) - set(changes.deleted) - set(changes.unpublished) | set(changes.added)
    assert not set(changes.edited) & set(changes.deleted + changes.unpublished)
    for post_id in changes.edited:
        assert posts[post_id]["title"] != old[post_id]["title"]
        assert posts[post_id]["date"] == old[post_id]["date"]
    for post_id in changes.edited + changes.added:
        assert datetime.fromisoformat(posts[post_id]["modified"]) > previous_newest
        assert posts[post_id]["modified_gmt"] == posts[post_id]["modified"]
    unchanged = set(posts) - set(changes.edited) - set(changes.added)
    assert all(posts[post_id] == old[post_id] for post_id in unchanged)
    assert [post["id"] for post in site.collections["posts"]] == sorted(posts, reverse=True), "newest first"


def test_each_generation_changes_more_after_the_previous_one() -> None:
    site, (first, second) = build_changed_site([3, 3], posts=30)
    after_first, _ = build_changed_site([3], posts=30)

    assert first.added == [31] and second.added == [32], "a deleted or added id is never reused"
    assert second.edited != first.edited or second.deleted != first.deleted
    newest_before = newest_modified(after_first.collections["posts"])
    posts = {post["id"]: post for post in site.collections["posts"]}
    for post_id in second.edited + second.added:
        assert datetime.fromisoformat(posts[post_id]["modified"]) > newest_before


def test_a_sample_site_served_after_changes_answers_modified_after_with_exactly_those() -> None:
    before = build_site(posts=30)
    after = f"{newest_modified(before.collections['posts']):%Y-%m-%dT%H:%M:%S}"
    site, [changes] = build_changed_site([9], posts=30)
    with SampleWordPress(site) as running:
        status, _, body = get(f"{running.url('posts')}?modified_after={after}&per_page=100")
    assert status == 200, body
    assert sorted(post["id"] for post in body) == sorted(changes.edited + changes.added)
