"""One measured run in its own process: the real handler or the naive baseline.

Usage: ``python benchmarks/child.py <kind> <result.json> [arguments]``: ``bronze`` (with
``BENCH_BRONZE_MODULE_DIR`` set: the ``bronze_parquet.py`` in that directory), ``raw``,
``baseline <raw key> <bronze key>``, ``convert <raw path> <parquet path>``, ``baseline_convert``
(same arguments), ``silver <bronze mirror root> <bronze bucket> <datasets>`` (the Glue job on local
Spark), ``incremental <posts> <seed>`` (an InitialLoad and an Update of the whole pipeline in the
emulator, benchmarks/incremental.py).
AWS is the moto server named by ``AWS_ENDPOINT_URL``; the runner sets the environment. Only the
work is timed (imports are measured separately); the runner samples the process tree's memory.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
RAW_KEY = "wordpress_api/posts/posts.json"


# What the state machine passes bronze: the run and the raw step's summary (one InitialLoad of RAW_KEY).
BRONZE_EVENT = {
    "run": {"id": "bench"},
    "raw": {
        "summary": {
            "endpoints": [
                {"name": "posts", "mode": "InitialLoad", "key": RAW_KEY, "keys": [RAW_KEY], "ids_key": None}
            ]
        }
    },
}


def run_handler(name: str, event: dict) -> dict:
    from local.functions import load_handler

    other = os.environ.get("BENCH_BRONZE_MODULE_DIR")
    if other:  # another bronze_parquet.py (e.g. the implementation before a rewrite) for the handler
        sys.path.insert(0, other)
        import bronze_parquet  # noqa: F401 - cached: the handler's own import gets this one

    handler = load_handler(name)
    started, cpu = time.perf_counter(), cpu_seconds()
    summary = handler(event, None)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu, "summary": summary}


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished (waited-for) child processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_baseline(raw_bucket: str, raw_key: str, bronze_bucket: str, bronze_key: str) -> dict:
    """The naive conversion: pandas read_json -> to_parquet, with ``meta`` made uniform."""
    import boto3
    import pandas as pd

    started, cpu = time.perf_counter(), cpu_seconds()
    s3 = boto3.client("s3")  # timed, like the clients the handler creates
    with tempfile.TemporaryDirectory(prefix="baseline-") as workdir:
        raw_path, parquet_path = os.path.join(workdir, "raw.json"), os.path.join(workdir, "out.parquet")
        s3.download_file(raw_bucket, raw_key, raw_path)
        frame = pd.read_json(raw_path)
        # The naive path fails with "cannot mix list and non-list" when meta is [] and {}.
        frame["meta"] = frame["meta"].map(json.dumps)
        frame.to_parquet(parquet_path, index=False)
        s3.upload_file(parquet_path, bronze_bucket, bronze_key)
        rows = len(frame)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu,
        "summary": {"rows": rows},
    }


def run_convert(raw_path: str, parquet_path: str) -> dict:
    """The handler's conversion alone, local file to local file (no S3), default workers."""
    sys.path[:0] = [str(REPO_ROOT / "functions" / "data_wordpressapi_bronze" / "src")]
    from datetime import UTC, datetime

    import pandas  # noqa: F401 - loaded by the handler's awswrangler import, so not timed here
    from bronze_parquet import default_workers, write_parquet

    started = time.perf_counter()
    result = write_parquet(
        raw_path, parquet_path, source_key=RAW_KEY, ingested_at=datetime.now(UTC), workers=default_workers()
    )
    return {"seconds": time.perf_counter() - started, "summary": {"rows": result.rows}}


def run_baseline_convert(raw_path: str, parquet_path: str) -> dict:
    """The naive conversion alone, local file to local file."""
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_json(raw_path)
    frame["meta"] = frame["meta"].map(json.dumps)
    frame.to_parquet(parquet_path, index=False)
    return {"seconds": time.perf_counter() - started, "summary": {"rows": len(frame)}}


def run_silver(bronze_root: str, bronze_bucket: str, datasets: str) -> dict:
    """The silver Glue job's main() on local Spark against a copy-free mirror of the bronze bucket
    (Spark I/O on local files, the catalog and JSON results in moto in process). Spark's start is
    timed apart: on Glue the session exists before the script runs."""
    import boto3
    from moto import mock_aws

    from local.spark import load_job_module, session

    started = time.perf_counter()
    spark = session(cores=os.cpu_count() or 2, shuffle_partitions=8, driver_memory="2g")
    spark_start = time.perf_counter() - started
    job = load_job_module()
    region = "eu-west-2"
    os.environ.update({"AWS_DEFAULT_REGION": region, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with tempfile.TemporaryDirectory(prefix="bench-silver-") as workdir, mock_aws():
        root = Path(workdir)
        (root / bronze_bucket).symlink_to(Path(bronze_root) / bronze_bucket)
        s3, glue = boto3.client("s3", region_name=region), boto3.client("glue", region_name=region)
        s3.create_bucket(Bucket="bench-silver", CreateBucketConfiguration={"LocationConstraint": region})
        glue.create_database(DatabaseInput={"Name": "bench_lakehouse_silver"})
        arguments = [
            "--bronze_bucket", bronze_bucket,
            "--silver_bucket", "bench-silver",
            "--silver_database", "bench_lakehouse_silver",
            "--run_id", "bench",
            "--datasets", datasets,
            "--local_s3_root", workdir,
        ]  # fmt: skip
        started = time.perf_counter()
        result = job.main(arguments, s3=s3, glue=glue)
        seconds = time.perf_counter() - started
    spark.stop()
    posts = next(d for d in result["datasets"] if d["dataset"] == "posts")
    return {
        "seconds": seconds,
        "spark_start_seconds": spark_start,
        "summary": {
            "rows": posts["silver_rows"],
            "partitions": posts["partitions"],
            "bytes": posts["bytes"],
            "published": result["published"],
            "quarantined": result["quarantined"],
        },
    }


def main(argv: list[str]) -> None:
    kind, result_path = argv[0], argv[1]
    if kind == "bronze":
        result = run_handler("data_wordpressapi_bronze", BRONZE_EVENT)
    elif kind == "raw":
        result = run_handler("data_wordpressapi_raw", {})
    elif kind == "baseline":
        result = run_baseline(
            os.environ["BENCH_RAW_BUCKET"], argv[2], os.environ["BENCH_BRONZE_BUCKET"], argv[3]
        )
    elif kind == "convert":
        result = run_convert(argv[2], argv[3])
    elif kind == "baseline_convert":
        result = run_baseline_convert(argv[2], argv[3])
    elif kind == "silver":
        result = run_silver(argv[2], argv[3], argv[4])
    elif kind == "incremental":
        from benchmarks.incremental import run_case

        result = run_case(int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(f"unknown run kind {kind!r}")
    result["max_rss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["max_rss_largest_child_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    Path(result_path).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
