"""The IAM checks reject deliberately broken policies, applied to a copy of the rendered policies.

One defect per kind the IAM tests exist for: a permission needed only on the second run, a condition
value that can never match (kms:ViaService without the region, aws:SourceArn of another resource),
a role granted another layer's topic.
"""

from __future__ import annotations

import copy

import pytest

from tests.iam import test_iam
from tests.iam.calls import Call
from tests.iam.model import Deployment


def _statement(deployment: Deployment, role: str, sid: str) -> dict:
    role_ = next(r for r in deployment.roles.values() if r.name == role)
    return next(s for p in role_.policies.values() for s in p["Statement"] if s.get("Sid") == sid)


def test_a_permission_only_the_second_run_needs(deployment: Deployment, recorded_calls: list[Call]) -> None:
    broken = copy.deepcopy(deployment)
    statement = _statement(broken, "data_wordpressapi_bronze", "RegisterBronzeTables")
    statement["Action"] = [a for a in statement["Action"] if a != "glue:UpdateTable"]
    with pytest.raises(AssertionError, match=r"role data_wordpressapi_bronze .*needs glue:UpdateTable"):
        test_iam.test_every_recorded_call_is_allowed(broken, recorded_calls)


def test_a_via_service_condition_without_the_region(
    deployment: Deployment, recorded_calls: list[Call]
) -> None:
    broken = copy.deepcopy(deployment)
    for role in broken.roles.values():
        for policy in role.policies.values():
            for statement in policy["Statement"]:
                for keys in (statement.get("Condition") or {}).values():
                    if "kms:ViaService" in keys:
                        keys["kms:ViaService"] = "sns.amazonaws.com"
    with pytest.raises(AssertionError, match=r"needs kms:GenerateDataKey .*kms:ViaService=sns\.eu-west-2"):
        test_iam.test_every_recorded_call_is_allowed(broken, recorded_calls)


def test_a_trust_policy_naming_another_source(deployment: Deployment) -> None:
    broken = copy.deepcopy(deployment)
    role = next(r for r in broken.roles.values() if r.name == "WordPress_Raw_To_Bronze")
    for statement in role.trust["Statement"]:
        sources = statement["Condition"]["ArnLike"]["aws:SourceArn"]
        statement["Condition"]["ArnLike"]["aws:SourceArn"] = [
            arn.replace("WordPress_Raw_To_Bronze", "GlueSession-WaitAndStop")
            for arn in (sources if isinstance(sources, list) else [sources])
        ]
    with pytest.raises(AssertionError, match=r"role WordPress_Raw_To_Bronze: states.amazonaws.com"):
        test_iam.test_trust_policies_let_the_services_assume_the_roles(broken)


def test_a_trust_policy_naming_only_the_unqualified_state_machine(deployment: Deployment) -> None:
    """Issue 15 item 4: the role must be assumable whichever ARN Step Functions presents for an
    execution of a version or of the live alias."""
    broken = copy.deepcopy(deployment)
    role = next(r for r in broken.roles.values() if r.name == "WordPress_Raw_To_Bronze")
    for statement in role.trust["Statement"]:
        sources = statement["Condition"]["ArnLike"]["aws:SourceArn"]
        assert isinstance(sources, list) and len(sources) == 2, sources
        statement["Condition"]["ArnLike"]["aws:SourceArn"] = [a for a in sources if not a.endswith(":*")]
    with pytest.raises(
        AssertionError,
        match=r"role WordPress_Raw_To_Bronze: states.amazonaws.com .*WordPress_Raw_To_Bronze:live",
    ):
        test_iam.test_trust_policies_let_the_services_assume_the_roles(broken)


def test_a_role_granted_the_other_layers_topic(deployment: Deployment, recorded_calls: list[Call]) -> None:
    broken = copy.deepcopy(deployment)
    statement = _statement(broken, "data_wordpressapi_raw", "PublishRawAlerts")
    statement["Resource"] = [statement["Resource"], statement["Resource"].replace("-raw", "-bronze")]
    with pytest.raises(
        AssertionError, match=r"role data_wordpressapi_raw, statement PublishRawAlerts: sns:Publish"
    ):
        test_iam.test_no_granted_action_goes_unexercised(broken, recorded_calls)


def test_a_topic_policy_that_forgets_a_publishing_service(deployment: Deployment) -> None:
    broken = copy.deepcopy(deployment)
    for policy in broken.topic_policies.values():
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "AllowEventsPublish"]
    with pytest.raises(AssertionError, match=r"events.amazonaws.com publishing to .*topic policy"):
        test_iam.test_resource_policies_let_aws_services_publish(broken)


def test_a_list_grant_missing_a_prefix_spark_lists(
    deployment: Deployment, recorded_calls: list[Call]
) -> None:
    """Issue 15 item 4: Spark's first write under quarantine/ walks up the parents (mkdirs) and lists
    quarantine/ itself; the emulator records that listing, so a grant without it is caught."""
    broken = copy.deepcopy(deployment)
    statement = _statement(broken, "wordpress_bronze_to_silver", "ListSilverObjects")
    prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
    assert "quarantine/" in prefixes, prefixes
    statement["Condition"]["StringLike"]["s3:prefix"] = [p for p in prefixes if p != "quarantine/"]
    with pytest.raises(
        AssertionError,
        match=r"role wordpress_bronze_to_silver .*needs s3:ListBucket on \S+ \[s3:prefix=quarantine/\]",
    ):
        test_iam.test_every_recorded_call_is_allowed(broken, recorded_calls)


def test_spark_listings_are_recorded_for_every_folder_the_job_writes(recorded_calls: list[Call]) -> None:
    """The job's Spark writes are recorded with the listings S3A makes: the run folder's existence
    check and its committer's _temporary/ (the IAM test would catch a grant that misses them)."""
    prefixes = {
        c.params.get("Prefix") for c in recorded_calls if c.kind == "glue" and c.operation == "ListObjectsV2"
    }
    temporary = [p for p in prefixes if p and p.endswith("/_temporary/")]
    assert any(p.startswith("wordpress_api/") and "/run_id=" in p for p in temporary), sorted(temporary)
    assert any(p.startswith("quarantine/wordpress_api/") for p in temporary), sorted(temporary)
    assert "wordpress_api/posts/" in prefixes
