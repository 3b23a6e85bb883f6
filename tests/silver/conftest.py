"""The silver job script as a module; the SparkSession is the suite-wide ``spark`` fixture
(tests/conftest.py)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from local.spark import load_job_module


@pytest.fixture(scope="session")
def job(spark: Any) -> ModuleType:
    return load_job_module()
