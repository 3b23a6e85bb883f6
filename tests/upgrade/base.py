"""The release an existing deployment upgrades from, and its configuration, taken from git.

`BASE_COMMIT` is the one place that says which release the upgrade test starts from: set it to the
commit of the last release (or of the main branch a refactor is merged onto). Everything else
(the old tree, its state, what moved) is derived from it.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from local.terraform import REPO_ROOT

# The last release (what landed on main before issues 15, 16 and 17): the configuration people
# have applied.
BASE_COMMIT = "d8c328682bfbcdb363bc1dc0adee969b3bb9c43f"

# What the upgrade from BASE_COMMIT changes on purpose, beyond moves and updates in place: each
# problem line the check reports, with why it is intended. The test fails when one is no longer
# reported (then it leaves this list), so the list says exactly what an upgrade does.
INTENDED_CHANGES = {
    "module.pipeline.aws_cloudwatch_log_group.silver_job: destroyed": (
        "issue 15: the Glue 4.0 continuous-logging group; a Glue 5.0 job never writes to it, so it is empty"
    ),
    'module.pipeline.aws_cloudwatch_log_group.silver_job["error"]: created': (
        "issue 15: the group Glue 5.0 writes the job's error stream to (--custom-logGroup-prefix)"
    ),
    'module.pipeline.aws_cloudwatch_log_group.silver_job["output"]: created': (
        "issue 15: the group Glue 5.0 writes the job's output stream to (--custom-logGroup-prefix)"
    ),
    "module.pipeline.aws_dynamodb_table.load_state: created": (
        "issue 18: each dataset's watermark and last full load; a new table, so the first run after the "
        "upgrade finds no watermark and loads every dataset in full (an InitialLoad), as documented"
    ),
}

# Issue 19: the landing zone is new, so an upgrade creates every resource of modules/landing-zone (the
# audit table's state index is an update in place). A datasets/<dataset>.json added to the repository
# adds its module.landing_zone.aws_s3_object.contract["<dataset>.json"] here too.
LANDING_ZONE_RESOURCES = (
    "module.landing_zone.aws_cloudwatch_event_rule.object_created",
    "module.landing_zone.aws_cloudwatch_event_target.function",
    'module.landing_zone.aws_cloudwatch_log_group.job["bronze_to_silver/error"]',
    'module.landing_zone.aws_cloudwatch_log_group.job["bronze_to_silver/output"]',
    'module.landing_zone.aws_cloudwatch_log_group.job["file_to_bronze/error"]',
    'module.landing_zone.aws_cloudwatch_log_group.job["file_to_bronze/output"]',
    "module.landing_zone.aws_cloudwatch_metric_alarm.dead_letter",
    'module.landing_zone.aws_glue_job.this["bronze_to_silver"]',
    'module.landing_zone.aws_glue_job.this["file_to_bronze"]',
    'module.landing_zone.aws_glue_security_configuration.job["bronze_to_silver"]',
    'module.landing_zone.aws_glue_security_configuration.job["file_to_bronze"]',
    'module.landing_zone.aws_iam_role.job["bronze_to_silver"]',
    'module.landing_zone.aws_iam_role.job["file_to_bronze"]',
    'module.landing_zone.aws_iam_role_policy.job["bronze_to_silver"]',
    'module.landing_zone.aws_iam_role_policy.job["file_to_bronze"]',
    "module.landing_zone.aws_lambda_permission.object_created",
    "module.landing_zone.aws_s3_bucket_notification.raw_to_eventbridge",
    'module.landing_zone.aws_s3_object.contract["newsletter_signups.json"]',  # the example dataset's
    "module.landing_zone.aws_s3_object.intake_package",
    'module.landing_zone.aws_s3_object.job_script["bronze_to_silver"]',
    'module.landing_zone.aws_s3_object.job_script["file_to_bronze"]',
    "module.landing_zone.aws_sqs_queue.dead_letter",
    "module.landing_zone.aws_sqs_queue_policy.dead_letter",
    "module.landing_zone.module.function.aws_cloudwatch_log_group.this",
    "module.landing_zone.module.function.aws_iam_role.this",
    "module.landing_zone.module.function.aws_iam_role_policy.this",
    "module.landing_zone.module.function.aws_lambda_alias.live",
    "module.landing_zone.module.function.aws_lambda_function.this",
    "module.landing_zone.module.glue_key.aws_kms_alias.this",
    "module.landing_zone.module.glue_key.aws_kms_key.this",
    "module.landing_zone.module.schedule.aws_cloudwatch_metric_alarm.dead_letter[0]",
    "module.landing_zone.module.schedule.aws_iam_role.this",
    "module.landing_zone.module.schedule.aws_iam_role_policy.this",
    "module.landing_zone.module.schedule.aws_scheduler_schedule.this",
    "module.landing_zone.module.schedule.aws_sqs_queue.dead_letter[0]",
    "module.landing_zone.module.state_machine.aws_cloudwatch_log_group.this",
    "module.landing_zone.module.state_machine.aws_iam_role.this",
    "module.landing_zone.module.state_machine.aws_iam_role_policy.this",
    "module.landing_zone.module.state_machine.aws_sfn_alias.live",
    "module.landing_zone.module.state_machine.aws_sfn_state_machine.this",
)
INTENDED_CHANGES.update(
    {
        f"{address}: created": "issue 19: the landing zone (modules/landing-zone), new in this release"
        for address in LANDING_ZONE_RESOURCES
    }
)
INTENDED_CHANGES.update(
    {
        "module.pipeline.aws_s3_object.lakehouse_publish: created": (
            "issue 19: jobs/lakehouse_publish.py, publish helpers both silver jobs load (--extra-py-files)"
        ),
        # The key is the function's name, with the deployment's name_prefix: one prefix for both.
        "module.alerting.aws_cloudwatch_metric_alarm.lambda_errors[": (
            "issue 19: the error alarm of the landing zone's landing_intake function"
        ),
    }
)

# Issue 20: the gold layer (bucket, parameter and database in modules/lakehouse-buckets; the gold Glue
# job in modules/pipeline/gold.tf) and Athena (modules/athena) are new, so an upgrade creates them.
GOLD_AND_ATHENA_RESOURCES = (
    *(
        f'module.lakehouse_buckets.{rtype}.this["gold"]'
        for rtype in (
            "aws_s3_bucket",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
        )
    ),
    'module.lakehouse_buckets.aws_ssm_parameter.bucket_name["gold"]',
    "module.lakehouse_buckets.aws_glue_catalog_database.gold",
    'module.pipeline.aws_cloudwatch_log_group.gold_job["error"]',
    'module.pipeline.aws_cloudwatch_log_group.gold_job["output"]',
    "module.pipeline.aws_glue_job.gold",
    "module.pipeline.aws_glue_security_configuration.gold",
    "module.pipeline.aws_iam_role.gold_job",
    "module.pipeline.aws_iam_role_policy.gold_job",
    "module.pipeline.aws_s3_object.gold_job_script",
    "module.pipeline.module.gold_glue_key.aws_kms_alias.this",
    "module.pipeline.module.gold_glue_key.aws_kms_key.this",
    "module.athena.aws_athena_workgroup.this",
    *(
        f"module.athena.{rtype}.results"
        for rtype in (
            "aws_s3_bucket",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
        )
    ),
)
INTENDED_CHANGES.update(
    {
        f"{address}: created": "issue 20: the gold layer and the Athena workgroup, new in this release"
        for address in GOLD_AND_ATHENA_RESOURCES
    }
)
# One saved query per queries/*.sql file: the key is the file's stem, so one prefix for them all.
INTENDED_CHANGES["module.athena.aws_athena_named_query.this["] = (
    "issue 20: the saved queries of queries/*.sql, new in this release"
)


class GitHistoryUnavailable(RuntimeError):
    """The base commit cannot be read from this checkout's git history."""


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, check=False)
    except FileNotFoundError as error:
        raise GitHistoryUnavailable(
            f"git is not installed: the upgrade test reads the base release {BASE_COMMIT} from git history"
        ) from error


def export_tree(destination: Path, commit: str = BASE_COMMIT) -> Path:
    """The files of `commit` (as `git archive` gives them) under destination, which is returned."""
    found = _git("cat-file", "-e", f"{commit}^{{commit}}")
    if found.returncode != 0:
        raise GitHistoryUnavailable(
            f"commit {commit} (tests/upgrade/base.py BASE_COMMIT) is not in the git history of {REPO_ROOT}"
            f" ({found.stderr.decode(errors='replace').strip() or 'not a git checkout'}): the upgrade test "
            "needs the configuration of the release being upgraded from. In a shallow clone run "
            "`git fetch --unshallow`; after a rebase or merge set BASE_COMMIT to the release's commit."
        )
    archive = _git("archive", "--format=tar", commit)
    if archive.returncode != 0:
        raise GitHistoryUnavailable(
            f"git archive {commit} failed: {archive.stderr.decode(errors='replace').strip()}"
        )
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination
