"""Safe releases (issue 9 item 8): published versions and `live` aliases, read from the modules' HCL.

Every state machine publishes a version on each change and has an alias `live` routing all
executions to it; the pipeline's functions are published and the state machine invokes their
`live` aliases (never an unqualified function, never $LATEST); the schedule and the EventBridge
rule start the state machine alias, and each caller's IAM grants exactly that. The rendered
definitions are checked with the ARNs Terraform would pass, and the pipeline runs end to end
through the aliases in the emulator (tests/pipeline/test_state_machine.py, tests/pipeline/test_local_run.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from local.emulator import Emulator, run_execution
from local.hcl import blocks_of, labelled, parse_dir, resources
from local.run_pipeline import deploy, read_deployment, render_definition
from local.terraform import MODULES_DIR

STATE_MACHINE_MODULE = MODULES_DIR / "state-machine"
PIPELINE = MODULES_DIR / "pipeline"
GLUE_COST_CONTROL = MODULES_DIR / "glue-cost-control"
LAMBDA_FUNCTION = MODULES_DIR / "lambda-function"
DAILY_SCHEDULE = MODULES_DIR / "daily-schedule"
FAILURE_REPLAY = MODULES_DIR / "failure-replay"
REGION, ACCOUNT = "eu-west-2", "123456789012"


def _resource(module: str | Any, rtype: str, name: str, kind: str = "resource") -> dict[str, Any]:
    for found_type, found_name, body in resources(parse_dir(module), kind):
        if (found_type, found_name) == (rtype, name):
            return body
    raise AssertionError(f"{module} has no {kind} {rtype}.{name}")


def _locals(module: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in parse_dir(module).get("locals", []):
        values.update(block)
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in values.items()}


def test_state_machines_publish_a_version_and_route_the_live_alias_to_it() -> None:
    machine = _resource(STATE_MACHINE_MODULE, "aws_sfn_state_machine", "this")
    assert machine["publish"] is True
    alias = _resource(STATE_MACHINE_MODULE, "aws_sfn_alias", "live")
    assert alias["name"] == "${var.alias_name}"
    variables = labelled(parse_dir(STATE_MACHINE_MODULE)["variable"])
    assert variables["alias_name"]["default"] == "live"
    assert blocks_of(alias, "routing_configuration") == [
        {
            "state_machine_version_arn": "${aws_sfn_state_machine.this.state_machine_version_arn}",
            "weight": 100,
        }
    ]
    outputs = labelled(parse_dir(STATE_MACHINE_MODULE)["output"])
    assert outputs["alias_arn"]["value"] == "${aws_sfn_alias.live.arn}"
    assert outputs["alias_name"]["value"] == "${aws_sfn_alias.live.name}"


def test_pipeline_functions_are_published_and_aliased_live() -> None:
    function = _resource(LAMBDA_FUNCTION, "aws_lambda_function", "this")
    assert function["publish"] is True
    alias = _resource(LAMBDA_FUNCTION, "aws_lambda_alias", "live")
    assert alias["name"] == "${var.alias_name}"
    assert labelled(parse_dir(LAMBDA_FUNCTION)["variable"])["alias_name"]["default"] == "live"
    assert alias["function_name"] == "${aws_lambda_function.this.function_name}"
    assert alias["function_version"] == "${aws_lambda_function.this.version}", (
        "the alias follows the version the last apply published"
    )
    outputs = labelled(parse_dir(LAMBDA_FUNCTION)["output"])
    assert outputs["alias_arn"]["value"] == "${aws_lambda_alias.live.arn}"
    assert _locals(PIPELINE)["alias_name"] == "live"
    calls = labelled(parse_dir(PIPELINE)["module"])
    assert calls["function"]["source"] == "../lambda-function"
    assert calls["function"]["for_each"] == "${local.functions}"
    assert calls["function"]["alias_name"] == "${local.alias_name}"
    assert calls["state_machine"]["alias_name"] == "${local.alias_name}"
    replay = labelled(parse_dir(FAILURE_REPLAY)["module"])["function"]
    assert replay["source"] == "../lambda-function" and "alias_name" not in replay, "the default: live"


def test_the_pipeline_definition_invokes_only_the_function_aliases() -> None:
    passed = _locals(PIPELINE)["state_machine_definition_vars"]
    assert passed["raw_function_arn"] == '${module.function["raw"].alias_arn}'
    assert passed["bronze_function_arn"] == '${module.function["bronze"].alias_arn}'

    # Rendered with the ARNs the aliases have on AWS: every function the tasks name is an alias ARN.
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
    raw, bronze = f"{function}:data_wordpressapi_raw:live", f"{function}:data_wordpressapi_bronze:live"
    definition = json.loads(
        render_definition(raw, bronze, f"arn:aws:sns:{REGION}:{ACCOUNT}:failure-stepfunction")
    )

    def tasks(states: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for state in states.values():
            found.append(state)
            processor = state.get("ItemProcessor")
            if processor:
                found += tasks(processor["States"])
        return found

    named = {
        state["Parameters"]["FunctionName"]
        for state in tasks(definition["States"])
        if state.get("Resource", "").startswith("arn:aws:states:::lambda:invoke")
    }
    assert named == {raw, bronze}
    text = json.dumps(definition)
    assert "$LATEST" not in text
    assert not re.search(r"arn:aws:lambda:[^\"]*:function:[A-Za-z0-9_-]+\"", text), (
        "no unqualified function ARN"
    )


def test_the_glue_cost_control_rule_starts_the_live_alias_and_may_start_only_it() -> None:
    target = _resource(GLUE_COST_CONTROL, "aws_cloudwatch_event_target", "state_machine")
    assert target["arn"] == "${module.state_machine.alias_arn}"

    statements = blocks_of(
        _resource(GLUE_COST_CONTROL, "aws_iam_policy_document", "events", kind="data"), "statement"
    )
    starts = [statement for statement in statements if "states:StartExecution" in statement["actions"]]
    assert len(starts) == 1
    # Step Functions authorises StartExecution through an alias on the unqualified state machine ARN;
    # the qualifier condition is what limits the caller to the alias.
    assert starts[0]["actions"] == ["states:StartExecution"]
    assert starts[0]["resources"] == ["${module.state_machine.state_machine_arn}"]
    assert blocks_of(starts[0], "condition") == [
        {
            "test": "StringEquals",
            "variable": "states:StateMachineQualifier",
            "values": ["${module.state_machine.alias_name}"],
        }
    ]


def test_the_pipeline_schedule_starts_the_live_alias_and_may_start_only_it() -> None:
    call = labelled(parse_dir(PIPELINE)["module"])["schedule"]
    assert call["source"] == "../daily-schedule" and call["target_kind"] == "state_machine"
    assert call["target_arn"] == "${module.state_machine.alias_arn}"
    assert call["state_machine_arn"] == "${module.state_machine.state_machine_arn}"
    assert call["target_qualifier"] == "${module.state_machine.alias_name}"

    schedule = _resource(DAILY_SCHEDULE, "aws_scheduler_schedule", "this")
    assert blocks_of(schedule, "target")[0]["arn"] == "${var.target_arn}"
    role = _resource(DAILY_SCHEDULE, "aws_iam_policy_document", "role", kind="data")
    dynamic = [block["statement"] for block in role["dynamic"]]
    starts = [d for d in dynamic if d["content"][0]["actions"] == ["states:StartExecution"]]
    assert len(starts) == 1
    # One statement, on the unqualified state machine ARN, only for a state machine target.
    assert starts[0]["for_each"] == "${local.starts_state_machine ? [var.state_machine_arn] : []}"
    assert starts[0]["content"][0]["resources"] == ["${statement.value}"]
    assert blocks_of(starts[0]["content"][0], "condition") == [
        {
            "test": "StringEquals",
            "variable": "states:StateMachineQualifier",
            "values": ["${var.target_qualifier}"],
        }
    ]


def test_the_emulator_starts_the_alias_with_the_published_version(emulator: Emulator) -> None:
    """The emulator (and so the local run) starts executions through the alias as Step Functions
    does: the alias's version runs, and the execution is the state machine's."""
    deployment = read_deployment(emulator.account_id, emulator.region)

    def without_silver(definition: dict[str, Any]) -> dict[str, Any]:  # the silver layer is not the point
        definition["States"]["Record BRONZE in the audit table"]["Next"] = "Pipeline succeeded"
        return definition

    pipeline = deploy(emulator, deployment, ["http://127.0.0.1:9/wp-json/wp/v2/posts"], None, without_silver)

    def answer(
        event: dict[str, Any], context: Any
    ) -> dict[str, Any]:  # what the handlers do is not the point
        return {
            "invoked": context.invoked_function_arn,
            **{"datasets": [], "rejected": [], "full_reload_before": None},  # plan
            **{"endpoints": [], "page_ranges": [], "objects": [], "loads": []},  # fetch, bronze
        }

    for spec in deployment.functions.values():
        emulator.register_handler(spec.name, answer)
    sfn = emulator.client("stepfunctions")
    assert pipeline.alias_arn == f"{pipeline.state_machine_arn}:live"
    # A later, unpublished change of the state machine is not what the alias runs.
    sfn.update_state_machine(
        stateMachineArn=pipeline.state_machine_arn,
        definition=json.dumps({"StartAt": "Unreleased", "States": {"Unreleased": {"Type": "Succeed"}}}),
    )

    execution = run_execution(sfn, pipeline.alias_arn, {"trigger": "test"}, name="via-alias")

    assert execution["executionArn"].startswith(
        pipeline.state_machine_arn.replace(":stateMachine:", ":execution:")
    )
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    entered = [
        event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event
    ]
    assert entered[0] == "Name the run", "the published version ran, not the later change"
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    raw, bronze = (spec.name for spec in deployment.functions.values())
    assert [name for name, _ in emulator.invocations] == [raw, raw, bronze], "plan, fetch, bronze"
    output = json.loads(execution["output"])
    assert output["raw"]["summary"]["invoked"].endswith(
        f":function:{deployment.functions['raw'].name}:live"
    ), "the task invoked the function's live alias"
    listed = sfn.list_executions(stateMachineArn=pipeline.state_machine_arn)["executions"]
    assert [item["executionArn"] for item in listed] == [execution["executionArn"]]
