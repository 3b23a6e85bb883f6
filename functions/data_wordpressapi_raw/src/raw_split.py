"""A big InitialLoad split across invocations: page ranges, ``fetch_pages`` (one part each) and ``seal``.

Pages are read by ``orderby=id&order=asc``, so parts hold ascending, disjoint id ranges as long as
the collection holds still. ``seal`` checks that: the parts cover pages 1..total_pages, each part's
smallest id is above the previous part's largest (a record published or unpublished mid-load shifts
pages, and a record seen twice means another was skipped), and the parts hold no fewer records than
``X-WP-Total`` said at the start (fewer: a record may have been skipped). More records than that is
accepted: by id, a post published during the load is appended after the last page read.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from lakehouse_common import put_object, run_key
from raw_datasets import by_id_url, page_facts
from raw_inputs import InputError, optional_utc, parse_utc, require, utc_now, utc_text
from wordpress_client import (
    EndpointError,
    Fetcher,
    check_records,
    join_arrays,
    parse_json,
    with_query,
)
from wordpress_incremental import reject_duplicate_ids

logger = logging.getLogger(__name__)

MOVED = "records moved between pages during the load; run again"


@dataclass(frozen=True)
class PageRange:
    """One ``fetch_pages`` invocation's share of a split InitialLoad."""

    run_id: str
    name: str
    endpoint: str
    first_page: int
    last_page: int
    total_pages: int

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> PageRange:
        page_range = cls(
            run_id=require(event, "run_id", str, "event"),
            name=require(event, "name", str, "event"),
            endpoint=require(event, "endpoint", str, "event"),
            first_page=require(event, "first_page", int, "event"),
            last_page=require(event, "last_page", int, "event"),
            total_pages=require(event, "total_pages", int, "event"),
        )
        first, last, total = page_range.first_page, page_range.last_page, page_range.total_pages
        if not 1 <= first <= last <= total:
            raise InputError("event.first_page", f"pages {first}..{last} are not within 1..{total}")
        return page_range

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def key(self) -> str:
        return run_key(self.name, self.run_id, f"{self.name}-{self.first_page:06d}.json")


def page_ranges(run_id: str, entry: dict[str, Any], per_invocation: int) -> list[PageRange]:
    """Ranges of ``per_invocation`` pages covering 1..total_pages of a split entry."""
    total = entry["split"]["total_pages"]
    return [
        PageRange(
            run_id, entry["name"], entry["endpoint"], first, min(first + per_invocation - 1, total), total
        )
        for first in range(1, total + 1, per_invocation)
    ]


def fetch_pages(fetcher: Fetcher, s3: Any, bucket: str, page_range: PageRange) -> dict[str, Any]:
    """Pages first..last of the range, by id, stored as one part; what ``seal`` needs to check it."""
    url = by_id_url(page_range.endpoint)
    now = utc_now()

    def fetch_page(page: int) -> tuple[bytes, int, Any]:
        response = fetcher.get(with_query(url, page=page))
        document = parse_json(response)
        count = check_records(response.url, f"page {page}", document)
        return response.body, count, page_facts(response.url, document, now)

    pages = list(fetcher.page_pool.map(fetch_page, range(page_range.first_page, page_range.last_page + 1)))
    ids = [value for _, _, facts in pages for value in facts.ids]
    reject_duplicate_ids(url, ids)
    body = join_arrays([page_body for page_body, _, _ in pages])
    put_object(s3, bucket, page_range.key, body, "application/json")
    newest = max((facts.newest for _, _, facts in pages if facts.newest is not None), default=None)
    part = {
        "name": page_range.name,
        "key": page_range.key,
        "first_page": page_range.first_page,
        "last_page": page_range.last_page,
        "records": len(ids),
        "bytes": len(body),
        "min_id": min(ids, default=None),
        "max_id": max(ids, default=None),
        "watermark_after": utc_text(newest) if newest is not None else None,
    }
    logger.info("pages stored", extra={("object_name" if k == "name" else k): v for k, v in part.items()})
    return part


def check_parts(entry: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    """The checks of the module doc; an :class:`EndpointError` says what is wrong."""
    name, split = entry["name"], entry["split"]
    where = f"{entry['endpoint']}: split load of {name}"
    covered = 0
    for part in parts:
        if part["first_page"] != covered + 1:
            raise EndpointError(
                f"{where}: parts do not cover pages 1..{split['total_pages']} once "
                f"(after page {covered} comes a part of pages {part['first_page']}..{part['last_page']})"
            )
        covered = part["last_page"]
    if covered != split["total_pages"]:
        raise EndpointError(f"{where}: parts cover pages 1..{covered} of {split['total_pages']}")
    previous_max: int | None = None
    for part in parts:
        if part["records"] == 0:
            continue
        if previous_max is not None and part["min_id"] <= previous_max:
            raise EndpointError(
                f"{where}: part of pages {part['first_page']}..{part['last_page']} starts at id "
                f"{part['min_id']}, not after id {previous_max} of the part before: {MOVED}"
            )
        previous_max = part["max_id"]
    records = sum(part["records"] for part in parts)
    if records < split["total_records"]:
        raise EndpointError(
            f"{where}: X-WP-Total said {split['total_records']} records but the parts hold {records}: {MOVED}"
        )
    if records > split["total_records"]:
        logger.warning(
            "records published during the split load",
            extra={"dataset": name, "expected": split["total_records"], "records": records},
        )


def parts_of(name: str, parts: list[Any]) -> list[dict[str, Any]]:
    """The parts of dataset ``name``, in page order; a part that is not a fetch_pages output fails."""
    selected = []
    for index, part in enumerate(parts):
        item = f"parts[{index}]"
        if not isinstance(part, dict):
            raise InputError(item, f"{type(part).__name__} is not a fetch_pages output")
        if require(part, "name", str, item) != name:
            continue
        for field in ("first_page", "last_page", "records", "bytes"):
            require(part, field, int, item)
        require(part, "key", str, item)
        optional_utc(part.get("watermark_after"), f"{item}.watermark_after")
        selected.append(part)
    return sorted(selected, key=lambda part: part["first_page"])


def seal_entry(entry: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any]:
    """A split entry completed from its parts (keys in page order, sums, watermark)."""
    check_parts(entry, parts)
    started = parse_utc(entry["fetch_started_at"], f"endpoints[{entry['name']}].fetch_started_at")
    newest: datetime | None = max(
        (parse_utc(part["watermark_after"], "watermark_after") for part in parts if part["watermark_after"]),
        default=None,
    )
    return {
        **entry,
        "keys": [part["key"] for part in parts],
        "records": sum(part["records"] for part in parts),
        "bytes": sum(part["bytes"] for part in parts),
        "pages": sum(part["last_page"] - part["first_page"] + 1 for part in parts),
        "watermark_after": utc_text(min(newest, started) if newest is not None else started),
    }
