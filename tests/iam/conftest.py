"""Fixtures of the IAM tests: the resolved deployment and every recorded call."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.emulator import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, aws_emulator
from tests.conftest import once_per_run
from tests.iam.calls import SESSION_CALLS, Call
from tests.iam.flows import run_flows
from tests.iam.model import Deployment, load
from tests.offline_plan.plan import PlanResult


@pytest.fixture(scope="session")
def deployment(offline_plans: dict[str, PlanResult]) -> Deployment:
    resolved = offline_plans["root-resolved"]
    assert resolved.ok, resolved.report
    return load(resolved.plan, DEFAULT_ACCOUNT_ID, DEFAULT_REGION)


def _flow_calls(directory: Path) -> list[Call]:
    with aws_emulator() as emulator:
        return run_flows(emulator)


@pytest.fixture(scope="session")
def recorded_calls(tmp_path_factory: pytest.TempPathFactory) -> list[Call]:
    """The flows' calls (run once per test run, shared by pytest-xdist's workers) and those of every
    emulator this process's tests ran."""
    return once_per_run(tmp_path_factory, "iam-flows", _flow_calls) + list(SESSION_CALLS)
