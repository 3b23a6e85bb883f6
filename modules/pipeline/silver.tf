# Bronze -> silver on AWS Glue (Spark), with a quality gate and a run-by-run audit trail:
#   the Glue 5.0 job running jobs/wordpress_bronze_to_silver.py (uploaded to the artifacts bucket),
#   its role, security configuration (encrypted S3 output, logs and bookmarks) and the two log groups
#   Glue 5.0 writes the job's logs to,
#   the DynamoDB audit table both state machines write to,
#   and the WordPress_Bronze_To_Silver state machine (statemachine/wordpress_bronze_to_silver.asl.json),
#   which WordPress_Raw_To_Bronze starts when bronze succeeded.

locals {
  bronze_bucket_name = element(split(":", var.bronze_bucket_arn), 5)

  silver_job_name            = join("-", compact([var.name_prefix, var.silver_job_name]))
  silver_state_machine_name  = join("-", compact([var.name_prefix, var.silver_state_machine_name]))
  audit_table_name           = join("-", compact([var.name_prefix, var.audit_table_name]))
  silver_job_script_source   = "${path.module}/../../jobs/wordpress_bronze_to_silver.py"
  silver_job_script_key      = "jobs/wordpress_bronze_to_silver.py"
  silver_job_temp_prefix     = "temp/${local.silver_job_name}/"
  silver_security_config     = "${local.silver_job_name}-encrypted"
  silver_state_machine_arn   = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.silver_state_machine_name}"
  silver_execution_arn_glob  = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.silver_state_machine_name}:*"
  silver_glue_job_arn        = "arn:${local.partition}:glue:${local.region}:${local.account_id}:job/${local.silver_job_name}"
  silver_glue_catalog_arn    = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
  silver_glue_database_arn   = "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.silver_glue_database_name}"
  silver_glue_tables_arn     = "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.silver_glue_database_name}/*"
  bronze_glue_database_arn   = "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.glue_database_name}"
  bronze_glue_tables_arn     = "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.glue_database_name}/*"
  silver_job_log_name_prefix = "/aws-glue/jobs/${local.silver_job_name}"

  # The landing zone's state index on the audit table (modules/landing-zone queries it).
  audit_state_index_name = "state-arrived_at-index"
  # Publish helpers shared by the WordPress and the landing silver jobs (their --extra-py-files).
  lakehouse_publish_source = "${path.module}/../../jobs/lakehouse_publish.py"
  lakehouse_publish_key    = "jobs/lakehouse_publish.py"

  # Glue 5.0 logs every job in real time ("Logging for AWS Glue jobs"): with --custom-logGroup-prefix
  # to <prefix>/error (system, Spark, GlueLogger) and <prefix>/output (stdout, stderr: the script's
  # own log lines); with a security configuration that encrypts CloudWatch logs, to
  # <prefix>/<security configuration>-role/<job role>/error and .../output. The prefix
  # (silver_job_log_name_prefix) carries the job's name, so name_prefix keeps deployments apart.
  silver_job_role_name = local.silver_job_name
  silver_job_log_group_names = {
    for stream in ["error", "output"] :
    stream => "${local.silver_job_log_name_prefix}/${local.silver_security_config}-role/${local.silver_job_role_name}/${stream}"
  }
  # Exactly those groups: the key policy's encryption context and the role's log grants name them.
  silver_job_log_group_arns = [
    for stream in ["error", "output"] :
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.silver_job_log_group_names[stream]}"
  ]

  # The silver state machine: same templatefile convention, under the "silver_" prefix.
  silver_state_machine_definition_template = "${path.module}/../../statemachine/wordpress_bronze_to_silver.asl.json"
  silver_state_machine_definition_vars = {
    silver_job_name      = aws_glue_job.silver.name
    silver_bucket_name   = var.silver_bucket_name
    bronze_database_name = var.glue_database_name
    audit_table_name     = aws_dynamodb_table.audit.name
    failure_topic_arn    = var.failure_stepfunction_topic_arn
    # A dataset's watermark advances here, once its run reached SILVER.
    load_state_table_name = aws_dynamodb_table.load_state.name
    # Then gold is rebuilt from silver (gold.tf) and its result read.
    gold_job_name    = aws_glue_job.gold.name
    gold_bucket_name = var.gold_bucket_name
  }
}

