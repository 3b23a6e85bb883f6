# WordPress REST API -> raw JSON -> bronze Parquet, every morning:
#   two Lambda functions (functions/data_wordpressapi_raw, functions/data_wordpressapi_bronze) with
#   the shared helpers layer (functions/common) and the AWS SDK for pandas managed layer,
#   the WordPress_Raw_To_Bronze state machine (statemachine/wordpress_raw_to_bronze.asl.json),
#   and the EventBridge Scheduler schedule that starts it, with a dead-letter queue.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition

  # S3 prefix of this data source in both layers: the only keys the functions may read or write.
  data_source = "wordpress_api"

  functions_dir = "${path.module}/../../functions"

  state_machine_name = join("-", compact([var.name_prefix, var.state_machine_name]))
  schedule_name      = "${local.state_machine_name}-daily"

  # The managed layer's public parameter is keyed by release, Python version and architecture.
  pandas_layer_parameter = "/aws/service/aws-sdk-pandas/${var.pandas_layer_version}/py${trimprefix(var.lambda_runtime, "python")}/${var.lambda_architecture}/layer-arn"
  pandas_layer_arn       = var.pandas_layer_arn != null ? var.pandas_layer_arn : data.aws_ssm_parameter.pandas_layer[0].insecure_value

  functions = {
    raw = {
      seed        = "data_wordpressapi_raw"
      description = "WordPress REST API -> s3://<raw bucket>/${local.data_source}/<name>/<name>.json, every record of every endpoint."
      memory_size = var.raw_function_memory_size
      timeout     = var.raw_function_timeout
      # Lambda's default /tmp (512 MB): raw keeps pages in memory and uploads from there.
      ephemeral_storage_size = null
      environment = {
        RAW_BUCKET_PARAMETER    = var.raw_bucket_parameter_name
        SNS_TOPIC_PARAMETER     = var.raw_topic_parameter_name
        ENDPOINTS_PARAMETER     = aws_ssm_parameter.endpoints.name
        FETCH_CONCURRENCY       = tostring(var.fetch_concurrency)
        REQUEST_TIMEOUT_SECONDS = tostring(var.request_timeout_seconds)
        MAX_ATTEMPTS            = tostring(var.max_attempts)
        RETRY_BASE_SECONDS      = tostring(var.retry_base_seconds)
      }
    }
    bronze = {
      seed        = "data_wordpressapi_bronze"
      description = "s3://<raw bucket>/${local.data_source}/*.json -> s3://<bronze bucket>/${local.data_source}/<name>/<name>.parquet and its Glue table."
      memory_size = var.bronze_function_memory_size
      timeout     = var.bronze_function_timeout
      # The raw JSON object is downloaded to /tmp and the Parquet file written there before upload.
      ephemeral_storage_size = var.bronze_function_ephemeral_storage_size
      environment = {
        RAW_BUCKET_PARAMETER    = var.raw_bucket_parameter_name
        BRONZE_BUCKET_PARAMETER = var.bronze_bucket_parameter_name
        SNS_TOPIC_PARAMETER     = var.bronze_topic_parameter_name
        GLUE_DATABASE_NAME      = var.glue_database_name
      }
    }
  }

  function_names = { for key, function in local.functions : key => join("-", compact([var.name_prefix, function.seed])) }

  function_policies = {
    raw    = data.aws_iam_policy_document.raw_function.json
    bronze = data.aws_iam_policy_document.bronze_function.json
  }

  # Name of the alias of each function and of the state machine that callers use (never $LATEST).
  alias_name = "live"

  # templatefile convention shared by every state machine module (tests render it with real Terraform).
  # The tasks invoke each function's `live` alias, so a run uses the published version the alias
  # points at, never $LATEST.
  state_machine_definition_template = "${path.module}/../../statemachine/wordpress_raw_to_bronze.asl.json"
  state_machine_definition_vars = {
    raw_function_arn    = aws_lambda_alias.live["raw"].arn
    bronze_function_arn = aws_lambda_alias.live["bronze"].arn
    failure_topic_arn   = var.failure_stepfunction_topic_arn
    audit_table_name    = aws_dynamodb_table.audit.name
    # The silver state machine's `live` alias: a run starts the published silver version.
    silver_state_machine_arn = module.silver_state_machine.alias_arn
    # After a raw failure the run's datasets are the bronze tables (FAILED in the audit).
    bronze_database_name = var.glue_database_name
  }
}

