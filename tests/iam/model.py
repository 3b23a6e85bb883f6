"""Who runs under which role, and which policies apply, read from a resolved offline apply.

The resolved run (tests/offline_plan/runs.py RESOLVED) has every resource with the ARNs and names
AWS would give it in the emulator's account and region, and every policy document rendered. From it:
each `aws_iam_role` with its inline policies (`aws_iam_role_policy`), managed attachments, trust
policy, and the resources that run under it (`USERS`: a Lambda function, a state machine, a schedule,
an EventBridge target, a Glue job); topic policies, key policies and which key encrypts each topic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Resource type -> (argument holding the role ARN, dotted; service principal; attribute naming the user)
USERS: dict[str, tuple[str, str, str]] = {
    "aws_lambda_function": ("role", "lambda.amazonaws.com", "function_name"),
    "aws_sfn_state_machine": ("role_arn", "states.amazonaws.com", "name"),
    "aws_scheduler_schedule": ("target.role_arn", "scheduler.amazonaws.com", "name"),
    "aws_cloudwatch_event_target": ("role_arn", "events.amazonaws.com", "rule"),
    "aws_cloudwatch_event_rule": ("role_arn", "events.amazonaws.com", "name"),
    "aws_glue_job": ("role_arn", "glue.amazonaws.com", "name"),
    "aws_pipes_pipe": ("role_arn", "pipes.amazonaws.com", "name"),
}


@dataclass
class User:
    resource_type: str
    address: str
    name: str
    arn: str | None
    service: str
    values: dict[str, Any]


@dataclass
class Role:
    name: str
    arn: str
    address: str
    trust: dict[str, Any]
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # policy name -> document
    managed: list[str] = field(default_factory=list)  # attached policy ARNs (not evaluated)
    users: list[User] = field(default_factory=list)


@dataclass
class Deployment:
    account: str
    region: str
    roles: dict[str, Role]  # by role ARN
    resources: list[dict[str, Any]]
    topic_policies: dict[str, dict[str, Any]]  # topic ARN -> policy
    topic_keys: dict[str, str]  # topic ARN -> key ARN
    key_policies: dict[str, dict[str, Any]]  # key ARN -> policy
    bucket_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # bucket name -> policy

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == resource_type]


def all_resources(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = [state.get("values", {}).get("root_module", {})]
    while stack:
        module = stack.pop()
        yield from module.get("resources", [])
        stack.extend(module.get("child_modules", []))


def dotted(values: dict[str, Any], path: str) -> list[Any]:
    head, _, rest = path.partition(".")
    value = values.get(head)
    if value is None:
        return []
    if not rest:
        return [value]
    found = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            found.extend(dotted(item, rest))
    return found


def load(state: dict[str, Any], account: str, region: str) -> Deployment:
    resources = [r for r in all_resources(state) if r.get("mode") == "managed"]
    roles: dict[str, Role] = {}
    by_name: dict[str, Role] = {}
    for resource in resources:
        if resource["type"] == "aws_iam_role":
            v = resource["values"]
            role = Role(v["name"], v["arn"], resource["address"], json.loads(v["assume_role_policy"]))
            roles[role.arn] = by_name[role.name] = role
    for resource in resources:
        v = resource["values"]
        if resource["type"] == "aws_iam_role_policy":
            by_name[v["role"]].policies[v["name"]] = json.loads(v["policy"])
        elif resource["type"] == "aws_iam_role_policy_attachment":
            by_name[v["role"]].managed.append(v["policy_arn"])
        elif resource["type"] in USERS:
            path, service, name_attribute = USERS[resource["type"]]
            for role_arn in dotted(v, path):
                if role_arn in roles:
                    user = User(
                        resource["type"], resource["address"], v.get(name_attribute), v.get("arn"), service, v
                    )
                    roles[role_arn].users.append(user)
    topic_keys = {}
    key_arns = {}
    for key in (r for r in resources if r["type"] == "aws_kms_key"):
        key_arns[key["values"]["arn"]] = key["values"]["arn"]
        key_arns[key["values"]["key_id"]] = key["values"]["arn"]
    for alias in (r for r in resources if r["type"] == "aws_kms_alias"):
        key_arns[alias["values"]["name"]] = key_arns.get(alias["values"]["target_key_id"], "")
    for topic in (r for r in resources if r["type"] == "aws_sns_topic"):
        key = topic["values"].get("kms_master_key_id")
        if key:
            topic_keys[topic["values"]["arn"]] = key_arns.get(
                key.removeprefix(f"arn:aws:kms:{region}:{account}:"), key
            )
    topic_policies = {
        r["values"]["arn"]: json.loads(r["values"]["policy"])
        for r in resources
        if r["type"] == "aws_sns_topic_policy"
    }
    key_policies = {
        r["values"]["arn"]: json.loads(r["values"]["policy"]) for r in resources if r["type"] == "aws_kms_key"
    }
    bucket_policies = {
        r["values"]["bucket"]: json.loads(r["values"]["policy"])
        for r in resources
        if r["type"] == "aws_s3_bucket_policy"
    }
    return Deployment(
        account, region, roles, resources, topic_policies, topic_keys, key_policies, bucket_policies
    )
