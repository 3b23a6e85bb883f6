"""A local SparkSession for the silver job outside Glue (tests, the emulator, benchmarks).

``session()`` returns the process's session, creating it on first use with a supported Java
(see :mod:`local.java`). ``small_data=True`` (the test suite) turns Spark's code generation
off: for tables of a few rows compiling generated code costs more than it saves (about 2x
faster here); the job's logic is the same either way, and benchmarks keep the defaults.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from local.java import use_for_spark


def session(
    *, cores: int = 2, shuffle_partitions: int = 2, small_data: bool = False, driver_memory: str = "1g"
) -> Any:
    use_for_spark()
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("serverless-lakehouse-local")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", driver_memory)
    )
    if small_data:
        builder = (
            builder.config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


JOBS_DIR = Path(__file__).resolve().parents[1] / "jobs"
SILVER_JOB = JOBS_DIR / "wordpress_bronze_to_silver.py"


def load_job_module(path: Path = SILVER_JOB) -> ModuleType:
    """A Glue job script as a module (``jobs/`` is not a package: Glue uploads one file), cached in
    ``sys.modules`` under the file's stem; call its ``main(argv, s3=..., glue=...)``."""
    name = path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
