# Bring your own dataset (issue 19): files dropped under s3://<raw>/landing/<dataset>/ are registered,
# validated and loaded through bronze and silver.
#   Arrival:   the raw bucket's S3 events go to EventBridge; a rule on Object Created under landing/
#              invokes the landing_intake function's live alias (retries, then an encrypted dead-letter
#              queue with an alarm), which registers each file as NEW in the audit table.
#   Batch run: an EventBridge Scheduler schedule (hourly by default) starts Landing_To_Silver's live
#              alias (statemachine/landing_to_silver.asl.json), which queries the NEW files on the audit
#              table's state index and loads them: small files in the function, large ones with the
#              landing_file_to_bronze Glue job, then landing_bronze_to_silver (jobs.tf).
# The function comes from modules/lambda-function, the state machine from modules/state-machine, the
# schedule from modules/daily-schedule.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition

  # The S3 prefix of landed data in every layer (raw, bronze, silver, quarantine, run results).
  landing_prefix = "landing"
  # Invalid files are moved here: failed/<dataset>/<run id>/<file>.
  failed_prefix = "failed"
  # Dataset contracts in the artifacts bucket (datasets/<dataset>.json, from the repository's datasets/).
  contracts_prefix = "datasets/"
  contracts_dir    = "${path.module}/../../datasets"

  function_name      = join("-", compact([var.name_prefix, "landing_intake"]))
  state_machine_name = join("-", compact([var.name_prefix, "Landing_To_Silver"]))
  rule_name          = "${local.function_name}-object-created"
  dead_letter_name   = "${local.rule_name}-dlq"
  schedule_name      = "${local.state_machine_name}-schedule"
  alias_name         = "live"

  audit_state_index_arn = "${var.audit_table_arn}/index/${var.audit_state_index_name}"

  # S3 sends an "Object Created" event to EventBridge for every new object once the bucket's
  # EventBridge notifications are on (S3 user guide, "Using EventBridge"); this rule keeps the raw
  # bucket's objects under landing/. Keys ending in "/" (console folders) and keys outside a dataset
  # folder are refused by the function itself, with the reason.
  object_created_event_pattern = {
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.raw_bucket_name] }
      object = { key = [{ prefix = "${local.landing_prefix}/" }] }
    }
  }

  function_environment = {
    RAW_BUCKET       = var.raw_bucket_name
    BRONZE_BUCKET    = var.bronze_bucket_name
    SILVER_BUCKET    = var.silver_bucket_name
    BRONZE_DATABASE  = var.bronze_glue_database_name
    AUDIT_TABLE      = var.audit_table_name
    CONTRACTS_BUCKET = var.artifacts_bucket_name
    CONTRACTS_PREFIX = local.contracts_prefix
    CSV_DELIMITER    = var.csv_delimiter
    ALERT_TOPIC_ARN  = var.failure_topic_arn
  }

  # templatefile convention of every state machine module (tests render it with real Terraform).
  state_machine_definition_template = "${path.module}/../../statemachine/landing_to_silver.asl.json"
  state_machine_definition_vars = {
    # Every action of the function goes through its live alias.
    landing_function_arn   = module.function.alias_arn
    audit_table_name       = var.audit_table_name
    audit_state_index_name = var.audit_state_index_name
    bronze_job_name        = aws_glue_job.this["file_to_bronze"].name
    silver_job_name        = aws_glue_job.this["bronze_to_silver"].name
    failure_topic_arn      = var.failure_topic_arn
    max_files_per_run      = var.max_files_per_run
    lambda_max_file_bytes  = var.lambda_max_file_bytes
  }
}

# --- Function --------------------------------------------------------------------------------

