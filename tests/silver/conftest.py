"""One local SparkSession for the whole silver suite (about 3 s to start, once), and the job
script loaded as a module from its file (``jobs/`` is not a package: Glue uploads one script)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local.java import use_for_spark

JOB_SCRIPT = Path(__file__).resolve().parents[2] / "jobs" / "wordpress_bronze_to_silver.py"


def load_job() -> ModuleType:
    name = "wordpress_bronze_to_silver"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, JOB_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    use_for_spark()  # JAVA_HOME: a Java 17 when unset or unsupported (Temurin 25 is not)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("silver-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def job(spark: Any) -> ModuleType:
    return load_job()
