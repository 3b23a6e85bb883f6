"""modules/landing-zone read from its own HCL (issue 19): how a landed file reaches the function, and
how the batch run is started.

What a user relies on: a file created under s3://<raw>/landing/<dataset>/ (any name) is sent to the
landing_intake function's live alias, and nothing else is (other prefixes, other buckets, deletions);
S3 sends the raw bucket's events to EventBridge at all; an event that cannot be delivered is retried,
then kept in an encrypted dead-letter queue only this rule may write to; only this rule may invoke the
alias; the schedule starts Landing_To_Silver through its live alias; the settings are validated.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from moto.events.models import EventPattern

from local.hcl import blocks_of, labelled, parse_dir, resources
from local.terraform import MODULES_DIR, REPO_ROOT
from tests.tf_eval import accepted_values

MODULE_DIR = MODULES_DIR / "landing-zone"
RAW_BUCKET = "data-lakehouse-raw-123456789012-eu-west-2"
_REFERENCE = re.compile(r"\$\{(var|local)\.([a-z0-9_]+)\}")


@pytest.fixture(scope="module")
def tree() -> dict[str, list[Any]]:
    return parse_dir(MODULE_DIR)


def resource(tree: dict[str, list[Any]], rtype: str, name: str, kind: str = "resource") -> dict[str, Any]:
    for found_type, found_name, body in resources(tree, kind):
        if (found_type, found_name) == (rtype, name):
            return body
    raise AssertionError(f"modules/landing-zone has no {kind} {rtype}.{name}")


def module_locals(tree: dict[str, list[Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in tree.get("locals", []):
        values.update(block)
    return values


def resolved(value: Any, tree: dict[str, list[Any]], variables: dict[str, str]) -> Any:
    """`value` with `${var.x}` taken from `variables` and `${local.y}` from the module's plain-string
    locals; fails on anything it cannot resolve (so the test reads exactly what Terraform would)."""
    if isinstance(value, dict):
        return {key: resolved(item, tree, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [resolved(item, tree, variables) for item in value]
    if not isinstance(value, str):
        return value
    local_values = module_locals(tree)

    def one(match: re.Match[str]) -> str:
        kind, name = match.groups()
        found = variables.get(name) if kind == "var" else local_values.get(name)
        assert isinstance(found, str) and "${" not in found, f"cannot resolve {match.group(0)} in {value!r}"
        return found

    text = _REFERENCE.sub(one, value)
    assert "${" not in text, f"unresolved reference in {value!r}"
    return text


def event_pattern(tree: dict[str, list[Any]], raw_bucket: str = RAW_BUCKET) -> dict[str, Any]:
    rule = resource(tree, "aws_cloudwatch_event_rule", "object_created")
    match = re.fullmatch(r"\$\{jsonencode\(local\.(\w+)\)\}", rule["event_pattern"])
    assert match, f"event_pattern must be jsonencode(local.<name>) to be read, got {rule['event_pattern']}"
    return resolved(module_locals(tree)[match.group(1)], tree, {"raw_bucket_name": raw_bucket})


def object_event(
    key: str, bucket: str = RAW_BUCKET, detail_type: str = "Object Created", source: str = "aws.s3"
) -> dict[str, Any]:
    """An S3 event as EventBridge delivers it (S3 user guide, "EventBridge message structure")."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-12-07T10:15:30Z",
        "region": "eu-west-2",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "0A"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }


def matches(tree: dict[str, list[Any]], event: dict[str, Any]) -> bool:
    return EventPattern.load(json.dumps(event_pattern(tree))).matches_event(event)


# --- Arrival ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "landing/sales/orders.csv",
        "landing/sales/orders 2026 (copy).csv.gz",
        "landing/sales/caf%C3%A9+menu.json",  # S3 may URL-encode keys in events
        "landing/sales/café menu.jsonl",
        "landing/sales/",  # a console "folder": delivered, the function ignores it
        "landing/orders.csv",  # outside a dataset folder: delivered, the function refuses it with an alert
    ],
)
def test_an_object_created_under_landing_in_the_raw_bucket_reaches_the_function(
    tree: dict[str, list[Any]], key: str
) -> None:
    assert matches(tree, object_event(key))


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(object_event("failed/sales/run-1/orders.csv"), id="failed-prefix"),
        pytest.param(object_event("wordpress_api/posts/run-1/posts.json"), id="wordpress-prefix"),
        pytest.param(object_event("landing-zone/sales/orders.csv"), id="prefix-without-slash"),
        pytest.param(object_event("sales/landing/orders.csv"), id="landing-not-first"),
        pytest.param(object_event("landing/sales/orders.csv", bucket="another-bucket"), id="other-bucket"),
        pytest.param(object_event("landing/sales/orders.csv", detail_type="Object Deleted"), id="deleted"),
        pytest.param(
            object_event("landing/sales/orders.csv", detail_type="Object Restore Completed"), id="restored"
        ),
        pytest.param(object_event("landing/sales/orders.csv", source="com.example.s3"), id="other-source"),
    ],
)
def test_other_prefixes_buckets_and_event_types_reach_nothing(
    tree: dict[str, list[Any]], event: dict[str, Any]
) -> None:
    assert not matches(tree, event)


