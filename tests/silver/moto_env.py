"""moto in process for the Glue jobs' tests, with fake credentials and the environment restored; a
Glue client that records the catalog writes a job makes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


class RecordingGlue:
    """A Glue client that records the catalog writes (CreateTable/UpdateTable) the job makes."""

    def __init__(self, glue: Any) -> None:
        self._glue = glue
        self.calls: list[tuple[str, str, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._glue, name)

    def create_table(self, DatabaseName: str, TableInput: dict[str, Any]) -> Any:  # noqa: N803 - boto3's
        self.calls.append(("CreateTable", DatabaseName, TableInput["Name"]))
        return self._glue.create_table(DatabaseName=DatabaseName, TableInput=TableInput)

    def update_table(self, DatabaseName: str, TableInput: dict[str, Any]) -> Any:  # noqa: N803 - boto3's
        self.calls.append(("UpdateTable", DatabaseName, TableInput["Name"]))
        return self._glue.update_table(DatabaseName=DatabaseName, TableInput=TableInput)
