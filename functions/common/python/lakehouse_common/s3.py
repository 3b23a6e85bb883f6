"""S3 naming and object helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lakehouse_common.config import DATA_SOURCE

_NOT_NAME_CHARACTER = re.compile(r"[^a-z0-9_]")


def object_name(segment: str) -> str:
    """An object/table name from a route segment or file stem: lower-case, other characters -> ``_``."""
    return _NOT_NAME_CHARACTER.sub("_", segment.strip().lower())


def object_key(name: str, suffix: str, *, prefix: str = DATA_SOURCE) -> str:
    """``<prefix>/<name>/<name>.<suffix>``, the layout of both layers."""
    return f"{prefix}/{name}/{name}.{suffix}"


def run_key(name: str, run_id: str, filename: str, *, prefix: str = DATA_SOURCE) -> str:
    """``<prefix>/<name>/<run_id>/<filename>``: one run's own object under the dataset's prefix."""
    if not run_id or "/" in run_id:
        raise ValueError(f"run id {run_id!r} must be a non-empty name without '/'")
    return f"{prefix}/{name}/{run_id}/{filename}"


def put_object(s3: Any, bucket: str, key: str, body: bytes, content_type: str) -> None:
    """One PutObject: atomic, so readers see the previous object or the new one, never a part."""
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def list_keys(s3: Any, bucket: str, prefix: str, *, suffix: str = "") -> Iterator[str]:
    """Keys under ``prefix`` ending with ``suffix``, in S3's (lexicographic) order."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(suffix):
                yield item["Key"]
