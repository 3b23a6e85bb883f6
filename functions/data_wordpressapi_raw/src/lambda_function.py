"""data_wordpressapi_raw: WordPress REST API endpoints -> raw JSON objects in S3, one run at a time.

The raw-to-bronze state machine calls it with an ``action`` (issue 18's incremental loads):

- ``plan``: the run's datasets (one per endpoint URL of the endpoints StringList parameter), the URLs
  rejected up front, what the execution ``input`` asks for (``{"mode": "InitialLoad", "datasets":
  [...]}``) and ``full_reload_before``. The state machine then decides each dataset's mode.
- ``fetch``: each dataset as an InitialLoad (every record) or an Update (changes since its watermark
  minus a lookback, plus the published ids), stored under the run's own keys
  ``s3://<raw bucket>/wordpress_api/<name>/<run_id>/`` (:mod:`raw_datasets`). A big InitialLoad
  is split into page ranges instead (``page_ranges`` in the output).
- ``fetch_pages``: one page range of a split InitialLoad, stored as one part (:mod:`raw_split`).
- ``seal``: the split entries completed from their parts, after checking the parts fit together.
- no ``action``: a manual run, every dataset as an InitialLoad (split ranges fetched in process),
  with the event's ``run_id`` or ``<UTC now>-manual``.

Datasets are fetched concurrently within ``FETCH_CONCURRENCY`` requests in flight; one failure does not
stop the others. A failed dataset writes nothing it would be read from; after all datasets, failures
(and the URLs the plan rejected) are published in one SNS message and the handler raises
:class:`PipelineStepFailed`. So does every action given a bad event, naming the input.

Environment: RAW_BUCKET_PARAMETER, SNS_TOPIC_PARAMETER, ENDPOINTS_PARAMETER (parameter names,
seed defaults), FETCH_CONCURRENCY (default 6; 1 = sequential), REQUEST_TIMEOUT_SECONDS (30),
MAX_ATTEMPTS (4), RETRY_BASE_SECONDS (1.0), and the incremental settings of :mod:`raw_settings`:
LOOKBACK_MINUTES (60), DETECT_DELETIONS (true), PAGES_PER_INVOCATION (100), FULL_RELOAD_DAYS (7),
INCREMENTAL_DATASETS (posts,pages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import boto3
from lakehouse_common import (
    USER_AGENT,
    Failure,
    MissingParameterError,
    ParameterNames,
    PipelineStepFailed,
    env_float,
    env_int,
    get_parameter,
    get_string_list,
    parameter_names,
    publish_failures,
    setup_logging,
)
from raw_datasets import DatasetRequest, fetch_dataset
from raw_inputs import InputError, manual_run_id, require, require_list, require_run_id, utc_now
from raw_plan import Endpoint, endpoint_object_name, plan_endpoints, plan_output, requested_reloads
from raw_settings import RawSettings
from raw_split import PageRange, fetch_pages, page_ranges, parts_of, seal_entry
from wordpress_client import EndpointError, Fetcher, fetch_all_pages

FUNCTION_NAME = "data_wordpressapi_raw"
DEFAULT_FETCH_CONCURRENCY = 6  # like a browser's connections per host: polite, and ~5x faster than 1
MANUAL_REASON = "manual invocation"

logger = logging.getLogger(FUNCTION_NAME)

__all__ = [
    "Endpoint",
    "Fetcher",
    "endpoint_object_name",
    "fetch_all_pages",
    "lambda_handler",
    "plan_endpoints",
]

Item = TypeVar("Item")
Outcome = tuple[dict[str, Any], list[Failure]]  # an action's output, and what failed


@dataclass(frozen=True)
class Step:
    """What every action uses: the AWS clients, the parameter names and the incremental settings."""

    ssm: Any
    s3: Any
    names: ParameterNames
    settings: RawSettings

    def bucket(self) -> str:
        return get_parameter(self.ssm, self.names.raw_bucket)


def failure_reason(url: str, error: Exception) -> str:
    message = str(error)
    if isinstance(error, EndpointError):
        return message.removeprefix(f"{url}: ")
    return f"{type(error).__name__}: {message}"


def each_concurrently(
    fetcher: Fetcher, items: list[Item], work: Callable[[Item], dict[str, Any]], source: Callable[[Item], str]
) -> tuple[list[dict[str, Any]], list[Failure]]:
    """``work`` on every item concurrently; one item's failure does not stop the others."""

    def attempt(item: Item) -> dict[str, Any] | Failure:
        try:
            return work(item)
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the others
            failure = Failure(source(item), failure_reason(source(item), error))
            logger.error("endpoint failed", extra={"endpoint": failure.item, "reason": failure.reason})
            return failure

    if not items:
        return [], []
    with ThreadPoolExecutor(
        max_workers=max(1, min(fetcher.concurrency, len(items))), thread_name_prefix="endpoint"
    ) as pool:
        outcomes = list(pool.map(attempt, items))
    results = [outcome for outcome in outcomes if not isinstance(outcome, Failure)]
    failures = [outcome for outcome in outcomes if isinstance(outcome, Failure)]
    return results, failures


