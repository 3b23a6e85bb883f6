"""A local SparkSession for the silver job outside Glue (tests, the emulator, benchmarks).

``session()`` returns the process's session, creating it on first use with a supported Java
(see :mod:`local.java`). ``small_data=True`` (the test suite, the emulator) turns Spark's code
generation off and keeps the JVM to its quick first-tier compiler with the serial collector: for
tables of a few rows compiling generated code, and optimising the JVM's own, cost more than they
save (together about 2x faster here); the job's logic is the same either way, and benchmarks keep
the defaults.

What the JVM prints (Spark's start-up lines such as ``Setting default log level``, log4j's
warnings, the Python workers' stderr) goes to the ``spark`` logger, one record per line, rather
than to the console: ``make run-local`` keeps it in ``pipeline.log``. ``stop_local_spark()`` cancels
and stops the session's jobs (Ctrl-C in the local run).
"""

from __future__ import annotations

import importlib.util
import logging
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from local.java import use_for_spark

spark_logger = logging.getLogger("spark")
# log4j's console pattern: "26/12/07 06:05:04 WARN NativeCodeLoader: ..."
_LOG4J_LEVEL = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ")
_LEVELS = {"WARN": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}


def _log_lines(stream: IO[bytes]) -> None:
    """Each line the JVM prints, as a record of the `spark` logger at log4j's level (INFO otherwise)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip()
        if line:
            level = _LOG4J_LEVEL.match(line)
            spark_logger.log(_LEVELS.get(level.group(1), logging.INFO) if level else logging.INFO, line)


def _launch_gateway(settings: dict[str, str]) -> None:
    """Start Spark's JVM (py4j gateway) with its stdout and stderr read into the `spark` logger."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:  # a JVM is already running in this process
        return
    conf = SparkConf(loadDefaults=False).setAll(list(settings.items()))
    gateway = launch_gateway(conf, {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT})
    threading.Thread(target=_log_lines, args=(gateway.proc.stdout,), name="spark-output", daemon=True).start()
    SparkContext._ensure_initialized(gateway=gateway)


def session(
    *, cores: int = 2, shuffle_partitions: int = 2, small_data: bool = False, driver_memory: str = "1g"
) -> Any:
    use_for_spark()
    from pyspark.sql import SparkSession

    settings = {
        "spark.master": f"local[{cores}]",
        "spark.app.name": "serverless-lakehouse-local",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.default.parallelism": str(cores),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": driver_memory,
    }
    if small_data:
        settings |= {
            "spark.sql.adaptive.enabled": "false",
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.codegen.factoryMode": "NO_CODEGEN",
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        }
    _launch_gateway(settings)
    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop_local_spark() -> bool:
    """Cancel the running Spark jobs of this process and stop its SparkContext; False when none runs."""
    if "pyspark" not in sys.modules:
        return False
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    if context is None or getattr(context, "_jsc", None) is None:  # none, or still starting: not yet
        return False
    try:
        context.cancelAllJobs()
        context.stop()
    except Exception as error:  # noqa: BLE001 - the JVM may be going already; stopping is best effort
        spark_logger.warning("stopping Spark failed", extra={"error": f"{type(error).__name__}: {error}"})
    return True


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
