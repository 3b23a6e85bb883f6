"""Fixtures of the IAM tests: the resolved deployment and every recorded call."""

from __future__ import annotations

import pytest

from local.emulator import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, aws_emulator
from tests.iam.calls import SESSION_CALLS, Call
from tests.iam.flows import run_flows
from tests.iam.model import Deployment, load
from tests.offline_plan.plan import PlanResult


@pytest.fixture(scope="session")
def deployment(offline_plans: dict[str, PlanResult]) -> Deployment:
    resolved = offline_plans["root-resolved"]
    assert resolved.ok, resolved.report
    return load(resolved.plan, DEFAULT_ACCOUNT_ID, DEFAULT_REGION)


@pytest.fixture(scope="session")
def recorded_calls() -> list[Call]:
    with aws_emulator() as emulator:
        own = run_flows(emulator)
    return own + list(SESSION_CALLS)
