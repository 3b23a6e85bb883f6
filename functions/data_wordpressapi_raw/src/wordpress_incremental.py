"""The raw function's side of an Update (issue 18): what changed since a watermark, and what is published.

Built on the facts in modules/pipeline/wordpress-incremental-reads.md (checked against a real
WordPress 6.1):

- ``modified_after`` compares the site-LOCAL ``post_modified``, exclusively; a value with ``Z`` is
  converted to site-local time by WordPress itself. So the window start is sent in UTC with ``Z``
  (whole seconds, rounded down: re-reading a record is harmless, missing one is not), and the
  watermark is kept in UTC: the newest ``modified_gmt`` seen.
- ``orderby=modified`` does not break ties between pages (records lost or returned twice), so an
  Update pages by ``orderby=id&order=asc``.
- ``_fields=id`` returns only the ids: the published-id listing costs a few KB a page.
- The caller subtracts the lookback (60 minutes covers the autumn DST hour) before calling
  :func:`fetch_changes`; nothing here reads the clock to decide what to fetch.

A site that ignores ``modified_after`` (an old WordPress, a caching proxy) answers records older than
the window: they are still returned (the merge, newest ``modified_gmt`` per id, stays correct) and
the result says ``ignored_modified_after`` so the caller can report it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from wordpress_client import (
    MAX_PER_PAGE,
    EndpointError,
    Fetcher,
    check_records,
    fetch_all_pages,
    with_query,
)

logger = logging.getLogger(__name__)

# A working site can answer a record up to one DST shift older (in UTC) than the window start: it
# compares local times, and in the autumn fall-back hour local 02:50 CEST (00:50Z) is "after" a bound
# of 02:30 CET (01:30Z). Only records older than this are evidence that the filter was ignored.
DST_TOLERANCE = timedelta(hours=1)


@dataclass(frozen=True)
class Changes:
    """The records of one post-type collection modified after ``since_utc``."""

    url: str  # the request URL (filter and order included, without page)
    body: bytes  # one JSON array of the records, as the site sent them (ready to store in raw)
    records: list[dict[str, Any]]
    pages: int
    since_utc: datetime
    watermark_utc: datetime | None  # newest modified_gmt seen (UTC); None when nothing changed
    older_than_window: int  # records whose modified_gmt is before since_utc - DST_TOLERANCE
    future_records: int  # records modified after ``now`` (clock skew or a future-dated import)

    @property
    def ignored_modified_after(self) -> bool:
        """True when the site answered records older than the window: it ignores ``modified_after``."""
        return self.older_than_window > 0


def rest_datetime(moment: datetime) -> str:
    """``moment`` as WordPress's REST API reads it unambiguously: UTC, whole seconds, with ``Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no timezone; pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_modified_gmt(url: str, index: int, record: dict[str, Any]) -> datetime:
    """A record's ``modified_gmt`` as an aware UTC datetime; missing or malformed names the record."""
    where = f"{url}: record {index} (id {record['id']})" if "id" in record else f"{url}: record {index}"
    value = record.get("modified_gmt")
    if value is None:
        raise EndpointError(f"{where} has no modified_gmt")
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise EndpointError(f"{where} has modified_gmt {value!r}, not an ISO 8601 date-time")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def decode_records(url: str, body: bytes) -> list[dict[str, Any]]:
    """The records of a joined, already validated JSON array body."""
    records = json.loads(body.removeprefix(b"\xef\xbb\xbf"))
    check_records(url, "the answer", records)  # a custom endpoint's document passes fetch_all_pages
    return records


def reject_duplicate_ids(url: str, ids: list[Any]) -> None:
    """Pages by id that overlap mean records moved between pages during the fetch: some may be lost."""
    seen: set[Any] = set()
    duplicates: set[Any] = set()
    for value in ids:
        (duplicates if value in seen else seen).add(value)
    if duplicates:
        raise EndpointError(
            f"{url}: ids {sorted(duplicates, key=str)[:10]} came twice: "
            "the collection changed while it was paged; retry"
        )


def fetch_changes(
    fetcher: Fetcher,
    endpoint: str,
    since_utc: datetime,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Changes:
    """Every record of post-type collection ``endpoint`` modified after ``since_utc`` (exclusive).

    ``since_utc`` is the window start, lookback already subtracted. Pages by id, 100 a page. A record
    without ``id`` or ``modified_gmt`` is an :class:`EndpointError` naming it. ``now`` only counts
    records modified in the future (still returned, still counted in the watermark).
    """
    url = with_query(
        endpoint, modified_after=rest_datetime(since_utc), orderby="id", order="asc", per_page=MAX_PER_PAGE
    )
    data = fetch_all_pages(fetcher, url)
    records = decode_records(url, data.body)
    modified = [parse_modified_gmt(url, index, record) for index, record in enumerate(records, start=1)]
    reject_duplicate_ids(url, [record["id"] for record in records])
    window_start = since_utc.astimezone(UTC).replace(microsecond=0)
    older = sum(1 for moment in modified if moment < window_start - DST_TOLERANCE)
    current = now()
    future = sum(1 for moment in modified if moment > current)
    changes = Changes(
        url=url,
        body=data.body,
        records=records,
        pages=data.pages,
        since_utc=window_start,
        watermark_utc=max(modified, default=None),
        older_than_window=older,
        future_records=future,
    )
    log_changes(changes)
    return changes


def log_changes(changes: Changes) -> None:
    fields = {
        "endpoint": changes.url,
        "records": len(changes.records),
        "pages": changes.pages,
        "since_utc": rest_datetime(changes.since_utc),
        "watermark_utc": rest_datetime(changes.watermark_utc) if changes.watermark_utc else None,
        "older_than_window": changes.older_than_window,
        "future_records": changes.future_records,
    }
    if changes.ignored_modified_after:
        logger.warning(
            "site ignores modified_after: the update holds records older than its window", extra=fields
        )
    if changes.future_records:
        logger.warning("records modified in the future: the watermark moves past now", extra=fields)
    logger.info("changes fetched", extra=fields)


def fetch_published_ids(fetcher: Fetcher, endpoint: str) -> set[int]:
    """The ids of every record the site publishes at ``endpoint`` (``_fields=id``, 100 a page, by id).

    Deleted, trashed and unpublished posts are absent: the caller removes from silver what is gone.
    An id listed twice (pages shifted during the fetch) is an :class:`EndpointError`, since a shift also
    hides an id, and a hidden id would delete a live record.
    """
    url = with_query(endpoint, _fields="id", orderby="id", order="asc", per_page=MAX_PER_PAGE)
    data = fetch_all_pages(fetcher, url)
    ids = [record["id"] for record in decode_records(url, data.body)]
    for index, value in enumerate(ids, start=1):
        if not isinstance(value, int) or isinstance(value, bool):
            raise EndpointError(f"{url}: record {index} has id {value!r}, not an integer")
    reject_duplicate_ids(url, ids)
    logger.info("published ids fetched", extra={"endpoint": url, "ids": len(ids), "pages": data.pages})
    return set(ids)
