"""data_wordpressapi_raw against the sample WordPress site and moto."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from local.loopback import free_port
from local.sample_wordpress import SampleSite, SampleWordPress, generate_posts

from .conftest import RAW_BUCKET, Aws

RUN_ID = "20261207T070000Z-test"
POSTS_KEY = f"wordpress_api/posts/{RUN_ID}/posts.json"


def raw_key(name: str) -> str:
    """Where a manual run (an InitialLoad of every dataset) stores dataset ``name``."""
    return f"wordpress_api/{name}/{RUN_ID}/{name}.json"


def run_raw(raw_function, context=None):
    """A manual invocation (no ``action``): every configured dataset as an InitialLoad."""
    return raw_function.lambda_handler({"run_id": RUN_ID}, context)


def test_all_pages_land_in_one_array(aws: Aws, wordpress, raw_function) -> None:
    aws.set_endpoints([wordpress.url("posts")])

    summary = run_raw(raw_function)

    stored = aws.get_json(POSTS_KEY)
    assert [post["id"] for post in stored] == sorted(post["id"] for post in generate_posts(250)), "by id"
    assert stored == sorted(wordpress.site.collections["posts"], key=lambda post: post["id"])
    [entry] = summary["endpoints"]
    started = entry.pop("fetch_started_at")
    assert entry == {
        "endpoint": wordpress.url("posts"),
        "name": "posts",
        "incremental": True,
        "initial_load_requested": False,
        "mode": "InitialLoad",
        "reason": "manual invocation",
        "watermark_before": None,
        "expected_run_id": "",
        "last_full_load_at": None,
        "key": POSTS_KEY,
        "keys": [POSTS_KEY],
        "ids_key": None,
        "published_ids": None,
        "records": 250,
        "pages": 3,
        "bytes": len(aws.get_bytes(POSTS_KEY, RAW_BUCKET)),
        "paginated": True,
        "window_start": None,
        "watermark_after": max(post["modified_gmt"] for post in stored) + "Z",
        "ignored_modified_after": False,
        "older_than_window": 0,
        "future_records": 0,
        "split": None,
        # What the state machine writes to the audit item as it is: strings ('' for none), a boolean.
        "audit": {
            "load_mode": "InitialLoad",
            "load_reason": "manual invocation",
            "watermark_before": "",
            "window_start": "",
            "ignored_modified_after": False,
        },
    }
    assert started.endswith("Z") and started > entry["watermark_after"]
    assert {k: summary[k] for k in ("function", "action", "run_id", "bucket", "records", "page_ranges")} == {
        "function": "data_wordpressapi_raw",
        "action": "fetch",
        "run_id": RUN_ID,
        "bucket": RAW_BUCKET,
        "records": 250,
        "page_ranges": [],
    }
    requests = wordpress.requests_for("posts")
    assert sorted(r.query.get("page", "1") for r in requests) == ["1", "2", "3"]
    assert {(r.query["per_page"], r.query["orderby"], r.query["order"]) for r in requests} == {
        ("100", "id", "asc")
    }
    assert all(r.user_agent.startswith("serverless-lakehouse-pipeline/") for r in requests)


def test_both_url_forms_give_the_same_object(aws: Aws, wordpress, raw_function) -> None:
    aws.set_endpoints([wordpress.url("posts", pretty=False), wordpress.url("categories")])

    summary = run_raw(raw_function)

    assert aws.get_json(POSTS_KEY) == sorted(wordpress.site.collections["posts"], key=lambda p: p["id"])
    assert aws.get_json(raw_key("categories")) == wordpress.site.collections["categories"]
    assert [e["name"] for e in summary["endpoints"]] == ["posts", "categories"]
    assert summary["endpoints"][0]["pages"] == 3


def test_custom_endpoint_is_fetched_once_and_stored_as_is(aws: Aws, wordpress, raw_function) -> None:
    aws.set_endpoints([wordpress.url("statistics_pages")])

    summary = run_raw(raw_function)

    assert aws.get_json(raw_key("statistics_pages")) == wordpress.site.documents["statistics_pages"]
    assert len(wordpress.requests_for("statistics_pages")) == 1
    assert summary["endpoints"][0]["paginated"] is False
    assert summary["endpoints"][0]["pages"] == 1


@pytest.mark.parametrize("concurrency", ["1", "3"])
def test_several_endpoints_any_concurrency(
    aws: Aws, wordpress, raw_function, monkeypatch, concurrency
) -> None:
    monkeypatch.setenv("FETCH_CONCURRENCY", concurrency)
    names = ["posts", "categories", "tags", "users", "statistics_pages"]
    # spaces around commas are ignored
    aws.set_endpoints([wordpress.url(name) for name in names], separator=" ,  ")

    summary = run_raw(raw_function)

    assert [e["name"] for e in summary["endpoints"]] == names
    assert summary["records"] == 250 + 8 + 20 + 4 + 12
    assert sorted(aws.keys(RAW_BUCKET)) == sorted(raw_key(n) for n in names)


def test_transient_500_then_success(aws: Aws, wordpress, raw_function) -> None:
    wordpress.fail("posts", "500", times=2)
    aws.set_endpoints([wordpress.url("posts")])

    summary = run_raw(raw_function)

    assert summary["endpoints"][0]["records"] == 250
    statuses = [r.status for r in wordpress.requests_for("posts")]
    assert statuses.count(500) == 2
    assert aws.messages(aws.raw_topic_arn) == []


def test_429_then_success(aws: Aws, wordpress, raw_function) -> None:
    wordpress.fail("tags", "429", times=1, retry_after="0")
    aws.set_endpoints([wordpress.url("tags")])

    summary = run_raw(raw_function)

    assert summary["endpoints"][0]["records"] == 20
    assert [r.status for r in wordpress.requests_for("tags")] == [429, 200]


def test_retry_after_is_honoured(wordpress, raw_function) -> None:
    import wordpress_client

    waits: list[float] = []
    wordpress.fail("tags", "429", times=1, retry_after="7")
    fetcher = wordpress_client.Fetcher(
        concurrency=1,
        timeout=5,
        max_attempts=3,
        retry_base_seconds=0.001,
        user_agent="test",
        sleep=waits.append,
    )
    with fetcher:
        data = wordpress_client.fetch_all_pages(fetcher, wordpress.url("tags"))
    assert waits == [7.0]
    assert data.records == 20


def test_persistent_failure_keeps_previous_object_and_alerts(aws: Aws, wordpress, raw_function) -> None:
    previous = "wordpress_api/posts/20261206T070000Z-yesterday/posts.json"
    aws.s3.put_object(Bucket=RAW_BUCKET, Key=previous, Body=b'[{"id": 1}]')
    wordpress.fail("posts", "500")
    aws.set_endpoints([wordpress.url("posts"), wordpress.url("tags")])

    with pytest.raises(raw_function.PipelineStepFailed) as raised:
        run_raw(raw_function)

    assert wordpress.url("posts") in str(raised.value)
    assert "HTTP 500" in str(raised.value)
    assert aws.get_bytes(previous, RAW_BUCKET) == b'[{"id": 1}]'  # previous object untouched
    assert POSTS_KEY not in aws.keys(RAW_BUCKET), "nothing of the failed dataset is written"
    assert aws.get_json(raw_key("tags")) == wordpress.site.collections["tags"]  # others still written
    [(subject, message)] = aws.messages(aws.raw_topic_arn)
    assert subject == "data_wordpressapi_raw: 1 failure(s)"
    assert (
        f"- {wordpress.url('posts')}: {wordpress.url('posts')}?orderby=id&order=asc&per_page=100: "
        "HTTP 500 internal_server_error" in message
    )
    assert "(after 4 attempts)" in message
    assert "1 succeeded" in message


def test_html_error_page_is_reported_not_written(aws: Aws, wordpress, raw_function) -> None:
    wordpress.fail("posts", "html")
    aws.set_endpoints([wordpress.url("posts")])

    with pytest.raises(raw_function.PipelineStepFailed, match="HTML page, not JSON"):
        run_raw(raw_function)

    assert aws.keys(RAW_BUCKET) == []
    [(_, message)] = aws.messages(aws.raw_topic_arn)
    assert "HTML page" in message


def test_truncated_json_is_reported(aws: Aws, wordpress, raw_function) -> None:
    wordpress.fail("statistics_pages", "not_json")
    aws.set_endpoints([wordpress.url("statistics_pages")])

    with pytest.raises(raw_function.PipelineStepFailed, match="not valid JSON"):
        run_raw(raw_function)
    assert aws.keys(RAW_BUCKET) == []


def test_record_count_disagreeing_with_x_wp_total_is_reported(aws: Aws, wordpress, raw_function) -> None:
    wordpress.fail("posts", "wrong_total")
    aws.set_endpoints([wordpress.url("posts")])

    with pytest.raises(raw_function.PipelineStepFailed, match="X-WP-Total says 257 records but 3 page"):
        run_raw(raw_function)
    assert aws.keys(RAW_BUCKET) == []


def test_client_error_names_wordpress_code(aws: Aws, wordpress, raw_function) -> None:
    aws.set_endpoints([wordpress.url("posts") + "?per_page=101", wordpress.url("nothing_here")])

    with pytest.raises(raw_function.PipelineStepFailed) as raised:
        run_raw(raw_function)

    failures = {f.item: f.reason for f in raised.value.failures}
    assert failures[wordpress.url("posts") + "?per_page=101"].endswith(
        "?per_page=101&orderby=id&order=asc: HTTP 400 rest_invalid_param: Invalid parameter(s): per_page"
    ), "the URL's own per_page is kept"
    assert failures[wordpress.url("nothing_here")] == (
        f"{wordpress.url('nothing_here')}?per_page=100: HTTP 404 rest_no_route: "
        "No route was found matching the URL and request method."
    )
    assert len(wordpress.requests_for("nothing_here")) == 1  # 4xx is not retried


def test_empty_endpoint_list_is_reported(aws: Aws, raw_function) -> None:
    aws.ssm.put_parameter(Name="/wordpress/api/endpoints", Value=" , ", Type="StringList")

    with pytest.raises(
        raw_function.PipelineStepFailed, match="/wordpress/api/endpoints lists no endpoint URLs"
    ):
        run_raw(raw_function)
    [(_, message)] = aws.messages(aws.raw_topic_arn)
    assert "/wordpress/api/endpoints" in message


def test_missing_parameter_is_named(aws: Aws, wordpress, raw_function) -> None:
    aws.set_endpoints([wordpress.url("posts")])
    aws.ssm.delete_parameter(Name="/s3/lakehouse/name/raw")

    with pytest.raises(
        raw_function.PipelineStepFailed, match="SSM parameter /s3/lakehouse/name/raw not found"
    ):
        run_raw(raw_function)
    assert len(aws.messages(aws.raw_topic_arn)) == 1
    assert wordpress.requests == []


def test_parameter_names_come_from_environment(aws: Aws, wordpress, raw_function, monkeypatch) -> None:
    aws.ssm.put_parameter(Name="/custom/endpoints", Value=wordpress.url("tags"), Type="StringList")
    monkeypatch.setenv("ENDPOINTS_PARAMETER", "/custom/endpoints")

    summary = run_raw(raw_function)

    assert [e["name"] for e in summary["endpoints"]] == ["tags"]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://site.example/wp-json/wp/v2/posts", "posts"),
        ("https://site.example/?rest_route=/wp/v2/posts", "posts"),
        ("https://site.example/?rest_route=%2Fwp%2Fv2%2Fcategories&per_page=5", "categories"),
        ("https://site.example/blog/wp-json/wp-statistics/v2/Statistics-Pages/", "statistics_pages"),
    ],
)
def test_object_name_from_route(raw_function, url: str, name: str) -> None:
    assert raw_function.endpoint_object_name(url) == name


def test_duplicate_object_names_are_rejected(raw_function) -> None:
    endpoints, failures = raw_function.plan_endpoints(
        [
            "https://a.example/wp-json/wp/v2/posts",
            "https://b.example/?rest_route=/wp/v2/posts",
            "ftp://x/posts",
        ]
    )
    assert [e.name for e in endpoints] == ["posts"]
    assert [f.item for f in failures] == ["https://b.example/?rest_route=/wp/v2/posts", "ftp://x/posts"]


# --------------------------------------------------------------------------- answers that are not data

WP_ERROR = {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}}


def _site(collections: dict | None = None, documents: dict | None = None) -> SampleWordPress:
    return SampleWordPress(SampleSite(collections=collections or {}, documents=documents or {}))


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (WP_ERROR, "WordPress error rest_no_route: No route was found. (status 404)"),
        (["a", "b"], "record 1 of the answer is a JSON str, expected an object with an id"),
        ([{"id": 1, "name": "a"}, {"name": "no id"}], "record 2 of the answer has no id"),
        ({"id": 1, "name": "one object"}, "a JSON object, expected an array of records"),
    ],
)
def test_a_collection_that_answers_200_with_something_else_fails_and_writes_nothing(
    aws: Aws, raw_function, answer, reason: str
) -> None:
    # A 200 without pagination headers at a /wp/v2/ collection route (a proxy, a plugin, a wrong
    # route) used to be stored as that collection, overwriting the previous good object.
    previous = "wordpress_api/categories/20261206T070000Z-yesterday/categories.json"
    aws.s3.put_object(Bucket=RAW_BUCKET, Key=previous, Body=b'[{"id": 7}]')
    with _site(documents={"categories": answer}, collections={"tags": [{"id": 1}]}) as site:
        categories = site.url("categories", pretty=False)
        aws.set_endpoints([categories, site.url("tags")])

        with pytest.raises(raw_function.PipelineStepFailed) as raised:
            run_raw(raw_function)

    failures = {failure.item: failure.reason for failure in raised.value.failures}
    assert list(failures) == [categories]
    assert reason in failures[categories]
    assert aws.get_bytes(previous, RAW_BUCKET) == b'[{"id": 7}]'
    assert raw_key("categories") not in aws.keys(RAW_BUCKET)
    assert aws.get_json(raw_key("tags")) == [{"id": 1}], "the other endpoints are written"
    [(_, message)] = aws.messages(aws.raw_topic_arn)
    assert reason in message


def test_a_paginated_collection_of_records_without_id_fails(aws: Aws, raw_function) -> None:
    with _site(collections={"users": [{"name": "Ann"}, {"name": "Bob"}]}) as site:
        aws.set_endpoints([site.url("users")])

        with pytest.raises(raw_function.PipelineStepFailed, match="record 1 of page 1 has no id"):
            run_raw(raw_function)

    assert aws.keys(RAW_BUCKET) == []


def test_a_custom_document_is_exempt_but_a_wordpress_error_in_it_is_not(aws: Aws, raw_function) -> None:
    document = [{"uri": "/about", "views": 3}]  # a custom, non-paginated endpoint: no id needed
    with _site(
        documents={"statistics_pages": document, "visitors": {**WP_ERROR, "code": "rest_forbidden"}}
    ) as site:
        statistics = site.url("statistics_pages", namespace="/wp-statistics/v2")
        visitors = site.url("visitors", namespace="/wp-statistics/v2")
        aws.set_endpoints([statistics, visitors])

        with pytest.raises(raw_function.PipelineStepFailed) as raised:
            run_raw(raw_function)

    assert {failure.item for failure in raised.value.failures} == {visitors}
    assert "WordPress error rest_forbidden" in raised.value.failures[0].reason
    assert aws.get_json(raw_key("statistics_pages")) == document
    assert raw_key("visitors") not in aws.keys(RAW_BUCKET)


def test_an_empty_collection_is_data(aws: Aws, raw_function) -> None:
    with _site(collections={"pages": []}) as site:
        aws.set_endpoints([site.url("pages")])
        summary = run_raw(raw_function)

    assert summary["endpoints"][0]["records"] == 0
    assert aws.get_json(raw_key("pages")) == []


# "Retries with exponential backoff on connection errors, timeouts" (wordpress_client's docstring):
# the Fetcher is driven directly, its sleep captured, so nothing really waits.


def _fetcher(wordpress_client, waits: list[float], **settings):
    options = {
        "concurrency": 1,
        "timeout": 5.0,
        "max_attempts": 3,
        "retry_base_seconds": 1.0,
        "user_agent": "test",
        **settings,
    }
    return wordpress_client.Fetcher(**options, sleep=waits.append)


@contextlib.contextmanager
def _silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server on 127.0.0.1 that accepts every connection and never answers; yields its URL and
    the connections it accepted."""
    accepted: list[socket.socket] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/wp-json/wp/v2/posts", accepted
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()