# --- Encryption --------------------------------------------------------------------------------

# Glue's CloudWatch Logs and job bookmark encryption need a customer managed key that the logs
# service may use (the AWS managed keys cannot be named in a security configuration).
module "glue_key" {
  source = "../kms-key"

  alias                          = local.silver_job_name
  description                    = "Encrypts the ${local.silver_job_name} Glue job's CloudWatch logs and job bookmarks."
  cloudwatch_logs_log_group_arns = local.silver_job_log_group_arns
}

resource "aws_glue_security_configuration" "silver" {
  name = local.silver_security_config

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = module.glue_key.key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = module.glue_key.key_arn
    }

    # SSE-S3: Athena readers of the silver tables need no KMS grant on a project key.
    s3_encryption {
      s3_encryption_mode = "SSE-S3"
    }
  }
}

# --- Job script --------------------------------------------------------------------------------

resource "aws_s3_object" "silver_job_script" {
  #checkov:skip=CKV_AWS_186:The artifacts bucket encrypts every object with SSE-KMS by default (aws/s3 key); the script is public-repository code, not data.
  bucket       = var.artifacts_bucket_name
  key          = local.silver_job_script_key
  source       = local.silver_job_script_source
  content_type = "text/x-python"
  # A change to the script changes its hash, so Terraform uploads it again (the bucket's SSE-KMS
  # makes S3's ETag differ from the MD5, hence source_hash rather than etag).
  source_hash = filemd5(local.silver_job_script_source)
}

resource "aws_s3_object" "lakehouse_publish" {
  #checkov:skip=CKV_AWS_186:The artifacts bucket encrypts every object with SSE-KMS by default (aws/s3 key); the helpers are public-repository code, not data.
  bucket       = var.artifacts_bucket_name
  key          = local.lakehouse_publish_key
  source       = local.lakehouse_publish_source
  content_type = "text/x-python"
  source_hash  = filemd5(local.lakehouse_publish_source)
}

# --- Job ---------------------------------------------------------------------------------------

# Created here, before the first run, so that they have a retention and the key (Glue would create
# them without either).
resource "aws_cloudwatch_log_group" "silver_job" {
  for_each = local.silver_job_log_group_names

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = module.glue_key.key_arn
}

data "aws_iam_policy_document" "glue_assume_role" {
  statement {
    sid     = "GlueAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    # No aws:SourceAccount/aws:SourceArn condition: Glue does not document sending them when a job
    # run assumes its role, and a condition on a key that is absent would deny every run. Who may
    # give the role to a job is governed by iam:PassRole.
  }
}

