"""The event the replay function reads: EventBridge's "Step Functions Execution Status Change" for
an execution, as the alerting module's rule puts it, unchanged, in the failed-executions queue."""

from __future__ import annotations

from typing import Any


def status_change_event(description: dict[str, Any]) -> dict[str, Any]:
    """The event for an execution described by DescribeExecution (its status, times in ms, input)."""
    stopped = description.get("stopDate")
    return {
        "version": "0",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "resources": [description["executionArn"]],
        "detail": {
            "executionArn": description["executionArn"],
            "stateMachineArn": description["stateMachineArn"],
            "name": description["name"],
            "status": description["status"],
            "startDate": int(description["startDate"].timestamp() * 1000),
            "stopDate": int(stopped.timestamp() * 1000) if stopped else None,
            "input": description.get("input"),
            "output": None,
        },
    }
