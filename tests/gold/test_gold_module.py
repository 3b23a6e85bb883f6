"""The gold layer's and Athena's Terraform, read from the HCL (issue 20): modules/lakehouse-buckets
(gold bucket, parameter, database), modules/athena (workgroup, results bucket, saved queries) and
modules/pipeline/gold.tf (the gold Glue job and its role), and the root wiring.

What users rely on: every query of the workgroup writes encrypted results to a location that expires,
is cut off at a byte limit and cannot opt out (enforced configuration); each queries/*.sql file is one
saved query holding exactly that file's SQL, in the database the file names; the gold job reads only
silver and writes only its gold prefixes and tables.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.hcl import blocks_of, expression, labelled, parse_dir, resources
from local.run_pipeline import read_deployment
from local.terraform import MODULES_DIR, REPO_ROOT
from tests.tf_eval import accepted_values, evaluate_outputs

ATHENA_DIR = MODULES_DIR / "athena"
BUCKETS_DIR = MODULES_DIR / "lakehouse-buckets"
PIPELINE_DIR = MODULES_DIR / "pipeline"
QUERIES_DIR = REPO_ROOT / "queries"
SAVED_QUERIES = {
    "posts_per_month",
    "most_active_authors",
    "most_used_categories",
    "most_used_tags",
    "newest_posts",
    "last_run_audit",
}
SEED_DATABASES = {
    "data_lakehouse_bronze": "data_lakehouse_bronze",
    "data_lakehouse_silver": "data_lakehouse_silver",
    "data_lakehouse_gold": "data_lakehouse_gold",
}


def resource(tree: dict[str, list[Any]], rtype: str, name: str, kind: str = "resource") -> dict[str, Any]:
    for found_type, found_name, body in resources(tree, kind):
        if (found_type, found_name) == (rtype, name):
            return body
    raise AssertionError(f"no {kind} {rtype}.{name}")


def one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def module_locals(directory: Path) -> dict[str, Any]:
    return {name: value for block in parse_dir(directory)["locals"] for name, value in block.items()}


@pytest.fixture(scope="module")
def athena() -> dict[str, list[Any]]:
    return parse_dir(ATHENA_DIR)


@pytest.fixture(scope="module")
def pipeline() -> dict[str, list[Any]]:
    return parse_dir(PIPELINE_DIR)


# --- Workgroup -----------------------------------------------------------------------------------


def test_workgroup_enforces_engine_3_encrypted_results_the_cutoff_and_metrics(
    athena: dict[str, list[Any]],
) -> None:
    workgroup = resource(athena, "aws_athena_workgroup", "this")
    configuration = one(blocks_of(workgroup, "configuration"))
    assert configuration["enforce_workgroup_configuration"] is True
    assert configuration["publish_cloudwatch_metrics_enabled"] is True
    assert configuration["bytes_scanned_cutoff_per_query"] == "${var.bytes_scanned_cutoff_per_query}"
    assert (
        one(blocks_of(configuration, "engine_version"))["selected_engine_version"]
        == "Athena engine version 3"
    )
    results = one(blocks_of(configuration, "result_configuration"))
    assert results["output_location"] == "s3://${aws_s3_bucket.results.bucket}/${local.results_prefix}"
    assert module_locals(ATHENA_DIR)["results_prefix"] == "results/"
    encryption = one(blocks_of(results, "encryption_configuration"))
    assert encryption["encryption_option"] in {"SSE_S3", "SSE_KMS"}


def test_workgroup_name_carries_the_name_prefix() -> None:
    source = expression(module_locals(ATHENA_DIR)["workgroup_name"])
    assert source == 'join("-", compact([var.name_prefix, var.workgroup_name]))'
    default = labelled(parse_dir(ATHENA_DIR)["variable"])["workgroup_name"]["default"]
    names = evaluate_outputs(
        'output "names" {\n  value = { for prefix in ["", "acme-dev"] : prefix => '
        + source.replace("var.name_prefix", "prefix").replace("var.workgroup_name", json.dumps(default))
        + " }\n}\n"
    )["names"]
    assert names == {"": "lakehouse", "acme-dev": "acme-dev-lakehouse"}


@pytest.mark.parametrize(
    ("directory", "variable"),
    [(ATHENA_DIR, "bytes_scanned_cutoff_per_query"), (REPO_ROOT, "athena_bytes_scanned_cutoff_per_query")],
    ids=["module", "root"],
)
def test_cutoff_is_at_least_athenas_10_mb_minimum(directory: Path, variable: str) -> None:
    good = [10485760, 1073741824, 10995116277760]
    bad = [10485759, 10000000, 0, -1, 10485760.5]
    assert accepted_values(directory, variable, good + bad) == good


def test_root_passes_the_cutoff_and_the_deployed_database_names_to_athena() -> None:
    call = labelled(parse_dir(REPO_ROOT)["module"])["athena"]
    assert call["bytes_scanned_cutoff_per_query"] == "${var.athena_bytes_scanned_cutoff_per_query}"
    assert call["name_prefix"] == "${var.name_prefix}"
    assert call["database_names"] == {
        "data_lakehouse_bronze": "${module.lakehouse_buckets.glue_database_name}",
        "data_lakehouse_silver": "${module.lakehouse_buckets.silver_glue_database_name}",
        "data_lakehouse_gold": "${module.lakehouse_buckets.gold_glue_database_name}",
    }
    outputs = labelled(parse_dir(REPO_ROOT)["output"])
    assert outputs["athena_workgroup_name"]["value"] == "${module.athena.workgroup_name}"
    assert outputs["gold_bucket_name"]["value"] == "${module.lakehouse_buckets.gold_bucket_name}"
    assert (
        outputs["gold_glue_database_name"]["value"] == "${module.lakehouse_buckets.gold_glue_database_name}"
    )


# --- Results bucket ------------------------------------------------------------------------------


def test_results_bucket_is_encrypted_private_and_tls_only(athena: dict[str, list[Any]]) -> None:
    encryption = resource(athena, "aws_s3_bucket_server_side_encryption_configuration", "results")
    default = one(blocks_of(one(blocks_of(encryption, "rule")), "apply_server_side_encryption_by_default"))
    assert default["sse_algorithm"] in {"aws:kms", "AES256"}
    block = resource(athena, "aws_s3_bucket_public_access_block", "results")
    assert all(
        block[flag] is True
        for flag in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    statement = one(
        blocks_of(resource(athena, "aws_iam_policy_document", "results_tls_only", "data"), "statement")
    )
    assert statement["effect"] == "Deny"
    assert one(blocks_of(statement, "condition"))["values"] == ["false"]


def test_query_results_expire(athena: dict[str, list[Any]]) -> None:
    lifecycle = resource(athena, "aws_s3_bucket_lifecycle_configuration", "results")
    rules = {rule["id"]: rule for rule in blocks_of(lifecycle, "rule")}
    results = rules["expire-query-results"]
    assert results["status"] == "Enabled"
    assert one(blocks_of(results, "filter"))["prefix"] == "${local.results_prefix}"
    assert one(blocks_of(results, "expiration"))["days"] == "${var.results_expiration_days}"
    assert accepted_values(ATHENA_DIR, "results_expiration_days", [1, 7, 3650, 0, 1.5, 3651]) == [1, 7, 3650]


# --- Saved queries -------------------------------------------------------------------------------


def named_queries(queries_dir: Path, database_names: dict[str, str]) -> dict[str, dict[str, str]]:
    """modules/athena's own `named_queries` expression (its locals, as written in main.tf), evaluated
    by real Terraform over `queries_dir`."""
    text = (ATHENA_DIR / "main.tf").read_text(encoding="utf-8")
    start = text.index("  queries_dir ")
    end = text.index("\n}\n", start)
    source = re.sub(r"(?<![\w.])path\.module\b", json.dumps(str(ATHENA_DIR)), text[start:end])
    config = (
        'variable "database_names" {\n  type    = map(string)\n'
        f"  default = {json.dumps(database_names)}\n}}\n"
        f'variable "queries_dir" {{\n  type    = string\n  default = {json.dumps(str(queries_dir))}\n}}\n'
        f"locals {{\n{source}\n}}\n"
        'output "named_queries" {\n  value = local.named_queries\n}\n'
    )
    return evaluate_outputs(config)["named_queries"]


def test_one_named_query_per_saved_query_file_with_the_files_sql(athena: dict[str, list[Any]]) -> None:
    named = resource(athena, "aws_athena_named_query", "this")
    assert named["for_each"] == "${local.named_queries}"
    assert (named["name"], named["query"], named["database"]) == (
        "${each.key}",
        "${each.value.query}",
        "${each.value.database}",
    )
    assert named["workgroup"] == "${aws_athena_workgroup.this.id}"

    files = {path.stem: path for path in QUERIES_DIR.glob("*.sql")}
    assert set(files) >= SAVED_QUERIES
    queries = named_queries(QUERIES_DIR, SEED_DATABASES)
    assert set(queries) == set(files)
    for name, path in files.items():
        assert queries[name]["query"] == path.read_text(encoding="utf-8"), name
        first = path.read_text(encoding="utf-8").splitlines()[0]
        chosen = re.fullmatch(r"--\s*database:\s*([a-z0-9_]+)\s*", first)
        assert queries[name]["database"] == (chosen.group(1) if chosen else "data_lakehouse_gold"), name


def test_database_line_description_and_deployed_names(tmp_path: Path) -> None:
    (tmp_path / "plain.sql").write_text("SELECT 1\n", encoding="utf-8")
    (tmp_path / "posts_per_month.sql").write_text(
        "-- How many posts were published each month?\n"
        "SELECT year, month, count(*) AS posts\nFROM data_lakehouse_gold.posts_enriched\nGROUP BY 1, 2\n",
        encoding="utf-8",
    )
    (tmp_path / "silver_posts.sql").write_text(
        "-- database: data_lakehouse_silver\n-- The newest silver posts.\n"
        "SELECT p.id FROM data_lakehouse_silver.posts p "
        "JOIN data_lakehouse_gold.posts_enriched g ON g.id = p.id\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("not a query", encoding="utf-8")
    deployed = {
        "data_lakehouse_bronze": "dev_data_lakehouse_bronze",
        "data_lakehouse_silver": "dev_data_lakehouse_silver",
        "data_lakehouse_gold": "dev_data_lakehouse_gold",
    }

    queries = named_queries(tmp_path, deployed)

    assert set(queries) == {"plain", "posts_per_month", "silver_posts"}
    assert queries["plain"] == {
        "database": "dev_data_lakehouse_gold",
        "description": "Saved query plain (queries/plain.sql).",
        "query": "SELECT 1\n",
    }
    assert queries["posts_per_month"]["database"] == "dev_data_lakehouse_gold"
    assert queries["posts_per_month"]["description"] == "How many posts were published each month?"
    assert "FROM dev_data_lakehouse_gold.posts_enriched\n" in queries["posts_per_month"]["query"]
    assert queries["silver_posts"]["database"] == "dev_data_lakehouse_silver"
    assert queries["silver_posts"]["description"] == "The newest silver posts."
    assert queries["silver_posts"]["query"].endswith(
        "SELECT p.id FROM dev_data_lakehouse_silver.posts p JOIN dev_data_lakehouse_gold.posts_enriched g "
        "ON g.id = p.id\n"
    )
    # Without a prefix the deployed names are the seeds: the file's SQL, unchanged.
    seeds = named_queries(tmp_path, SEED_DATABASES)
    assert seeds["silver_posts"]["query"] == (tmp_path / "silver_posts.sql").read_text(encoding="utf-8")


# --- Gold bucket, parameter, database ------------------------------------------------------------


def test_gold_bucket_follows_silvers_rules() -> None:
    buckets_locals = module_locals(BUCKETS_DIR)
    gold = buckets_locals["buckets"]["gold"]
    assert "data-lakehouse-gold" in gold["name"] and "var.name_prefix" in gold["name"]
    assert gold["parameter_name"] == (
        '${coalesce(var.gold_bucket_parameter_name, "${local.parameter_path_prefix}/s3/lakehouse/name/gold")}'
    )
    expiring = buckets_locals["expiring_prefixes"]
    assert {rule: value["prefix"] for rule, value in expiring["gold"].items()} == {
        rule: value["prefix"] for rule, value in expiring["silver"].items()
    }
    # Encryption, versioning, public access and the TLS policy are for_each over every bucket.
    tree = parse_dir(BUCKETS_DIR)
    for rtype in (
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_lifecycle_configuration",
    ):
        assert resource(tree, rtype, "this")["for_each"] == "${aws_s3_bucket.this}", rtype
    outputs = labelled(tree["output"])
    assert outputs["gold_bucket_parameter_name"]["value"] == '${aws_ssm_parameter.bucket_name["gold"].name}'


def test_gold_database_name_carries_the_prefix_with_underscores() -> None:
    source = expression(module_locals(BUCKETS_DIR)["gold_glue_database_name"])
    source = source.replace("var.gold_glue_database_name", "null").replace("var.name_prefix", "prefix")
    names = evaluate_outputs(
        f'output "names" {{\n  value = {{ for prefix in ["", "dev", "dev-eu-1"] : prefix => {source} }}\n}}\n'
    )["names"]
    assert names == {
        "": "data_lakehouse_gold",
        "dev": "dev_data_lakehouse_gold",
        "dev-eu-1": "dev_eu_1_data_lakehouse_gold",
    }


# --- Gold job ------------------------------------------------------------------------------------


def test_gold_job_is_glue_5_with_the_contracts_arguments(pipeline: dict[str, list[Any]]) -> None:
    job = resource(pipeline, "aws_glue_job", "gold")
    assert job["glue_version"] == "5.0"
    assert job["max_retries"] == 0
    assert job["security_configuration"] == "${aws_glue_security_configuration.gold.name}"
    command = one(blocks_of(job, "command"))
    assert (command["name"], command["python_version"]) == ("glueetl", "3")
    assert (
        command["script_location"] == "s3://${var.artifacts_bucket_name}/${aws_s3_object.gold_job_script.key}"
    )
    arguments = job["default_arguments"]
    assert arguments["--silver_database"] == "${var.silver_glue_database_name}"
    assert arguments["--gold_bucket"] == "${var.gold_bucket_name}"
    assert arguments["--gold_database"] == "${var.gold_glue_database_name}"
    assert arguments["--extra-py-files"] == "s3://${var.artifacts_bucket_name}/${local.lakehouse_publish_key}"
    assert arguments["--custom-logGroup-prefix"] == "${local.gold_job_log_name_prefix}"
    assert module_locals(PIPELINE_DIR)["gold_job_script_key"] == "jobs/wordpress_silver_to_gold.py"
    variables = labelled(pipeline["variable"])
    assert variables["gold_job_name"]["default"] == "wordpress_silver_to_gold"
    script = resource(pipeline, "aws_s3_object", "gold_job_script")
    assert script["source_hash"] == "${filemd5(local.gold_job_script_source)}"
    assert (REPO_ROOT / "jobs" / "wordpress_silver_to_gold.py").is_file()


def test_gold_job_logs_and_bookmarks_are_encrypted(pipeline: dict[str, list[Any]]) -> None:
    configuration = one(
        blocks_of(resource(pipeline, "aws_glue_security_configuration", "gold"), "encryption_configuration")
    )
    assert one(blocks_of(configuration, "cloudwatch_encryption"))["cloudwatch_encryption_mode"] == "SSE-KMS"
    assert (
        one(blocks_of(configuration, "job_bookmarks_encryption"))["job_bookmarks_encryption_mode"]
        == "CSE-KMS"
    )
    assert one(blocks_of(configuration, "s3_encryption"))["s3_encryption_mode"] == "SSE-S3"
    groups = resource(pipeline, "aws_cloudwatch_log_group", "gold_job")
    assert groups["for_each"] == "${local.gold_job_log_group_names}"
    assert groups["kms_key_id"] == "${module.gold_glue_key.key_arn}"


def grants(tree: dict[str, list[Any]], document: str) -> dict[str, set[str]]:
    """Action -> resources of a policy document."""
    found: dict[str, set[str]] = {}
    for statement in blocks_of(resource(tree, "aws_iam_policy_document", document, "data"), "statement"):
        for action in statement["actions"]:
            found.setdefault(action, set()).update(one([statement["resources"]]))
    return found


def test_gold_job_reads_silver_and_writes_only_its_gold_prefixes_and_tables(
    pipeline: dict[str, list[Any]],
) -> None:
    granted = grants(pipeline, "gold_job")
    silver, gold = "${var.silver_bucket_arn}", "${var.gold_bucket_arn}"
    assert f"{silver}/${{local.data_source}}/*" in granted["s3:GetObject"]
    for action in ("s3:PutObject", "s3:DeleteObject"):
        assert not any(arn.startswith(silver) for arn in granted[action]), f"{action} on silver"
    assert {arn for arn in granted["s3:PutObject"] if arn.startswith(gold)} == {
        f"{gold}/${{local.data_source}}/*",
        f"{gold}/quarantine/${{local.data_source}}/*",
        f"{gold}/_runs/${{local.data_source}}/*",
    }
    assert {arn for arn in granted["s3:DeleteObject"] if arn.startswith(gold)} == {
        f"{gold}/${{local.data_source}}/*",
        f"{gold}/quarantine/${{local.data_source}}/*",
    }
    for action in ("glue:CreateTable", "glue:UpdateTable"):
        assert granted[action] == {
            "${local.silver_glue_catalog_arn}",
            "${local.gold_glue_database_arn}",
            "${local.gold_glue_tables_arn}",
        }, action
    assert "${local.silver_glue_tables_arn}" in granted["glue:GetTable"]
    assert not any(action.startswith(("glue:Delete", "glue:BatchDelete", "states:")) for action in granted)
    dynamodb = {action for action in granted if action.startswith("dynamodb:")}
    assert dynamodb == {"dynamodb:Scan"}, "the audit trail is read, never written, by the job"
    assert granted["dynamodb:Scan"] == {"${aws_dynamodb_table.audit.arn}"}
    pipeline_locals = module_locals(PIPELINE_DIR)
    assert pipeline_locals["gold_glue_database_arn"].endswith(":database/${var.gold_glue_database_name}")
    assert pipeline_locals["gold_glue_tables_arn"].endswith(":table/${var.gold_glue_database_name}/*")


def test_root_wires_the_gold_bucket_and_database_into_the_pipeline() -> None:
    call = labelled(parse_dir(REPO_ROOT)["module"])["pipeline"]
    assert call["gold_bucket_name"] == "${module.lakehouse_buckets.gold_bucket_name}"
    assert call["gold_bucket_arn"] == "${module.lakehouse_buckets.gold_bucket_arn}"
    assert call["gold_glue_database_name"] == "${module.lakehouse_buckets.gold_glue_database_name}"


def test_the_local_run_still_reads_the_silver_job_from_the_pipeline_module() -> None:
    """modules/pipeline declares two Glue jobs now (gold.tf sorts before silver.tf): the local run's
    deployment reader must keep picking the silver one."""
    job = read_deployment("123456789012", "eu-west-2").job
    assert job.script_key == "jobs/wordpress_bronze_to_silver.py"
    assert job.name == "wordpress_bronze_to_silver"
