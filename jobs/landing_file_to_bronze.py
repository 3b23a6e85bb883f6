"""Landing zone, large files: one landed file -> its bronze object and table (issue 19). An AWS Glue
5.0 job (Python 3.11) run by the ``Landing_To_Silver`` state machine for files larger than the
Lambda path takes (``lambda_max_file_bytes``). It does what the ``landing_intake`` function's
``load_file`` action does, with the same code: ``landing_load.load_file(..., path="glue")`` from the
job's ``--extra-py-files s3://<artifacts>/jobs/landing_intake.zip`` (a zip of
``functions/landing_intake/src``), which also writes the file's audit item (BRONZE, INVALID,
SUPERSEDED or FAILED); the state machine then reads it with the function's ``file_outcome`` action.

No Spark: the file is read with pyarrow on the driver (``landing_load``'s docstring gives the sizes a
G.1X driver takes). Glue 5.0's own pyarrow is older than the one the code is tested with, so the job
gets ``--additional-python-modules pyarrow==24.0.0`` (the AWS SDK for pandas layer's, see
``requirements-test.txt``).

Arguments (Glue style ``--name value``; Glue's ``getResolvedOptions`` when ``awsglue`` is
importable, a plain parser otherwise; arguments Glue adds, such as ``--TempDir`` or
``--extra-py-files``, are ignored): ``--file`` (the File to load, as JSON: ``dataset``, ``key``,
``file_name``, ``size``, ``etag``, ``audit_id``, ``arrived_at``), ``--run_id``, ``--raw_bucket``,
``--bronze_bucket``, ``--bronze_database``, ``--audit_table``, ``--contracts_bucket``,
``--contracts_prefix``, ``--csv_delimiter``. A bad argument raises :class:`JobError` naming it (the
job run fails; the state machine records the file FAILED). An invalid file does not fail the job:
its outcome is in the audit item.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any

REQUIRED_ARGUMENTS = ("file", "run_id", "raw_bucket", "bronze_bucket", "bronze_database", "audit_table")
OPTIONAL_ARGUMENTS = ("contracts_bucket", "contracts_prefix", "csv_delimiter", "JOB_NAME", "local_s3_root")
RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

logger = logging.getLogger("landing_file_to_bronze")


class JobError(ValueError):
    """A bad job argument; the message names it."""


def resolved_options(argv: Sequence[str]) -> dict[str, str]:
    """``--name value`` pairs: Glue's ``getResolvedOptions`` when importable, else argparse."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        getResolvedOptions = None  # noqa: N806 - Glue's name
    if getResolvedOptions is not None:
        present = [name for name in OPTIONAL_ARGUMENTS if f"--{name}" in argv]
        return dict(getResolvedOptions(["job", *argv], [*REQUIRED_ARGUMENTS, *present]))
    parser = argparse.ArgumentParser(
        prog="landing_file_to_bronze", description=__doc__.split("\n")[0], allow_abbrev=False
    )
    for name in REQUIRED_ARGUMENTS:
        parser.add_argument(f"--{name}", required=True)
    for name in OPTIONAL_ARGUMENTS:
        parser.add_argument(f"--{name}")
    known, _ = parser.parse_known_args(list(argv))  # Glue's own arguments ignored
    return {name: value for name, value in vars(known).items() if value is not None}


def parse_arguments(argv: Sequence[str]) -> dict[str, Any]:
    """The checked arguments: ``file`` parsed, the settings ``landing_load.LoadSettings`` takes."""
    options = resolved_options(argv)
    try:
        file = json.loads(options["file"])
    except json.JSONDecodeError as error:
        raise JobError(f"--file: not JSON ({error.msg}): {options['file'][:200]!r}") from None
    if not isinstance(file, dict) or not all(
        file.get(name) for name in ("dataset", "key", "etag", "audit_id")
    ):
        raise JobError(
            f"--file: expected a File with dataset, key, etag, audit_id: {options['file'][:200]!r}"
        )
    if not RUN_ID.match(options["run_id"]):
        raise JobError(f"--run_id: {options['run_id']!r} is not a run id (letters, digits, _ . : -)")
    for name in ("raw_bucket", "bronze_bucket", "bronze_database", "audit_table"):
        if not options[name].strip():
            raise JobError(f"--{name} is empty")
    delimiter = options.get("csv_delimiter") or ","
    if len(delimiter) != 1:
        raise JobError(f"--csv_delimiter: {delimiter!r} must be one character")
    prefix = options.get("contracts_prefix") or "datasets/"
    return {
        "file": file,
        "run_id": options["run_id"],
        "settings": {
            "raw_bucket": options["raw_bucket"],
            "bronze_bucket": options["bronze_bucket"],
            "bronze_database": options["bronze_database"],
            "audit_table": options["audit_table"],
            "contracts_bucket": options.get("contracts_bucket") or "",
            "contracts_prefix": prefix if prefix.endswith("/") else prefix + "/",
            "csv_delimiter": delimiter,
        },
    }


def main(
    argv: Sequence[str] | None = None, *, s3: Any = None, glue: Any = None, dynamodb: Any = None
) -> dict:
    """Entry point on Glue and locally; the clients are created when not given."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    arguments = parse_arguments(list(sys.argv[1:] if argv is None else argv))
    import boto3
    from landing_load import LoadSettings, load_file  # from --extra-py-files (landing_intake.zip)

    s3 = s3 or boto3.client("s3")
    glue = glue or boto3.client("glue")
    dynamodb = dynamodb or boto3.client("dynamodb")
    outcome = load_file(
        s3,
        glue,
        dynamodb,
        LoadSettings(**arguments["settings"]),
        arguments["file"],
        arguments["run_id"],
        "glue",
    )
    logger.info("file %s: %s %s", outcome["key"], outcome["state"], outcome.get("reason", ""))
    return outcome


if __name__ == "__main__":
    main()
