"""Failure alerts: one SNS message per run listing every failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lakehouse_common.errors import Failure

_SUBJECT_LIMIT = 100  # SNS: subjects are at most 100 printable ASCII characters


def failure_message(
    function_name: str, failures: Sequence[Failure], *, succeeded: int = 0
) -> tuple[str, str]:
    """Subject and body of the alert for ``failures``."""
    subject = f"{function_name}: {len(failures)} failure(s)"[:_SUBJECT_LIMIT]
    lines = [
        f"{function_name} failed for {len(failures)} input(s); {succeeded} succeeded.",
        "Failed inputs were not written; their previous objects are unchanged.",
        "",
    ]
    lines += [f"- {failure.item}: {failure.reason}" for failure in failures]
    return subject, "\n".join(lines)


def publish_failures(
    sns: Any, topic_arn: str, function_name: str, failures: Sequence[Failure], *, succeeded: int = 0
) -> str:
    """Publish one message listing ``failures`` to ``topic_arn``; returns the message id."""
    subject, message = failure_message(function_name, failures, succeeded=succeeded)
    response = sns.publish(TopicArn=topic_arn, Subject=subject, Message=message)
    return response["MessageId"]


def publish_message(sns: Any, topic_arn: str, subject: str, message: str) -> str:
    """Publish one message; the subject is cut to SNS's 100-character limit. Returns the message id."""
    response = sns.publish(TopicArn=topic_arn, Subject=subject[:_SUBJECT_LIMIT], Message=message)
    return response["MessageId"]
