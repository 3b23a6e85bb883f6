"""SSM Parameter Store reads."""

from __future__ import annotations

from typing import Any

from lakehouse_common.errors import MissingParameterError


def get_parameter(ssm: Any, name: str) -> str:
    """The value of parameter ``name``; a missing or blank parameter raises :class:`MissingParameterError`."""
    try:
        response = ssm.get_parameter(Name=name, WithDecryption=True)
    except ssm.exceptions.ParameterNotFound:
        raise MissingParameterError(name, f"SSM parameter {name} not found") from None
    value = response["Parameter"]["Value"]
    if not value.strip():
        raise MissingParameterError(name, f"SSM parameter {name} is empty")
    return value


def parse_string_list(value: str) -> list[str]:
    """A StringList value as a list: comma-separated, spaces around commas ignored, empty items dropped."""
    return [item.strip() for item in value.split(",") if item.strip()]


def get_string_list(ssm: Any, name: str) -> list[str]:
    """A StringList parameter as a list of its items."""
    return parse_string_list(get_parameter(ssm, name))
