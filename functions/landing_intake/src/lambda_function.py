"""landing_intake: the landing zone's function (issue 19). ``event["action"]`` selects what it does;
an EventBridge event (no action) registers a created object.

- (EventBridge ``Object Created``) -> :func:`landing_registration.register`: one audit item NEW per
  landed file, or a refusal with one alert; returns ``{"registered": bool, ...}``, never raises for a
  bad key.
- ``plan`` ``{"run_id", "items"}`` -> claims NEW items (LOADING) and groups them by dataset.
- ``load_file`` ``{"run_id", "file"}`` -> :func:`landing_load.load_file` (``path="lambda"``).
- ``file_outcome`` ``{"run_id", "file"}`` -> the Outcome the Glue large-file job recorded.
- ``summarize`` ``{"run_id", "outcomes"}`` -> datasets to publish, BRONZE files, problems, counts.
- ``record_silver`` ``{"run_id", "datasets", "bronze_files", "job_error"?}`` -> SILVER /
  QUARANTINED / FAILED per BRONZE file.
- ``report`` ``{"run_id", "problems"}`` -> the one alert's subject and message.

Environment: RAW_BUCKET, BRONZE_BUCKET, SILVER_BUCKET, BRONZE_DATABASE (default
data_lakehouse_bronze), AUDIT_TABLE, CONTRACTS_BUCKET, CONTRACTS_PREFIX (default ``datasets/``),
CSV_DELIMITER (default ``,``), ALERT_TOPIC_ARN (registration refusals and duplicates), LOG_LEVEL.
A bad input raises :class:`InputError` naming it; the state machine catches every raise.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from lakehouse_common import publish_message, setup_logging
from lakehouse_common.config import DEFAULT_GLUE_DATABASE
from landing_batch import file_outcome, plan, record_silver, summarize
from landing_load import LoadSettings, load_file
from landing_registration import RegistrationSettings, register
from landing_report import report

FUNCTION_NAME = "landing_intake"
ACTIONS = ("plan", "load_file", "file_outcome", "summarize", "record_silver", "report")
RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

logger = logging.getLogger(FUNCTION_NAME)


class InputError(ValueError):
    """The event lacks an input the action needs, or holds a bad one; the message names it."""


@dataclass(frozen=True)
class Settings:
    raw_bucket: str
    bronze_bucket: str
    silver_bucket: str
    bronze_database: str
    audit_table: str
    contracts_bucket: str
    contracts_prefix: str
    csv_delimiter: str
    alert_topic_arn: str

    @property
    def load(self) -> LoadSettings:
        return LoadSettings(
            raw_bucket=self.raw_bucket,
            bronze_bucket=self.bronze_bucket,
            bronze_database=self.bronze_database,
            audit_table=self.audit_table,
            contracts_bucket=self.contracts_bucket,
            contracts_prefix=self.contracts_prefix,
            csv_delimiter=self.csv_delimiter,
        )

    @property
    def registration(self) -> RegistrationSettings:
        return RegistrationSettings(self.raw_bucket, self.bronze_database, self.audit_table)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def settings_from_env() -> Settings:
    """The function's settings; a missing required variable raises naming it."""
    required = {name: _env(name) for name in ("RAW_BUCKET", "BRONZE_BUCKET", "SILVER_BUCKET", "AUDIT_TABLE")}
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise InputError(f"environment variable(s) {', '.join(missing)} not set")
    delimiter = os.environ.get("CSV_DELIMITER") or ","
    if len(delimiter) != 1:
        raise InputError(f"environment variable CSV_DELIMITER={delimiter!r} must be one character")
    prefix = _env("CONTRACTS_PREFIX", "datasets/")
    return Settings(
        raw_bucket=required["RAW_BUCKET"],
        bronze_bucket=required["BRONZE_BUCKET"],
        silver_bucket=required["SILVER_BUCKET"],
        bronze_database=_env("BRONZE_DATABASE", DEFAULT_GLUE_DATABASE),
        audit_table=required["AUDIT_TABLE"],
        contracts_bucket=_env("CONTRACTS_BUCKET"),
        contracts_prefix=prefix if prefix.endswith("/") else prefix + "/",
        csv_delimiter=delimiter,
        alert_topic_arn=_env("ALERT_TOPIC_ARN"),
    )


