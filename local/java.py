"""The Java that local PySpark runs on: Spark 3.5 (AWS Glue 5.0's) supports Java 8, 11 and 17;
Glue 5.0 itself runs Java 17.

``java_home()`` keeps ``JAVA_HOME`` when it points to a supported Java, else finds a Java 17
(Debian/Ubuntu: ``/usr/lib/jvm/java-17-openjdk-amd64`` after
``sudo apt-get install openjdk-17-jre-headless``). ``spark_environment()`` is the environment
to give PySpark. ``python -m local.java`` prints the chosen directory (for the Makefile and shells).
"""

from __future__ import annotations

import glob
import os
import re
import sys
from pathlib import Path

SUPPORTED_MAJOR_VERSIONS = ("17", "11", "1.8")
PREFERRED = "/usr/lib/jvm/java-17-openjdk-amd64"
SEARCH = (
    "/usr/lib/jvm/*17*",
    "/usr/lib/jvm/*",
    "/opt/java/*",
    "/Library/Java/JavaVirtualMachines/*/Contents/Home",
)
INSTALL_HINT = (
    "Spark 3.5 needs Java 17 (or 11/8); install it with `sudo apt-get install openjdk-17-jre-headless` "
    "(Debian/Ubuntu) or set JAVA_HOME to a Java 17"
)


class JavaNotFound(RuntimeError):
    """No Java that Spark 3.5 supports."""


def java_version(home: str | os.PathLike[str]) -> str | None:
    """The ``JAVA_VERSION`` of a Java home's ``release`` file ("17.0.13"), or None."""
    release = Path(home) / "release"
    if not (Path(home) / "bin" / "java").exists() or not release.is_file():
        return None
    found = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.MULTILINE)
    return found.group(1) if found else None


def supported(home: str | os.PathLike[str]) -> bool:
    version = java_version(home)
    return version is not None and any(
        version == major or version.startswith(major + ".") or version.startswith(major + "_")
        for major in SUPPORTED_MAJOR_VERSIONS
    )


def java_home(environ: dict[str, str] | None = None) -> str:
    """``JAVA_HOME`` if it is a Java Spark 3.5 supports, else a Java 17 found on this machine."""
    environ = os.environ if environ is None else environ
    current = environ.get("JAVA_HOME")
    if current and supported(current):
        return current
    candidates = [PREFERRED]
    for pattern in SEARCH:
        candidates.extend(sorted(glob.glob(pattern)))
    for candidate in candidates:
        if supported(candidate) and java_version(candidate).startswith("17"):  # type: ignore[union-attr]
            return candidate
    for candidate in candidates:
        if supported(candidate):
            return candidate
    raise JavaNotFound(f"no supported Java (JAVA_HOME={current!r}). {INSTALL_HINT}")


def spark_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment variables local PySpark needs: a supported ``JAVA_HOME``, this Python for
    the driver and the workers (the venv's, where pyspark is installed), and the loopback address
    for everything Spark listens on (nothing may be reachable beyond 127.0.0.1)."""
    return {
        "JAVA_HOME": java_home(environ),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }


def use_for_spark() -> dict[str, str]:
    """Set :func:`spark_environment` in ``os.environ`` (before the first SparkSession); returns it."""
    environment = spark_environment()
    os.environ.update(environment)
    return environment


if __name__ == "__main__":
    try:
        print(java_home())
    except JavaNotFound as error:
        print(error, file=sys.stderr)
        sys.exit(1)
