"""One failure, one message on failure-stepfunction (issue 9 item 6; modules/alerting/README.md).

Each kind of failure is fed through everything the configuration declares that can publish to
failure-stepfunction, and the messages are counted:
- the state machine's own alert: the sns:publish states of its definition that target the topic the
  module wires to failure-stepfunction (a FAILED execution passed through them; a TIMED_OUT or ABORTED
  one never reaches them);
- the alerting module's routing rules, with the inputs the root module passes, evaluated by real
  Terraform and matched by moto's EventBridge (tests/test_alerting_routing.py);
- every CloudWatch alarm of every module whose metric the failure moves, read from the HCL: one
  message when it goes to ALARM if failure-stepfunction is among its alarm_actions, one more when
  it returns to OK if among its ok_actions.
The emulator tests (tests/pipeline/test_state_machine.py) prove the pipeline's own alert is
published exactly once per failed execution.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.hcl import labelled, parse_dir, resources
from local.terraform import MODULES_DIR, REPO_ROOT
from tests.test_alerting_routing import ACCOUNT, REGION, failure_inbox, rendered_routes

MACHINES = {"pipeline": "WordPress_Raw_To_Bronze", "glue_cost_control": "GlueSession-WaitAndStop"}
ARNS = {key: f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}" for key, name in MACHINES.items()}
MODULE_DIRS = {"pipeline": MODULES_DIR / "pipeline", "glue_cost_control": MODULES_DIR / "glue-cost-control"}
FAILURE_TOPIC = {"${var.failure_stepfunction_topic_arn}", '${aws_sns_topic.this["failure_stepfunction"].arn}'}
# Execution status -> the AWS/States metric the execution moves.
STATUS_METRICS = {
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}


def _locals(module_dir: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in parse_dir(module_dir).get("locals", []):
        values.update(block)
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in values.items()}


def root_routing_inputs() -> dict[str, list[str]]:
    """Which state machines the root passes in each routing input of the alerting module."""
    call = labelled(parse_dir(REPO_ROOT)["module"])["alerting"]
    found: dict[str, list[str]] = {}
    for variable in ("state_machine_arns", "self_alerting_state_machine_arns"):
        expression = json.dumps(call.get(variable, ""))
        found[variable] = [key for key in MACHINES if f"module.{key}" in expression]
    return found


def own_alerts_on_failure(machine: str) -> int:
    """How many messages the state machine's own definition publishes to failure-stepfunction."""
    module_dir = MODULE_DIRS[machine]
    template_vars = _locals(module_dir)["state_machine_definition_vars"]
    failure_vars = [name for name, value in template_vars.items() if value in FAILURE_TOPIC]
    template = Path(
        _locals(module_dir)["state_machine_definition_template"].replace("${path.module}", str(module_dir))
    )
    text = template.read_text(encoding="utf-8")
    return sum(len(re.findall(rf'"TopicArn"\s*:\s*"\$\{{{name}\}}"', text)) for name in failure_vars)


def alarm_messages(machine: str, status: str, lambda_error: bool) -> int:
    """Messages the configuration's CloudWatch alarms send to failure-stepfunction for this failure."""
    messages = 0
    for module_dir in sorted(path for path in MODULES_DIR.iterdir() if path.is_dir()):
        for rtype, _name, alarm in resources(parse_dir(module_dir)):
            if rtype != "aws_cloudwatch_metric_alarm":
                continue
            namespace, metric = alarm.get("namespace"), alarm.get("metric_name")
            if namespace == "AWS/States":
                moved = (
                    MODULE_DIRS.get(machine) == module_dir
                    and metric == STATUS_METRICS[status]
                    and "StateMachineArn" in alarm.get("dimensions", {})
                )
            elif namespace == "AWS/Lambda":
                moved = lambda_error and metric == "Errors"
            else:
                moved = False  # e.g. the schedule's dead-letter queue: no execution failed
            if moved:
                for actions in ("alarm_actions", "ok_actions"):
                    messages += bool(FAILURE_TOPIC & set(alarm.get(actions) or []))
    return messages


