"""The suite runs on the libraries the code gets in AWS (issue 15 item 6).

The bronze function runs with the AWS SDK for pandas managed layer of ``pandas_layer_version``; the
silver job runs with AWS Glue 5.0's own Python libraries. The tables below say what each release
ships (sources in ``requirements-test.txt``); the tests fail when the module moves to a release
the table does not know, when ``requirements-test.txt`` pins other versions, or when the venv has
others installed. Glue's boto3 differs from the suite's (moto and the functions need a newer one):
every boto3 call of the job scripts is checked against Glue 5.0's botocore service models instead.
"""

from __future__ import annotations

import ast
import functools
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name
from packaging.requirements import Requirement

from local.hcl import labelled, parse_dir, resources

REPO_ROOT = Path(__file__).resolve().parents[1]
MODULES_DIR = REPO_ROOT / "modules"
JOBS_DIR = REPO_ROOT / "jobs"
REQUIREMENTS = REPO_ROOT / "requirements-test.txt"
GLUE_BOTOCORE = REPO_ROOT / "tests" / "fixtures" / "glue50_botocore_1.34.131.json"

# AWS SDK for pandas layer release -> what it ships. numpy per Python minor: numpy 2.5 needs 3.12+.
PANDAS_LAYER_RELEASES: dict[str, dict[str, Any]] = {
    "3.17.1": {
        "awswrangler": "3.17.1",
        "pyarrow": "24.0.0",
        "pandas": "3.0.5",
        "numpy": {"3.11": "2.4.6", "3.12": "2.5.1", "3.13": "2.5.1"},
    },
}
# AWS Glue version -> its Python, its Spark (pyspark locally) and the boto3 it provides.
GLUE_RELEASES: dict[str, dict[str, str]] = {
    "5.0": {"python": "3.11", "pyspark": "3.5.4", "boto3": "1.34.131"},
}
# Names the job scripts give their boto3 clients -> the service.
JOB_CLIENTS = {"s3": "s3", "glue": "glue", "dynamodb": "dynamodb"}
# Job script -> the folder zipped into its --extra-py-files: that code runs on Glue's boto3 too.
JOB_EXTRA_PY_FILES = {"landing_file_to_bronze.py": REPO_ROOT / "functions" / "landing_intake" / "src"}


def _python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def layer_versions(release: str, python: str) -> dict[str, str]:
    """The versions the layer ``release`` ships for ``python`` (KeyError: a release not in the table)."""
    entry = PANDAS_LAYER_RELEASES[release]
    return {name: value[python] if isinstance(value, dict) else value for name, value in entry.items()}


def requirement_pins(text: str, python: str) -> dict[str, str]:
    """``name -> version`` of the ``==`` pins in a requirements file whose markers hold for ``python``."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate({"python_version": python}):
            continue
        specifiers = [spec for spec in requirement.specifier if spec.operator == "=="]
        assert specifiers, f"requirements-test.txt: {line!r} is not an exact pin"
        pins[requirement.name.lower()] = specifiers[0].version
    return pins


@functools.cache
def pandas_layer_default() -> str:
    variables = labelled(parse_dir(MODULES_DIR / "pipeline")["variable"])
    return variables["pandas_layer_version"]["default"]


@functools.cache
def glue_versions() -> frozenset[str]:
    """``glue_version`` of every Glue job of every module."""
    found = set()
    for module in sorted(path for path in MODULES_DIR.iterdir() if path.is_dir()):
        for rtype, _, body in resources(parse_dir(module)):
            if rtype == "aws_glue_job":
                found.add(str(body["glue_version"]))
    return frozenset(found)


def test_the_module_uses_a_pandas_layer_release_the_table_knows() -> None:
    release = pandas_layer_default()
    assert release in PANDAS_LAYER_RELEASES, (
        f"pandas_layer_version {release}: add what that layer ships to PANDAS_LAYER_RELEASES "
        "(pyarrow from building/lambda/build-lambda-layer.sh, pandas/numpy as resolved when it was built) "
        "and pin them in requirements-test.txt"
    )


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_requirements_pin_the_pandas_layer_libraries(python: str) -> None:
    pins = requirement_pins(REQUIREMENTS.read_text(encoding="utf-8"), python)
    expected = layer_versions(pandas_layer_default(), python)
    assert {name: pins.get(name) for name in expected} == expected


def test_installed_libraries_are_the_pandas_layer_ones() -> None:
    expected = layer_versions(pandas_layer_default(), _python())
    assert {name: version(name) for name in expected} == expected


def test_a_layer_release_missing_from_the_table_fails() -> None:
    with pytest.raises(KeyError):
        layer_versions("3.99.0", "3.13")
    pins = requirement_pins('pandas==2.3.3\nnumpy==2.4.6; python_version < "3.12"\n', "3.13")
    assert pins == {"pandas": "2.3.3"}  # the marker excludes numpy on 3.13
    assert pins != {key: value for key, value in layer_versions("3.17.1", "3.13").items() if key in pins}


def test_every_glue_job_uses_a_glue_version_the_table_knows() -> None:
    versions = glue_versions()
    assert versions, "no aws_glue_job found in modules/"
    assert versions <= set(GLUE_RELEASES), f"add {versions - set(GLUE_RELEASES)} to GLUE_RELEASES"


def test_the_suite_runs_the_glue_job_on_glues_python_and_spark() -> None:
    pins = requirement_pins(REQUIREMENTS.read_text(encoding="utf-8"), _python())
    for glue_version in glue_versions():
        glue = GLUE_RELEASES[glue_version]
        assert pins["pyspark"] == glue["pyspark"] == version("pyspark")
        assert _python() == glue["python"], f"Glue {glue_version} runs Python {glue['python']}"


def boto3_calls(source: str) -> list[tuple[str, str, set[str]]]:
    """``(service, operation, keyword arguments)`` of each ``<client>.<method>(...)`` call in
    ``source`` on a client named in :data:`JOB_CLIENTS`; ``get_paginator("x").paginate(...)``
    counts as a call of ``x``."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        target, method = node.func.value, node.func.attr
        keywords = {keyword.arg for keyword in node.keywords if keyword.arg}
        if isinstance(target, ast.Name) and target.id in JOB_CLIENTS and method != "get_paginator":
            calls.append((JOB_CLIENTS[target.id], method, keywords))
        elif (
            method == "paginate"
            and isinstance(target, ast.Call)
            and isinstance(target.func, ast.Attribute)
            and target.func.attr == "get_paginator"
            and isinstance(target.func.value, ast.Name)
            and target.func.value.id in JOB_CLIENTS
            and target.args
            and isinstance(target.args[0], ast.Constant)
        ):
            calls.append((JOB_CLIENTS[target.func.value.id], str(target.args[0].value), keywords))
    return calls