def test_the_pattern_follows_the_raw_bucket_it_is_given(tree: dict[str, list[Any]]) -> None:
    pattern = event_pattern(tree, raw_bucket="acme-dev-raw-bucket")
    assert EventPattern.load(json.dumps(pattern)).matches_event(
        object_event("landing/sales/orders.csv", bucket="acme-dev-raw-bucket")
    )
    assert not EventPattern.load(json.dumps(pattern)).matches_event(object_event("landing/sales/orders.csv"))


def test_the_raw_bucket_sends_its_events_to_eventbridge(tree: dict[str, list[Any]]) -> None:
    notification = resource(tree, "aws_s3_bucket_notification", "raw_to_eventbridge")
    assert notification["eventbridge"] is True
    assert notification["bucket"] == "${var.raw_bucket_name}"
    call = labelled(parse_dir(REPO_ROOT)["module"])["landing_zone"]
    assert call["raw_bucket_name"] == "${module.lakehouse_buckets.raw_bucket_name}"
    # One notification configuration per bucket: no other module may declare one for the raw bucket.
    others = [
        f"modules/{module.name}: {name}"
        for module in MODULES_DIR.iterdir()
        if module.is_dir() and module != MODULE_DIR
        for rtype, name, _ in resources(parse_dir(module))
        if rtype == "aws_s3_bucket_notification"
    ]
    assert not others, others


def test_the_rule_targets_the_live_alias_with_retries_and_an_encrypted_dead_letter_queue(
    tree: dict[str, list[Any]],
) -> None:
    target = resource(tree, "aws_cloudwatch_event_target", "function")
    assert target["rule"] == "${aws_cloudwatch_event_rule.object_created.name}"
    assert target["arn"] == "${module.function.alias_arn}"
    assert "input_transformer" not in target and "input" not in target, "the function reads the whole event"
    [retry] = blocks_of(target, "retry_policy")
    assert retry == {
        "maximum_retry_attempts": "${var.event_maximum_retry_attempts}",
        "maximum_event_age_in_seconds": "${var.event_maximum_age_seconds}",
    }
    dead_letter = [block["arn"] for block in blocks_of(target, "dead_letter_config")]
    assert dead_letter == ["${aws_sqs_queue.dead_letter.arn}"]
    queue = resource(tree, "aws_sqs_queue", "dead_letter")
    assert queue["sqs_managed_sse_enabled"] is True, "SSE-SQS: EventBridge can send without a key grant"

    # Only this rule may send to the queue.
    assert resource(tree, "aws_sqs_queue_policy", "dead_letter")["policy"] == (
        "${data.aws_iam_policy_document.dead_letter.json}"
    )
    statements = blocks_of(resource(tree, "aws_iam_policy_document", "dead_letter", kind="data"), "statement")
    [allow] = [s for s in statements if s.get("effect", "Allow") == "Allow"]
    assert allow["actions"] == ["sqs:SendMessage"]
    assert blocks_of(allow, "principals") == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert blocks_of(allow, "condition") == [
        {
            "test": "ArnEquals",
            "variable": "aws:SourceArn",
            "values": ["${aws_cloudwatch_event_rule.object_created.arn}"],
        }
    ]

    # A message waiting there raises the alarm on the failure topic.
    alarm = resource(tree, "aws_cloudwatch_metric_alarm", "dead_letter")
    assert alarm["dimensions"] == {"QueueName": "${aws_sqs_queue.dead_letter.name}"}
    assert alarm["alarm_actions"] == alarm["ok_actions"] == ["${var.failure_topic_arn}"]
    assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)


def test_only_the_rule_may_invoke_the_live_alias(tree: dict[str, list[Any]]) -> None:
    permission = resource(tree, "aws_lambda_permission", "object_created")
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.object_created.arn}"
    assert permission["function_name"] == "${module.function.function_name}"
    assert permission["qualifier"] == "${module.function.alias_name}", "the permission is on the alias"


