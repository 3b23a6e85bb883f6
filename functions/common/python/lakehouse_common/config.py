"""Configuration from environment variables, defaulting to the seed's parameter names."""

from __future__ import annotations

import os
from dataclasses import dataclass

#: S3 prefix of everything the WordPress pipeline writes, in both layers.
DATA_SOURCE = "wordpress_api"

#: Sent with every WordPress request so site owners can tell who is calling.
USER_AGENT = "serverless-lakehouse-pipeline/0.1"

DEFAULT_GLUE_DATABASE = "data_lakehouse_bronze"

# Environment variable -> seed default. The SNS default depends on the layer the function writes.
_DEFAULTS = {
    "RAW_BUCKET_PARAMETER": "/s3/lakehouse/name/raw",
    "BRONZE_BUCKET_PARAMETER": "/s3/lakehouse/name/bronze",
    "ENDPOINTS_PARAMETER": "/wordpress/api/endpoints",
}
_SNS_DEFAULTS = {"raw": "/sns/data/lakehouse/raw", "bronze": "/sns/data/lakehouse/bronze"}


@dataclass(frozen=True)
class ParameterNames:
    """Names of the SSM parameters a function reads (the parameters hold the values)."""

    raw_bucket: str
    bronze_bucket: str
    sns_topic: str
    endpoints: str


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def parameter_names(layer: str) -> ParameterNames:
    """Parameter names from ``*_PARAMETER`` env vars; ``layer`` ("raw"/"bronze") picks the SNS default."""
    if layer not in _SNS_DEFAULTS:
        raise ValueError(f"layer must be one of {sorted(_SNS_DEFAULTS)}, got {layer!r}")
    return ParameterNames(
        raw_bucket=_env("RAW_BUCKET_PARAMETER", _DEFAULTS["RAW_BUCKET_PARAMETER"]),
        bronze_bucket=_env("BRONZE_BUCKET_PARAMETER", _DEFAULTS["BRONZE_BUCKET_PARAMETER"]),
        sns_topic=_env("SNS_TOPIC_PARAMETER", _SNS_DEFAULTS[layer]),
        endpoints=_env("ENDPOINTS_PARAMETER", _DEFAULTS["ENDPOINTS_PARAMETER"]),
    )


def glue_database_name() -> str:
    """The bronze Glue database (``GLUE_DATABASE_NAME``, set by Terraform)."""
    return _env("GLUE_DATABASE_NAME", DEFAULT_GLUE_DATABASE)


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    """An integer tunable; a malformed or too small value is a configuration error naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ValueError(f"environment variable {name}={value} must be >= {minimum}")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A float tunable (seconds); a malformed or too small value is a configuration error naming it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from None
    if value < minimum:
        raise ValueError(f"environment variable {name}={value} must be >= {minimum}")
    return value