# --- Configuration ---------------------------------------------------------------------------

resource "aws_ssm_parameter" "endpoints" {
  #checkov:skip=CKV2_AWS_34:Public WordPress endpoint URLs are not secrets, and a StringList parameter cannot be a SecureString.
  name        = var.endpoints_parameter_name
  description = "WordPress REST API endpoint URLs the data_wordpressapi_raw function pulls, comma-separated."
  type        = "StringList"
  value       = join(",", var.wordpress_endpoints)
}

data "aws_ssm_parameter" "pandas_layer" {
  count = var.pandas_layer_arn == null ? 1 : 0

  name = local.pandas_layer_parameter
}

# --- Packages --------------------------------------------------------------------------------

data "archive_file" "function" {
  for_each = local.functions

  type             = "zip"
  source_dir       = "${local.functions_dir}/${each.value.seed}/src"
  output_path      = "${path.root}/.build/${each.value.seed}.zip"
  output_file_mode = "0644"
  excludes         = ["**/__pycache__/**", "**/*.pyc"]
}

# functions/common holds python/lakehouse_common, so the package lands at /opt/python on Lambda.
data "archive_file" "common_layer" {
  type             = "zip"
  source_dir       = "${local.functions_dir}/common"
  output_path      = "${path.root}/.build/lakehouse_common.zip"
  output_file_mode = "0644"
  excludes         = ["**/__pycache__/**", "**/*.pyc"]
}

resource "aws_lambda_layer_version" "common" {
  layer_name               = join("-", compact([var.name_prefix, "lakehouse_common"]))
  description              = "lakehouse_common: SSM, SNS, S3 and logging helpers shared by the pipeline functions."
  filename                 = data.archive_file.common_layer.output_path
  source_code_hash         = data.archive_file.common_layer.output_base64sha256
  compatible_runtimes      = [var.lambda_runtime]
  compatible_architectures = [var.lambda_architecture]
}

# --- Functions -------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest; a customer managed key would add a key policy for the logs service and cost, and these logs hold only run summaries of public WordPress data.
  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# What every pipeline function needs, whatever its task: its own log group, the topic key for its