# --- Batch run ----------------------------------------------------------------------------------


def test_the_schedule_starts_the_state_machines_live_alias_hourly(tree: dict[str, list[Any]]) -> None:
    call = labelled(tree["module"])["schedule"]
    assert call["source"] == "../daily-schedule" and call["target_kind"] == "state_machine"
    assert call["target_arn"] == "${module.state_machine.alias_arn}"
    assert call["state_machine_arn"] == "${module.state_machine.state_machine_arn}"
    assert call["target_qualifier"] == "${module.state_machine.alias_name}"
    assert call["schedule_expression"] == "${var.schedule_expression}"
    variables = labelled(tree["variable"])
    assert variables["schedule_expression"]["default"] == "rate(1 hour)"
    root = labelled(parse_dir(REPO_ROOT)["variable"])
    assert root["landing_schedule_expression"]["default"] == "rate(1 hour)"
    root_call = labelled(parse_dir(REPO_ROOT)["module"])["landing_zone"]
    assert root_call["schedule_expression"] == "${var.landing_schedule_expression}"


def test_the_definition_gets_exactly_the_contracts_variables(tree: dict[str, list[Any]]) -> None:
    definition_vars = module_locals(tree)["state_machine_definition_vars"]
    assert definition_vars == {
        "landing_function_arn": "${module.function.alias_arn}",
        "audit_table_name": "${var.audit_table_name}",
        "audit_state_index_name": "${var.audit_state_index_name}",
        "bronze_job_name": '${aws_glue_job.this["file_to_bronze"].name}',
        "silver_job_name": '${aws_glue_job.this["bronze_to_silver"].name}',
        "failure_topic_arn": "${var.failure_topic_arn}",
        "max_files_per_run": "${var.max_files_per_run}",
        "lambda_max_file_bytes": "${var.lambda_max_file_bytes}",
    }
    assert module_locals(tree)["state_machine_definition_template"].endswith(
        "/statemachine/landing_to_silver.asl.json"
    )


def test_the_function_gets_the_contracts_environment(tree: dict[str, list[Any]]) -> None:
    environment = resolved(
        module_locals(tree)["function_environment"],
        tree,
        {
            "raw_bucket_name": "raw",
            "bronze_bucket_name": "bronze",
            "silver_bucket_name": "silver",
            "bronze_glue_database_name": "data_lakehouse_bronze",
            "audit_table_name": "data-lakehouse-audit",
            "artifacts_bucket_name": "artifacts",
            "csv_delimiter": ",",
            "failure_topic_arn": "arn:aws:sns:eu-west-2:123456789012:failure-stepfunction",
        },
    )
    assert environment == {
        "RAW_BUCKET": "raw",
        "BRONZE_BUCKET": "bronze",
        "SILVER_BUCKET": "silver",
        "BRONZE_DATABASE": "data_lakehouse_bronze",
        "AUDIT_TABLE": "data-lakehouse-audit",
        "CONTRACTS_BUCKET": "artifacts",
        "CONTRACTS_PREFIX": "datasets/",
        "CSV_DELIMITER": ",",
        "ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-2:123456789012:failure-stepfunction",
    }
    call = labelled(tree["module"])["function"]
    assert call["source"] == "../lambda-function"
    assert call["source_dir"].endswith("/functions/landing_intake/src")
    assert call["environment"] == "${local.function_environment}"
    assert call["layers"] == ["${var.pandas_layer_arn}", "${var.common_layer_arn}"]


# --- Settings -----------------------------------------------------------------------------------