def status_event(machine: str, status: str) -> dict[str, Any]:
    name = MACHINES[machine]
    return {
        "Source": "aws.states",
        "DetailType": "Step Functions Execution Status Change",
        "Detail": json.dumps(
            {
                "executionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:run-1",
                "stateMachineArn": ARNS[machine],
                "name": "run-1",
                "status": status,
            }
        ),
    }


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    inputs = root_routing_inputs()
    assert sorted(inputs["state_machine_arns"] + inputs["self_alerting_state_machine_arns"]) == sorted(
        MACHINES
    ), "every state machine is routed, each through exactly one input"
    return rendered_routes(
        tmp_path_factory.mktemp("routes"),
        [ARNS[key] for key in inputs["state_machine_arns"]],
        [ARNS[key] for key in inputs["self_alerting_state_machine_arns"]],
    )


FAILURES = [
    ("pipeline", "FAILED", False),  # a step failed: the state machine alerts itself
    ("pipeline", "TIMED_OUT", False),
    ("pipeline", "ABORTED", False),
    ("pipeline", "FAILED", True),  # a function raised: its Errors alarm fires too
    ("glue_cost_control", "FAILED", False),
    ("glue_cost_control", "TIMED_OUT", False),
    ("glue_cost_control", "ABORTED", False),
]


@pytest.mark.parametrize(
    ("machine", "status", "lambda_error"),
    FAILURES,
    ids=[f"{machine}-{status}{'-lambda-error' if error else ''}" for machine, status, error in FAILURES],
)
def test_each_failure_reaches_failure_stepfunction_exactly_once(
    routes: dict[str, dict[str, Any]], machine: str, status: str, lambda_error: bool
) -> None:
    own = own_alerts_on_failure(machine) if status == "FAILED" else 0
    with failure_inbox(routes) as send:
        routed = send(status_event(machine, status))
    alarms = alarm_messages(machine, status, lambda_error)

    assert (own, len(routed), alarms).count(0) == 2 and own + len(routed) + alarms == 1, (
        f"{machine} {status}: own alert {own}, routed {len(routed)}, alarms {alarms}"
    )
    if routed:
        assert MACHINES[machine] in routed[0] and f"ended {status}" in routed[0]


def test_the_pipeline_alerts_itself_and_the_glue_cost_control_does_not() -> None:
    assert own_alerts_on_failure("pipeline") == 1
    assert own_alerts_on_failure("glue_cost_control") == 0
    inputs = root_routing_inputs()
    assert inputs == {
        "state_machine_arns": ["glue_cost_control"],
        "self_alerting_state_machine_arns": ["pipeline"],
    }


def test_lambda_errors_alarm_on_failure_lambda_only() -> None:
    alarm = next(
        body
        for rtype, name, body in resources(parse_dir(MODULES_DIR / "alerting"))
        if (rtype, name) == ("aws_cloudwatch_metric_alarm", "lambda_errors")
    )
    assert alarm["alarm_actions"] == ['${aws_sns_topic.this["failure_lambda"].arn}']
    assert not FAILURE_TOPIC & set(alarm.get("ok_actions") or [])


SILVER_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:WordPress_Bronze_To_Silver"


@pytest.mark.parametrize(("status", "routed_messages"), [("FAILED", 0), ("TIMED_OUT", 1), ("ABORTED", 1)])
def test_a_silver_execution_that_times_out_or_is_aborted_is_routed_once_and_a_failed_one_alerts_itself(
    tmp_path: Path, status: str, routed_messages: int
) -> None:
    """modules/pipeline/README.md: the silver workflow alerts for its own failures (its Catch paths,
    proven once each by tests/pipeline/test_silver_failures.py); a silver execution that times out or
    is aborted is reported by the alerting module's failure routing, once."""
    call = labelled(parse_dir(REPO_ROOT)["module"])["alerting"]
    assert "module.pipeline.silver_state_machine_arn" in json.dumps(call["self_alerting_state_machine_arns"])
    assert "silver" not in json.dumps(call.get("state_machine_arns", ""))
    routes = rendered_routes(tmp_path, [], [ARNS["pipeline"], SILVER_ARN])
    event = status_event("pipeline", status)
    detail = json.loads(event["Detail"])
    detail.update(
        stateMachineArn=SILVER_ARN,
        executionArn=detail["executionArn"].replace(MACHINES["pipeline"], "WordPress_Bronze_To_Silver"),
    )

    with failure_inbox(routes) as send:
        routed = send({**event, "Detail": json.dumps(detail)})

    assert len(routed) == routed_messages
