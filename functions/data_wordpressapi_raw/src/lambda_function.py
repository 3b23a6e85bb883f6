"""data_wordpressapi_raw: WordPress REST API endpoints -> raw JSON objects in S3.

For each endpoint URL in the endpoints StringList parameter, fetch every record (all pages of
a paginated collection, or the single document of a custom endpoint) and store it as one JSON
document at ``s3://<raw bucket>/wordpress_api/<name>/<name>.json``. Endpoints and their pages
are fetched concurrently within ``FETCH_CONCURRENCY`` requests in flight. A failed endpoint is
never written (its previous object stays); after all endpoints, failures are published in one
SNS message and the handler raises :class:`PipelineStepFailed`.

Environment: RAW_BUCKET_PARAMETER, SNS_TOPIC_PARAMETER, ENDPOINTS_PARAMETER (parameter names,
seed defaults), FETCH_CONCURRENCY (default 6; 1 = sequential), REQUEST_TIMEOUT_SECONDS (30),
MAX_ATTEMPTS (4), RETRY_BASE_SECONDS (1.0).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from lakehouse_common import (
    USER_AGENT,
    Failure,
    MissingParameterError,
    PipelineStepFailed,
    env_float,
    env_int,
    get_parameter,
    get_string_list,
    object_key,
    object_name,
    parameter_names,
    publish_failures,
    put_object,
    setup_logging,
)
from wordpress_client import EndpointError, Fetcher, endpoint_route, fetch_all_pages

FUNCTION_NAME = "data_wordpressapi_raw"
DEFAULT_FETCH_CONCURRENCY = 6  # like a browser's connections per host: polite, and ~5x faster than 1

logger = logging.getLogger(FUNCTION_NAME)


@dataclass(frozen=True)
class Endpoint:
    url: str
    name: str

    @property
    def key(self) -> str:
        return object_key(self.name, "json")


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


def collect_endpoint(fetcher: Fetcher, s3: Any, bucket: str, endpoint: Endpoint) -> dict[str, Any]:
    """Fetch and validate every record of one endpoint, then store it with a single PutObject."""
    data = fetch_all_pages(fetcher, endpoint.url)
    put_object(s3, bucket, endpoint.key, data.body, "application/json")
    summary = {
        "endpoint": endpoint.url,
        "name": endpoint.name,
        "key": endpoint.key,
        "records": data.records,
        "pages": data.pages,
        "bytes": len(data.body),
        "paginated": data.paginated,
    }
    logger.info(
        "endpoint stored", extra={("object_name" if k == "name" else k): v for k, v in summary.items()}
    )
    return summary


def failure_reason(endpoint: Endpoint, error: Exception) -> str:
    message = str(error)
    if isinstance(error, EndpointError):
        return message.removeprefix(f"{endpoint.url}: ")
    return f"{type(error).__name__}: {message}"


def collect_endpoints(
    fetcher: Fetcher, s3: Any, bucket: str, endpoints: list[Endpoint]
) -> tuple[list[dict[str, Any]], list[Failure]]:
    """Collect every endpoint concurrently; one endpoint's failure does not stop the others."""

    def attempt(endpoint: Endpoint) -> dict[str, Any] | Failure:
        try:
            return collect_endpoint(fetcher, s3, bucket, endpoint)
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the others
            failure = Failure(endpoint.url, failure_reason(endpoint, error))
            logger.error("endpoint failed", extra={"endpoint": endpoint.url, "reason": failure.reason})
            return failure

    with ThreadPoolExecutor(
        max_workers=max(1, min(fetcher.concurrency, len(endpoints))), thread_name_prefix="endpoint"
    ) as pool:
        outcomes = list(pool.map(attempt, endpoints))
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


def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    setup_logging()
    names = parameter_names("raw")
    ssm, s3, sns = boto3.client("ssm"), boto3.client("s3"), boto3.client("sns")
    try:
        topic_arn = get_parameter(ssm, names.sns_topic)
    except MissingParameterError as error:  # nowhere to alert: fail the step, the state machine alerts
        raise PipelineStepFailed(FUNCTION_NAME, [Failure(error.name, str(error))]) from None

    results: list[dict[str, Any]] = []
    bucket = ""
    try:
        bucket = get_parameter(ssm, names.raw_bucket)
        urls = get_string_list(ssm, names.endpoints)
        endpoints, failures = plan_endpoints(urls)
        if not urls:
            failures.append(
                Failure(names.endpoints, f"SSM parameter {names.endpoints} lists no endpoint URLs")
            )
        if endpoints:
            logger.info(
                "fetching endpoints", extra={"endpoints": [e.url for e in endpoints], "bucket": bucket}
            )
            with new_fetcher() as fetcher:
                results, fetch_failures = collect_endpoints(fetcher, s3, bucket, endpoints)
            failures += fetch_failures
    except MissingParameterError as error:
        failures = [Failure(error.name, str(error))]
    except ValueError as error:  # a malformed tunable (FETCH_CONCURRENCY=abc): names the variable
        failures = [Failure("environment", str(error))]

    if failures:
        publish_failures(sns, topic_arn, FUNCTION_NAME, failures, succeeded=len(results))
        raise PipelineStepFailed(FUNCTION_NAME, failures)
    return {
        "function": FUNCTION_NAME,
        "bucket": bucket,
        "endpoints": results,
        "records": sum(result["records"] for result in results),
        "bytes": sum(result["bytes"] for result in results),
    }
