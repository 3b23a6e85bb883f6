"""Arguments (Glue's getResolvedOptions or argparse) and the Glue context only on Glue."""

from __future__ import annotations

import sys
import types

import pytest

REQUIRED = [
    "--bronze_bucket", "b", "--silver_bucket", "s", "--silver_database", "d", "--run_id", "r-1",
    "--datasets", "posts, users,posts",
]  # fmt: skip


def test_plain_parser_ignores_glue_arguments_and_dedupes_datasets(job) -> None:
    args = job.parse_arguments([*REQUIRED, "--TempDir", "s3://t/", "--enable-metrics", "true", "--data", "x"])
    assert args.datasets == ("posts", "users")
    # no abbreviations: Glue's own --data... arguments never land in --data_source or --datasets
    assert (args.data_source, args.local_s3_root, args.job_name) == ("wordpress_api", None, None)


def test_datasets_as_the_json_array_the_state_machine_sends(job) -> None:
    """The silver state machine passes States.JsonToString($.datasets): '["posts","tags"]'."""
    args = job.parse_arguments([*REQUIRED[:-1], '["posts","tags","posts"]'])
    assert args.datasets == ("posts", "tags")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--run_id", "a/b"], "--run_id"),
        (["--datasets", "Posts"], "not a table name"),
        (["--datasets", " , "], "names no dataset"),
        (["--datasets", '["posts"'], "neither a comma list nor a JSON array"),
        (["--data_source", "../x"], "--data_source"),
    ],
)
def test_bad_arguments_fail_the_job_with_a_message(job, extra, message) -> None:
    with pytest.raises(job.JobError, match=message):
        job.parse_arguments([*REQUIRED, *extra])


def test_missing_required_argument_fails(job) -> None:
    with pytest.raises(SystemExit):
        job.parse_arguments(REQUIRED[2:])


def test_glue_get_resolved_options_is_used_when_importable(job, monkeypatch) -> None:
    calls = []

    def get_resolved_options(argv, names):
        calls.append((argv, names))
        return {name: argv[argv.index(f"--{name}") + 1] for name in names}

    utils = types.ModuleType("awsglue.utils")
    utils.getResolvedOptions = get_resolved_options
    monkeypatch.setitem(sys.modules, "awsglue", types.ModuleType("awsglue"))
    monkeypatch.setitem(sys.modules, "awsglue.utils", utils)

    args = job.parse_arguments([*REQUIRED, "--JOB_NAME", "silver", "--TempDir", "s3://t/"])

    assert args.job_name == "silver" and args.run_id == "r-1"
    # Glue's parser fails on names that are absent, so optional ones are asked for only when given
    assert calls[0][1] == [*job.REQUIRED_ARGUMENTS, "JOB_NAME"]


def test_glue_context_only_when_glue_classes_exist(job, spark, monkeypatch) -> None:
    assert job.glue_context(spark) is None  # no awsglue at all

    def missing_java_classes(context):
        raise TypeError("'JavaPackage' object is not callable")  # awsglue from PyPI on plain PySpark

    context_module = types.ModuleType("awsglue.context")
    context_module.GlueContext = missing_java_classes
    monkeypatch.setitem(sys.modules, "awsglue", types.ModuleType("awsglue"))
    monkeypatch.setitem(sys.modules, "awsglue.context", context_module)
    assert job.glue_context(spark) is None

    context_module.GlueContext = lambda context: ("glue", context)
    assert job.glue_context(spark) == ("glue", spark.sparkContext)
