"""``fetch``: one dataset of a run, as an InitialLoad or an Update, stored under the run's own keys.

- InitialLoad of an incremental dataset (a post type): every page by ``orderby=id&order=asc``; more
  pages than ``PAGES_PER_INVOCATION`` -> nothing stored, the entry says ``split`` and the caller
  fetches page ranges (:mod:`raw_split`). Otherwise one object ``wordpress_api/<name>/<run>/<name>.json``.
- Update (incremental datasets only): the records modified after watermark - lookback, and with
  deletion detection the published ids (``published_ids.json``, a JSON array of integers).
- A non-incremental dataset (categories, tags, users, custom endpoints) is fetched in full, with
  today's request, every run: its entry's mode is InitialLoad whatever the state machine chose.
- Watermark (incremental only): ``watermark_after`` = the newest ``modified_gmt`` fetched, capped at
  the time the dataset's fetch started, so a post dated in the future is fetched again next time
  instead of moving the watermark past every edit until then; never before ``watermark_before``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lakehouse_common import put_object, run_key
from raw_inputs import InputError, optional_utc, require, utc_now, utc_text
from raw_settings import RawSettings
from wordpress_client import (
    EndpointData,
    EndpointError,
    Fetcher,
    fetch_all_pages,
    paged_url,
    with_query,
)
from wordpress_incremental import fetch_changes, fetch_published_ids, parse_modified_gmt, reject_duplicate_ids

logger = logging.getLogger(__name__)

MODES = ("InitialLoad", "Update")
NOT_INCREMENTAL_REASON = "not incremental: fetched in full every run"


@dataclass(frozen=True)
class DatasetRequest:
    """One entry of the fetch's ``datasets``: the plan entry plus the state machine's decision."""

    fields: dict[str, Any]  # the entry as given: every field is echoed in the output
    name: str
    endpoint: str
    incremental: bool
    mode: str
    watermark_before: datetime | None

    @classmethod
    def from_entry(cls, entry: Any, item: str) -> DatasetRequest:
        if not isinstance(entry, dict):
            raise InputError(item, f"{type(entry).__name__} is not an object")
        entry = with_load_state(entry, item)
        mode = entry.get("mode")
        if mode not in MODES:
            raise InputError(f"{item}.mode", f"{mode!r} is not one of {', '.join(MODES)}")
        incremental = require(entry, "incremental", bool, item)
        watermark = optional_utc(entry.get("watermark_before"), f"{item}.watermark_before")
        if mode == "Update" and incremental and watermark is None:
            raise InputError(f"{item}.watermark_before", "an Update needs the watermark it continues from")
        return cls(
            fields=entry,
            name=require(entry, "name", str, item),
            endpoint=require(entry, "endpoint", str, item),
            incremental=incremental,
            mode=mode,
            watermark_before=watermark,
        )


# The load-state item's attributes (DynamoDB GetItem output, as the state machine passes it in
# ``load_state``) -> the entry fields they fill: the watermark the Update continues from, the run that
# advanced it (the silver workflow's condition) and the last full load.
LOAD_STATE_FIELDS = {
    "watermark": "watermark_before",
    "loaded_run_id": "expected_run_id",
    "last_full_load_at": "last_full_load_at",
}


def with_load_state(entry: dict[str, Any], item: str) -> dict[str, Any]:
    """``entry`` with ``watermark_before``, ``expected_run_id`` and ``last_full_load_at`` read from its
    ``load_state`` (the load-state table's GetItem output: ``{"Item": {name: {"S": value}}}``, no
    ``Item`` before the dataset's first successful load), which is then dropped; fields the entry
    gives itself win. ``expected_run_id`` is ``""`` when no run advanced the item yet."""
    if "load_state" not in entry:
        return entry
    found = entry["load_state"]
    if not isinstance(found, dict) or not isinstance(found.get("Item", {}), dict):
        raise InputError(f"{item}.load_state", "is not a DynamoDB GetItem output ({'Item': {...}})")
    attributes = found.get("Item", {})
    derived: dict[str, Any] = {"watermark_before": None, "expected_run_id": "", "last_full_load_at": None}
    for attribute, name in LOAD_STATE_FIELDS.items():
        value = attributes.get(attribute)
        if value is None:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("S"), str):
            raise InputError(f"{item}.load_state.Item.{attribute}", f"{value!r} is not a string attribute")
        derived[name] = value["S"]
    rest = {key: value for key, value in entry.items() if key != "load_state"}
    return {**derived, **rest}


def audit_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """What the raw step records in the audit item: plain strings (``''`` where there is none) and a
    boolean, since the state machine writes them as DynamoDB S and BOOL attributes as they are."""
    return {
        "load_mode": entry.get("mode") or "InitialLoad",
        "load_reason": entry.get("reason") or "",
        "watermark_before": entry.get("watermark_before") or "",
        "window_start": entry.get("window_start") or "",
        "ignored_modified_after": bool(entry.get("ignored_modified_after")),
    }


@dataclass(frozen=True)
class PageFacts:
    """What an incremental dataset's page says about the watermark and the id order."""

    ids: list[int]
    newest: datetime | None
    future: int  # records modified after ``now``


def page_facts(page_url: str, records: list[dict[str, Any]], now: datetime) -> PageFacts:
    """Integer ids, the newest ``modified_gmt`` and the records modified after ``now``, of one page;
    a record without an integer id or a ``modified_gmt`` fails naming it."""
    ids = []
    for index, record in enumerate(records, start=1):
        value = record["id"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise EndpointError(f"{page_url}: record {index} has id {value!r}, not an integer")
        ids.append(value)
    modified = [parse_modified_gmt(page_url, index, record) for index, record in enumerate(records, start=1)]
    return PageFacts(
        ids=ids, newest=max(modified, default=None), future=sum(1 for moment in modified if moment > now)
    )


def by_id_url(endpoint: str) -> str:
    """The URL of page 1 of a load by id (``orderby=id&order=asc``; per_page 100 unless the URL sets it)."""
    return paged_url(with_query(endpoint, orderby="id", order="asc"))


def capped_watermark(newest: datetime | None, started: datetime, before: datetime | None) -> datetime:
    """min(newest fetched, fetch start), never before ``before``; nothing fetched: ``before`` or start."""
    if newest is None:
        return before if before is not None else started
    capped = min(newest, started)
    return max(capped, before) if before is not None else capped


def total_pages(url: str, headers: dict[str, str]) -> int:
    value = headers.get("x-wp-totalpages", "1")
    try:
        return int(value)
    except ValueError:
        raise EndpointError(f"{url}: X-WP-TotalPages {value!r} is not a number") from None


def load_entry(request: DatasetRequest, run_id: str, started: datetime, **fields: Any) -> dict[str, Any]:
    """The output entry: the input entry, then what this fetch did (defaults for an empty fetch)."""
    entry: dict[str, Any] = {
        **request.fields,
        "name": request.name,
        "endpoint": request.endpoint,
        "key": run_key(request.name, run_id, f"{request.name}.json"),
        "keys": [],
        "ids_key": None,
        "published_ids": None,
        "records": 0,
        "pages": 0,
        "bytes": 0,
        "paginated": False,
        "window_start": None,
        "watermark_after": None,
        "fetch_started_at": utc_text(started),
        "ignored_modified_after": False,
        "older_than_window": 0,
        "future_records": 0,
        "split": None,
    }
    entry.update(fields)
    entry["audit"] = audit_fields(entry)
    return entry


def store_records(s3: Any, bucket: str, key: str, data: EndpointData) -> dict[str, Any]:
    put_object(s3, bucket, key, data.body, "application/json")
    return {
        "key": key,
        "keys": [key],
        "records": data.records,
        "pages": data.pages,
        "bytes": len(data.body),
        "paginated": data.paginated,
    }


def fetch_in_full(
    fetcher: Fetcher, s3: Any, bucket: str, run_id: str, request: DatasetRequest, started: datetime
) -> dict[str, Any]:
    """A non-incremental dataset: today's request, every record, one object; no watermark."""
    data = fetch_all_pages(fetcher, request.endpoint)
    stored = store_records(s3, bucket, run_key(request.name, run_id, f"{request.name}.json"), data)
    mode_fields = (
        {} if request.mode == "InitialLoad" else {"mode": "InitialLoad", "reason": NOT_INCREMENTAL_REASON}
    )
    return load_entry(request, run_id, started, **stored, **mode_fields)


def initial_load(
    fetcher: Fetcher,
    s3: Any,
    bucket: str,
    run_id: str,
    request: DatasetRequest,
    settings: RawSettings,
    started: datetime,
) -> dict[str, Any]:
    """Every record by id, in one object; or, past ``PAGES_PER_INVOCATION`` pages, a split entry."""
    url = by_id_url(request.endpoint)
    first = fetcher.get(url)
    pages = total_pages(url, first.headers)
    if pages > settings.pages_per_invocation:
        total_records = first.headers.get("x-wp-total", "").strip()
        if not total_records.isdigit():
            raise EndpointError(f"{url}: X-WP-Total {total_records!r} is not a number; a split needs it")
        logger.info(
            "initial load split into page ranges",
            extra={
                "dataset": request.name,
                "total_pages": pages,
                "per_invocation": settings.pages_per_invocation,
            },
        )
        return load_entry(
            request,
            run_id,
            started,
            key=run_key(request.name, run_id, ""),
            paginated=True,
            split={"total_pages": pages, "total_records": int(total_records)},
        )
    data = fetch_all_pages(
        fetcher, url, first=first, inspect=lambda at, records: page_facts(at, records, started)
    )
    facts: tuple[PageFacts, ...] = data.inspected
    reject_duplicate_ids(url, [value for page in facts for value in page.ids])
    newest = max((page.newest for page in facts if page.newest is not None), default=None)
    stored = store_records(s3, bucket, run_key(request.name, run_id, f"{request.name}.json"), data)
    return load_entry(
        request,
        run_id,
        started,
        **stored,
        watermark_after=utc_text(capped_watermark(newest, started, None)),
        future_records=sum(page.future for page in facts),
    )


def update(
    fetcher: Fetcher,
    s3: Any,
    bucket: str,
    run_id: str,
    request: DatasetRequest,
    settings: RawSettings,
    started: datetime,
) -> dict[str, Any]:
    """The changes since watermark - lookback, and (with deletion detection) the published ids."""
    assert request.watermark_before is not None  # checked by DatasetRequest.from_entry
    since = request.watermark_before - settings.lookback
    changes = fetch_changes(fetcher, request.endpoint, since)
    ids = sorted(fetch_published_ids(fetcher, request.endpoint)) if settings.detect_deletions else None
    key = run_key(request.name, run_id, f"{request.name}.json")
    put_object(s3, bucket, key, changes.body, "application/json")
    ids_fields: dict[str, Any] = {}
    if ids is not None:
        ids_key = run_key(request.name, run_id, "published_ids.json")
        put_object(s3, bucket, ids_key, json.dumps(ids).encode(), "application/json")
        ids_fields = {"ids_key": ids_key, "published_ids": len(ids)}
    watermark = capped_watermark(changes.watermark_utc, started, request.watermark_before)
    return load_entry(
        request,
        run_id,
        started,
        key=key,
        keys=[key],
        records=len(changes.records),
        pages=changes.pages,
        bytes=len(changes.body),
        paginated=True,
        window_start=utc_text(changes.since_utc),
        watermark_after=utc_text(watermark),
        ignored_modified_after=changes.ignored_modified_after,
        older_than_window=changes.older_than_window,
        future_records=changes.future_records,
        **ids_fields,
    )


def fetch_dataset(
    fetcher: Fetcher, s3: Any, bucket: str, run_id: str, request: DatasetRequest, settings: RawSettings
) -> dict[str, Any]:
    """Fetch and store one dataset as its entry says; returns the output entry (see the module doc)."""
    started = utc_now()
    if not request.incremental:
        entry = fetch_in_full(fetcher, s3, bucket, run_id, request, started)
    elif request.mode == "Update":
        entry = update(fetcher, s3, bucket, run_id, request, settings, started)
    else:
        entry = initial_load(fetcher, s3, bucket, run_id, request, settings, started)
    log_entry(entry)
    return entry


def log_entry(entry: dict[str, Any]) -> None:
    fields = {
        ("object_name" if key == "name" else key): entry[key]
        for key in (
            "name", "endpoint", "mode", "key", "records", "pages", "bytes", "window_start",
            "watermark_after", "ignored_modified_after", "older_than_window", "future_records",
            "published_ids", "split",
        )
    }  # fmt: skip
    if entry["ignored_modified_after"]:
        logger.warning("the site ignores modified_after: this update is a full load", extra=fields)
    logger.info("endpoint split" if entry["split"] else "endpoint stored", extra=fields)
