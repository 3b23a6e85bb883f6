"""moto in process for the silver job's tests, with fake credentials and the environment restored."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from moto import mock_aws

from local.emulator import fake_aws_environment


@contextmanager
def mocked_aws(region: str) -> Iterator[None]:
    """``mock_aws()`` with the emulator's fake credentials and ``region`` in the environment (never
    real: nothing reaches AWS); the variables are as they were afterwards."""
    environment = fake_aws_environment(region)
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        with mock_aws():
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