def test_connection_refused_is_retried_then_fails_naming_the_url(raw_function, caplog) -> None:
    import wordpress_client

    url = f"http://127.0.0.1:{free_port()}/wp-json/wp/v2/posts"
    waits: list[float] = []
    caplog.set_level("WARNING", logger="wordpress_client")
    with (
        _fetcher(wordpress_client, waits, max_attempts=3) as fetcher,
        pytest.raises(wordpress_client.EndpointError) as raised,
    ):
        fetcher.get(url)
    message = str(raised.value)
    assert message.startswith(f"{url}: ")
    assert "(after 3 attempts)" in message
    assert "onnection" in message  # NewConnectionError / connection refused
    retried = [r for r in caplog.records if r.getMessage() == "request failed, retrying"]
    assert [r.attempt for r in retried] == [1, 2]
    assert len(waits) == 2  # one wait between each two of the 3 attempts


def test_read_timeout_is_retried(raw_function) -> None:
    import wordpress_client

    waits: list[float] = []
    with _silent_server() as (url, accepted):
        with (
            _fetcher(wordpress_client, waits, max_attempts=2, timeout=0.2) as fetcher,
            pytest.raises(wordpress_client.EndpointError) as raised,
        ):
            fetcher.get(url)
        assert len(accepted) == 2  # the second attempt came after the first timed out
    message = str(raised.value)
    assert message.startswith(f"{url}: ")
    assert "timed out" in message.lower()
    assert "(after 2 attempts)" in message
    assert waits == [1.0]


def test_waits_between_attempts_double(raw_function) -> None:
    import wordpress_client

    url = f"http://127.0.0.1:{free_port()}/wp-json/wp/v2/posts"
    waits: list[float] = []
    with (
        _fetcher(wordpress_client, waits, max_attempts=5, retry_base_seconds=0.5) as fetcher,
        pytest.raises(wordpress_client.EndpointError, match=r"after 5 attempts"),
    ):
        fetcher.get(url)
    assert waits == [0.5, 1.0, 2.0, 4.0]


def test_waits_double_on_5xx_too_up_to_the_cap(wordpress, raw_function) -> None:
    import wordpress_client

    wordpress.fail("tags", "500")
    waits: list[float] = []
    with (
        _fetcher(wordpress_client, waits, max_attempts=6, retry_base_seconds=4.0) as fetcher,
        pytest.raises(wordpress_client.EndpointError, match=r"HTTP 500.*after 6 attempts"),
    ):
        fetcher.get(wordpress.url("tags"))
    assert waits == [
        4.0,
        8.0,
        16.0,
        wordpress_client.MAX_BACKOFF_SECONDS,
        wordpress_client.MAX_BACKOFF_SECONDS,
    ]
