"""Benchmarks: bronze throughput and memory, bronze side by side with its ijson rewrite and the
seed's conversion on one core and two (``--compare-only`` runs just that), raw fetch concurrency,
package size, import time, the silver Glue job on local Spark (``--silver-only`` runs just that), and
incremental loads: an InitialLoad then an Update after 1 % of the posts changed, each the whole
pipeline in the emulator (``--incremental-only`` runs just that; benchmarks/incremental.py).

``make bench`` (or ``.venv/bin/python benchmarks/run.py``) writes ``benchmarks/results/results.md``
and ``results.json`` and prints the table. Everything runs on 127.0.0.1: moto's server stands in
for S3/SSM/SNS/Glue, the sample WordPress site for the REST API. Each measured run is a process
of its own (``benchmarks/child.py``); its memory is the peak of the RSS sum over its process
tree (worker processes included), sampled from /proc. ``--smoke`` runs everything at a tiny
size (the pytest smoke test uses it). See the README's "Performance" section.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from statistics import median
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import boto3  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from benchmarks.data import MB, ensure_data, ensure_silver_bronze, file_digest  # noqa: E402
from benchmarks.incremental import CHANGED_SHARE, SMALL_ENDPOINTS, request_budget  # noqa: E402
from benchmarks.memory import TreeSampler  # noqa: E402
from benchmarks.reference import compare, reference_table  # noqa: E402
from local.emulator import fake_aws_environment  # noqa: E402
from local.functions import FUNCTION_NAMES, FUNCTIONS_DIR  # noqa: E402
from local.sample_wordpress import DEFAULT_SEED, SampleSite, SampleWordPress, generate_posts  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
CHILD = REPO_ROOT / "benchmarks" / "child.py"
PIPELINE_MAIN_TF = REPO_ROOT / "modules" / "pipeline" / "main.tf"
REGION = "eu-west-2"
RAW_BUCKET, BRONZE_BUCKET = "bench-lakehouse-raw", "bench-lakehouse-bronze"
GLUE_DATABASE = "bench_lakehouse_bronze"
RAW_KEY, BRONZE_KEY = "wordpress_api/posts/posts.json", "wordpress_api/posts/posts.parquet"
BASELINE_KEY = "baseline/posts/posts.parquet"
RAW_ENDPOINTS = ("posts", "pages", "media", "comments", "products")
ZIP_LIMIT_KB = 100
RSS_LIMIT_300_MB = 3 * 1024
PACKAGES = ("pandas", "pyarrow", "awswrangler", "moto", "boto3", "numpy", "urllib3")


@dataclass(frozen=True)
class Settings:
    sizes_mb: tuple[float, ...] = (10, 100, 300)
    target_mb: float = 100  # the size the 2x / RSS targets apply to
    limit_mb: float = 300  # the size the < 3 GB target applies to
    seed: int = DEFAULT_SEED
    raw_endpoints: int = 5
    raw_pages: int = 10
    raw_per_page: int = 100
    raw_latency: float = 0.1
    import_repeats: int = 3
    sequential_at: tuple[float, ...] = (100, 300)  # sizes also run with BRONZE_WORKERS=1
    convert_only_at: tuple[float, ...] = (100,)  # sizes also timed without S3 (local file to file)
    reference_at: float = 10  # size whose bronze output is compared with the reference flattening
    silver_posts: tuple[int, ...] = (10_000, 100_000)  # the silver Glue job on local Spark
    # InitialLoad then Update (1 % of the posts changed), the whole pipeline in the emulator:
    incremental_posts: tuple[int, ...] = (10_000, 100_000)
    # bronze against its implementation before the ijson rewrite and the seed's conversion:
    compare_sizes: tuple[float, ...] = (50, 200)
    compare_cpus: tuple[str, ...] = ("0", "0,1")  # taskset -c: one core, two
    compare_repeats: int = 3  # interleaved rounds (timings on a shared machine are noisy)


SMOKE = Settings(
    sizes_mb=(0.3,),
    target_mb=0.3,
    limit_mb=0.3,
    raw_endpoints=1,
    raw_pages=2,
    raw_latency=0.0,
    import_repeats=1,
    sequential_at=(),
    convert_only_at=(),
    reference_at=0.3,
    silver_posts=(),  # Spark's start (a JVM) would double the smoke test's time; make bench runs it
    incremental_posts=(300,),  # the table's shape (the silver job runs twice on local Spark)
    compare_sizes=(0.3,),
    compare_cpus=("0",),
    compare_repeats=1,
)
SILVER_DATASETS = "posts,categories,tags,users"
# AWS Glue list prices (us-east-1): Spark jobs $0.44 per DPU-hour, billed per second with a 1-minute
# minimum (Glue 2.0 and later); G.1X = 1 DPU per worker; the module's default is 2 workers.
GLUE_DPU_HOUR_USD = 0.44
GLUE_MINIMUM_SECONDS = 60
GLUE_WORKERS = 2


# --------------------------------------------------------------------------- moto server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on 127.0.0.1 in a process of its own; yields its endpoint URL."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - moto from this venv
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto server did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def aws_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        **fake_aws_environment(REGION),
        "GLUE_DATABASE_NAME": GLUE_DATABASE,
        "BENCH_RAW_BUCKET": RAW_BUCKET,
        "BENCH_BRONZE_BUCKET": BRONZE_BUCKET,
    }


def provision(env: dict[str, str]) -> Any:
    """Buckets, topics, parameters and Glue database as the Terraform modules create them."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    endpoint = env["AWS_ENDPOINT_URL"]
    s3, ssm, sns, glue = (
        session.client(name, endpoint_url=endpoint) for name in ("s3", "ssm", "sns", "glue")
    )
    for bucket in (RAW_BUCKET, BRONZE_BUCKET):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    parameters = {"/s3/lakehouse/name/raw": RAW_BUCKET, "/s3/lakehouse/name/bronze": BRONZE_BUCKET}
    for layer in ("raw", "bronze"):
        parameters[f"/sns/data/lakehouse/{layer}"] = sns.create_topic(Name=f"bench-{layer}")["TopicArn"]
    for name, value in parameters.items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    glue.create_database(DatabaseInput={"Name": GLUE_DATABASE})
    return session, s3, ssm