def new_fetcher() -> Fetcher:
    return Fetcher(
        concurrency=env_int("FETCH_CONCURRENCY", DEFAULT_FETCH_CONCURRENCY),
        timeout=env_float("REQUEST_TIMEOUT_SECONDS", 30.0, minimum=0.1),
        max_attempts=env_int("MAX_ATTEMPTS", 4),
        retry_base_seconds=env_float("RETRY_BASE_SECONDS", 1.0),
        user_agent=USER_AGENT,
    )


def fetch_output(
    action: str, run_id: str, bucket: str, entries: list[dict[str, Any]], ranges: list[PageRange]
) -> dict[str, Any]:
    return {
        "function": FUNCTION_NAME,
        "action": action,
        "run_id": run_id,
        "bucket": bucket,
        "endpoints": entries,
        "records": sum(entry["records"] for entry in entries),
        "bytes": sum(entry["bytes"] for entry in entries),
        "page_ranges": [page_range.as_dict() for page_range in ranges],
    }


# --------------------------------------------------------------------------- plan


def plan_run(step: Step, run_id: str, execution_input: Any, now: datetime) -> Outcome:
    urls = get_string_list(step.ssm, step.names.endpoints)
    endpoints, rejected = plan_endpoints(urls)
    if not urls:
        return {}, [
            Failure(step.names.endpoints, f"SSM parameter {step.names.endpoints} lists no endpoint URLs")
        ]
    if not endpoints:
        return {}, rejected
    requested = requested_reloads(execution_input, [endpoint.name for endpoint in endpoints])
    logger.info(
        "run planned",
        extra={"run_id": run_id, "datasets": [e.name for e in endpoints], "rejected": len(rejected)},
    )
    return plan_output(FUNCTION_NAME, run_id, endpoints, rejected, requested, step.settings, now), []


def plan(step: Step, event: dict[str, Any]) -> Outcome:
    return plan_run(step, require_run_id(event), event.get("input"), utc_now())


# --------------------------------------------------------------------------- fetch


def rejected_failures(event: dict[str, Any]) -> list[Failure]:
    """The plan's ``rejected`` URLs, reported with the fetch's failures."""
    rejected = require_list(event, "rejected") if "rejected" in event else []
    return [
        Failure(
            require(entry, "source", str, f"rejected[{index}]"),
            require(entry, "reason", str, f"rejected[{index}]"),
        )
        if isinstance(entry, dict)
        else Failure(str(entry), "rejected by the plan")
        for index, entry in enumerate(rejected)
    ]


def fetch_datasets(
    step: Step, fetcher: Fetcher, bucket: str, run_id: str, requests: list[DatasetRequest]
) -> tuple[list[dict[str, Any]], list[PageRange], list[Failure]]:
    logger.info("fetching endpoints", extra={"endpoints": [r.endpoint for r in requests], "bucket": bucket})
    entries, failures = each_concurrently(
        fetcher,
        requests,
        lambda request: fetch_dataset(fetcher, step.s3, bucket, run_id, request, step.settings),
        lambda request: request.endpoint,
    )
    ranges = [
        page_range
        for entry in entries
        if entry["split"]
        for page_range in page_ranges(run_id, entry, step.settings.pages_per_invocation)
    ]
    return entries, ranges, failures


def fetch(step: Step, event: dict[str, Any]) -> Outcome:
    run_id = require_run_id(event)
    datasets = require_list(event, "datasets")
    requests = [
        DatasetRequest.from_entry(entry, f"datasets[{index}]") for index, entry in enumerate(datasets)
    ]
    names = [request.name for request in requests]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InputError("datasets", f"{twice} come more than once: each dataset is one run object")
    rejected = rejected_failures(event)
    bucket = step.bucket()
    with new_fetcher() as fetcher:
        entries, ranges, failures = fetch_datasets(step, fetcher, bucket, run_id, requests)
    return fetch_output("fetch", run_id, bucket, entries, ranges), rejected + failures


# --------------------------------------------------------------------------- split loads


def fetch_range(step: Step, event: dict[str, Any]) -> Outcome:
    require_run_id(event)
    page_range = PageRange.from_event(event)
    bucket = step.bucket()
    with new_fetcher() as fetcher:
        parts, failures = each_concurrently(
            fetcher,
            [page_range],
            lambda item: fetch_pages(fetcher, step.s3, bucket, item),
            lambda item: item.endpoint,
        )
    return (parts[0] if parts else {}), failures


def check_split_entry(entry: dict[str, Any], item: str) -> None:
    """A split entry of the fetch output has what ``seal`` reads; else an :class:`InputError` naming it."""
    for field in ("name", "endpoint", "fetch_started_at"):
        require(entry, field, str, item)
    split = require(entry, "split", dict, item)
    for field in ("total_pages", "total_records"):
        require(split, field, int, f"{item}.split")