# alerts, and X-Ray. The two documents below add each function's task permissions.
data "aws_iam_policy_document" "function_base" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  statement {
    sid       = "UseTopicKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.sns_kms_key_arn]
  }

  statement {
    sid     = "WriteTraces"
    actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    # X-Ray trace segments have no resource ARN: AWS accepts only "*" for these actions.
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "raw_function" {
  source_policy_documents = [data.aws_iam_policy_document.function_base["raw"].json]

  statement {
    sid     = "ReadOwnParameters"
    actions = ["ssm:GetParameter"]
    resources = [
      var.raw_bucket_parameter_arn,
      var.raw_topic_parameter_arn,
      aws_ssm_parameter.endpoints.arn,
    ]
  }

  statement {
    sid       = "WriteRawObjects"
    actions   = ["s3:PutObject"]
    resources = ["${var.raw_bucket_arn}/${local.data_source}/*"]
  }

  statement {
    sid       = "PublishRawAlerts"
    actions   = ["sns:Publish"]
    resources = [var.raw_topic_arn]
  }
}

data "aws_iam_policy_document" "bronze_function" {
  source_policy_documents = [data.aws_iam_policy_document.function_base["bronze"].json]

  statement {
    sid     = "ReadOwnParameters"
    actions = ["ssm:GetParameter"]
    resources = [
      var.raw_bucket_parameter_arn,
      var.bronze_bucket_parameter_arn,
      var.bronze_topic_parameter_arn,
    ]
  }

  statement {
    sid       = "ReadRawObjects"
    actions   = ["s3:GetObject"]
    resources = ["${var.raw_bucket_arn}/${local.data_source}/*"]
  }

  statement {
    sid       = "WriteBronzeObjects"
    actions   = ["s3:PutObject"]
    resources = ["${var.bronze_bucket_arn}/${local.data_source}/*"]
  }

  statement {
    sid       = "ListRawObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.raw_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.data_source}/*"]
    }
  }

  # What AWS SDK for pandas' catalog.create_parquet_table(mode="overwrite") calls for an
  # unpartitioned table: GetTable, then CreateTable, or GetPartitions (none to delete) and UpdateTable.
  statement {
    sid = "RegisterBronzeTables"
    actions = [
      "glue:GetTable",
      "glue:CreateTable",
      "glue:GetPartitions",
      "glue:UpdateTable",
    ]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.glue_database_name}",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.glue_database_name}/*",
    ]
  }

  statement {
    sid       = "PublishBronzeAlerts"
    actions   = ["sns:Publish"]
    resources = [var.bronze_topic_arn]
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = local.function_names[each.key]
  description        = "Execution role of the ${local.function_names[each.key]} Lambda function."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = local.function_names[each.key]
  role   = aws_iam_role.function[each.key].id
  policy = local.function_policies[each.key]
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_116:Invoked synchronously by the state machine, which catches every failure and alerts; a dead-letter queue only receives asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The raw function calls a public WordPress site; inside a VPC it would need a NAT gateway (a fixed monthly cost) for no access-control gain, S3/SSM/SNS/Glue are reached with IAM.
  #checkov:skip=CKV_AWS_173:The environment holds only SSM parameter names, a database name and tuning numbers, no secrets; Lambda encrypts it at rest with an AWS managed key.
  #checkov:skip=CKV_AWS_272:Code is packaged and deployed from this repository by Terraform; code signing needs an AWS Signer profile and signed S3 uploads outside that flow.
  #checkov:skip=CKV_AWS_115:One execution a day runs each function once; reserving concurrency would take from the account pool (new accounts have only 10) and can fail the deployment.
  function_name    = local.function_names[each.key]
  description      = each.value.description
  role             = aws_iam_role.function[each.key].arn
  handler          = "lambda_function.lambda_handler"
  runtime          = var.lambda_runtime
  architectures    = [var.lambda_architecture]
  filename         = data.archive_file.function[each.key].output_path
  source_code_hash = data.archive_file.function[each.key].output_base64sha256
  memory_size      = each.value.memory_size
  timeout          = each.value.timeout
  layers           = [local.pandas_layer_arn, aws_lambda_layer_version.common.arn]
  # Every change of code or configuration publishes a new immutable version for the alias below.
  publish = true

  environment {
    variables = each.value.environment
  }

  dynamic "ephemeral_storage" {
    for_each = each.value.ephemeral_storage_size == null ? [] : [each.value.ephemeral_storage_size]

    content {
      size = ephemeral_storage.value
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function[each.key].name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = "Active"
  }

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.function]
}

# What the state machine invokes: the version published by the last apply. A roll back is pointing
# the alias at an earlier version.
resource "aws_lambda_alias" "live" {
  for_each = local.functions

  name             = local.alias_name
  description      = "The ${local.function_names[each.key]} version the ${local.state_machine_name} state machine invokes."
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version
}

# --- State machine ---------------------------------------------------------------------------

data "aws_iam_policy_document" "state_machine" {
  # Only the live aliases: not the unqualified function ($LATEST) nor any other version or alias.
  statement {
    sid     = "InvokePipelineFunctionAliases"
    actions = ["lambda:InvokeFunction"]
    resources = [
      aws_lambda_alias.live["raw"].arn,
      aws_lambda_alias.live["bronze"].arn,
    ]
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

  statement {
    sid       = "RecordAudit"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.audit.arn]
  }

  # After a raw failure the workflow records FAILED for every bronze table (the run's datasets).
  statement {
    sid       = "ListBronzeTables"
    actions   = ["glue:GetTables"]
    resources = [local.silver_glue_catalog_arn, local.bronze_glue_database_arn, local.bronze_glue_tables_arn]
  }

  # startExecution.sync:2 starts the silver workflow, follows its execution and stops it when this
  # task is cancelled (Step Functions developer guide, "IAM policies for Step Functions").
  statement {
    sid     = "StartSilverLiveAlias"
    actions = ["states:StartExecution"]
    # A start through an alias is authorized on the state machine ARN; the qualifier condition
    # allows only the `live` alias (Step Functions "Authorization for versions and aliases").
    resources = [module.silver_state_machine.state_machine_arn]

    condition {
      test     = "StringEquals"
      variable = "states:StateMachineQualifier"
      values   = [module.silver_state_machine.alias_name]
    }
  }

  statement {
    sid       = "FollowSilverExecutions"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = [local.silver_execution_arn_glob]
  }

  # .sync waits for the child execution through this EventBridge managed rule, which Step Functions
  # creates in the account; the rule's name is fixed by AWS.
  statement {
    sid       = "ManageSyncEventRule"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]
  }
}

