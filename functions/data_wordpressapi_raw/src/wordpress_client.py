"""Fetch every record of a WordPress REST API endpoint, as validated JSON bytes.

What counts as data: a *collection* (an answer with WordPress's pagination headers, or one of the
core ``/wp/v2/`` collections in :data:`CORE_COLLECTIONS`, whatever headers it sends) must answer JSON
arrays of objects that each have an ``id``; any other endpoint answering without pagination headers
(a plugin's custom route such as ``/wp-statistics/v2/statistics_pages``) is a *document*, stored as
it is. A WordPress error object (``code``, ``message``, ``data.status``) is a
failure naming its code, whatever the HTTP status and the kind of endpoint.

HTTP goes through urllib3 (shipped with the Lambda runtime, as botocore's dependency): one
thread-safe connection pool, keep-alive, timeouts. Retries with exponential backoff on
connection errors, timeouts, 429 and 5xx, honouring ``Retry-After``. A :class:`Fetcher` bounds
the requests in flight across all threads (``concurrency``), so pages of one endpoint and
different endpoints share one limit towards the site.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import urllib3

logger = logging.getLogger(__name__)

MAX_PER_PAGE = 100
MAX_RETRY_AFTER_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 30.0
MAX_LINK_PAGES = 10_000  # safety stop when following rel="next" without X-WP-TotalPages
CORE_NAMESPACE = "/wp/v2/"
# WordPress core's /wp/v2/ collections whose records have a numeric id.
CORE_COLLECTIONS = frozenset(
    {"posts", "pages", "media", "categories", "tags", "users", "comments", "blocks", "menus", "menu-items"}
)
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


class EndpointError(Exception):
    """The endpoint's answer is unusable; the message says why (and names the URL)."""


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class EndpointData:
    """Everything fetched from one endpoint: a JSON document ready to store."""

    url: str
    body: bytes  # one JSON array of all records, or the endpoint's single document
    records: int
    pages: int
    paginated: bool
    inspected: tuple[Any, ...] = ()  # what ``inspect`` returned for each page, in page order


def endpoint_route(url: str) -> str:
    """The REST route of an endpoint URL, for both the pretty and the ``?rest_route=`` form."""
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "rest_route":
            return value
    path = parts.path
    marker = "/wp-json"
    return path[path.index(marker) + len(marker) :] if marker in path else path


def with_query(url: str, **params: str | int) -> str:
    """``url`` with query parameters set (replacing existing ones), keeping ``rest_route`` readable."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


def parse_link_header(value: str) -> dict[str, str]:
    """``Link`` header -> {rel: url}."""
    links = {}
    for part in value.split(","):
        section = part.split(";")
        url = section[0].strip()
        if not (url.startswith("<") and url.endswith(">")):
            continue
        for attribute in section[1:]:
            name, _, rel = attribute.strip().partition("=")
            if name.strip() == "rel":
                links[rel.strip().strip('"')] = url[1:-1]
    return links


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), capped; None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER_SECONDS)


def describe_error(response: Response) -> str:
    """A short reason for a non-2xx answer, with WordPress's error code when there is one."""
    reason = f"HTTP {response.status}"
    try:
        document = json.loads(response.body)
    except ValueError:
        document = None
    if isinstance(document, dict) and "code" in document:
        return f"{reason} {document['code']}: {document.get('message', '')}".rstrip(": ")
    if looks_like_html(response):
        return f"{reason} (HTML page)"
    return reason