data "aws_iam_policy_document" "silver_job" {
  statement {
    sid     = "ReadJobScript"
    actions = ["s3:GetObject"]
    resources = [
      "${var.artifacts_bucket_arn}/${local.silver_job_script_key}",
      "${var.artifacts_bucket_arn}/${local.lakehouse_publish_key}",
    ]
  }

  statement {
    sid       = "UseSparkTempDir"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.artifacts_bucket_arn}/${local.silver_job_temp_prefix}*"]
  }

  statement {
    sid       = "ListSparkTempDir"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.silver_job_temp_prefix}*"]
    }
  }

  # The bronze snapshots, and an Update's increment and published ids (written by bronze under _runs/).
  statement {
    sid     = "ReadBronzeObjects"
    actions = ["s3:GetObject"]
    resources = [
      "${var.bronze_bucket_arn}/${local.data_source}/*",
      "${var.bronze_bucket_arn}/_runs/${local.data_source}/*",
    ]
  }

  statement {
    sid       = "ListBronzeObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.bronze_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.data_source}/*", "_runs/${local.data_source}/*"]
    }
  }

  # Published runs, quarantined data with its reports, and the per-run result.json. DeleteObject:
  # after switching a table the job removes its run folders older than the previous one.
  statement {
    sid     = "WriteSilverObjects"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${var.silver_bucket_arn}/${local.data_source}/*",
      "${var.silver_bucket_arn}/quarantine/${local.data_source}/*",
    ]
  }

  # The run's result.json (and nothing else there) is written with one PutObject.
  statement {
    sid       = "WriteRunResults"
    actions   = ["s3:PutObject"]
    resources = ["${var.silver_bucket_arn}/_runs/${local.data_source}/*"]
  }

  # Spark lists what it writes: the existence check of a new run folder (S3 answers 404 only to a
  # caller with s3:ListBucket), the committer's <folder>/_temporary/, and mkdirs' walk up the parents
  # until one exists, which reaches quarantine/ itself on the first quarantine ("quarantine/" matches
  # only a listing whose prefix is exactly that).
  statement {
    sid       = "ListSilverObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.silver_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.data_source}/*", "quarantine/", "quarantine/${local.data_source}/*", "_runs/${local.data_source}/*"]
    }
  }

  # The job creates each silver table on its first run and switches its location in one UpdateTable
  # when a run passes the quality gate (partitions by projection: no partition calls); it touches no
  # other database.
  statement {
    sid = "ManageSilverTables"
    actions = [
      "glue:GetTable",
      "glue:CreateTable",
      "glue:UpdateTable",
    ]
    resources = [
      local.silver_glue_catalog_arn,
      local.silver_glue_database_arn,
      local.silver_glue_tables_arn,
    ]
  }

  # Glue writes the job's logs to its two groups (local.silver_job_log_group_names) with the job's
  # role. Terraform creates them with the key; Glue still associates the security configuration's
  # key (logs:AssociateKmsKey, without which the Glue guide says logging is disabled) and may try
  # to create them.
  statement {
    sid       = "WriteOwnJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = flatten([for arn in local.silver_job_log_group_arns : [arn, "${arn}:*"]])
  }

  statement {
    sid       = "UseGlueKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.glue_key.key_arn]
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

resource "aws_iam_role" "silver_job" {
  name               = local.silver_job_role_name
  description        = "Role of the ${local.silver_job_name} Glue job: reads bronze ${local.data_source}/*, writes its silver prefixes and tables."
  assume_role_policy = data.aws_iam_policy_document.glue_assume_role.json
}

resource "aws_iam_role_policy" "silver_job" {
  name   = local.silver_job_name
  role   = aws_iam_role.silver_job.id
  policy = data.aws_iam_policy_document.silver_job.json
}

resource "aws_glue_job" "silver" {
  name                   = local.silver_job_name
  description            = "s3://<bronze>/${local.data_source}/<name>/<name>.parquet -> cleaned, typed silver tables in ${var.silver_glue_database_name}, published only when they pass the quality gate."
  role_arn               = aws_iam_role.silver_job.arn
  glue_version           = "5.0"
  worker_type            = var.silver_job_worker_type
  number_of_workers      = var.silver_job_number_of_workers
  timeout                = var.silver_job_timeout_minutes
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.silver.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${var.artifacts_bucket_name}/${aws_s3_object.silver_job_script.key}"
  }

  # One run at a time: a second start while one runs fails (Glue.ConcurrentRunsExceededException),
  # which the state machine retries with backoff.
  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = {
    "--job-language" = "python"
    # Glue 5.0 logging (the 4.0 continuous-logging arguments do nothing here): the groups are
    # local.silver_job_log_group_names.
    "--custom-logGroup-prefix" = local.silver_job_log_name_prefix
    "--enable-metrics"         = "true"
    "--TempDir"                = "s3://${var.artifacts_bucket_name}/${local.silver_job_temp_prefix}"
    "--bronze_bucket"          = local.bronze_bucket_name
    "--silver_bucket"          = var.silver_bucket_name
    "--silver_database"        = var.silver_glue_database_name
    "--data_source"            = local.data_source
    # Glue puts the helpers on the script's Python path (the local run's emulator does the same).
    "--extra-py-files" = "s3://${var.artifacts_bucket_name}/${local.lakehouse_publish_key}"
  }

  depends_on = [aws_iam_role_policy.silver_job, aws_cloudwatch_log_group.silver_job, aws_s3_object.lakehouse_publish]
}

# --- Audit table ---------------------------------------------------------------------------------

resource "aws_dynamodb_table" "audit" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS managed aws/dynamodb key; a customer managed key would need KMS grants for every reader of the audit trail and for both state machines.
  name         = local.audit_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "dataset"
  range_key    = "run_id"

  attribute {
    name = "dataset"
    type = "S"
  }

  attribute {
    name = "run_id"
    type = "S"
  }

  # The landing zone's state index (modules/landing-zone): Landing_To_Silver queries the NEW files,
  # oldest first. Only landing items carry arrived_at, so WordPress's run items stay out of it.
  attribute {
    name = "state"
    type = "S"
  }

  attribute {
    name = "arrived_at"
    type = "S"
  }

  # hash_key/range_key, which every 6.x provider accepts (the project asks for ~> 6.0). Since 6.29 the
  # provider docs mark them deprecated for global_secondary_index.key_schema, whose early releases
  # re-created every index when one was removed (hashicorp/terraform-provider-aws#46602) and showed a
  # perpetual diff for a range key (#46442): switch once the project's provider floor passes those fixes.
  global_secondary_index {
    name            = local.audit_state_index_name
    hash_key        = "state"
    range_key       = "arrived_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.audit_table_deletion_protection
}

# --- Silver state machine ------------------------------------------------------------------------

data "aws_iam_policy_document" "silver_state_machine" {
  statement {
    sid       = "RunSilverJob"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [local.silver_glue_job_arn]
  }

  # Started without a dataset list, the workflow rebuilds every table of the bronze database.
  statement {
    sid       = "ListBronzeTables"
    actions   = ["glue:GetTables"]
    resources = [local.silver_glue_catalog_arn, local.bronze_glue_database_arn, local.bronze_glue_tables_arn]
  }

  # After a clean silver run the workflow rebuilds gold (gold.tf) and reads its result.
  statement {
    sid       = "RunGoldJob"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [local.gold_glue_job_arn]
  }

  statement {
    sid     = "ReadRunResult"
    actions = ["s3:GetObject"]
    resources = [
      "${var.silver_bucket_arn}/_runs/${local.data_source}/*",
      "${var.gold_bucket_arn}/_runs/${local.data_source}/*",
    ]
  }

  statement {
    sid       = "RecordAudit"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.audit.arn]
  }

  statement {
    sid       = "AdvanceLoadState"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.load_state.arn]
  }

  statement {
    sid       = "PublishFailureAlert"
    actions   = ["sns:Publish"]
    resources = [var.failure_stepfunction_topic_arn]
  }

  statement {
    sid       = "UseTopicKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.sns_kms_key_arn]
  }
}

module "silver_state_machine" {
  source = "../state-machine"

  name               = local.silver_state_machine_name
  definition         = templatefile(local.silver_state_machine_definition_template, local.silver_state_machine_definition_vars)
  task_policy_json   = data.aws_iam_policy_document.silver_state_machine.json
  role_description   = "Execution role of the ${local.silver_state_machine_name} state machine."
  log_group_name     = var.silver_state_machine_log_group_name
  log_retention_days = var.log_retention_days
}