def unsupported_calls(source: str, models: dict[str, dict[str, list[str]]]) -> list[str]:
    """The calls of ``source`` that Glue 5.0's boto3 does not have (operation or argument)."""
    problems = []
    for service, method, keywords in boto3_calls(source):
        operations = {xform_name(name): set(members) for name, members in models[service].items()}
        if method not in operations:
            problems.append(f"{service}.{method}: no such operation")
        elif keywords - operations[method]:
            problems.append(f"{service}.{method}: no argument {sorted(keywords - operations[method])}")
    return problems


def test_the_job_calls_only_what_glues_boto3_has() -> None:
    models = json.loads(GLUE_BOTOCORE.read_text(encoding="utf-8"))
    assert GLUE_RELEASES["5.0"]["boto3"] in models["source"]
    scripts = sorted(JOBS_DIR.glob("*.py"))
    assert scripts
    for script in scripts:
        source = script.read_text(encoding="utf-8")
        if script.name in JOB_EXTRA_PY_FILES:
            modules = sorted(JOB_EXTRA_PY_FILES[script.name].glob("*.py"))
            assert modules, f"{script.name}: no modules in {JOB_EXTRA_PY_FILES[script.name]}"
            source += "".join("\n" + module.read_text(encoding="utf-8") for module in modules)
        # A script may leave its AWS calls to the shared helpers it imports (jobs/lakehouse_publish.py,
        # checked as one of the scripts).
        assert boto3_calls(source) or "import lakehouse_publish" in source, (
            f"{script.name}: no boto3 call found (client names changed?)"
        )
        assert unsupported_calls(source, models) == [], script.name


def test_a_call_glues_boto3_lacks_is_reported() -> None:
    models = json.loads(GLUE_BOTOCORE.read_text(encoding="utf-8"))
    source = (
        "s3.put_object(Bucket=b, Key=k, Body=x)\n"
        "s3.put_object(Bucket=b, Key=k, Body=x, IfNoneMatch='*')\n"  # conditional writes: botocore 1.35
        "glue.get_table(DatabaseName=d, Name=n)\n"
        "glue.describe_everything()\n"
        "s3.get_paginator('list_objects_v2').paginate(Bucket=b, Prefix=p)\n"
        "dynamodb.update_item(TableName=t, Key=k, UpdateExpression=u)\n"
        "dynamodb.create_table(TableName=t, KeySchema=k, WarmThroughput=w)\n"  # warm throughput: 2024-11
    )
    assert unsupported_calls(source, models) == [
        "s3.put_object: no argument ['IfNoneMatch']",
        "glue.describe_everything: no such operation",
        "dynamodb.create_table: no argument ['WarmThroughput']",
    ]