module "state_machine" {
  source = "../state-machine"

  name               = local.state_machine_name
  alias_name         = local.alias_name
  definition         = templatefile(local.state_machine_definition_template, local.state_machine_definition_vars)
  task_policy_json   = data.aws_iam_policy_document.state_machine.json
  role_description   = "Execution role of the ${local.state_machine_name} state machine."
  log_group_name     = var.state_machine_log_group_name
  log_retention_days = var.log_retention_days
}

# --- Schedule --------------------------------------------------------------------------------

resource "aws_sqs_queue" "schedule_dead_letter" {
  name                      = "${local.schedule_name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "scheduler_assume_role" {
  statement {
    sid     = "SchedulerAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    # Confused-deputy guard: only schedules of this account may use the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "scheduler" {
  # Step Functions authorises a start through an alias on the unqualified state machine ARN; the
  # qualifier condition limits the role to the live alias (not $LATEST, not a version).
  statement {
    sid       = "StartPipelineLiveAlias"
    actions   = ["states:StartExecution"]
    resources = [module.state_machine.state_machine_arn]

    condition {
      test     = "StringEquals"
      variable = "states:StateMachineQualifier"
      values   = [module.state_machine.alias_name]
    }
  }

  statement {
    sid       = "DeadLetterUndeliveredStarts"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dead_letter.arn]
  }
}

resource "aws_iam_role" "scheduler" {
  name               = local.schedule_name
  description        = "Role EventBridge Scheduler uses to start the ${local.state_machine_name} state machine."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume_role.json
}

resource "aws_iam_role_policy" "scheduler" {
  name   = local.schedule_name
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule stores only a fixed, non-secret execution input; Scheduler encrypts it at rest with an AWS owned key, and a customer managed key would need a key policy for Scheduler.
  name                         = local.schedule_name
  description                  = "Starts ${local.state_machine_name}: WordPress REST API -> raw JSON -> bronze Parquet."
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    # The live alias: each run starts the published version it points at.
    arn      = module.state_machine.alias_arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ trigger = "schedule" })

    retry_policy {
      maximum_retry_attempts       = var.schedule_maximum_retry_attempts
      maximum_event_age_in_seconds = var.schedule_maximum_event_age_seconds
    }

    dead_letter_config {
      arn = aws_sqs_queue.schedule_dead_letter.arn
    }
  }
}

# --- Alarm: the schedule could not start the pipeline --------------------------------------------

# Scheduler sends a start it still cannot deliver after every retry to the dead-letter queue, so a
# visible message there means a morning run never started. The alarm stays in ALARM until the queue
# is emptied (messages are kept 14 days), then notifies OK. CloudWatch reads SQS's own metric, so the
# queue's SQS-managed encryption needs no key access.
#
# treat_missing_data = "ignore": SQS stops publishing metrics for a queue that has been inactive for
# about six hours, and a message that just sits in the queue is no activity. With "notBreaching" the
# missing data would turn the alarm back to OK (and send an OK message) while the undelivered start
# is still waiting; "ignore" keeps the alarm in its current state until data comes back. When the
# queue is emptied (a receive or delete is activity) SQS reports 0 again and the alarm returns to OK.
resource "aws_cloudwatch_metric_alarm" "schedule_dead_letter" {
  alarm_name        = "${local.schedule_name}-dlq-NotEmpty"
  alarm_description = "The ${local.schedule_name} schedule could not start ${local.state_machine_name}: its start request is in the ${aws_sqs_queue.schedule_dead_letter.name} dead-letter queue (the message says why). Start the run by hand, then empty the queue."

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.schedule_dead_letter.name
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "ignore"

  alarm_actions = [var.failure_stepfunction_topic_arn]
  ok_actions    = [var.failure_stepfunction_topic_arn]
}
