"""``plan``: the datasets of a run, the URLs rejected up front, and what the execution input asks for.

The state machine decides each dataset's mode (InitialLoad or Update) from its load state and this
plan: ``requested`` (the execution input's ``{"mode": "InitialLoad", "datasets": [...]}``) and
``full_reload_before`` (a last full load before it means a full reload is due).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from lakehouse_common import Failure, object_name
from raw_inputs import InputError, utc_text
from raw_settings import RawSettings
from wordpress_client import endpoint_route

INPUT_MODES = ("InitialLoad", "Update")


@dataclass(frozen=True)
class Endpoint:
    url: str
    name: str


@dataclass(frozen=True)
class Requested:
    """Datasets the execution input forces to an InitialLoad: all of them, or those named."""

    all: bool
    datasets: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"all": self.all, "datasets": self.datasets}


def endpoint_object_name(url: str) -> str:
    """Last path segment of the URL's REST route, lower-case, other characters -> ``_``."""
    segment = endpoint_route(url).rstrip("/").rsplit("/", 1)[-1]
    return object_name(segment)


def plan_endpoints(urls: list[str]) -> tuple[list[Endpoint], list[Failure]]:
    """Endpoints to fetch, and the URLs rejected up front (not http(s), no route, duplicate name)."""
    endpoints: dict[str, Endpoint] = {}
    failures = []
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            failures.append(Failure(url, "not an http(s) URL"))
            continue
        name = endpoint_object_name(url)
        if not name.strip("_"):
            failures.append(Failure(url, "URL has no REST route to name the object after"))
        elif name in endpoints:
            failures.append(Failure(url, f"object name {name!r} is already used by {endpoints[name].url}"))
        else:
            endpoints[name] = Endpoint(url, name)
    return list(endpoints.values()), failures


def requested_reloads(execution_input: Any, configured: list[str]) -> Requested:
    """What the execution input asks for; a bad ``mode`` or ``datasets`` is an :class:`InputError`.

    ``{}`` or ``{"mode": "Update"}``: nothing forced. ``{"mode": "InitialLoad"}``: every dataset.
    ``{"mode": "InitialLoad", "datasets": ["posts"]}``: those (each must be a configured dataset).
    """
    if execution_input is None:
        return Requested(all=False, datasets=[])
    if not isinstance(execution_input, dict):
        raise InputError("input", f"{type(execution_input).__name__} is not an object")
    mode = execution_input.get("mode")
    if mode is not None and mode not in INPUT_MODES:
        raise InputError("input.mode", f"{mode!r} is not one of {', '.join(INPUT_MODES)} (or absent)")
    datasets = execution_input.get("datasets")
    if datasets is not None:
        if not isinstance(datasets, list) or not datasets or not all(isinstance(n, str) for n in datasets):
            raise InputError("input.datasets", f"{datasets!r} is not a non-empty list of dataset names")
        unknown = [name for name in datasets if name not in configured]
        if unknown:
            raise InputError(
                "input.datasets", f"{unknown} are not configured datasets (configured: {configured})"
            )
        if mode != "InitialLoad":
            raise InputError("input.datasets", 'names datasets to reload: it needs "mode": "InitialLoad"')
    if mode != "InitialLoad":
        return Requested(all=False, datasets=[])
    if datasets is None:
        return Requested(all=True, datasets=[])
    return Requested(all=False, datasets=list(dict.fromkeys(datasets)))


def full_reload_before(now: datetime, days: int) -> str | None:
    """A last full load before this time is due for an InitialLoad; None when ``days`` is 0 (never)."""
    return utc_text(now - timedelta(days=days)) if days else None


def plan_output(
    function: str,
    run_id: str,
    endpoints: list[Endpoint],
    rejected: list[Failure],
    requested: Requested,
    settings: RawSettings,
    now: datetime,
) -> dict[str, Any]:
    return {
        "function": function,
        "action": "plan",
        "run_id": run_id,
        "datasets": [
            {
                "name": e.name,
                "endpoint": e.url,
                "incremental": e.name in settings.incremental_datasets,
                # The state machine's first rule: an InitialLoad the execution input asked for.
                "initial_load_requested": requested.all or e.name in requested.datasets,
            }
            for e in endpoints
        ],
        "rejected": [{"source": failure.item, "reason": failure.reason} for failure in rejected],
        "requested": requested.as_dict(),
        "full_reload_before": full_reload_before(now, settings.full_reload_days),
    }
