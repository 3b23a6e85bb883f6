"""Structured logging.

On Lambda the function's log format is JSON (set in Terraform): the runtime's handler already
emits one JSON object per record, including fields passed with ``extra=``. Elsewhere (tests,
the local run) :func:`setup_logging` installs an equivalent JSON formatter on the root logger
if nothing else configured logging first.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: timestamp, level, logger, message and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# Lambda's application log levels (AWS_LAMBDA_LOG_LEVEL) onto Python's: Python has no TRACE, WARN
# is WARNING and FATAL is CRITICAL. logging.setLevel("TRACE") would raise ValueError on every call.
LAMBDA_LOG_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "CRITICAL": logging.CRITICAL,
}


def python_log_level(name: str) -> int:
    """The Python logging level for a Lambda (or Python) level name; INFO for an unknown name."""
    return LAMBDA_LOG_LEVELS.get(name.strip().upper(), logging.INFO)


def setup_logging() -> None:
    """Level from ``AWS_LAMBDA_LOG_LEVEL``/``LOG_LEVEL`` (default INFO); JSON output when unconfigured."""
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(python_log_level(level))


def get_logger(name: str) -> logging.Logger:
    """A module logger; call :func:`setup_logging` once per cold start."""
    return logging.getLogger(name)
