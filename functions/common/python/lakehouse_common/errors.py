"""The failure contract shared by the pipeline steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """One input (endpoint URL, S3 key, parameter) that could not be processed, and why."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


class MissingParameterError(LookupError):
    """An SSM parameter the function needs does not exist (or is empty)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class PipelineStepFailed(RuntimeError):
    """Raised after alerting, so the state machine sees the step fail. Lists every failure."""

    def __init__(self, step: str, failures: Sequence[Failure]) -> None:
        self.step = step
        self.failures = list(failures)
        lines = "; ".join(str(failure) for failure in self.failures)
        super().__init__(f"{step}: {len(self.failures)} failure(s): {lines}")


def fail_if_any(step: str, failures: Sequence[Failure]) -> None:
    """Raise :class:`PipelineStepFailed` when ``failures`` is not empty."""
    if failures:
        raise PipelineStepFailed(step, failures)
