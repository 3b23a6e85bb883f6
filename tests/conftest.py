"""Suite-wide fixtures. The emulator's moto adaptations live in local/emulator.py (one place,
shared with `make run-local`); this file only exposes them to tests."""

from __future__ import annotations

import fcntl
import os
import pickle
import sys
from collections.abc import Callable, Iterator
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


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Any]) -> Any:
    """`make(directory)` once for the whole test run, even when pytest-xdist runs test files in
    several worker processes: the first worker makes it under a lock and pickles the result into the
    run's shared temporary directory; the others wait for the lock and load it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the directory all workers of this run share
    directory = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = shared / f"{name}.pickle"
        if cached.exists():
            return pickle.loads(cached.read_bytes())
        directory.mkdir(exist_ok=True)
        value = make(directory)
        cached.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def offline_plans(tmp_path_factory: pytest.TempPathFactory):
    """Real `terraform plan` of the root module and bootstrap/ (default and custom inputs) and the
    resolved apply the IAM tests read, made once per test run (tests/offline_plan/runs.py)."""
    from tests.offline_plan.runs import run_all

    return once_per_run(tmp_path_factory, "offline-plans", run_all)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local SparkSession (local[2], 2 shuffle partitions, no UI, Java 17) for the whole suite:
    about 3 s to start, once. Imported lazily, so tests without Spark never start a JVM."""
    from local.spark import session

    spark_session = session(small_data=True)
    yield spark_session
    spark_session.stop()
