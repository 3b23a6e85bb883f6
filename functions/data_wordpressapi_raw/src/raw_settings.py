"""The raw function's incremental-load settings, from environment variables (all optional).

==========================  =========  =================================================================
Variable                    Default    Meaning
==========================  =========  =================================================================
``LOOKBACK_MINUTES``        60         An Update asks for changes since watermark minus this (>= 0;
                                       60 covers the autumn DST hour of a site's local time).
``DETECT_DELETIONS``        true       ``true``/``false``: an Update also lists the published ids.
``PAGES_PER_INVOCATION``    100        An InitialLoad with more pages (100 records each) is split into
                                       page ranges fetched by separate invocations (>= 1).
``FULL_RELOAD_DAYS``        7          Plan: a last full load older than this many days means
                                       InitialLoad (>= 0; 0 = never).
``INCREMENTAL_DATASETS``    posts,     Comma list of dataset names that support ``modified_after``
                            pages      (post types); the others are fetched in full every run.
==========================  =========  =================================================================

A malformed value is a :class:`ValueError` naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from lakehouse_common import env_int, object_name, parse_string_list

DEFAULT_INCREMENTAL_DATASETS = ("posts", "pages")


def env_bool(name: str, default: bool) -> bool:
    """``true`` or ``false`` (any case); blank is ``default``; anything else names the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() not in ("true", "false"):
        raise ValueError(f"environment variable {name}={raw!r} must be true or false")
    return raw.lower() == "true"


def env_names(name: str, default: tuple[str, ...]) -> frozenset[str]:
    """A comma list of dataset names; a name that is not one (``Posts``, ``my-posts``) names the variable."""
    raw = os.environ.get(name, "").strip()
    names = parse_string_list(raw) if raw else list(default)
    invalid = [item for item in names if object_name(item) != item]
    if invalid:
        raise ValueError(
            f"environment variable {name}={raw!r}: {invalid} are not dataset names "
            "(lower-case letters, digits, _)"
        )
    return frozenset(names)


@dataclass(frozen=True)
class RawSettings:
    lookback: timedelta
    detect_deletions: bool
    pages_per_invocation: int
    full_reload_days: int
    incremental_datasets: frozenset[str]

    @classmethod
    def from_env(cls) -> RawSettings:
        return cls(
            lookback=timedelta(minutes=env_int("LOOKBACK_MINUTES", 60, minimum=0)),
            detect_deletions=env_bool("DETECT_DELETIONS", True),
            pages_per_invocation=env_int("PAGES_PER_INVOCATION", 100, minimum=1),
            full_reload_days=env_int("FULL_RELOAD_DAYS", 7, minimum=0),
            incremental_datasets=env_names("INCREMENTAL_DATASETS", DEFAULT_INCREMENTAL_DATASETS),
        )
