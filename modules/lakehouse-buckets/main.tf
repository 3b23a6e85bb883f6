# Raw, bronze, silver and gold buckets of the lakehouse, the SSM parameters that publish their names,
# the Glue Data Catalog databases that register the bronze, silver and gold tables for Athena, and
# the artifacts bucket holding Glue job scripts and Spark temporary files.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  # S3 names are global: the defaults end with the account id and region so they are unique out of the box.
  name_suffix = "${data.aws_caller_identity.current.account_id}-${data.aws_region.current.region}"

  buckets = {
    raw = {
      name           = coalesce(var.raw_bucket_name, join("-", compact([var.name_prefix, "data-lakehouse-raw", local.name_suffix])))
      input          = var.raw_bucket_name == null ? "name_prefix" : "raw_bucket_name"
      parameter_name = var.raw_bucket_parameter_name
    }
    bronze = {
      name           = coalesce(var.bronze_bucket_name, join("-", compact([var.name_prefix, "data-lakehouse-bronze", local.name_suffix])))
      input          = var.bronze_bucket_name == null ? "name_prefix" : "bronze_bucket_name"
      parameter_name = var.bronze_bucket_parameter_name
    }
    silver = {
      name           = coalesce(var.silver_bucket_name, join("-", compact([var.name_prefix, "data-lakehouse-silver", local.name_suffix])))
      input          = var.silver_bucket_name == null ? "name_prefix" : "silver_bucket_name"
      parameter_name = coalesce(var.silver_bucket_parameter_name, "${local.parameter_path_prefix}/s3/lakehouse/name/silver")
    }
    gold = {
      name           = coalesce(var.gold_bucket_name, join("-", compact([var.name_prefix, "data-lakehouse-gold", local.name_suffix])))
      input          = var.gold_bucket_name == null ? "name_prefix" : "gold_bucket_name"
      parameter_name = coalesce(var.gold_bucket_parameter_name, "${local.parameter_path_prefix}/s3/lakehouse/name/gold")
    }
    # Glue job scripts (uploaded by modules/pipeline) and Spark temporary files: no parameter.
    artifacts = {
      name           = coalesce(var.artifacts_bucket_name, join("-", compact([var.name_prefix, "data-lakehouse-artifacts", local.name_suffix])))
      input          = var.artifacts_bucket_name == null ? "name_prefix" : "artifacts_bucket_name"
      parameter_name = null
    }
  }

  # Session convention for prefixed SSM names: the prefix is a leading path segment.
  parameter_path_prefix = var.name_prefix == "" ? "" : "/${var.name_prefix}"

  # Glue database names allow no '-': the prefix joins with '_'.
  silver_glue_database_name = coalesce(var.silver_glue_database_name, join("_", compact([replace(var.name_prefix, "-", "_"), "data_lakehouse_silver"])))
  gold_glue_database_name   = coalesce(var.gold_glue_database_name, join("_", compact([replace(var.name_prefix, "-", "_"), "data_lakehouse_gold"])))

  # Expiry rules on top of the noncurrent-version rule every bucket has, by bucket key.
  expiring_prefixes = {
    raw = {
      # Every raw object is one run's input (full load or increment), kept for replays and audits.
      expire-raw-runs = { prefix = "wordpress_api/", days = var.raw_run_expiration_days }
    }
    bronze = {
      # Each run's increment and published ids; the tables' snapshots live under wordpress_api/.
      expire-bronze-runs = { prefix = "_runs/", days = var.bronze_run_expiration_days }
    }
    silver = {
      # Rejected tables and their reports, kept for inspection.
      expire-quarantine = { prefix = "quarantine/", days = var.silver_quarantine_expiration_days }
      # The job's small per-run result.json files; the audit table keeps the history.
      expire-run-results = { prefix = "_runs/", days = var.silver_run_result_expiration_days }
    }
    gold = {
      # Same rules as silver: gold tables that failed their gate, with their reports, and the gold
      # job's per-run result.json files.
      expire-quarantine  = { prefix = "quarantine/", days = var.gold_quarantine_expiration_days }
      expire-run-results = { prefix = "_runs/", days = var.gold_run_result_expiration_days }
    }
    artifacts = {
      # Spark's temporary files (the Glue job's --TempDir).
      expire-spark-temp = { prefix = "temp/", days = var.spark_temp_expiration_days }
    }
  }
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket per account; CloudTrail data events are the audit trail of choice and are account-wide, not per module.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; the raw layer can be re-fetched from the source and bronze rebuilt from raw.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications; the pipeline is orchestrated by Step Functions.
  bucket = each.value.name

  lifecycle {
    precondition {
      condition     = length(each.value.name) <= 63
      error_message = "The ${each.key} bucket name ${each.value.name} is longer than 63 characters: shorten ${each.value.input} or set ${each.key}_bucket_name."
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    # SSE-KMS with the AWS managed aws/s3 key: callers need no extra KMS permissions, and the
    # bucket key keeps KMS request costs down.
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    # Deny every S3 action over plain HTTP: a deny list is the strict direction.
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # The public access block must exist first, or S3 may evaluate the policy without it.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    # An empty filter applies the rule to every object in the bucket.
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = lookup(local.expiring_prefixes, each.key, {})

    content {
      id     = rule.key
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      # Current versions become noncurrent after these days; the rule above then removes them.
      expiration {
        days = rule.value.days
      }
    }
  }

  # Lifecycle rules on noncurrent versions need versioning enabled first.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_ssm_parameter" "bucket_name" {
  for_each = { for key, bucket in aws_s3_bucket.this : key => bucket if local.buckets[key].parameter_name != null }

  #checkov:skip=CKV2_AWS_34:A bucket name is not a secret; functions read it with a plain GetParameter.
  name        = local.buckets[each.key].parameter_name
  description = "Name of the ${each.key} layer bucket of the data lakehouse."
  type        = "String"
  value       = each.value.bucket
}

resource "aws_glue_catalog_database" "bronze" {
  name        = var.glue_database_name
  description = "Bronze layer of the data lakehouse: Parquet tables in s3://${aws_s3_bucket.this["bronze"].bucket}/, queried with Athena."
}

resource "aws_glue_catalog_database" "silver" {
  name        = local.silver_glue_database_name
  description = "Silver layer of the data lakehouse: cleaned, typed tables in s3://${aws_s3_bucket.this["silver"].bucket}/, published by the silver Glue job only when they pass the quality gate."
}

resource "aws_glue_catalog_database" "gold" {
  name        = local.gold_glue_database_name
  description = "Gold layer of the data lakehouse: tables shaped for the questions analysts ask, in s3://${aws_s3_bucket.this["gold"].bucket}/, rebuilt from silver by the gold Glue job and published only when they pass its quality gate."
}
