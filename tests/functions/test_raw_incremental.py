"""The raw function's side of an Update (issue 18): ``wordpress_incremental.fetch_changes`` and
``fetch_published_ids`` against the sample site, a tiny static server (a site or cache that ignores
``modified_after``, malformed records) and, when Debian's packages are installed, a real WordPress
whose timezone is not UTC (modules/pipeline/wordpress-incremental-reads.md)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from types import ModuleType
from typing import Any

import pytest

from local.real_wordpress import DEBIAN_PACKAGES, RealWordPress, missing_requirements
from local.sample_wordpress import SampleSite, SampleWordPress


@pytest.fixture(scope="module")
def incremental(raw_function: ModuleType) -> ModuleType:
    """The module beside the raw handler (loading the handler puts its src directory on the path)."""
    import wordpress_incremental

    return wordpress_incremental


@pytest.fixture
def fetcher(raw_function: ModuleType) -> Iterator[Any]:
    with raw_function.Fetcher(
        concurrency=3, timeout=10.0, max_attempts=1, retry_base_seconds=0.01, user_agent="incremental-test"
    ) as client:
        yield client


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def post(post_id: int, modified_gmt: str | None, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": post_id,
        "date": "2024-01-01T00:00:00",
        "title": {"rendered": f"P{post_id}"},
    }
    if modified_gmt is not None:
        record |= {"modified": modified_gmt, "modified_gmt": modified_gmt}
    return record | fields


@pytest.fixture
def site() -> Iterator[SampleWordPress]:
    """250 generated posts (3 pages of 100), modified between 2020 and 2025, timezone UTC."""
    with SampleWordPress(posts=250) as running:
        yield running


def logged_queries(site: SampleWordPress, count: int) -> list[dict[str, str]]:
    """The queries of the site's ``posts`` requests, once ``count`` are logged (the sample site logs a
    request after answering it, so the client can be done a moment before the log is)."""
    deadline = time.monotonic() + 5
    while len(site.requests_for("posts")) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [r.query for r in site.requests_for("posts")]


def posts_modified_after(site: SampleWordPress, bound: datetime) -> list[dict[str, Any]]:
    return [p for p in site.site.collections["posts"] if utc(p["modified_gmt"]) > bound]


# --------------------------------------------------------------------------- fetch_changes


def test_only_changed_posts_are_fetched_by_id_with_the_bound_in_utc(
    site: SampleWordPress, incremental: ModuleType, fetcher: Any
) -> None:
    posts = site.site.collections["posts"]
    since = sorted(utc(p["modified_gmt"]) for p in posts)[-150] + timedelta(seconds=1)
    expected = posts_modified_after(site, since)

    changes = incremental.fetch_changes(fetcher, site.url("posts"), since)

    assert 100 < len(expected) < 150
    assert [r["id"] for r in changes.records] == sorted(p["id"] for p in expected)
    assert json.loads(changes.body) == changes.records
    assert changes.pages == 2
    assert changes.watermark_utc == max(utc(p["modified_gmt"]) for p in posts)
    assert changes.watermark_utc.tzinfo is UTC
    assert not changes.ignored_modified_after and changes.future_records == 0
    queries = logged_queries(site, 2)
    assert {q["modified_after"] for q in queries} == {since.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert {(q["orderby"], q["order"], q["per_page"]) for q in queries} == {("id", "asc", "100")}
    assert sorted(q.get("page", "1") for q in queries) == ["1", "2"]


def test_the_bound_is_exclusive_and_fractions_are_rounded_down(
    site: SampleWordPress, incremental: ModuleType, fetcher: Any
) -> None:
    newest = max(site.site.collections["posts"], key=lambda p: (p["modified_gmt"], p["id"]))
    at_newest = utc(newest["modified_gmt"])

    exactly = incremental.fetch_changes(fetcher, site.url("posts"), at_newest)
    just_before = incremental.fetch_changes(fetcher, site.url("posts"), at_newest - timedelta(microseconds=1))

    assert newest["id"] not in [r["id"] for r in exactly.records]
    assert exactly.watermark_utc is None, "nothing changed: the caller keeps its watermark"
    assert newest["id"] in [r["id"] for r in just_before.records]
    assert just_before.since_utc == at_newest - timedelta(seconds=1)


def test_a_window_in_another_timezone_is_sent_as_utc(
    site: SampleWordPress, incremental: ModuleType, fetcher: Any
) -> None:
    since = datetime(2025, 6, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2)))

    changes = incremental.fetch_changes(fetcher, site.url("posts"), since)

    assert {q["modified_after"] for q in logged_queries(site, changes.pages)} == {"2025-06-01T12:00:00Z"}
    assert [r["id"] for r in changes.records] == sorted(
        p["id"] for p in posts_modified_after(site, utc("2025-06-01T12:00:00"))
    )


def test_a_naive_window_start_is_refused(
    site: SampleWordPress, incremental: ModuleType, fetcher: Any
) -> None:
    with pytest.raises(ValueError, match="no timezone"):
        incremental.fetch_changes(fetcher, site.url("posts"), datetime(2025, 1, 1))
    assert site.requests_for("posts") == []


def test_a_post_modified_in_the_future_counts_and_sets_the_watermark(
    incremental: ModuleType, fetcher: Any, caplog: pytest.LogCaptureFixture
) -> None:
    posts = [post(3, "2099-01-01T00:00:00"), post(2, "2025-03-01T10:00:00"), post(1, "2024-01-01T00:00:00")]
    with (
        SampleWordPress(SampleSite(collections={"posts": posts})) as running,
        caplog.at_level(logging.WARNING, logger="wordpress_incremental"),
    ):
        changes = incremental.fetch_changes(
            fetcher,
            running.url("posts"),
            utc("2025-01-01T00:00:00"),
            now=lambda: utc("2025-03-02T00:00:00"),
        )

    assert [r["id"] for r in changes.records] == [2, 3]
    assert changes.watermark_utc == utc("2099-01-01T00:00:00"), "the newest seen, never now()"
    assert changes.future_records == 1
    assert "records modified in the future" in caplog.text


def test_a_post_without_modified_gmt_fails_naming_it(incremental: ModuleType, fetcher: Any) -> None:
    posts = [post(1, "2025-01-02T00:00:00"), post(7, None, modified="2025-01-02T00:00:00")]
    with (
        SampleWordPress(SampleSite(collections={"posts": posts})) as running,
        pytest.raises(incremental.EndpointError, match=r"record 2 \(id 7\) has no modified_gmt"),
    ):
        incremental.fetch_changes(fetcher, running.url("posts"), utc("2025-01-01T00:00:00"))


def test_a_malformed_modified_gmt_fails_naming_it(incremental: ModuleType, fetcher: Any) -> None:
    posts = [post(4, "2025-01-02T00:00:00"), post(5, "2025-01-03T00:00:00") | {"modified_gmt": "yesterday"}]
    with (
        SampleWordPress(SampleSite(collections={"posts": posts})) as running,
        pytest.raises(incremental.EndpointError, match=r"record 2 \(id 5\) has modified_gmt 'yesterday'"),
    ):
        incremental.fetch_changes(fetcher, running.url("posts"), utc("2025-01-01T00:00:00"))


# --------------------------------------------------------------------------- a tiny static server


class StaticSite:
    """Answers every GET with the same JSON array and pagination headers, whatever the query: an old
    WordPress or a caching proxy that ignores ``modified_after``."""

    def __init__(self, records: list[Any], *, total_pages: int = 1) -> None:
        body = json.dumps(records).encode()
        headers = {"X-WP-Total": str(len(records) * total_pages), "X-WP-TotalPages": str(total_pages)}
        self.queries: list[str] = []
        queries = self.queries

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                queries.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/wp-json/wp/v2/{name}"


def test_a_site_ignoring_modified_after_is_detected_and_its_records_kept(
    incremental: ModuleType, fetcher: Any, caplog: pytest.LogCaptureFixture
) -> None:
    records = [post(1, "2020-05-01T00:00:00"), post(2, "2025-01-02T00:00:00"), post(3, "2021-01-01T00:00:00")]
    with StaticSite(records) as cache, caplog.at_level(logging.WARNING, logger="wordpress_incremental"):
        changes = incremental.fetch_changes(fetcher, cache.url("posts"), utc("2025-01-01T00:00:00"))

    assert changes.ignored_modified_after is True
    assert changes.older_than_window == 2
    assert changes.records == records, "still returned: the merge (newest modified_gmt per id) stays correct"
    assert changes.watermark_utc == utc("2025-01-02T00:00:00")
    assert "site ignores modified_after" in caplog.text
    assert "modified_after=2025-01-01T00%3A00%3A00Z" in cache.queries[0]


def test_a_record_one_dst_hour_older_than_the_window_is_not_evidence(
    incremental: ModuleType, fetcher: Any
) -> None:
    # Europe/Berlin, 2024-10-27: a bound of 01:30Z is local 02:30 CET; a post at 00:50Z (02:50 CEST)
    # is "after" it in local time, so a correct WordPress returns it.
    autumn = post(8, "2024-10-27T00:50:00", modified="2024-10-27T02:50:00")
    with StaticSite([autumn]) as wordpress:
        changes = incremental.fetch_changes(fetcher, wordpress.url("posts"), utc("2024-10-27T01:30:00"))

    assert changes.ignored_modified_after is False
    assert changes.watermark_utc == utc("2024-10-27T00:50:00")


def test_a_record_without_an_id_fails_naming_it(incremental: ModuleType, fetcher: Any) -> None:
    records = [post(1, "2025-01-02T00:00:00"), {"modified_gmt": "2025-01-02T00:00:00", "title": "?"}]
    with (
        StaticSite(records) as wordpress,
        pytest.raises(incremental.EndpointError, match="record 2 of page 1 has no id"),
    ):
        incremental.fetch_changes(fetcher, wordpress.url("posts"), utc("2025-01-01T00:00:00"))


def test_pages_that_overlap_fail_instead_of_hiding_records(incremental: ModuleType, fetcher: Any) -> None:
    with StaticSite(
        [post(1, "2025-01-02T00:00:00"), post(2, "2025-01-03T00:00:00")], total_pages=2
    ) as shifting:
        with pytest.raises(incremental.EndpointError, match=r"ids \[1, 2\] came twice"):
            incremental.fetch_changes(fetcher, shifting.url("posts"), utc("2025-01-01T00:00:00"))
        with pytest.raises(incremental.EndpointError, match="came twice"):
            incremental.fetch_published_ids(fetcher, shifting.url("posts"))


# --------------------------------------------------------------------------- fetch_published_ids


def test_published_ids_come_from_an_id_only_listing(
    site: SampleWordPress, incremental: ModuleType, fetcher: Any
) -> None:
    ids = incremental.fetch_published_ids(fetcher, site.url("posts"))

    assert ids == {p["id"] for p in site.site.collections["posts"]}
    queries = logged_queries(site, 3)
    assert {(q["_fields"], q["orderby"], q["order"], q["per_page"]) for q in queries} == {
        ("id", "id", "asc", "100")
    }
    assert len(queries) == 3


def test_deleted_posts_are_absent_from_the_published_ids(
    site: SampleWordPress, incremental: ModuleType, fetcher: Any
) -> None:
    posts = site.site.collections["posts"]
    gone = {posts[0]["id"], posts[120]["id"], posts[-1]["id"]}
    site.site.collections["posts"] = [p for p in posts if p["id"] not in gone]  # deleted/trashed/unpublished

    ids = incremental.fetch_published_ids(fetcher, site.url("posts"))

    assert len(ids) == 247
    assert ids.isdisjoint(gone)
    assert ids | gone == {p["id"] for p in posts}


def test_a_non_integer_id_fails(incremental: ModuleType, fetcher: Any) -> None:
    with (
        StaticSite([{"id": 1}, {"id": "2"}]) as wordpress,
        pytest.raises(incremental.EndpointError, match="record 2 has id '2', not an integer"),
    ):
        incremental.fetch_published_ids(fetcher, wordpress.url("posts"))


# --------------------------------------------------------------------------- a real WordPress

MISSING = missing_requirements()
needs_real_wordpress = pytest.mark.skipif(
    bool(MISSING),
    reason=f"real WordPress not installed ({', '.join(MISSING)}); "
    f"apt-get install {' '.join(DEBIAN_PACKAGES)}",
)
# America/New_York in July is UTC-4: local post_modified is 4 hours BEHIND modified_gmt (Berlin,
# in test_raw_real_wordpress.py, is ahead), so a bound sent without converting would be off by 4 h.
NEW_YORK_POSTS = {  # name: (post_modified local, post_modified_gmt)
    "A": ("2024-07-01 08:00:00", "2024-07-01 12:00:00"),
    "B": ("2024-07-01 09:00:00", "2024-07-01 13:00:00"),
    "C": ("2024-07-01 10:00:00", "2024-07-01 14:00:00"),
}


@pytest.fixture(scope="module")
def new_york() -> Iterator[tuple[RealWordPress, dict[str, int]]]:
    with RealWordPress(timezone="America/New_York") as wordpress:
        ids = {}
        for name, (local, gmt) in NEW_YORK_POSTS.items():
            ids[name] = wordpress.create_post(name, date=local.replace(" ", "T"))
            wordpress.set_modified(ids[name], local=local, gmt=gmt)
        old = wordpress.create_post("old", date="2020-01-01T00:00:00")
        wordpress.set_modified(old, local="2020-01-01 00:00:00", gmt="2020-01-01 05:00:00")
        yield wordpress, ids


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2024-07-01T12:30:00", ["B", "C"]),  # 08:30 local
        ("2024-07-01T13:00:00", ["C"]),  # B is modified exactly at the bound: exclusive
        ("2024-07-01T14:00:00", []),
    ],
)
@pytest.mark.slow
@needs_real_wordpress
def test_fetch_changes_against_a_real_wordpress_west_of_utc(
    new_york: tuple[RealWordPress, dict[str, int]],
    incremental: ModuleType,
    fetcher: Any,
    since: str,
    expected: list[str],
) -> None:
    wordpress, ids = new_york
    names = {post_id: name for name, post_id in ids.items()}

    changes = incremental.fetch_changes(fetcher, wordpress.url("posts"), utc(since))

    assert [names[r["id"]] for r in changes.records] == expected
    expected_watermark = max((utc(NEW_YORK_POSTS[n][1].replace(" ", "T")) for n in expected), default=None)
    assert changes.watermark_utc == expected_watermark
    assert not changes.ignored_modified_after


@pytest.mark.slow
@needs_real_wordpress
def test_an_edit_is_a_change_and_a_trashed_post_leaves_the_ids_on_a_real_wordpress(
    new_york: tuple[RealWordPress, dict[str, int]], incremental: ModuleType, fetcher: Any
) -> None:
    wordpress, ids = new_york
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    edited = wordpress.create_post("to edit", date="2023-03-01T00:00:00")
    trashed = wordpress.create_post("to trash", date="2023-03-02T00:00:00")
    wordpress.edit_post(edited, title="edited")
    wordpress.trash_post(trashed)

    changes = incremental.fetch_changes(fetcher, wordpress.url("posts"), before - timedelta(minutes=60))
    published = incremental.fetch_published_ids(fetcher, wordpress.url("posts"))

    assert [r["id"] for r in changes.records] == [edited]
    assert changes.watermark_utc is not None and changes.watermark_utc >= before
    assert trashed not in published
    assert published >= {edited, *ids.values()}