def run_id_of(event: dict[str, Any]) -> str:
    run_id = event.get("run_id")
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise InputError(f"run_id: missing or not a run id (letters, digits, _ . : -): {run_id!r}")
    return run_id


def list_input(event: dict[str, Any], name: str) -> list[Any]:
    value = event.get(name)
    if not isinstance(value, list):
        raise InputError(f"{name}: expected a list, got {value!r}")
    return value


def file_input(event: dict[str, Any]) -> dict[str, Any]:
    file = event.get("file")
    if not isinstance(file, dict) or not all(file.get(name) for name in ("dataset", "key", "audit_id")):
        raise InputError(f"file: expected a File with dataset, key, audit_id, got {file!r}")
    return file


def alerter(sns: Callable[[], Any], topic_arn: str) -> Callable[[str, str], None]:
    """Publish an alert to ALERT_TOPIC_ARN (logged only when no topic is configured)."""

    def alert(subject: str, message: str) -> None:
        if not topic_arn:
            logger.error(
                "alert not sent: ALERT_TOPIC_ARN not set", extra={"subject": subject, "alert": message}
            )
            return
        publish_message(sns(), topic_arn, subject, message)

    return alert


def handle(event: dict[str, Any], settings: Settings, session: Any) -> dict[str, Any]:
    """Dispatch one event; clients are created from ``session`` when the action needs them."""
    action = event.get("action")
    if action is None:
        if event.get("source") != "aws.s3":
            raise InputError(f"action: missing, and the event is not an S3 event from EventBridge: {event!r}")
        alert = alerter(lambda: session.client("sns"), settings.alert_topic_arn)
        return register(
            session.client("s3"),
            session.client("glue"),
            session.client("dynamodb"),
            settings.registration,
            event,
            alert,
        )
    if action not in ACTIONS:
        raise InputError(f"action: {action!r} is not one of {', '.join(ACTIONS)}")
    run_id = run_id_of(event)
    if action == "plan":
        return plan(session.client("dynamodb"), settings.audit_table, run_id, list_input(event, "items"))
    if action == "load_file":
        return load_file(
            session.client("s3"),
            session.client("glue"),
            session.client("dynamodb"),
            settings.load,
            file_input(event),
            run_id,
            "lambda",
        )
    if action == "file_outcome":
        return file_outcome(session.client("dynamodb"), settings.audit_table, file_input(event))
    if action == "summarize":
        return summarize(list_input(event, "outcomes"))
    if action == "record_silver":
        job_error = event.get("job_error")
        return record_silver(
            session.client("s3"),
            session.client("dynamodb"),
            settings.silver_bucket,
            settings.audit_table,
            run_id,
            list_input(event, "bronze_files"),
            job_error if isinstance(job_error, dict) else None,
        )
    return report(run_id, flattened(list_input(event, "problems")))


def flattened(problems: list[Any]) -> list[Any]:
    """The state machine passes the batch's and silver's problems as two lists (States.Array)."""
    return [entry for part in problems for entry in (part if isinstance(part, list) else [part])]


def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    setup_logging()
    if not isinstance(event, dict):
        raise InputError(f"event: expected an object, got {event!r}")
    settings = settings_from_env()
    action = event.get("action", "register")
    logger.info("landing_intake invoked", extra={"action": action, "run_id": event.get("run_id")})
    return handle(event, settings, aws_session())


_SESSIONS: dict[str, boto3.Session] = {}


def aws_session() -> boto3.Session:
    """One boto3 session per execution environment (and region): a batch invokes the function
    hundreds of times, and clients made from a warm session reuse its loaded service models instead
    of reading them again (about 60 ms a client)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
    if region not in _SESSIONS:
        _SESSIONS[region] = boto3.Session()
    return _SESSIONS[region]
