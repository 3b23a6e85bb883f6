"""Every role runs under exactly the policy Terraform grants it.

Policies come from a resolved offline apply of the root module (tests/offline_plan: every
`aws_iam_policy_document` rendered, the emulator's account, region and ARNs substituted). Calls come
from the emulator: every botocore call a Lambda handler made and every service integration a state
machine's Task made, in this session's emulator tests and in this module's own flows (flows.py: the
pipeline twice, its failure paths, the Glue session stop); schedules and EventBridge targets make
the calls their configuration names. Each call becomes the authorization requests AWS evaluates
(requests.py, with implied ones such as the KMS calls SNS makes for an encrypted topic), decided by
evaluate.py. Roles are discovered from the configuration, so a role added later is held to this at
once, and a role whose code no test runs is reported.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass

from tests.iam.calls import SESSION_ERRORS, Call
from tests.iam.evaluate import ALLOW, EXPLICIT_DENY, Request, decide, statement_applies
from tests.iam.model import Deployment, Role, User
from tests.iam.requests import Need, Where, requests_for

# Granted actions no emulator test can exercise, because AWS itself performs them outside the code.
AWS_ONLY_ACTIONS = {
    "logs:CreateLogStream": "the Lambda runtime creates the function's log stream; handlers run in process",
    "logs:PutLogEvents": "the Lambda runtime ships the function's log events",
    "xray:PutTraceSegments": "active X-Ray tracing: Lambda and Step Functions send segments themselves",
    "xray:PutTelemetryRecords": "active X-Ray tracing telemetry, sent by the service",
    "xray:GetSamplingRules": "X-Ray sampling, read by Step Functions' tracing",
    "xray:GetSamplingTargets": "X-Ray sampling, read by Step Functions' tracing",
    "logs:CreateLogDelivery": "Step Functions sets up vended-log delivery when the machine is created",
    "logs:GetLogDelivery": "Step Functions vended-log delivery setup",
    "logs:UpdateLogDelivery": "Step Functions vended-log delivery setup",
    "logs:DeleteLogDelivery": "Step Functions vended-log delivery setup",
    "logs:ListLogDeliveries": "Step Functions vended-log delivery setup",
    "logs:PutResourcePolicy": "Step Functions vended-log delivery setup (log group resource policy)",
    "logs:DescribeResourcePolicies": "Step Functions vended-log delivery setup",
    "logs:DescribeLogGroups": "Step Functions vended-log delivery setup",
}
# Grants (statement Sid, action pattern, resource pattern) no emulator test can exercise, because AWS
# performs them outside the code the tests run, each with the reason it stays.
_SPARK_JOB_S3_IO = (
    "Spark's S3 output on Glue: mode('overwrite') and the output committer delete and copy objects "
    "under the path it writes (s3:GetObject as the copy source, s3:DeleteObject); locally Spark writes "
    "files, and only the objects it finally left are seen"
)
UNEXERCISED_GRANTS: dict[tuple[str, str, str], str] = {
    ("WriteSilverObjects", "s3:GetObject", "*"): _SPARK_JOB_S3_IO,
    ("WriteSilverObjects", "s3:DeleteObject", "*/quarantine/*"): _SPARK_JOB_S3_IO,
    ("WriteGoldObjects", "s3:GetObject", "*"): _SPARK_JOB_S3_IO,
    ("WriteGoldObjects", "s3:DeleteObject", "*/quarantine/*"): _SPARK_JOB_S3_IO,
    ("UseSparkTempDir", "*", "*"): "Glue keeps Spark's temporary files in --TempDir on AWS; local PySpark "
    "uses a local directory",
    ("ListSparkTempDir", "*", "*"): "Glue lists --TempDir on AWS; local PySpark uses a local directory",
    ("UseGlueKey", "*", "*"): "Glue encrypts the job's CloudWatch logs and bookmarks with the security "
    "configuration's key on AWS; the emulator runs the script without Glue's logging and bookmarks",
    ("WriteOwnJobLogs", "logs:*", "*"): "Glue 5.0 writes the job's logs to its two encrypted log groups "
    "(streams, key association) on AWS; the script logs locally",
    ("PublishJobMetrics", "*", "*"): "--enable-metrics: Glue publishes the job's metrics on AWS",
}
# Roles whose code no emulator test can run (role name -> reason). None today: Lambda handlers and
# Glue job scripts run in the emulator, which records their calls (a job's Spark I/O included).
ROLES_WITHOUT_RECORDED_CALLS: dict[str, str] = {}
SECURE = (("aws:SecureTransport", "true"),)


@dataclass(frozen=True)
class Attempt:
    role: Role
    user: User
    call: Call | str
    need: Need


def configured_calls(user: User) -> list[tuple[str, str, dict]]:
    """Calls a schedule or an EventBridge target makes with its role: to the targets it names."""
    values = user.values
    targets = values.get("target") if user.resource_type == "aws_scheduler_schedule" else [values]
    calls = []
    for target in targets or []:
        for arn in [target.get("arn"), *[d.get("arn") for d in target.get("dead_letter_config") or []]]:
            if not isinstance(arn, str):
                continue
            service = arn.split(":")[2]
            calls.append(
                {
                    "states": ("stepfunctions", "StartExecution", {"stateMachineArn": arn}),
                    "lambda": ("lambda", "Invoke", {"FunctionName": arn}),
                    "sqs": ("sqs", "SendMessage", {"QueueUrl": arn}),
                    "sns": ("sns", "Publish", {"TopicArn": arn}),
                }[service]
            )
    return calls


def attempts(deployment: Deployment, calls: list[Call]) -> Iterator[Attempt | str]:
    """Every (role, user, call, request); a string for a call no rule can place."""
    where = Where(deployment.account, deployment.region, deployment.topic_keys)
    unique = sorted(set(calls), key=str)
    for role in deployment.roles.values():
        for user in role.users:
            if user.service in ("lambda.amazonaws.com", "states.amazonaws.com", "glue.amazonaws.com"):
                kind = user.service.split(".")[0]
                mine = [
                    (c.service, c.operation, c.params, c)
                    for c in unique
                    if c.kind == kind and c.name == user.name
                ]
            else:
                mine = [
                    (s, o, p, f"{s}.{o}({json.dumps(p)}) named by {user.address}")
                    for s, o, p in configured_calls(user)
                ]
            for service, operation, params, call in mine:
                try:
                    error = call.error if isinstance(call, Call) else ""
                    needs = requests_for(service, operation, params, where, error)
                except LookupError as error:
                    yield f"role {role.name} ({user.address}): {call}: {error}"
                    continue
                for need in needs:
                    yield Attempt(role, user, call, need)


def _decision(deployment: Deployment, attempt: Attempt) -> str:
    need, role = attempt.need, attempt.role
    context = dict(need.context) | dict(SECURE)
    request = Request(need.action, need.resource, context, {"AWS": role.arn})
    decision = decide(list(role.policies.values()), request)
    if decision != ALLOW:
        return f"the role's policies: {decision}"
    key_policy = deployment.key_policies.get(need.resource)
    if need.action.startswith("kms:") and key_policy is not None and decide([key_policy], request) != ALLOW:
        return f"the key policy of {need.resource}: {decide([key_policy], request)}"
    resource_policies = {
        "topic": deployment.topic_policies.get(need.resource),
        "bucket": deployment.bucket_policies.get(need.resource.removeprefix("arn:aws:s3:::").split("/")[0])
        if need.resource.startswith("arn:aws:s3:::")
        else None,
    }
    for kind, policy in resource_policies.items():
        # Same account: the identity policy suffices unless the resource policy denies explicitly.
        if policy is not None and decide([policy], request) == EXPLICIT_DENY:
            return f"the {kind} policy of {need.resource}: {EXPLICIT_DENY}"
    return ALLOW


def test_every_recorded_call_is_allowed(deployment: Deployment, recorded_calls: list[Call]) -> None:
    problems = []
    for attempt in attempts(deployment, recorded_calls):
        if isinstance(attempt, str):
            problems.append(attempt)
            continue
        decision = _decision(deployment, attempt)
        if decision != ALLOW:
            need = attempt.need
            context = ", ".join(f"{k}={v}" for k, v in need.context)
            problems.append(
                f"role {attempt.role.name} ({attempt.user.address}): {attempt.call} needs {need.action} on "
                f"{need.resource}{f' [{context}]' if context else ''}{f' ({need.why})' if need.why else ''}: "
                f"denied by {decision}"
            )
    assert not problems, "AWS would deny:\n" + "\n".join(sorted(set(problems)))


def test_every_role_is_used_and_its_code_ran(deployment: Deployment, recorded_calls: list[Call]) -> None:
    assert not SESSION_ERRORS, "collecting the session's calls failed:\n" + "\n".join(SESSION_ERRORS)
    exercised = {a.role.arn for a in attempts(deployment, recorded_calls) if isinstance(a, Attempt)}
    problems = []
    for role in deployment.roles.values():
        if not role.users:
            problems.append(
                f"role {role.name} ({role.address}): no resource of a type in tests/iam/model.py USERS "
                "runs under it"
            )
        elif role.arn not in exercised and role.name not in ROLES_WITHOUT_RECORDED_CALLS:
            users = ", ".join(u.address for u in role.users)
            problems.append(
                f"role {role.name} ({users}): no recorded call; run its code in an emulator test "
                "or in tests/iam/flows.py"
            )
        if role.managed:
            problems.append(f"role {role.name}: managed policies {role.managed} cannot be evaluated offline")
    assert not problems, "\n".join(problems)


def test_no_granted_action_goes_unexercised(deployment: Deployment, recorded_calls: list[Call]) -> None:
    """Least privilege the other way: every allowed action on every resource it names was needed by
    some call (or is AWS-only, with its reason in AWS_ONLY_ACTIONS)."""
    used: dict[str, list[Need]] = {}
    for attempt in attempts(deployment, recorded_calls):
        if isinstance(attempt, Attempt):
            used.setdefault(attempt.role.arn, []).append(attempt.need)
    unused = []
    for role in deployment.roles.values():
        needs = used.get(role.arn, [])
        for policy in role.policies.values():
            for statement in policy.get("Statement", []):
                if statement.get("Effect", "Allow") != "Allow":
                    continue
                for action in _as_list(statement.get("Action", [])):
                    if action in AWS_ONLY_ACTIONS:
                        continue
                    for resource in _as_list(statement.get("Resource", "*")):
                        if any(
                            statement.get("Sid") == sid
                            and fnmatch.fnmatchcase(action, action_pattern)
                            and fnmatch.fnmatchcase(resource, resource_pattern)
                            for sid, action_pattern, resource_pattern in UNEXERCISED_GRANTS
                        ):
                            continue
                        narrowed = {**statement, "Action": action, "Resource": resource}
                        if not any(
                            statement_applies(
                                narrowed, Request(n.action, n.resource, dict(n.context) | dict(SECURE))
                            )
                            for n in needs
                        ):
                            sid = statement.get("Sid", "?")
                            unused.append(f"role {role.name}, statement {sid}: {action} on {resource}")
    assert not unused, "granted but never exercised by any test:\n" + "\n".join(unused)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _source_arns(deployment: Deployment, user: User) -> list[str | None]:
    """Every aws:SourceArn the service may present when it assumes the role for `user`: a state
    machine's executions run through a published version or an alias, so Step Functions may present
    the unqualified ARN or a qualified one (<arn>:<version>, <arn>:<alias>)."""
    source = _source_arn(deployment, user)
    if user.resource_type == "aws_sfn_state_machine":
        return [source, f"{source}:1", f"{source}:live"]
    return [source]


def _source_arn(deployment: Deployment, user: User) -> str | None:
    if user.resource_type == "aws_sfn_state_machine":
        return user.arn
    if user.resource_type == "aws_cloudwatch_event_target":
        return f"arn:aws:events:{deployment.region}:{deployment.account}:rule/{user.values['rule']}"
    if user.resource_type == "aws_cloudwatch_event_rule":
        return user.arn
    if user.resource_type == "aws_scheduler_schedule":
        group = user.values.get("group_name") or "default"
        return f"arn:aws:scheduler:{deployment.region}:{deployment.account}:schedule-group/{group}"
    return None  # Lambda and Glue send neither aws:SourceArn nor aws:SourceAccount


def test_trust_policies_let_the_services_assume_the_roles(deployment: Deployment) -> None:
    problems = []
    for role in deployment.roles.values():
        for user in role.users:
            for source in _source_arns(deployment, user):
                context = {"aws:SourceAccount": deployment.account, "aws:SourceArn": source} if source else {}
                request = Request("sts:AssumeRole", "*", context, {"Service": user.service})
                decision = decide([role.trust], request)
                if decision != ALLOW:
                    problems.append(
                        f"role {role.name}: {user.service} assuming it for {user.address} ({context}): "
                        f"{decision}"
                    )
    assert not problems, "\n".join(problems)


def service_publications(deployment: Deployment) -> Iterator[tuple[str, str, str, str]]:
    """(service principal, source ARN, topic ARN, what) for every AWS service that publishes to a topic."""
    for target in deployment.of_type("aws_cloudwatch_event_target"):
        arn = target["values"]["arn"]
        if arn.startswith("arn:aws:sns:") and not target["values"].get("role_arn"):
            rule = f"arn:aws:events:{deployment.region}:{deployment.account}:rule/{target['values']['rule']}"
            yield "events.amazonaws.com", rule, arn, target["address"]
    for alarm in deployment.of_type("aws_cloudwatch_metric_alarm"):
        for key in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            for arn in alarm["values"].get(key) or []:
                if arn.startswith("arn:aws:sns:"):
                    yield "cloudwatch.amazonaws.com", alarm["values"]["arn"], arn, alarm["address"]


def test_resource_policies_let_aws_services_publish(deployment: Deployment) -> None:
    """Topic policies and the key policy let EventBridge and CloudWatch alarms publish to encrypted topics."""
    publications = list(service_publications(deployment))
    assert publications, "no EventBridge target or alarm publishes to a topic: nothing checked"
    problems = []
    for service, source, topic, what in publications:
        context = {
            "aws:SourceAccount": deployment.account,
            "aws:SourceArn": source,
            "aws:SecureTransport": "true",
        }
        policy = deployment.topic_policies.get(topic)
        decision = (
            decide([policy], Request("sns:Publish", topic, context, {"Service": service}))
            if policy
            else "no topic policy"
        )
        if decision != ALLOW:
            problems.append(f"{what}: {service} publishing to {topic}: topic policy: {decision}")
        key = deployment.topic_keys.get(topic)
        if key:
            kms_context = context | {"kms:ViaService": f"sns.{deployment.region}.amazonaws.com"}
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                request = Request(action, key, kms_context, {"Service": service})
                decision = decide([deployment.key_policies.get(key, {})], request)
                if decision != ALLOW:
                    problems.append(
                        f"{what}: {service} needs {action} on {key} (topic {topic}): key policy: {decision}"
                    )
    assert not problems, "\n".join(problems)
