"""modules/state-machine, the building block behind every state machine module, read from its HCL.

What the calling modules rely on: the state machine logs at the chosen level with execution data to
its log group and traces with X-Ray; its role can be assumed only by Step Functions for this state
machine of this account; the role policy is the caller's task permissions plus only the log delivery
and X-Ray statements; and every module that renders a definition (the convention's locals) passes it
through this module rather than declaring its own state machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.hcl import blocks_of, labelled, parse_dir, resources
from local.terraform import MODULES_DIR, module_locals, state_machine_prefixes

MODULE_DIR = MODULES_DIR / "state-machine"
DEFINITION = "${templatefile(local.state_machine_definition_template, local.state_machine_definition_vars)}"


@pytest.fixture(scope="module")
def tree() -> dict[str, list[Any]]:
    return parse_dir(MODULE_DIR)


def body(tree: dict[str, list[Any]], rtype: str, name: str, kind: str = "resource") -> dict[str, Any]:
    for found_type, found_name, found in resources(tree, kind):
        if (found_type, found_name) == (rtype, name):
            return found
    raise AssertionError(f"modules/state-machine has no {kind} {rtype}.{name}")


def calling_modules() -> list[Path]:
    return sorted(
        m for m in MODULES_DIR.glob("*/") if "state_machine_definition_template" in module_locals(m)
    )


def test_state_machine_logs_with_execution_data_and_traces(tree: dict[str, list[Any]]) -> None:
    machine = body(tree, "aws_sfn_state_machine", "this")
    assert machine["definition"] == "${var.definition}"
    assert machine["role_arn"] == "${aws_iam_role.this.arn}"
    assert machine["type"] == "${var.type}"
    logging = blocks_of(machine, "logging_configuration")[0]
    assert logging["log_destination"] == "${aws_cloudwatch_log_group.this.arn}:*"
    assert logging["include_execution_data"] is True
    assert logging["level"] == "${var.log_level}"
    assert blocks_of(machine, "tracing_configuration")[0]["enabled"] is True
    assert machine["depends_on"] == ["${aws_iam_role_policy.this}"], "log delivery is allowed before creation"
    variables = labelled(tree["variable"])
    assert (variables["type"]["default"], variables["log_level"]["default"]) == ("STANDARD", "ERROR")
    group = body(tree, "aws_cloudwatch_log_group", "this")
    assert group["name"] == "${local.log_group_name}"
    assert module_locals(MODULE_DIR)["log_group_name"] == (
        '${coalesce(var.log_group_name, "/aws/vendedlogs/states/${var.name}-Logs")}'
    )


def test_role_is_assumable_only_by_step_functions_for_this_state_machine(tree: dict[str, list[Any]]) -> None:
    (statement,) = blocks_of(body(tree, "aws_iam_policy_document", "assume_role", kind="data"), "statement")
    assert statement["actions"] == ["sts:AssumeRole"]
    assert blocks_of(statement, "principals") == [
        {"type": "Service", "identifiers": ["states.amazonaws.com"]}
    ]
    conditions = {(c["test"], c["variable"]): c["values"] for c in blocks_of(statement, "condition")}
    assert conditions == {
        ("StringEquals", "aws:SourceAccount"): ["${local.account_id}"],
        # the state machine, and its versions and aliases (<arn>:<qualifier>), whichever Step
        # Functions presents for an execution started through the live alias
        ("ArnLike", "aws:SourceArn"): ["${local.state_machine_arn}", "${local.state_machine_arn}:*"],
    }
    assert module_locals(MODULE_DIR)["state_machine_arn"] == (
        "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}"
    )
    assert body(tree, "aws_iam_role", "this")["assume_role_policy"] == (
        "${data.aws_iam_policy_document.assume_role.json}"
    )


def test_role_policy_is_the_task_policy_plus_logs_and_traces_only(tree: dict[str, list[Any]]) -> None:
    document = body(tree, "aws_iam_policy_document", "role", kind="data")
    assert document["source_policy_documents"] == ["${var.task_policy_json}"]
    own = {statement["sid"]: statement for statement in blocks_of(document, "statement")}
    assert set(own) == {"DeliverExecutionLogs", "WriteTraces"}
    assert all(action.startswith("logs:") for action in own["DeliverExecutionLogs"]["actions"])
    assert all(action.startswith("xray:") for action in own["WriteTraces"]["actions"])
    assert body(tree, "aws_iam_role_policy", "this")["policy"] == "${data.aws_iam_policy_document.role.json}"


@pytest.mark.parametrize("module", calling_modules(), ids=lambda p: p.name)
def test_state_machine_modules_pass_their_rendered_definition_through_this_module(module: Path) -> None:
    tree = parse_dir(module)
    assert not [name for rtype, name, _ in resources(tree) if rtype == "aws_sfn_state_machine"], (
        f"{module.name} declares its own state machine"
    )
    calls = [
        call for call in labelled(tree.get("module", [])).values() if call["source"] == "../state-machine"
    ]
    prefixes = state_machine_prefixes(module)
    assert len(calls) == len(prefixes), f"{module.name} calls ../state-machine once per definition"
    assert sorted(call["definition"] for call in calls) == sorted(
        DEFINITION.replace("local.state_machine_definition", f"local.{prefix}state_machine_definition")
        for prefix in prefixes
    )
    for call in calls:
        assert call["task_policy_json"].startswith("${data.aws_iam_policy_document.")
        # The task policy holds only the workflow's own permissions: logs and X-Ray come from the module.
        task_document = call["task_policy_json"].removeprefix("${data.aws_iam_policy_document.")
        task_document = task_document.removesuffix(".json}")
        statements = blocks_of(
            next(
                b
                for t, n, b in resources(tree, "data")
                if (t, n) == ("aws_iam_policy_document", task_document)
            ),
            "statement",
        )
        actions = [action for statement in statements for action in statement["actions"]]
        assert not [a for a in actions if a.startswith(("logs:", "xray:"))], actions


def test_both_state_machine_modules_use_it() -> None:
    assert {m.name for m in calling_modules()} == {"pipeline", "glue-cost-control", "landing-zone"}