def seal_split_entries(
    entries: list[dict[str, Any]], parts: list[Any]
) -> tuple[list[dict[str, Any]], list[Failure]]:
    """Every entry, split ones completed from their parts; a split whose parts do not fit fails."""
    sealed, failures = [], []
    for index, entry in enumerate(entries):
        item = f"endpoints[{index}]"
        if not isinstance(entry, dict):
            raise InputError(item, f"{type(entry).__name__} is not a fetch output entry")
        if not entry.get("split"):
            sealed.append(entry)
            continue
        check_split_entry(entry, item)
        try:
            sealed.append(seal_entry(entry, parts_of(entry["name"], parts)))
        except EndpointError as error:
            failure = Failure(entry["endpoint"], failure_reason(entry["endpoint"], error))
            logger.error("split load failed", extra={"endpoint": failure.item, "reason": failure.reason})
            failures.append(failure)
    return sealed, failures


def seal(step: Step, event: dict[str, Any]) -> Outcome:
    run_id = require_run_id(event)
    entries, failures = seal_split_entries(require_list(event, "endpoints"), require_list(event, "parts"))
    return fetch_output("seal", run_id, step.bucket(), entries, []), failures


# --------------------------------------------------------------------------- manual run


def manual_request(dataset: dict[str, Any]) -> DatasetRequest:
    entry = {
        **dataset,
        "mode": "InitialLoad",
        "reason": MANUAL_REASON,
        "watermark_before": None,
        "expected_run_id": "",
        "last_full_load_at": None,
    }
    return DatasetRequest.from_entry(entry, dataset["name"])


def manual(step: Step, event: dict[str, Any]) -> Outcome:
    """Every planned dataset as an InitialLoad; a split load's ranges are fetched here, one by one."""
    now = utc_now()
    run_id = require_run_id(event) if "run_id" in event else manual_run_id(now)
    planned, failures = plan_run(step, run_id, None, now)
    if failures:
        return {}, failures
    requests = [manual_request(dataset) for dataset in planned["datasets"]]
    rejected = [Failure(item["source"], item["reason"]) for item in planned["rejected"]]
    bucket = step.bucket()
    with new_fetcher() as fetcher:
        entries, ranges, failures = fetch_datasets(step, fetcher, bucket, run_id, requests)
        parts: list[dict[str, Any]] = []
        for page_range in ranges:
            done, range_failures = each_concurrently(
                fetcher,
                [page_range],
                lambda item: fetch_pages(fetcher, step.s3, bucket, item),
                lambda item: item.endpoint,
            )
            parts += done
            failures += range_failures
    failed = {failure.item for failure in failures}
    entries, seal_failures = seal_split_entries([e for e in entries if e["endpoint"] not in failed], parts)
    return fetch_output("fetch", run_id, bucket, entries, []), rejected + failures + seal_failures


ACTIONS: dict[str | None, Callable[[Step, dict[str, Any]], Outcome]] = {
    "plan": plan,
    "fetch": fetch,
    "fetch_pages": fetch_range,
    "seal": seal,
    None: manual,
}


def run_action(step: Step, event: Any) -> Outcome:
    if not isinstance(event, dict):
        raise InputError("event", f"{type(event).__name__} is not an object")
    action = event.get("action")
    if action not in ACTIONS:
        raise InputError(
            "action", f"{action!r} is not one of {', '.join(str(a) for a in ACTIONS if a)} (or absent)"
        )
    logger.info("raw action", extra={"action": action or "manual", "run_id": event.get("run_id")})
    return ACTIONS[action](step, event)


def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    setup_logging()
    names = parameter_names("raw")
    ssm, s3, sns = boto3.client("ssm"), boto3.client("s3"), boto3.client("sns")
    try:
        topic_arn = get_parameter(ssm, names.sns_topic)
    except MissingParameterError as error:  # nowhere to alert: fail the step, the state machine alerts
        raise PipelineStepFailed(FUNCTION_NAME, [Failure(error.name, str(error))]) from None

    result: dict[str, Any] = {}
    try:
        result, failures = run_action(
            Step(ssm, s3, names, RawSettings.from_env()), {} if event is None else event
        )
    except InputError as error:  # a bad event: names the input
        failures = [Failure(error.item, error.reason)]
    except MissingParameterError as error:
        failures = [Failure(error.name, str(error))]
    except ValueError as error:  # a malformed tunable (FETCH_CONCURRENCY=abc): names the variable
        failures = [Failure("environment", str(error))]

    if failures:
        publish_failures(sns, topic_arn, FUNCTION_NAME, failures, succeeded=len(result.get("endpoints", [])))
        raise PipelineStepFailed(FUNCTION_NAME, failures)
    return result
