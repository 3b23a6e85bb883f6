# Silver -> gold on AWS Glue (Spark): the Glue 5.0 job running jobs/wordpress_silver_to_gold.py
# (uploaded to the artifacts bucket, with the publish helpers jobs/lakehouse_publish.py that silver.tf
# uploads), its role, its own key, security configuration and the two log groups Glue 5.0 writes
# the job's logs to. Gold is rebuilt from the silver tables every run (they are small); the job reads
# them through their Glue table locations and publishes each gold table with one UpdateTable.
# The state that runs the job is part of the silver workflow's definition (statemachine/).

locals {
  gold_job_name          = join("-", compact([var.name_prefix, var.gold_job_name]))
  gold_job_role_name     = local.gold_job_name
  gold_job_script_source = "${path.module}/../../jobs/wordpress_silver_to_gold.py"
  gold_job_script_key    = "jobs/wordpress_silver_to_gold.py"
  gold_job_temp_prefix   = "temp/${local.gold_job_name}/"
  gold_security_config   = "${local.gold_job_name}-encrypted"
  # What the state machine that starts the job is granted (glue:StartJobRun, GetJobRun, ...).
  gold_glue_job_arn        = "arn:${local.partition}:glue:${local.region}:${local.account_id}:job/${local.gold_job_name}"
  gold_glue_database_arn   = "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.gold_glue_database_name}"
  gold_glue_tables_arn     = "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.gold_glue_database_name}/*"
  gold_job_log_name_prefix = "/aws-glue/jobs/${local.gold_job_name}"

  # Glue 5.0's log groups for a job with --custom-logGroup-prefix and a security configuration that
  # encrypts CloudWatch logs (see silver.tf): <prefix>/<security configuration>-role/<role>/error|output.
  gold_job_log_group_names = {
    for stream in ["error", "output"] :
    stream => "${local.gold_job_log_name_prefix}/${local.gold_security_config}-role/${local.gold_job_role_name}/${stream}"
  }
  gold_job_log_group_arns = [
    for stream in ["error", "output"] :
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.gold_job_log_group_names[stream]}"
  ]
}

# --- Encryption --------------------------------------------------------------------------------

# The gold job's own key: its key policy lets the logs service use it for exactly the job's groups.
module "gold_glue_key" {
  source = "../kms-key"

  alias                          = local.gold_job_name
  description                    = "Encrypts the ${local.gold_job_name} Glue job's CloudWatch logs and job bookmarks."
  cloudwatch_logs_log_group_arns = local.gold_job_log_group_arns
}

resource "aws_glue_security_configuration" "gold" {
  name = local.gold_security_config

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = module.gold_glue_key.key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = module.gold_glue_key.key_arn
    }

    # SSE-S3: Athena readers of the gold tables need no KMS grant on a project key.
    s3_encryption {
      s3_encryption_mode = "SSE-S3"
    }
  }
}

# --- Job script ----------------------------------------------------------------------------------

resource "aws_s3_object" "gold_job_script" {
  #checkov:skip=CKV_AWS_186:The artifacts bucket encrypts every object with SSE-KMS by default (aws/s3 key); the script is public-repository code, not data.
  bucket       = var.artifacts_bucket_name
  key          = local.gold_job_script_key
  source       = local.gold_job_script_source
  content_type = "text/x-python"
  # A changed script changes its hash, so Terraform uploads it again (see silver_job_script).
  source_hash = filemd5(local.gold_job_script_source)
}

# --- Job -----------------------------------------------------------------------------------------

# Created before the first run, so that they have a retention and the key.
resource "aws_cloudwatch_log_group" "gold_job" {
  for_each = local.gold_job_log_group_names

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = module.gold_glue_key.key_arn
}

