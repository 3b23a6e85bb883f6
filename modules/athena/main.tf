# Athena for the lakehouse: a results bucket, the workgroup every query runs in (engine version 3,
# enforced configuration: encrypted results in the results bucket, a bytes-scanned cutoff per query,
# CloudWatch metrics), and one saved (named) query per queries/*.sql file of the repository.
#
# Results get a bucket of their own rather than a prefix of a lakehouse bucket: whoever may query
# must be able to write results, and a separate bucket keeps that write grant (and the short expiry
# of results) away from the data and the job scripts.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  workgroup_name = join("-", compact([var.name_prefix, var.workgroup_name]))

  # S3 names are global: the default ends with the account id and region, like the lakehouse buckets.
  results_bucket_name  = coalesce(var.results_bucket_name, join("-", compact([var.name_prefix, "data-lakehouse-athena-results", "${data.aws_caller_identity.current.account_id}-${data.aws_region.current.region}"])))
  results_bucket_input = var.results_bucket_name == null ? "name_prefix" : "results_bucket_name"
  results_prefix       = "results/"

  # queries/<name>.sql -> one named query <name>. The first line may choose the database
  # ("-- database: data_lakehouse_silver"); otherwise the gold database. Seed database names (in that
  # line and in qualified table names such as data_lakehouse_gold.posts_enriched) become the deployed
  # ones (database_names), so the same files serve a name_prefix deployment and the local runner.
  queries_dir   = coalesce(var.queries_dir, "${path.module}/../../queries")
  database_line = "^--[[:space:]]*database:[[:space:]]*([a-z0-9_]+)[[:space:]]*$"
  queries = {
    for sql_file in fileset(local.queries_dir, "*.sql") : trimsuffix(sql_file, ".sql") => {
      file  = sql_file
      text  = file("${local.queries_dir}/${sql_file}")
      lines = [for line in split("\n", file("${local.queries_dir}/${sql_file}")) : trimspace(line)]
      # The seed name the file asks for, by its first line; the gold database otherwise.
      database = try(regex(local.database_line, trimspace(split("\n", file("${local.queries_dir}/${sql_file}"))[0]))[0], "data_lakehouse_gold")
    }
  }
  named_queries = {
    for name, query in local.queries : name => {
      database = lookup(var.database_names, query.database, query.database)
      # The first comment line other than the database line says what the query answers.
      description = substr(try(
        [for line in query.lines : trimspace(trimprefix(line, "--")) if startswith(line, "--") && !can(regex(local.database_line, line))][0],
        "Saved query ${name} (queries/${query.file}).",
      ), 0, 1024)
      query = replace(replace(replace(query.text,
        "/\\bdata_lakehouse_gold\\./", "${var.database_names["data_lakehouse_gold"]}."),
        "/\\bdata_lakehouse_silver\\./", "${lookup(var.database_names, "data_lakehouse_silver", "data_lakehouse_silver")}."),
        "/\\bdata_lakehouse_bronze\\./", "${lookup(var.database_names, "data_lakehouse_bronze", "data_lakehouse_bronze")}.",
      )
    }
  }
}

# --- Results bucket ------------------------------------------------------------------------------

resource "aws_s3_bucket" "results" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket per account; CloudTrail data events are the audit trail of choice and are account-wide, not per module.
  #checkov:skip=CKV_AWS_144:Cross-region replication of query results is pointless: every result can be produced again by running its query.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications; Athena reads results through its own API.
  bucket = local.results_bucket_name

  lifecycle {
    precondition {
      condition     = length(local.results_bucket_name) <= 63
      error_message = "The Athena results bucket name ${local.results_bucket_name} is longer than 63 characters: shorten ${local.results_bucket_input} or set results_bucket_name."
    }
  }
}

resource "aws_s3_bucket_versioning" "results" {
  bucket = aws_s3_bucket.results.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    # Like the lakehouse buckets: SSE-KMS with the AWS managed aws/s3 key by default. Athena writes
    # query results with the workgroup's enforced SSE_S3 option.
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_ownership_controls" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "results" {
  bucket = aws_s3_bucket.results.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "results_tls_only" {
  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    # Deny every S3 action over plain HTTP: a deny list is the strict direction.
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.results.arn,
      "${aws_s3_bucket.results.arn}/*",
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

resource "aws_s3_bucket_policy" "results" {
  bucket = aws_s3_bucket.results.id
  policy = data.aws_iam_policy_document.results_tls_only.json

  # The public access block must exist first, or S3 may evaluate the policy without it.
  depends_on = [aws_s3_bucket_public_access_block.results]
}

resource "aws_s3_bucket_lifecycle_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  # Query results (and Athena's .metadata files) are copies of what a query answered: they expire.
  rule {
    id     = "expire-query-results"
    status = "Enabled"

    filter {
      prefix = local.results_prefix
    }

    expiration {
      days = var.results_expiration_days
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    # An empty filter applies the rule to every object in the bucket.
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Lifecycle rules on noncurrent versions need versioning enabled first.
  depends_on = [aws_s3_bucket_versioning.results]
}

# --- Workgroup -----------------------------------------------------------------------------------

resource "aws_athena_workgroup" "this" {
  name        = local.workgroup_name
  description = "Queries of the data lakehouse (Glue databases ${join(", ", sort(values(var.database_names)))}): results in s3://${aws_s3_bucket.results.bucket}/${local.results_prefix}, at most ${var.bytes_scanned_cutoff_per_query} bytes scanned per query."

  configuration {
    # The workgroup's settings win over a client's: every query writes its results encrypted into
    # the results bucket and is stopped at the cutoff, whatever the console or SDK asks for.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${aws_s3_bucket.results.bucket}/${local.results_prefix}"

      # SSE-S3: whoever reads results needs no grant on a KMS key.
      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.results, aws_s3_bucket_policy.results]
}

# --- Saved queries -------------------------------------------------------------------------------

resource "aws_athena_named_query" "this" {
  for_each = local.named_queries

  name        = each.key
  description = each.value.description
  workgroup   = aws_athena_workgroup.this.id
  database    = each.value.database
  query       = each.value.query
}