def looks_like_html(response: Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return "html" in content_type or response.body.lstrip()[:1] == b"<"


def parse_json(response: Response) -> Any:
    """The response's JSON document; HTML or any other non-JSON body is an :class:`EndpointError`."""
    body = response.body.removeprefix(b"\xef\xbb\xbf")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise EndpointError(f"{response.url}: body is not UTF-8 JSON") from None
    except ValueError as error:
        content_type = response.headers.get("content-type", "?")
        if looks_like_html(response):
            raise EndpointError(
                f"{response.url}: returned an HTML page, not JSON (Content-Type {content_type})"
            ) from None
        raise EndpointError(
            f"{response.url}: body is not valid JSON ({error}; Content-Type {content_type})"
        ) from None


def is_core_collection(url: str) -> bool:
    """True for a core ``/wp/v2/<name>`` collection route (posts, pages, categories, tags, users, ...)."""
    route = endpoint_route(url).rstrip("/")
    return route.startswith(CORE_NAMESPACE) and route.removeprefix(CORE_NAMESPACE) in CORE_COLLECTIONS


def wordpress_error(document: Any) -> str | None:
    """``"<code>: <message> (status <n>)"`` when a document is a WordPress error object, else None."""
    if not isinstance(document, dict) or not isinstance(document.get("code"), str):
        return None
    data = document.get("data")
    if "message" not in document or not isinstance(data, dict) or "status" not in data:
        return None
    return f"{document['code']}: {document['message']} (status {data['status']})"


def check_records(url: str, where: str, document: Any) -> int:
    """The number of records of one answer of a collection: a JSON array of objects with an ``id``;
    anything else is an :class:`EndpointError` saying what came instead."""
    error = wordpress_error(document)
    if error is not None:
        raise EndpointError(f"{url}: {where} is a WordPress error {error}")
    if not isinstance(document, list):
        kind = "object" if isinstance(document, dict) else type(document).__name__
        raise EndpointError(f"{url}: {where} is a JSON {kind}, expected an array of records")
    for number, record in enumerate(document, start=1):
        if not isinstance(record, dict):
            kind = "array" if isinstance(record, list) else type(record).__name__
            raise EndpointError(
                f"{url}: record {number} of {where} is a JSON {kind}, expected an object with an id"
            )
        if "id" not in record:
            raise EndpointError(f"{url}: record {number} of {where} has no id")
    return len(document)


def array_items(body: bytes) -> bytes:
    """The bytes between the brackets of a JSON array body (already validated as a list)."""
    text = body.removeprefix(b"\xef\xbb\xbf").strip()
    return text[1:-1].strip()


def join_arrays(bodies: list[bytes]) -> bytes:
    """Concatenate validated JSON array bodies into one array without re-encoding the records."""
    return b"[" + b",".join(items for items in map(array_items, bodies) if items) + b"]"


class Fetcher:
    """HTTP GET with retries, a timeout and a bound on requests in flight (shared by all threads)."""

    def __init__(
        self,
        *,
        concurrency: int,
        timeout: float,
        max_attempts: int,
        retry_base_seconds: float,
        user_agent: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(concurrency)
        self._timeout = urllib3.Timeout(connect=min(timeout, 10.0), read=timeout)
        # Redirects are followed (http -> https, trailing slashes); retries are ours, below.
        self._retries = urllib3.Retry(
            total=None, connect=0, read=0, status=0, other=0, redirect=5, raise_on_redirect=True
        )
        self._pool = urllib3.PoolManager(
            num_pools=8,
            maxsize=concurrency,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )
        self.page_pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="page")

    def close(self) -> None:
        self.page_pool.shutdown(wait=True)
        self._pool.clear()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request_once(self, url: str) -> Response:
        with self._slots:
            raw = self._pool.request(
                "GET", url, timeout=self._timeout, retries=self._retries, preload_content=True
            )
        headers = {name.lower(): value for name, value in raw.headers.items()}
        return Response(url=url, status=raw.status, headers=headers, body=raw.data)

    def get(self, url: str) -> Response:
        """GET ``url``; retry transient failures; a final non-2xx answer is an :class:`EndpointError`."""
        for attempt in range(1, self.max_attempts + 1):
            backoff = min(self.retry_base_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
            try:
                response = self._request_once(url)
            except urllib3.exceptions.HTTPError as error:  # connection errors, timeouts, too many redirects
                reason = f"{type(error).__name__}: {error}"
                if attempt == self.max_attempts:
                    raise EndpointError(f"{url}: {reason} (after {attempt} attempts)") from None
                logger.warning(
                    "request failed, retrying", extra={"url": url, "attempt": attempt, "reason": reason}
                )
                self._sleep(backoff)
                continue
            if 200 <= response.status < 300:
                return response
            reason = describe_error(response)
            if response.status not in _RETRYABLE_STATUS:
                raise EndpointError(f"{url}: {reason}")
            if attempt == self.max_attempts:
                raise EndpointError(f"{url}: {reason} (after {attempt} attempts)")
            wait = retry_after_seconds(response.headers.get("retry-after"))
            logger.warning(
                "transient HTTP error, retrying",
                extra={
                    "url": url,
                    "attempt": attempt,
                    "status": response.status,
                    "wait_seconds": wait or backoff,
                },
            )
            self._sleep(backoff if wait is None else wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def paged_url(url: str) -> str:
    """``url`` with ``per_page=100`` unless it sets its own ``per_page``: the URL of page 1."""
    return (
        url if "per_page" in dict(parse_qsl(urlsplit(url).query)) else with_query(url, per_page=MAX_PER_PAGE)
    )


def fetch_all_pages(
    fetcher: Fetcher,
    url: str,
    *,
    first: Response | None = None,
    inspect: Callable[[str, list[dict[str, Any]]], Any] | None = None,
) -> EndpointData:
    """Every record of ``url``: all pages of a paginated collection, or the single document.

    ``first``: the answer to :func:`paged_url` (``url``), already fetched by the caller (no second
    request). ``inspect(page_url, records)`` is called on each page's validated records in the worker
    that parsed them (so a caller can check records without keeping them); its results are
    :attr:`EndpointData.inspected`, in page order. With ``inspect`` the answer must be a collection.
    """
    first_url = paged_url(url)
    first = first if first is not None else fetcher.get(first_url)
    document = parse_json(first)
    total_pages_header = first.headers.get("x-wp-totalpages")
    next_link = parse_link_header(first.headers.get("link", "")).get("next")

    def look(response: Response, page_document: Any) -> tuple[Any, ...]:
        return () if inspect is None else (inspect(response.url, page_document),)

    if total_pages_header is None and next_link is None:
        body = first.body.removeprefix(b"\xef\xbb\xbf")
        if is_core_collection(url) or inspect is not None:  # one page of a collection, no pagination headers
            records = check_records(first.url, "the answer", document)
            return EndpointData(
                url=url, body=body, records=records, pages=1, paginated=False, inspected=look(first, document)
            )
        # A plain JSON document (custom endpoint): fetched once, stored as is, unless WordPress erred.
        error = wordpress_error(document)
        if error is not None:
            raise EndpointError(f"{first.url}: the answer is a WordPress error {error}")
        records = len(document) if isinstance(document, list) else 1
        return EndpointData(url=url, body=body, records=records, pages=1, paginated=False)

    def page_count(page: int, response: Response, page_document: Any) -> tuple[bytes, int, tuple[Any, ...]]:
        count = check_records(response.url, f"page {page}", page_document)
        return response.body, count, look(response, page_document)

    def fetch_page(page: int) -> tuple[bytes, int, tuple[Any, ...]]:  # parsed in the worker; bytes kept
        response = fetcher.get(with_query(first_url, page=page))
        return page_count(page, response, parse_json(response))

    pages = [page_count(1, first, document)]
    del document
    if total_pages_header is not None:
        try:
            total_pages = int(total_pages_header)
        except ValueError:
            raise EndpointError(f"{url}: X-WP-TotalPages {total_pages_header!r} is not a number") from None
        pages += fetcher.page_pool.map(fetch_page, range(2, total_pages + 1))
    else:
        while next_link is not None:  # no page count: follow rel="next" one page at a time
            if len(pages) >= MAX_LINK_PAGES:
                raise EndpointError(f"{url}: more than {MAX_LINK_PAGES} pages via Link rel=next")
            response = fetcher.get(next_link)
            pages.append(page_count(len(pages) + 1, response, parse_json(response)))
            next_link = parse_link_header(response.headers.get("link", "")).get("next")

    records = sum(count for _, count, _ in pages)
    expected = first.headers.get("x-wp-total")
    if expected is not None and expected.strip() != str(records):
        raise EndpointError(
            f"{url}: X-WP-Total says {expected.strip()} records but {len(pages)} page(s) held {records}"
        )
    return EndpointData(
        url=url,
        body=join_arrays([body for body, _, _ in pages]),
        records=records,
        pages=len(pages),
        paginated=True,
        inspected=tuple(result for _, _, inspected in pages for result in inspected),
    )