def clear_prefix(s3: Any, bucket: str, prefix: str = "") -> None:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    for item in listing:
        s3.delete_object(Bucket=bucket, Key=item["Key"])


# --------------------------------------------------------------------------- measured runs


def measure(kind: str, env: dict[str, str], *args: str, cpus: str | None = None) -> dict[str, Any]:
    """Run ``child.py kind`` with ``env`` (on the CPUs ``cpus`` names, e.g. ``"0"``, when given:
    ``taskset -c``); its own timing plus the sampled peak RSS of its tree."""
    pinned = ["taskset", "-c", cpus] if cpus else []
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        result_path = Path(workdir) / "result.json"
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own script
            [*pinned, sys.executable, str(CHILD), kind, str(result_path), *args],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        with TreeSampler(process.pid) as sampler:
            _, stderr = process.communicate()
        process_seconds = time.perf_counter() - started
        if process.returncode != 0 or not result_path.exists():
            raise RuntimeError(f"{kind} run failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
        result = json.loads(result_path.read_text())
    result["process_seconds"] = process_seconds
    result["peak_rss_tree_mb"] = sampler.peak_mb
    result["peak_processes"] = sampler.peak_processes
    return result


def bench_bronze(
    settings: Settings, env: dict[str, str], s3: Any, checks: list[dict[str, Any]]
) -> list[dict]:
    rows = []
    for size in settings.sizes_mb:
        path = ensure_data(size, settings.seed)
        raw_bytes = path.stat().st_size
        clear_prefix(s3, RAW_BUCKET)
        clear_prefix(s3, BRONZE_BUCKET)
        s3.upload_file(str(path), RAW_BUCKET, RAW_KEY)
        runs = {"bronze": measure("bronze", env)}
        if size in settings.sequential_at:
            parallel = s3.get_object(Bucket=BRONZE_BUCKET, Key=BRONZE_KEY)["Body"].read()
            runs["bronze_1_worker"] = measure("bronze", {**env, "BRONZE_WORKERS": "1"})
            sequential = s3.get_object(Bucket=BRONZE_BUCKET, Key=BRONZE_KEY)["Body"].read()
            difference = compare(_parquet(parallel), _parquet(sequential).drop_columns(["_ingested_at"]))
            checks.append(_check(f"bronze {size:g} MB: default workers == 1 worker", difference))
        if size == settings.reference_at:
            actual = _parquet(s3.get_object(Bucket=BRONZE_BUCKET, Key=BRONZE_KEY)["Body"].read())
            expected = reference_table(json.loads(path.read_bytes()), RAW_KEY)
            checks.append(
                _check(f"bronze {size:g} MB: handler == reference flattening", compare(actual, expected))
            )
        runs["baseline"] = measure("baseline", env, RAW_KEY, BASELINE_KEY)
        if size in settings.convert_only_at:  # the code we own, without the emulator's S3 I/O
            with tempfile.TemporaryDirectory(prefix="bench-convert-") as workdir:
                out = str(Path(workdir) / "out.parquet")
                runs["convert_only"] = measure("convert", {}, str(path), out)
                runs["baseline_convert_only"] = measure("baseline_convert", {}, str(path), out)
        records = runs["bronze"]["summary"]["rows"]
        if runs["baseline"]["summary"]["rows"] != records:
            checks.append(_check(f"bronze {size:g} MB: baseline row count", "row counts differ"))
        for name, run in runs.items():
            rows.append(
                {
                    "size_mb": size,
                    "raw_bytes": raw_bytes,
                    "records": records,
                    "run": name,
                    "seconds": run["seconds"],
                    "process_seconds": run["process_seconds"],
                    "mb_per_s": raw_bytes / MB / run["seconds"],
                    "peak_rss_mb": run["peak_rss_tree_mb"],
                    "peak_processes": run["peak_processes"],
                    "max_rss_self_mb": run["max_rss_self_mb"],
                    "max_rss_largest_child_mb": run["max_rss_largest_child_mb"],
                }
            )
        print(f"  bronze {size:g} MB done", file=sys.stderr)
    return rows


# The bronze conversion rewritten on ijson (issue 17 item 3), run by the handler in its place.
IJSON_CANDIDATE_DIR = REPO_ROOT / "benchmarks" / "bronze_ijson"
COMPARED = ("bronze", "bronze_ijson", "seed_replica")


def available_cpus(cpus: tuple[str, ...]) -> tuple[str, ...]:
    """The ``taskset -c`` CPU lists of ``cpus`` whose CPUs this process may use."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    return tuple(c for c in cpus if {int(n) for n in c.split(",")} <= allowed)


def bench_bronze_compare(
    settings: Settings, env: dict[str, str], s3: Any, checks: list[dict[str, Any]]
) -> list[dict]:
    """The handler with the function's ``bronze_parquet`` (hand-written scanner) vs with the ijson
    rewrite vs the seed's conversion (pandas ``read_json`` -> ``to_parquet``, what the seed's two
    awswrangler calls do), each size on one core and on two, in interleaved rounds (the order
    rotates every round). The first round also checks that both handlers write the same Parquet."""
    runs = {
        "bronze": lambda cpus: measure("bronze", env, cpus=cpus),
        "bronze_ijson": lambda cpus: measure(
            "bronze", {**env, "BENCH_BRONZE_MODULE_DIR": str(IJSON_CANDIDATE_DIR)}, cpus=cpus
        ),
        "seed_replica": lambda cpus: measure("baseline", env, RAW_KEY, BASELINE_KEY, cpus=cpus),
    }
    rows: list[dict] = []
    for size in settings.compare_sizes:
        path = ensure_data(size, settings.seed)
        clear_prefix(s3, RAW_BUCKET)
        s3.upload_file(str(path), RAW_BUCKET, RAW_KEY)
        for cpus in available_cpus(settings.compare_cpus):
            for repeat in range(settings.compare_repeats):
                shift = repeat % len(COMPARED)
                outputs = {}
                for name in COMPARED[shift:] + COMPARED[:shift]:
                    run = runs[name](cpus)
                    if name != "seed_replica" and not checks_done(checks, size):
                        outputs[name] = s3.get_object(Bucket=BRONZE_BUCKET, Key=BRONZE_KEY)["Body"].read()
                    rows.append(
                        {
                            "size_mb": size,
                            "raw_bytes": path.stat().st_size,
                            "cpus": cpus,
                            "run": name,
                            "round": repeat,
                            "seconds": run["seconds"],
                            "cpu_seconds": run["cpu_seconds"],
                            "peak_rss_mb": run["peak_rss_tree_mb"],
                            "peak_processes": run["peak_processes"],
                        }
                    )
                if len(outputs) == 2:
                    difference = compare(
                        _parquet(outputs["bronze"]).drop_columns(["_ingested_at"]),
                        _parquet(outputs["bronze_ijson"]).drop_columns(["_ingested_at"]),
                    )
                    checks.append(_check(f"bronze {size:g} MB: ijson rewrite == function", difference))
            print(f"  bronze comparison {size:g} MB on CPUs {cpus} done", file=sys.stderr)
    return rows


def checks_done(checks: list[dict[str, Any]], size: float) -> bool:
    return any(check["check"] == f"bronze {size:g} MB: ijson rewrite == function" for check in checks)


def compare_summary(rows: list[dict]) -> list[dict]:
    """Per size, CPUs and implementation: median, min and max of time and peak RSS over the rounds."""
    groups: dict[tuple[float, str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["size_mb"], row["cpus"], row["run"]), []).append(row)
    summary = []
    for (size, cpus, name), runs in groups.items():
        seconds = [r["seconds"] for r in runs]
        cpu = [r["cpu_seconds"] for r in runs]
        memory = [r["peak_rss_mb"] for r in runs]
        summary.append(
            {
                "size_mb": size,
                "cpus": cpus,
                "run": name,
                "rounds": len(runs),
                "seconds_median": median(seconds),
                "seconds_min": min(seconds),
                "seconds_max": max(seconds),
                "cpu_seconds_median": median(cpu),
                "peak_rss_mb_median": median(memory),
                "peak_rss_mb_max": max(memory),
            }
        )
    return summary


def compare_markdown(results: dict[str, Any]) -> list[str]:
    summary = compare_summary(results.get("bronze_compare", []))
    if not summary:
        return []
    by_key = {(row["size_mb"], row["cpus"], row["run"]): row for row in summary}
    lines = [
        "",
        "## Bronze: hand-written scanner vs ijson rewrite vs the seed's conversion",
        "",
        "The handler end to end (moto S3, Glue table) with the function's `bronze_parquet.py` (`bronze`, "
        "hand-written scanner), with its rewrite on ijson (`bronze_ijson`, benchmarks/bronze_ijson), and "
        "the seed's conversion (`seed_replica`: download, pandas `read_json` -> `to_parquet`, upload), "
        "each pinned with `taskset -c` to one core or two, in interleaved rounds. Time: median (min-max) "
        "over the "
        "rounds; CPU s: user + system time of the work in the whole process tree, median (steadier than "
        "wall time when other processes share the cores); peak RSS of the process tree (workers "
        "included): median (max).",
        "",
        "| raw MB | CPUs | run | rounds | seconds | vs bronze | CPU s | vs bronze "
        "| peak RSS MB | vs bronze |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary:
        before = by_key.get((row["size_mb"], row["cpus"], "bronze"))
        time_ratio = f"{row['seconds_median'] / before['seconds_median']:.2f}x" if before else "-"
        cpu_ratio = f"{row['cpu_seconds_median'] / before['cpu_seconds_median']:.2f}x" if before else "-"
        rss_ratio = f"{row['peak_rss_mb_median'] / before['peak_rss_mb_median']:.2f}x" if before else "-"
        lines.append(
            f"| {row['size_mb']:g} | {row['cpus']} | {row['run']} | {row['rounds']} | "
            f"{row['seconds_median']:.2f} ({row['seconds_min']:.2f}-{row['seconds_max']:.2f}) | "
            f"{time_ratio} | {row['cpu_seconds_median']:.2f} | {cpu_ratio} | "
            f"{row['peak_rss_mb_median']:.0f} ({row['peak_rss_mb_max']:.0f}) | {rss_ratio} |"
        )
    return lines


def compare_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 17 item 3's rule: the ijson rewrite replaces the hand-written scanner only if it is no
    slower on one core and within 1.1x its peak memory (a FAIL keeps the hand-written one)."""
    summary = {
        (r["size_mb"], r["cpus"], r["run"]): r for r in compare_summary(results.get("bronze_compare", []))
    }
    targets = []
    for (size, cpus, name), row in sorted(summary.items()):
        own = summary.get((size, cpus, "bronze"))
        if name != "bronze_ijson" or own is None:
            continue
        if cpus == "0":
            ratio = row["seconds_median"] / own["seconds_median"]
            targets.append(
                _target(
                    f"(decision) ijson rewrite {size:g} MB, 1 CPU: time <= bronze's",
                    f"{ratio:.2f}x",
                    ratio <= 1,
                )
            )
        ratio = row["peak_rss_mb_median"] / own["peak_rss_mb_median"]
        targets.append(
            _target(
                f"(decision) ijson rewrite {size:g} MB, CPUs {cpus}: peak RSS <= 1.1x bronze's",
                f"{ratio:.2f}x",
                ratio <= 1.1,
            )
        )
    return targets


