"""Suite-wide fixtures. The emulator's moto adaptations live in local/emulator.py (one place,
shared with `make run-local`); this file only exposes them to tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from local.emulator import ON_EXIT, Emulator, aws_emulator  # noqa: E402
from tests.iam.calls import collect_session_calls  # noqa: E402

# Every emulator's AWS calls feed the IAM tests (tests/iam), which run last for that reason.
ON_EXIT.append(collect_session_calls)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: Path(str(item.fspath)).is_relative_to(REPO_ROOT / "tests" / "iam"))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """moto with Step Functions executing ASL, in-process Lambda handlers, no real sleeps."""
    with aws_emulator() as running:
        yield running


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def offline_plans(tmp_path_factory: pytest.TempPathFactory):
    """Real `terraform plan` of the root module and bootstrap/ (default and custom inputs) and the
    resolved apply the IAM tests read, made once per session (tests/offline_plan/runs.py)."""
    from tests.offline_plan.runs import run_all

    return run_all(tmp_path_factory.mktemp("offline-plans"))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local SparkSession (local[2], 2 shuffle partitions, no UI, Java 17) for the whole suite:
    about 3 s to start, once. Imported lazily, so tests without Spark never start a JVM."""
    from local.spark import session

    spark_session = session(small_data=True)
    yield spark_session
    spark_session.stop()