data "aws_iam_policy_document" "gold_job" {
  statement {
    sid     = "ReadJobScript"
    actions = ["s3:GetObject"]
    resources = [
      "${var.artifacts_bucket_arn}/${local.gold_job_script_key}",
      "${var.artifacts_bucket_arn}/${local.lakehouse_publish_key}",
    ]
  }

  statement {
    sid       = "UseSparkTempDir"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.artifacts_bucket_arn}/${local.gold_job_temp_prefix}*"]
  }

  statement {
    sid       = "ListSparkTempDir"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.gold_job_temp_prefix}*"]
    }
  }

  # The silver tables' locations: each table's current run folder under wordpress_api/.
  statement {
    sid       = "ReadSilverTables"
    actions   = ["glue:GetTable"]
    resources = [local.silver_glue_catalog_arn, local.silver_glue_database_arn, local.silver_glue_tables_arn]
  }

  statement {
    sid       = "ReadSilverObjects"
    actions   = ["s3:GetObject"]
    resources = ["${var.silver_bucket_arn}/${local.data_source}/*"]
  }

  # The audit trail, read whole and published as the gold table audit (Athena does not read DynamoDB):
  # Scan only; the state machine records the gold outcomes.
  statement {
    sid       = "ReadAuditTrail"
    actions   = ["dynamodb:Scan"]
    resources = [aws_dynamodb_table.audit.arn]
  }

  # Spark lists the folders it reads.
  statement {
    sid       = "ListSilverObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.silver_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.data_source}/*"]
    }
  }

  # Published runs and quarantined tables with their reports. DeleteObject: after switching a table
  # the job removes its run folders older than the previous one (jobs/lakehouse_publish.py).
  statement {
    sid     = "WriteGoldObjects"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${var.gold_bucket_arn}/${local.data_source}/*",
      "${var.gold_bucket_arn}/quarantine/${local.data_source}/*",
    ]
  }

  # The run's result.json (and nothing else there) is written with one PutObject.
  statement {
    sid       = "WriteRunResults"
    actions   = ["s3:PutObject"]
    resources = ["${var.gold_bucket_arn}/_runs/${local.data_source}/*"]
  }

  # Spark lists what it writes: a new folder's existence check, the committer's _temporary/, and
  # mkdirs' walk up the parents, which reaches quarantine/ itself on the first quarantine.
  statement {
    sid       = "ListGoldObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.gold_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.data_source}/*", "quarantine/", "quarantine/${local.data_source}/*", "_runs/${local.data_source}/*"]
    }
  }

  # Each gold table: created on its first publish, then switched with one UpdateTable (partitions by
  # projection: no partition calls); no other database.
  statement {
    sid       = "ManageGoldTables"
    actions   = ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable"]
    resources = [local.silver_glue_catalog_arn, local.gold_glue_database_arn, local.gold_glue_tables_arn]
  }

  # Glue writes the job's logs to its two groups with the job's role, associates the security
  # configuration's key (logs:AssociateKmsKey) and may try to create them.
  statement {
    sid       = "WriteOwnJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = flatten([for arn in local.gold_job_log_group_arns : [arn, "${arn}:*"]])
  }

  statement {
    sid       = "UseGlueKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.gold_glue_key.key_arn]
  }

  statement {
    sid     = "PublishJobMetrics"
    actions = ["cloudwatch:PutMetricData"]
    # PutMetricData has no resource ARN: AWS accepts only "*"; the condition keeps it to Glue's namespace.
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }
}

resource "aws_iam_role" "gold_job" {
  name               = local.gold_job_role_name
  description        = "Role of the ${local.gold_job_name} Glue job: reads the silver ${local.data_source} tables, writes its gold prefixes and tables."
  assume_role_policy = data.aws_iam_policy_document.glue_assume_role.json
}

resource "aws_iam_role_policy" "gold_job" {
  name   = local.gold_job_name
  role   = aws_iam_role.gold_job.id
  policy = data.aws_iam_policy_document.gold_job.json
}

resource "aws_glue_job" "gold" {
  name                   = local.gold_job_name
  description            = "Silver ${local.data_source} tables of ${var.silver_glue_database_name} -> gold tables (posts_enriched, publishing_activity, taxonomy_usage) in ${var.gold_glue_database_name}, rebuilt every run, published only when they pass the quality gate."
  role_arn               = aws_iam_role.gold_job.arn
  glue_version           = "5.0"
  worker_type            = var.gold_job_worker_type
  number_of_workers      = var.gold_job_number_of_workers
  timeout                = var.gold_job_timeout_minutes
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.gold.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${var.artifacts_bucket_name}/${aws_s3_object.gold_job_script.key}"
  }

  # One run at a time: a second start while one runs fails (Glue.ConcurrentRunsExceededException).
  execution_property {
    max_concurrent_runs = 1
  }

  # --run_id is given by the state machine at each start.
  default_arguments = {
    "--job-language" = "python"
    # Glue 5.0 logging: the groups are local.gold_job_log_group_names.
    "--custom-logGroup-prefix" = local.gold_job_log_name_prefix
    "--enable-metrics"         = "true"
    "--TempDir"                = "s3://${var.artifacts_bucket_name}/${local.gold_job_temp_prefix}"
    "--silver_database"        = var.silver_glue_database_name
    "--silver_bucket"          = var.silver_bucket_name
    "--gold_bucket"            = var.gold_bucket_name
    "--gold_database"          = var.gold_glue_database_name
    "--audit_table"            = aws_dynamodb_table.audit.name
    # The publish helpers shared with both silver jobs.
    "--extra-py-files" = "s3://${var.artifacts_bucket_name}/${local.lakehouse_publish_key}"
  }

  depends_on = [aws_iam_role_policy.gold_job, aws_cloudwatch_log_group.gold_job, aws_s3_object.lakehouse_publish]
}