data "aws_iam_policy_document" "load_files" {
  # What loading a landed file needs, in the function and in the landing_file_to_bronze Glue job
  # alike (both run landing_load): read it, move an invalid one to failed/, read the dataset's
  # contract, write its bronze object and table.
  # Registration reads the landed object's metadata (HeadObject); a load reads it (GetObject with
  # IfMatch) and, for an invalid file, copies it to failed/ and deletes it from landing/.
  statement {
    sid       = "ReadAndRemoveLandedFiles"
    actions   = ["s3:GetObject", "s3:DeleteObject"]
    resources = ["${var.raw_bucket_arn}/${local.landing_prefix}/*"]
  }

  # Without s3:ListBucket, S3 answers 403 instead of 404 for a missing key: the function tells a
  # file that is gone (FAILED) or URL-encoded in the event (retried decoded) from a denied read.
  statement {
    sid       = "TellMissingLandedFiles"
    actions   = ["s3:ListBucket"]
    resources = [var.raw_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.landing_prefix}/*"]
    }
  }

  statement {
    sid       = "MoveInvalidFiles"
    actions   = ["s3:PutObject"]
    resources = ["${var.raw_bucket_arn}/${local.failed_prefix}/*"]
  }

  statement {
    sid       = "ReadContracts"
    actions   = ["s3:GetObject"]
    resources = ["${var.artifacts_bucket_arn}/${local.contracts_prefix}*"]
  }

  # A dataset without a contract: S3 answers 404 for datasets/<dataset>.json (no contract, the file
  # defines the schema) only to a caller that may list; without it the answer is 403 and the load fails.
  statement {
    sid       = "TellMissingContracts"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.contracts_prefix}*"]
    }
  }

  # landing/<dataset>/<file id>.parquet: one object per landed file name.
  statement {
    sid       = "WriteBronzeFiles"
    actions   = ["s3:PutObject"]
    resources = ["${var.bronze_bucket_arn}/${local.landing_prefix}/*"]
  }

  # A dataset's bronze table: read (its schema, and whether another source owns the name), created
  # by the first file, extended by new columns.
  statement {
    sid       = "RegisterBronzeTables"
    actions   = ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable"]
    resources = local.bronze_table_arns
  }
}

data "aws_iam_policy_document" "function" {
  source_policy_documents = [data.aws_iam_policy_document.load_files.json]

  # One item per landed file: a conditional PutItem registers it, UpdateItem claims it and records
  # each state, GetItem reads what the Glue job recorded.
  statement {
    sid       = "RecordFileStates"
    actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"]
    resources = [var.audit_table_arn]
  }

  statement {
    sid       = "AlertRefusedFiles"
    actions   = ["sns:Publish"]
    resources = [var.failure_topic_arn]
  }

  statement {
    sid       = "UseTopicKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.sns_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
  }

  # result.json of the silver job (record_silver).
  statement {
    sid       = "ReadSilverRunResults"
    actions   = ["s3:GetObject"]
    resources = ["${var.silver_bucket_arn}/_runs/${local.landing_prefix}/*"]
  }
}

# The function with its log group, role, published version and `live` alias, which both the
# EventBridge rule and the state machine invoke.
module "function" {
  source = "../lambda-function"

  name               = local.function_name
  description        = "Landing zone: registers files landed under s3://<raw>/${local.landing_prefix}/<dataset>/ and plans, loads, summarizes and reports Landing_To_Silver runs."
  source_dir         = "${path.module}/../../functions/landing_intake/src"
  runtime            = var.lambda_runtime
  architecture       = var.lambda_architecture
  memory_size        = var.function_memory_size
  timeout            = var.function_timeout
  environment        = local.function_environment
  layers             = [var.pandas_layer_arn, var.common_layer_arn]
  policy_json        = data.aws_iam_policy_document.function.json
  invoked_by         = "the ${local.rule_name} rule and the ${local.state_machine_name} state machine"
  alias_name         = local.alias_name
  log_level          = var.log_level
  log_retention_days = var.log_retention_days
}

# --- Arrival: S3 -> EventBridge -> function ----------------------------------------------------

# S3 sends every event of the bucket to EventBridge. A bucket has one notification configuration:
# this resource owns the raw bucket's (no other module may declare one for it).
resource "aws_s3_bucket_notification" "raw_to_eventbridge" {
  bucket      = var.raw_bucket_name
  eventbridge = true
}

resource "aws_cloudwatch_event_rule" "object_created" {
  name          = local.rule_name
  description   = "Files created under s3://${var.raw_bucket_name}/${local.landing_prefix}/: the ${local.function_name} function registers each one as NEW."
  event_pattern = jsonencode(local.object_created_event_pattern)
}

# Events EventBridge could not deliver after its retries (the function throttled or failing) wait
# here 14 days; the alarm below notifies the failure topic. SSE-SQS: EventBridge may send to it
# without a key grant.
resource "aws_sqs_queue" "dead_letter" {
  name                      = local.dead_letter_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "dead_letter" {
  statement {
    sid       = "AllowObjectCreatedRuleSend"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only this rule may send: no other rule, account or service.
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.object_created.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]

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

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.dead_letter.json
}

resource "aws_cloudwatch_event_target" "function" {
  rule      = aws_cloudwatch_event_rule.object_created.name
  target_id = local.function_name
  # The live alias: each file is registered by the published version it points at. The whole event
  # is the input (the function reads detail.bucket.name, detail.object.key, size, etag, id and time).
  arn = module.function.alias_arn

  retry_policy {
    maximum_retry_attempts       = var.event_maximum_retry_attempts
    maximum_event_age_in_seconds = var.event_maximum_age_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letter.arn
  }

  depends_on = [aws_sqs_queue_policy.dead_letter, aws_lambda_permission.object_created]
}

# EventBridge invokes the alias under this resource-based permission, for this rule only.
resource "aws_lambda_permission" "object_created" {
  statement_id   = "AllowObjectCreatedRule"
  action         = "lambda:InvokeFunction"
  function_name  = module.function.function_name
  qualifier      = module.function.alias_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.object_created.arn
  source_account = local.account_id
}

# A visible message in the dead-letter queue is a file that was never registered: the alarm stays in
# ALARM until the queue is emptied. Missing data keeps the state (SQS stops reporting an inactive
# queue after about six hours; a waiting message is no activity), as the schedules' alarms do.
resource "aws_cloudwatch_metric_alarm" "dead_letter" {
  alarm_name        = "${local.dead_letter_name}-NotEmpty"
  alarm_description = "EventBridge could not deliver an Object Created event of s3://${var.raw_bucket_name}/${local.landing_prefix}/ to ${local.function_name}: the file is not registered. The message in ${local.dead_letter_name} is the event; invoke the function's live alias with it, then empty the queue."

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.dead_letter.name
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "ignore"

  alarm_actions = [var.failure_topic_arn]
  ok_actions    = [var.failure_topic_arn]
}

# --- Batch run: state machine --------------------------------------------------------------------

data "aws_iam_policy_document" "state_machine" {
  # The NEW files, oldest first: a query on the state index, never a scan.
  statement {
    sid       = "QueryNewFiles"
    actions   = ["dynamodb:Query"]
    resources = [local.audit_state_index_arn]
  }

  # A task that failed after its retries records FAILED on that file's item.
  statement {
    sid       = "RecordFailedFiles"
    actions   = ["dynamodb:UpdateItem"]
    resources = [var.audit_table_arn]
  }

  # Only the live alias: not the unqualified function ($LATEST) nor another version.
  statement {
    sid       = "InvokeIntakeAlias"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.function.alias_arn]
  }

  # glue:startJobRun.sync starts the run, polls it and stops it when the task is cancelled (Step
  # Functions developer guide, "IAM policies for AWS Glue").
  statement {
    sid       = "RunLandingJobs"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [for job in aws_glue_job.this : job.arn]
  }

  statement {
    sid       = "PublishRunReport"
    actions   = ["sns:Publish"]
    resources = [var.failure_topic_arn]
  }

  statement {
    sid       = "UseTopicKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.sns_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
  }
}

module "state_machine" {
  source = "../state-machine"

  name               = local.state_machine_name
  alias_name         = local.alias_name
  definition         = templatefile(local.state_machine_definition_template, local.state_machine_definition_vars)
  task_policy_json   = data.aws_iam_policy_document.state_machine.json
  role_description   = "Execution role of the ${local.state_machine_name} state machine: queries NEW landed files, runs the landing function and Glue jobs, reports to the failure topic."
  log_retention_days = var.log_retention_days
}

# --- Batch run: schedule -------------------------------------------------------------------------

# Starts the state machine's live alias (hourly by default); a start Scheduler still cannot deliver
# after its retries goes to the dead-letter queue, whose alarm notifies the failure topic.
module "schedule" {
  source = "../daily-schedule"

  name                        = local.schedule_name
  description                 = "Starts ${local.state_machine_name}: the NEW files landed under s3://${var.raw_bucket_name}/${local.landing_prefix}/ -> bronze -> silver."
  target_kind                 = "state_machine"
  target_arn                  = module.state_machine.alias_arn
  target_name                 = local.state_machine_name
  state_machine_arn           = module.state_machine.state_machine_arn
  target_qualifier            = module.state_machine.alias_name
  input                       = jsonencode({ trigger = "schedule" })
  schedule_expression         = var.schedule_expression
  schedule_timezone           = var.schedule_timezone
  enabled                     = var.schedule_enabled
  dead_letter_queue           = true
  dead_letter_alarm_topic_arn = var.failure_topic_arn
}
