"""Issue 9 item 2: `name_prefix` makes a second deployment in the same account and region possible.

The root configuration and every module it calls are evaluated by real Terraform (provider-free
mirror, tests/provider_free.py) with `name_prefix = ""` and with `name_prefix = "dev"`. Every name
AWS wants unique per account and region (globally for buckets) is collected generically: each
resource block of each module, the argument `NAME_ARGUMENTS` names for its type, scoped by its parent
where the name is unique only within one (an inline role policy per role, a target per rule, a
schedule per group). The two sets must not intersect, and a resource type missing from the table
fails the test until someone says where its unique name is.

Conventions (README "Names and name_prefix"): SSM parameters `/<prefix>/s3/lakehouse/name/raw`,
Glue database `<prefix>_data_lakehouse_bronze` ('-' in the prefix as '_'), other names
`<prefix>-<name>`; with an empty prefix every name is the seed's.
"""

from __future__ import annotations

import json

import pytest

from local.hcl import expression, parse_dir
from local.terraform import MODULES_DIR, REPO_ROOT
from tests.provider_free import NAME_ARGUMENTS, Evaluated, evaluate, evaluate_root
from tests.tf_eval import evaluate_outputs

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "name_prefix_missing"

SEED_PARAMETERS = {
    "/s3/lakehouse/name/raw",
    "/s3/lakehouse/name/bronze",
    "/sns/data/lakehouse/raw",
    "/sns/data/lakehouse/bronze",
    "/wordpress/api/endpoints",
}


@pytest.fixture(scope="module")
def unprefixed() -> Evaluated:
    return evaluate_root("")


@pytest.fixture(scope="module")
def dev() -> Evaluated:
    return evaluate_root("dev")


def _collisions(first: Evaluated, second: Evaluated) -> list[str]:
    return [
        f"{rtype} {name!r}" + (f" in {scope!r}" if scope else "")
        for rtype, scope, name in sorted(first.names() & second.names())
    ]


def test_every_resource_type_says_where_its_unique_name_is(unprefixed: Evaluated) -> None:
    assert not unprefixed.mirror.unknown_types(), (
        "resource types missing from NAME_ARGUMENTS in tests/provider_free.py (add the argument that "
        f"must be unique, or None with the reason it has none): {unprefixed.mirror.unknown_types()}"
    )


def test_every_module_is_part_of_the_evaluated_configuration(unprefixed: Evaluated) -> None:
    modules = {path for path in MODULES_DIR.iterdir() if (path / "main.tf").is_file()}
    assert modules <= unprefixed.mirror.module_dirs, (
        f"not reached from the root: {modules - unprefixed.mirror.module_dirs}"
    )


def test_a_dev_deployment_shares_no_unique_name_with_the_unprefixed_one(
    unprefixed: Evaluated, dev: Evaluated
) -> None:
    assert len(unprefixed.names()) == len(dev.names()) >= 40
    assert not _collisions(unprefixed, dev), "names both deployments would create:\n" + "\n".join(
        _collisions(unprefixed, dev)
    )


def test_without_a_prefix_the_names_are_the_seeds(unprefixed: Evaluated) -> None:
    # The seed's names stay exactly as they were; resources added since may add names of their own.
    assert unprefixed.by_type("aws_ssm_parameter") >= SEED_PARAMETERS
    assert unprefixed.by_type("aws_glue_catalog_database") >= {"data_lakehouse_bronze"}
    assert unprefixed.by_type("aws_sns_topic") >= {
        "failure-stepfunction",
        "success-stepfunction",
        "failure-lambda",
        "data-lakehouse-raw",
        "data-lakehouse-bronze",
    }
    assert unprefixed.by_type("aws_lambda_function") >= {"data_wordpressapi_raw", "data_wordpressapi_bronze"}


def test_prefixed_parameters_and_database_follow_the_conventions(dev: Evaluated) -> None:
    assert dev.by_type("aws_ssm_parameter") >= {f"/dev{name}" for name in SEED_PARAMETERS}
    assert all(name.startswith("/dev/") for name in dev.by_type("aws_ssm_parameter"))
    assert "dev_data_lakehouse_bronze" in dev.by_type("aws_glue_catalog_database")
    assert all(name.startswith("dev_") for name in dev.by_type("aws_glue_catalog_database"))


def test_glue_database_prefix_uses_underscores() -> None:
    """The root's own expression for the database name, evaluated by Terraform for several prefixes."""
    root_locals = {k: v for block in parse_dir(REPO_ROOT)["locals"] for k, v in block.items()}
    source = expression(root_locals["glue_database_name"]).replace(
        "var.glue_database_name", '"data_lakehouse_bronze"'
    )
    source = source.replace("var.name_prefix", "prefix")
    expected = {
        "": "data_lakehouse_bronze",
        "dev": "dev_data_lakehouse_bronze",
        "dev-eu-1": "dev_eu_1_data_lakehouse_bronze",
    }
    databases = f"{{ for prefix in {json.dumps(sorted(expected))} : prefix => {source} }}"
    config = f'output "databases" {{\n  value = {databases}\n}}\n'
    assert evaluate_outputs(config)["databases"] == expected


def test_the_functions_get_the_parameter_names_the_root_creates() -> None:
    """The functions find their parameters through environment variables set from the module inputs,
    which the root fills from the modules that create the parameters (not from the defaults)."""
    calls = {name: body for block in parse_dir(REPO_ROOT)["module"] for name, body in block.items()}
    pipeline = calls["pipeline"]
    assert pipeline["raw_bucket_parameter_name"] == "${module.lakehouse_buckets.raw_bucket_parameter_name}"
    assert (
        pipeline["bronze_bucket_parameter_name"] == "${module.lakehouse_buckets.bronze_bucket_parameter_name}"
    )
    assert pipeline["raw_topic_parameter_name"] == "${module.alerting.raw_topic_parameter_name}"
    assert pipeline["bronze_topic_parameter_name"] == "${module.alerting.bronze_topic_parameter_name}"
    assert pipeline["glue_database_name"] == "${module.lakehouse_buckets.glue_database_name}"
    assert pipeline["endpoints_parameter_name"] == "${local.parameter_names.endpoints}"


def test_the_check_catches_a_name_without_the_prefix_and_an_unclassified_type() -> None:
    """Test of the test: a fixture forgets the prefix on one parameter and adds an unknown type."""
    assert "aws_unclassified_thing" not in NAME_ARGUMENTS
    first, second = evaluate(FIXTURE, {"name_prefix": ""}), evaluate(FIXTURE, {"name_prefix": "dev"})
    assert _collisions(first, second) == ["aws_ssm_parameter '/forgot/the/prefix'"]
    assert set(first.mirror.unknown_types()) == {"aws_unclassified_thing"}