SETTINGS = {
    "lambda_max_file_bytes": ([1, 67108864, 1073741824], [0, -1, 1.5, 1073741825]),
    "max_files_per_run": ([1, 500, 1000], [0, 1001, 2.5]),
    "csv_delimiter": ([",", ";", "|", "\t"], ["", ",,", '"', "\n", " "]),
    "schedule_expression": (["rate(1 hour)", "cron(0 * * * ? *)"], ["hourly", "rate 1 hour", ""]),
    "event_maximum_retry_attempts": ([0, 185], [-1, 186, 1.5]),
    "event_maximum_age_seconds": ([60, 86400], [59, 86401]),
    "function_timeout": ([30, 900], [29, 901]),
    "file_job_number_of_workers": ([2, 100], [1, 101]),
    "file_job_worker_type": (["G.1X", "G.2X"], ["Standard", "g.1x"]),
    "lakehouse_publish_key": (["jobs/lakehouse_publish.py"], ["lakehouse_publish.py", "jobs/a/b.py", ""]),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_module_variables_reject_bad_values(name: str) -> None:
    good, bad = SETTINGS[name]
    assert accepted_values(MODULE_DIR, name, good + bad) == good


ROOT_SETTINGS = {
    "landing_schedule_expression": ("schedule_expression", ["rate(1 hour)"], ["every hour"]),
    "landing_lambda_max_file_bytes": ("lambda_max_file_bytes", [67108864], [0, 2.5]),
    "landing_max_files_per_run": ("max_files_per_run", [500], [0, 5000]),
    "landing_csv_delimiter": ("csv_delimiter", [",", ";"], ["", "ab"]),
    "landing_function_memory_size": ("function_memory_size", [2048], [64, 20000]),
}


@pytest.mark.parametrize("name", sorted(ROOT_SETTINGS))
def test_root_settings_are_validated_and_passed_with_the_modules_default(
    tree: dict[str, list[Any]], name: str
) -> None:
    module_input, good, bad = ROOT_SETTINGS[name]
    root_variable = labelled(parse_dir(REPO_ROOT)["variable"])[name]
    assert root_variable["type"] and root_variable["description"]
    assert root_variable["default"] == labelled(tree["variable"])[module_input]["default"]
    assert labelled(parse_dir(REPO_ROOT)["module"])["landing_zone"][module_input] == f"${{var.{name}}}"
    assert accepted_values(REPO_ROOT, name, good + bad) == good
    assert name in (REPO_ROOT / "terraform.tfvars.example").read_text(encoding="utf-8")


def test_the_landing_state_machine_and_function_are_alerted_on(tree: dict[str, list[Any]]) -> None:
    """Landing_To_Silver publishes its own failure alert: only its TIMED_OUT and ABORTED executions
    are routed; the function's errors raise an alarm like every other function's."""
    alerting = labelled(parse_dir(REPO_ROOT)["module"])["alerting"]
    assert "${module.landing_zone.state_machine_arn}" in alerting["self_alerting_state_machine_arns"]
    assert "module.landing_zone.function_name" in alerting["lambda_function_names"]


def test_every_contract_of_the_repository_is_uploaded_under_datasets(
    tree: dict[str, list[Any]], tmp_path: Any
) -> None:
    """The contracts' for_each and key, evaluated by real Terraform over a datasets/ folder: each
    <dataset>.json at datasets/<dataset>.json; nothing else (no subfolders, no other files)."""
    from tests.tf_eval import evaluate_outputs

    contract = resource(tree, "aws_s3_object", "contract")
    locals_ = module_locals(tree)
    assert locals_["contracts_dir"].endswith("/../../datasets"), "the repository's datasets/ folder"
    (tmp_path / "orders.json").write_text("{}", encoding="utf-8")
    (tmp_path / "customers.json").write_text("{}", encoding="utf-8")
    (tmp_path / "README.md").write_text("# contracts", encoding="utf-8")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "later.json").write_text("{}", encoding="utf-8")
    assert contract["key"] == "${local.contracts_prefix}${each.value}"
    assert contract["bucket"] == "${var.artifacts_bucket_name}"
    for_each = contract["for_each"].removeprefix("${").removesuffix("}")
    for_each = for_each.replace("local.contracts_dir", json.dumps(str(tmp_path)))
    config = (
        f'output "keys" {{\n  value = sort([for name in {for_each} : '
        f'"{locals_["contracts_prefix"]}${{name}}"])\n}}\n'
    )
    assert evaluate_outputs(config)["keys"] == ["datasets/customers.json", "datasets/orders.json"]
    assert module_locals(tree)["function_environment"]["CONTRACTS_PREFIX"] == "${local.contracts_prefix}"


def test_the_file_job_gets_the_pyarrow_the_function_and_the_suite_use(tree: dict[str, list[Any]]) -> None:
    # The Glue file job runs landing_load, the function's code: it must read files with the pyarrow of
    # the AWS SDK for pandas layer, which requirements-test.txt pins and the suite tests, not Glue 5.0's.
    pinned = re.search(r"^pyarrow==(\S+)$", (REPO_ROOT / "requirements-test.txt").read_text(), re.MULTILINE)
    assert pinned is not None
    assert module_locals(tree)["file_job_additional_python_modules"] == f"pyarrow=={pinned.group(1)}"
    arguments = module_locals(tree)["jobs"]["file_to_bronze"]["arguments"]
    assert '"--additional-python-modules" = local.file_job_additional_python_modules' in arguments
