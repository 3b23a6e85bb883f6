"""What the raw function's events carry: run ids, UTC times, and the error that names a bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from lakehouse_common import run_key

#: The one way the pipeline writes a time: UTC, whole seconds, ``Z`` (watermarks, window starts).
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class InputError(ValueError):
    """The event is not what the action expects; ``item`` names the input (``run_id``, ``input.mode``...)."""

    def __init__(self, item: str, reason: str) -> None:
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason


def utc_now() -> datetime:
    """Now, UTC, whole seconds (rounded down)."""
    return datetime.now(UTC).replace(microsecond=0)


def utc_text(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SSZ`` (fractions of a second dropped)."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_utc(value: Any, item: str) -> datetime:
    """A ``YYYY-MM-DDTHH:MM:SSZ`` input as an aware UTC datetime; anything else names ``item``."""
    if not isinstance(value, str) or not _UTC_TIME.match(value):
        raise InputError(item, f"{value!r} is not a UTC time YYYY-MM-DDTHH:MM:SSZ")
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise InputError(item, f"{value!r} is not a valid date-time") from None


def optional_utc(value: Any, item: str) -> datetime | None:
    """:func:`parse_utc`, with null (or absent) allowed."""
    return None if value is None else parse_utc(value, item)


def manual_run_id(now: datetime) -> str:
    """The run id of an invocation without one: ``<UTC now YYYYMMDDTHHMMSSZ>-manual``."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-manual"


def require_run_id(event: dict[str, Any]) -> str:
    """``event["run_id"]``: a non-empty string without ``/`` (it is a folder of the raw keys)."""
    value = event.get("run_id")
    if not isinstance(value, str):
        raise InputError("run_id", f"{value!r} is not a run id string")
    try:
        run_key("dataset", value, "probe")
    except ValueError as error:
        raise InputError("run_id", str(error)) from None
    return value


def require(mapping: dict[str, Any], field: str, kind: type | tuple[type, ...], item: str) -> Any:
    """``mapping[field]`` when it is a ``kind`` (booleans are not integers); else names ``item.field``."""
    value = mapping.get(field)
    is_bool_for_int = isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
    if not isinstance(value, kind) or is_bool_for_int:
        expected = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise InputError(f"{item}.{field}", f"{value!r} is not a {expected}")
    return value


def require_list(event: dict[str, Any], field: str) -> list[Any]:
    """``event[field]`` as a list (the fetch's ``datasets``, the seal's ``parts``...)."""
    value = event.get(field)
    if not isinstance(value, list):
        raise InputError(field, f"{type(value).__name__} is not a list")
    return value