def _parquet(data: bytes) -> Any:
    import pyarrow as pa

    return pq.read_table(pa.BufferReader(data))


def _check(name: str, difference: str | None) -> dict[str, Any]:
    return {"check": name, "ok": difference is None, "detail": difference or "identical"}


def bench_silver(settings: Settings) -> list[dict]:
    """The silver job (bronze -> silver, quality gate, publish) at each post count, in its own
    process; peak memory is the process tree's (the Spark JVM included)."""
    rows = []
    for posts in settings.silver_posts:
        root = ensure_silver_bronze(posts, BRONZE_BUCKET, settings.seed)
        bronze_bytes = sum(path.stat().st_size for path in root.rglob("*.parquet"))
        run = measure("silver", {}, str(root), BRONZE_BUCKET, SILVER_DATASETS)
        rows.append(
            {
                "posts": posts,
                "bronze_mb": bronze_bytes / MB,
                "seconds": run["seconds"],
                "spark_start_seconds": run["spark_start_seconds"],
                "process_seconds": run["process_seconds"],
                "peak_rss_mb": run["peak_rss_tree_mb"],
                "silver_rows": run["summary"]["rows"],
                "partitions": run["summary"]["partitions"],
                "silver_mb": run["summary"]["bytes"] / MB,
                "published": run["summary"]["published"],
                "quarantined": run["summary"]["quarantined"],
            }
        )
        print(f"  silver {posts} posts done", file=sys.stderr)
    return rows


