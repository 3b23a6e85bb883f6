"""The AWS calls each principal made in the emulator.

- Lambda functions: every botocore call a handler made while it ran (the emulator records them,
  local/emulator.py `Emulator.calls`), awswrangler's included.
- Glue jobs: every botocore call the job's script made, and the S3 requests of its Spark I/O as
  read off the emulator's local copies of the buckets (what it read, wrote and removed).
- State machines: every Task's service integration, from the execution history (`TaskScheduled`:
  resource type, resource and parameters), as Step Functions calls it with the machine's role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local.emulator import Emulator, execution_events

# Step Functions integration service names that differ from botocore's.
_SERVICES = {"states": "stepfunctions"}
# Extra calls a `.sync` integration makes to follow the job it started.
_SYNC = {
    ("glue", "StartJobRun"): ["GetJobRun", "GetJobRuns", "BatchStopJobRun"],
    ("stepfunctions", "StartExecution"): ["DescribeExecution", "StopExecution", "SyncManagedRule"],
}


@dataclass(frozen=True)
class Call:
    kind: str  # "lambda" (a function), "states" (a state machine) or "glue" (a Glue job's script)
    name: str  # function or state machine name
    service: str  # botocore service name
    operation: str
    params_json: str
    error: str = ""  # the AWS error code the call got, "" when it succeeded

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)

    def __str__(self) -> str:
        return f"{self.service}.{self.operation}({_short(self.params_json)})"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _params_json(params: dict[str, Any]) -> str:
    def small(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return f"<{len(value)} bytes>"
        if hasattr(value, "read"):
            return "<stream>"
        if isinstance(value, dict):
            return {k: small(v) for k, v in value.items()}
        if isinstance(value, list):
            return [small(v) for v in value]
        return value if isinstance(value, str | int | float | bool | type(None)) else str(value)

    return json.dumps(small(params), sort_keys=True)


def function_calls(emulator: Emulator) -> list[Call]:
    return [
        Call(c.kind, c.function_name, c.service, c.operation, _params_json(c.params), c.error_code)
        for c in emulator.calls
    ]


def _integration(resource_type: str, resource: str) -> tuple[str, list[str]]:
    service = resource_type.removeprefix("aws-sdk:")
    service = _SERVICES.get(service, service)
    name, _, pattern = resource.partition(".")
    operation = name[:1].upper() + name[1:]
    extra = _SYNC.get((service, operation), []) if pattern.startswith("sync") else []
    return service, [operation, *extra]


def state_machine_calls(emulator: Emulator) -> list[Call]:
    sfn = emulator.client("stepfunctions")
    calls: list[Call] = []
    for machine in sfn.list_state_machines()["stateMachines"]:
        executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        for execution in executions:
            for event in execution_events(sfn, execution["executionArn"]):
                details = event.get("taskScheduledEventDetails")
                if not details:
                    continue
                service, operations = _integration(details["resourceType"], details["resource"])
                params = json.loads(details.get("parameters") or "{}")
                for operation in operations:
                    calls.append(Call("states", machine["name"], service, operation, _params_json(params)))
    return calls


def all_calls(emulator: Emulator) -> list[Call]:
    return function_calls(emulator) + state_machine_calls(emulator)


# Calls of every emulator this test session ran (tests/conftest.py registers `collect_session_calls`),
# and what went wrong collecting them (reported by the IAM tests, never raised into another test).
SESSION_CALLS: list[Call] = []
SESSION_ERRORS: list[str] = []


def collect_session_calls(emulator: Emulator) -> None:
    try:
        SESSION_CALLS.extend(all_calls(emulator))
    except Exception as error:  # an emulator a test left half torn down must not fail that test here
        SESSION_ERRORS.append(f"{type(error).__name__}: {error}")