def glue_cost(seconds: float) -> dict[str, float]:
    """A daily run's Glue bill at list price: G.1X workers x max(run, 1 minute)."""
    billed = max(seconds, GLUE_MINIMUM_SECONDS)
    dpu_seconds = GLUE_WORKERS * 1 * billed
    usd = dpu_seconds / 3600 * GLUE_DPU_HOUR_USD
    return {"billed_seconds": billed, "dpu_seconds": dpu_seconds, "usd": usd, "usd_30_days": usd * 30}


def silver_markdown(rows: list[dict]) -> list[str]:
    lines = [
        "",
        "## Silver: bronze -> silver Glue job on local Spark (posts + categories, tags, users)",
        "",
        "`jobs/wordpress_bronze_to_silver.py`'s `main()` in its own process: local Spark "
        "(`local[<cpus>]`, 8 shuffle partitions), the Glue catalog and result JSON in moto. `seconds`: "
        "the job alone (on Glue the session exists before the script runs); peak RSS: the process tree, "
        "Spark's JVM included. Glue cost if a Glue run took as long as this local run (G.1X x "
        f"{GLUE_WORKERS}, ${GLUE_DPU_HOUR_USD}/DPU-hour, 1-minute minimum).",
        "",
        "| posts | bronze MB | silver rows | partitions | silver MB | seconds | Spark start s "
        "| peak RSS MB (tree) | Glue DPU-s | Glue $ / run |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cost = glue_cost(row["seconds"])
        lines.append(
            f"| {row['posts']} | {row['bronze_mb']:.1f} | {row['silver_rows']} | {row['partitions']} | "
            f"{row['silver_mb']:.1f} | {row['seconds']:.2f} | {row['spark_start_seconds']:.2f} | "
            f"{row['peak_rss_mb']:.0f} | {cost['dpu_seconds']:.0f} | {cost['usd']:.4f} |"
        )
    return lines


BYTES_SHARE_LIMIT = 0.05  # issue 18: an Update downloads at most 5 % of what the InitialLoad did


def bench_incremental(settings: Settings) -> list[dict]:
    """At each post count, an InitialLoad then, after 1 % of the posts changed, an Update: the whole
    pipeline in the emulator, in a process of its own (benchmarks/incremental.py)."""
    cases = []
    for posts in settings.incremental_posts:
        run = measure("incremental", {}, str(posts), str(settings.seed))
        cases.append(
            {
                "posts": posts,
                "changed": run["changed"],
                "runs": run["runs"],
                "process_seconds": run["process_seconds"],
                "peak_rss_mb": run["peak_rss_tree_mb"],
            }
        )
        print(f"  incremental {posts} posts done", file=sys.stderr)
    return cases


def incremental_targets(cases: list[dict]) -> list[dict[str, Any]]:
    """Issue 18's goals for the Update against the InitialLoad, and the audit against the changes."""
    targets = []
    for case in cases:
        posts, changed = case["posts"], case["changed"]
        initial, update = (
            next(r for r in case["runs"] if r["run"] == mode) for mode in ("InitialLoad", "Update")
        )
        budget = request_budget(posts, changed["count"])
        targets.append(
            _target(
                f"incremental {posts} posts: Update requests <= changed/100 + id-list pages + "
                f"small endpoints' pages",
                f"{update['requests']} (budget {budget} = {-(-changed['count'] // 100)} + "
                f"{-(-posts // 100)} + {len(SMALL_ENDPOINTS)})",
                update["requests"] <= budget,
            )
        )
        share = update["bytes"] / initial["bytes"]
        targets.append(
            _target(
                f"incremental {posts} posts: Update bytes <= {BYTES_SHARE_LIMIT:.0%} of InitialLoad's",
                f"{share:.2%} ({update['bytes']:,} of {initial['bytes']:,} B)",
                share <= BYTES_SHARE_LIMIT,
            )
        )
        expected = (changed["added"], changed["edited"], changed["deleted"] + changed["unpublished"])
        measured = (update["silver_inserted"], update["silver_updated"], update["silver_deleted"])
        targets.append(
            _target(
                f"output check: incremental {posts} posts: Update's silver inserted/updated/deleted "
                f"== added/edited/removed",
                f"{'/'.join(map(str, measured))} vs {'/'.join(map(str, expected))}",
                measured == expected,
            )
        )
    return targets


def incremental_markdown(cases: list[dict]) -> list[str]:
    lines = [
        "",
        "## Incremental loads: InitialLoad, then an Update after 1 % of the posts changed",
        "",
        "Each run is the whole pipeline in the emulator (`local.run_pipeline.deploy`: the modules' "
        "state machines, the real handlers, the silver Glue job on local Spark) against the sample "
        "WordPress site (posts; categories, tags and users at their defaults). Between the runs "
        f"1/{CHANGED_SHARE} of the posts change (`apply_changes`: about a third edited, added, removed). "
        "Requests: content pages of posts + id-list pages (`_fields=id`) + the small endpoints; bytes: "
        "response bodies. raw+bronze: entering *Plan the datasets* to leaving *Record BRONZE in the "
        "audit table*; silver: the *Bronze to silver* state (Spark's start included); execution: the "
        "whole run. Records: the posts the raw step fetched; silver: the posts' audit item.",
        "",
        "| posts | changed | run | requests (content + ids + small) | bytes downloaded | raw+bronze s "
        "| silver s | execution s | records fetched | silver inserted | updated | deleted | silver rows |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        for run in case["runs"]:
            requests = (
                f"{run['requests']:,} ({run['content_requests']} + {run['id_list_requests']} + "
                f"{run['small_endpoints_requests']})"
            )
            lines.append(
                f"| {case['posts']:,} | {case['changed']['count']:,} | {run['run']} | {requests} "
                f"| {_size(run['bytes'])} | {run['raw_bronze_seconds']:.1f} | {run['silver_seconds']:.1f} "
                f"| {run['seconds']:.1f} | {run['raw_records']:,} | {run['silver_inserted']:,} "
                f"| {run['silver_updated']:,} | {run['silver_deleted']:,} | {run['silver_rows']:,} |"
            )
    return lines


def _size(count: int) -> str:
    return f"{count / MB:,.1f} MB" if count >= MB else f"{count / 1024:,.1f} KB"


def raw_site(settings: Settings) -> SampleSite:
    count = settings.raw_pages * settings.raw_per_page
    names = RAW_ENDPOINTS[: settings.raw_endpoints]
    collections = {
        name: generate_posts(count, seed=settings.seed + number, paragraphs=3)
        for number, name in enumerate(names)
    }
    return SampleSite(collections=collections, documents={})


def bench_raw(settings: Settings, env: dict[str, str], ssm: Any) -> list[dict]:
    rows = []
    with SampleWordPress(raw_site(settings), latency=settings.raw_latency) as site:
        urls = [
            f"{site.url(name)}?per_page={settings.raw_per_page}"
            for name in RAW_ENDPOINTS[: settings.raw_endpoints]
        ]
        ssm.put_parameter(
            Name="/wordpress/api/endpoints", Value=",".join(urls), Type="StringList", Overwrite=True
        )
        for label, concurrency in (("default", None), ("concurrency 1", "1")):
            run_env = {k: v for k, v in env.items()}
            if concurrency:
                run_env["FETCH_CONCURRENCY"] = concurrency
            before = len(site.requests)
            run = measure("raw", run_env)
            rows.append(
                {
                    "run": label,
                    "fetch_concurrency": int(concurrency or _default_concurrency()),
                    "seconds": run["seconds"],
                    "requests": len(site.requests) - before,
                    "records": run["summary"]["records"],
                    "bytes": run["summary"]["bytes"],
                    "peak_rss_mb": run["peak_rss_tree_mb"],
                }
            )
    return rows


def _default_concurrency() -> int:
    text = (FUNCTIONS_DIR / "data_wordpressapi_raw" / "src" / "lambda_function.py").read_text()
    return int(re.search(r"DEFAULT_FETCH_CONCURRENCY = (\d+)", text).group(1))


# --------------------------------------------------------------------------- packages


def archive_sources() -> tuple[list[tuple[str, Path]], list[str]]:
    """(zip name, source dir) of each archive_file in modules/pipeline/main.tf, and its excludes."""
    archives = [(name, FUNCTIONS_DIR / name / "src") for name in FUNCTION_NAMES]
    archives.append(("lakehouse_common (layer)", FUNCTIONS_DIR / "common"))
    excludes = ["**/__pycache__/**", "**/*.pyc"]
    if PIPELINE_MAIN_TF.exists():  # follow the module if it changes its layout
        text = PIPELINE_MAIN_TF.read_text()
        found = re.findall(r"excludes\s*=\s*\[([^\]]*)\]", text)
        if found:
            excludes = re.findall(r'"([^"]+)"', found[0])
        if (
            '"${local.functions_dir}/${each.value.seed}/src"' not in text
            or '"${local.functions_dir}/common"' not in text
        ):
            print(
                "  warning: modules/pipeline/main.tf archive source_dir changed; sizes use the convention",
                file=sys.stderr,
            )
    return archives, excludes


def _excluded(relative: str, excludes: list[str]) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(relative, pattern) or fnmatch("/" + relative, pattern) for pattern in excludes)


def zip_like_archive_file(source_dir: Path, destination: Path, excludes: list[str]) -> int:
    """Zip ``source_dir`` as hashicorp/archive's archive_file does (deflate, files in walk order,
    mode 0644 via output_file_mode); returns the zip's size in bytes."""
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source_dir.rglob("*")):
            relative = path.relative_to(source_dir).as_posix()
            if not path.is_file() or _excluded(relative, excludes):
                continue
            info = zipfile.ZipInfo(relative, date_time=(2049, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return destination.stat().st_size


def bench_packages() -> list[dict]:
    archives, excludes = archive_sources()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-zip-") as workdir:
        for name, source in archives:
            size = zip_like_archive_file(source, Path(workdir) / "out.zip", excludes)
            with zipfile.ZipFile(Path(workdir) / "out.zip") as archive:
                files = len(archive.namelist())
            rows.append(
                {
                    "package": name,
                    "source_dir": str(source.relative_to(REPO_ROOT)),
                    "files": files,
                    "zip_bytes": size,
                }
            )
    return rows


IMPORT_SNIPPET = """
import sys, time
sys.path.insert(0, {repo!r})
started = time.perf_counter()
from local.functions import load_function_module
load_function_module({name!r})
print(time.perf_counter() - started)
"""


def bench_imports(settings: Settings) -> list[dict]:
    """Import time of each handler module in a fresh interpreter (a Lambda cold start's init)."""
    rows = []
    for name in FUNCTION_NAMES:
        times = []
        for _ in range(settings.import_repeats):
            output = subprocess.run(  # noqa: S603
                [sys.executable, "-c", IMPORT_SNIPPET.format(repo=str(REPO_ROOT), name=name)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "AWS_DEFAULT_REGION": REGION},
            )
            times.append(float(output.stdout.strip().splitlines()[-1]))
        rows.append({"function": name, "import_seconds": sorted(times)[len(times) // 2], "runs": len(times)})
    return rows


# --------------------------------------------------------------------------- report


def header() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "packages": {name: version(name) for name in PACKAGES},
    }


def evaluate(settings: Settings, results: dict[str, Any]) -> list[dict[str, Any]]:
    bronze = {(row["size_mb"], row["run"]): row for row in results["bronze"]}
    targets = []
    ours, base = bronze[(settings.target_mb, "bronze")], bronze[(settings.target_mb, "baseline")]
    speedup = ours["mb_per_s"] / base["mb_per_s"]
    targets.append(
        _target(
            f"bronze {settings.target_mb:g} MB throughput >= 2x baseline", f"{speedup:.2f}x", speedup >= 2
        )
    )
    targets.append(
        _target(
            f"bronze {settings.target_mb:g} MB peak RSS <= baseline",
            f"{ours['peak_rss_mb']:.0f} MB vs {base['peak_rss_mb']:.0f} MB",
            ours["peak_rss_mb"] <= base["peak_rss_mb"],
        )
    )
    if (settings.target_mb, "convert_only") in bronze:
        own = bronze[(settings.target_mb, "convert_only")]["mb_per_s"]
        naive = bronze[(settings.target_mb, "baseline_convert_only")]["mb_per_s"]
        targets.append(
            _target(
                f"(info) bronze {settings.target_mb:g} MB conversion alone, no S3: >= 2x baseline's",
                f"{own / naive:.2f}x",
                own / naive >= 2,
            )
        )
    big = bronze[(settings.limit_mb, "bronze")]
    targets.append(
        _target(
            f"bronze {settings.limit_mb:g} MB peak RSS < 3 GB",
            f"{big['peak_rss_mb']:.0f} MB",
            big["peak_rss_mb"] < RSS_LIMIT_300_MB,
        )
    )
    raw = {row["run"]: row for row in results["raw"]}
    ratio = raw["default"]["seconds"] / raw["concurrency 1"]["seconds"]
    targets.append(_target("raw time <= 0.3x concurrency 1", f"{ratio:.2f}x", ratio <= 0.3))
    for row in results["packages"]:
        targets.append(
            _target(
                f"zip {row['package']} < {ZIP_LIMIT_KB} KB",
                f"{row['zip_bytes'] / 1024:.1f} KB",
                row["zip_bytes"] < ZIP_LIMIT_KB * 1024,
            )
        )
    targets += compare_targets(results)
    targets += incremental_targets(results.get("incremental", []))
    for check in results["checks"]:
        targets.append(_target(f"output check: {check['check']}", check["detail"], check["ok"]))
    return targets


def _target(name: str, value: str, ok: bool) -> dict[str, Any]:
    return {"target": name, "value": value, "result": "PASS" if ok else "FAIL"}


def markdown(results: dict[str, Any]) -> str:
    head = results["header"]
    lines = [
        "# Benchmark results",
        "",
        f"{head['date']} · {head['cpus']} CPUs ({head['cpus_available']} available) · "
        f"Python {head['python']} · "
        f"load average at start {head['load_average']}, at end {results['load_average_end']} · "
        f"{results['total_seconds']:.0f} s in all",
        "",
        "Packages: " + ", ".join(f"{name} {value}" for name, value in head["packages"].items()),
        "",
        "## Targets",
        "",
        "| target | value | result |",
        "|---|---|---|",
        *(f"| {t['target']} | {t['value']} | {t['result']} |" for t in results["targets"]),
        "",
        "## Bronze: raw JSON -> Parquet (handler in its own process against moto S3)",
        "",
        "Time covers download, conversion, upload and the Glue table; peak RSS is the largest sum over",
        "the process tree (worker processes included). Baseline: download, `pandas.read_json` ->",
        "`meta` as JSON text -> `to_parquet`, upload. `bronze`: default `BRONZE_WORKERS` (here "
        f"{min(4, head['cpus_available'])} processes for files of 32 MB and more); `bronze_1_worker`: "
        "`BRONZE_WORKERS=1`. `convert_only`: the handler's `write_parquet` on the local file (no S3, "
        "default workers), compared with `baseline_convert_only` (the baseline's `read_json` -> "
        "`to_parquet` alone).",
        "",
        "| raw MB | records | run | seconds | MB/s | vs baseline | peak RSS MB (tree) | processes |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    baseline = {(row["size_mb"], row["run"]): row for row in results["bronze"] if "baseline" in row["run"]}
    for row in results["bronze"]:
        reference = "baseline_convert_only" if row["run"].endswith("convert_only") else "baseline"
        ratio = row["mb_per_s"] / baseline[(row["size_mb"], reference)]["mb_per_s"]
        lines.append(
            f"| {row['raw_bytes'] / MB:.1f} | {row['records']} | {row['run']} | {row['seconds']:.2f} | "
            f"{row['mb_per_s']:.1f} | {ratio:.2f}x | {row['peak_rss_mb']:.0f} | {row['peak_processes']} |"
        )
    lines += compare_markdown(results)
    raw = results["raw"]
    lines += [
        "",
        "## Raw: WordPress REST API -> S3 (local server, per-request latency "
        f"{results['settings']['raw_latency'] * 1000:.0f} ms)",
        "",
        "| run | FETCH_CONCURRENCY | seconds | vs concurrency 1 | requests | records | bytes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    sequential = next(row for row in raw if row["run"] == "concurrency 1")["seconds"]
    for row in raw:
        lines.append(
            f"| {row['run']} | {row['fetch_concurrency']} | {row['seconds']:.2f} | "
            f"{row['seconds'] / sequential:.2f}x | {row['requests']} | {row['records']} | {row['bytes']} |"
        )
    lines += [
        "",
        "## Packages (zipped like archive_file) and import time (fresh interpreter)",
        "",
        "| package | source dir | files | zip KB |",
        "|---|---|---:|---:|",
        *(
            f"| {row['package']} | {row['source_dir']} | {row['files']} | {row['zip_bytes'] / 1024:.1f} |"
            for row in results["packages"]
        ),
        "",
        "| handler module | import seconds (median) |",
        "|---|---:|",
        *(f"| {row['function']} | {row['import_seconds']:.3f} |" for row in results["imports"]),
        "",
    ]
    if results.get("silver"):
        lines += [*silver_markdown(results["silver"]), ""]
    if results.get("incremental"):
        lines += [*incremental_markdown(results["incremental"]), ""]
    return "\n".join(lines)


def run(settings: Settings, out_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {"header": header(), "settings": settings.__dict__, "checks": []}
    with moto_server() as endpoint:
        env = aws_environment(endpoint)
        _, s3, ssm = provision(env)
        results["bronze"] = bench_bronze(settings, env, s3, results["checks"])
        results["bronze_compare"] = bench_bronze_compare(settings, env, s3, results["checks"])
        results["raw"] = bench_raw(settings, env, ssm)
    results["packages"] = bench_packages()
    results["imports"] = bench_imports(settings)
    results["silver"] = bench_silver(settings)
    results["incremental"] = bench_incremental(settings)
    results["data"] = {
        f"{size:g}": {
            "path": str(ensure_data(size, settings.seed).relative_to(REPO_ROOT)),
            "sha256_16": file_digest(ensure_data(size, settings.seed)),
        }
        for size in settings.sizes_mb
    }
    results["targets"] = evaluate(settings, results)
    results["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    results["total_seconds"] = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "results.md").write_text(markdown(results))
    return results


def compare_only(settings: Settings, out_dir: Path) -> int:
    results: dict[str, Any] = {"header": header(), "settings": settings.__dict__, "checks": []}
    with moto_server() as endpoint:
        env = aws_environment(endpoint)
        _, s3, _ = provision(env)
        results["bronze_compare"] = bench_bronze_compare(settings, env, s3, results["checks"])
    results["targets"] = compare_targets(results) + [
        _target(f"output check: {check['check']}", check["detail"], check["ok"])
        for check in results["checks"]
    ]
    results["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    head = results["header"]
    lines = [
        "# Bronze comparison",
        "",
        f"{head['date']} · {head['cpus']} CPUs · load average at start {head['load_average']}, "
        f"at end {results['load_average_end']}",
        *compare_markdown(results),
        "",
        "| target | value | result |",
        "|---|---|---|",
        *(f"| {t['target']} | {t['value']} | {t['result']} |" for t in results["targets"]),
        "",
    ]
    return write_results(out_dir, "compare", results, lines)


def write_results(out_dir: Path, name: str, results: dict[str, Any], lines: list[str]) -> int:
    """``<name>.json`` and ``<name>.md`` in out_dir; prints the markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / f"{name}.md").write_text("\n".join(lines))
    print((out_dir / f"{name}.md").read_text())
    return 0


def incremental_only(settings: Settings, out_dir: Path) -> int:
    started = time.perf_counter()
    results: dict[str, Any] = {"header": header(), "settings": settings.__dict__}
    results["incremental"] = bench_incremental(settings)
    results["targets"] = incremental_targets(results["incremental"])
    results["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    results["total_seconds"] = time.perf_counter() - started
    head = results["header"]
    lines = [
        "# Incremental loads benchmark",
        "",
        f"{head['date']} · {head['cpus']} CPUs ({head['cpus_available']} available) · "
        f"Python {head['python']} · load average at start {head['load_average']}, "
        f"at end {results['load_average_end']} · {results['total_seconds']:.0f} s in all",
        "",
        "| target | value | result |",
        "|---|---|---|",
        *(f"| {t['target']} | {t['value']} | {t['result']} |" for t in results["targets"]),
        *incremental_markdown(results["incremental"]),
        "",
    ]
    return write_results(out_dir, "incremental", results, lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no latency (for the smoke test)")
    parser.add_argument("--sizes", type=float, nargs="+", help="raw JSON sizes in MB (default 10 100 300)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where results.md/json go")
    parser.add_argument(
        "--silver-only", action="store_true", help="only the silver job (writes silver.md/json)"
    )
    parser.add_argument("--silver-posts", type=int, nargs="+", help="post counts (default 10000 100000)")
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="only the incremental case: InitialLoad then Update (writes incremental.md/json)",
    )
    parser.add_argument(
        "--incremental-posts", type=int, nargs="+", help="post counts of the incremental case (10000 100000)"
    )
    parser.add_argument(
        "--compare-only",
        action="store_true",
        help="only bronze vs its ijson rewrite vs the seed's conversion (writes compare.md/json)",
    )
    parser.add_argument("--compare-sizes", type=float, nargs="+", help="raw MB for the comparison (50 200)")
    parser.add_argument("--compare-rounds", type=int, help="interleaved rounds of the comparison (3)")
    args = parser.parse_args(argv)
    settings = SMOKE if args.smoke else Settings()
    if args.compare_sizes:
        settings = Settings(**{**settings.__dict__, "compare_sizes": tuple(args.compare_sizes)})
    if args.compare_rounds:
        settings = Settings(**{**settings.__dict__, "compare_repeats": args.compare_rounds})
    if args.compare_only:
        return compare_only(settings, args.out)
    if args.silver_posts:
        settings = Settings(**{**settings.__dict__, "silver_posts": tuple(args.silver_posts)})
    if args.incremental_posts:
        settings = Settings(**{**settings.__dict__, "incremental_posts": tuple(args.incremental_posts)})
    if args.incremental_only:
        return incremental_only(settings, args.out)
    if args.silver_only:
        rows = bench_silver(settings)
        args.out.mkdir(parents=True, exist_ok=True)
        document = {"header": header(), "silver": rows, "glue_cost": [glue_cost(r["seconds"]) for r in rows]}
        (args.out / "silver.json").write_text(json.dumps(document, indent=2) + "\n")
        (args.out / "silver.md").write_text("\n".join(["# Silver benchmark", *silver_markdown(rows), ""]))
        print((args.out / "silver.md").read_text())
        return 0
    if args.sizes:
        sizes = tuple(args.sizes)
        settings = Settings(
            **{
                **settings.__dict__,
                "sizes_mb": sizes,
                "target_mb": sizes[min(1, len(sizes) - 1)],
                "limit_mb": sizes[-1],
                "reference_at": sizes[0],
                "sequential_at": tuple(s for s in settings.sequential_at if s in sizes),
                "convert_only_at": tuple(s for s in settings.convert_only_at if s in sizes),
            }
        )
    results = run(settings, args.out)
    print((args.out / "results.md").read_text())
    failed = [t["target"] for t in results["targets"] if t["result"] == "FAIL"]
    if failed:
        print(f"{len(failed)} target(s) missed: {', '.join(failed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
