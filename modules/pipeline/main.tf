# WordPress REST API -> raw JSON -> bronze Parquet, every morning:
#   two Lambda functions (functions/data_wordpressapi_raw, functions/data_wordpressapi_bronze) with
#   the shared helpers layer (functions/common) and the AWS SDK for pandas managed layer,
#   the WordPress_Raw_To_Bronze state machine (statemachine/wordpress_raw_to_bronze.asl.json),
#   and the EventBridge Scheduler schedule that starts it, with a dead-letter queue.
# Each function is built by modules/lambda-function, the schedule by modules/daily-schedule.

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
      description = "WordPress REST API -> s3://<raw bucket>/${local.data_source}/<name>/<run id>/, each run's full load or increment."
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
        LOOKBACK_MINUTES        = tostring(var.lookback_minutes)
        DETECT_DELETIONS        = tostring(var.detect_deletions)
        PAGES_PER_INVOCATION    = tostring(var.pages_per_invocation)
        FULL_RELOAD_DAYS        = tostring(var.full_reload_days)
        INCREMENTAL_DATASETS    = join(",", var.incremental_datasets)
      }
    }
    bronze = {
      seed        = "data_wordpressapi_bronze"
      description = "A run's raw objects -> the current snapshot s3://<bronze bucket>/${local.data_source}/<name>/<name>.parquet (an Update merged in) and its Glue table."
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
    raw_function_arn    = module.function["raw"].alias_arn
    bronze_function_arn = module.function["bronze"].alias_arn
    failure_topic_arn   = var.failure_stepfunction_topic_arn
    audit_table_name    = aws_dynamodb_table.audit.name
    # The silver state machine's `live` alias: a run starts the published silver version.
    silver_state_machine_arn = module.silver_state_machine.alias_arn
    # After a raw failure the run's datasets are the bronze tables (FAILED in the audit).
    bronze_database_name = var.glue_database_name
    # Each dataset's watermark and last full load: the Choice between InitialLoad and Update.
    load_state_table_name = aws_dynamodb_table.load_state.name
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

# What both pipeline functions need besides their task: the topic key for their alerts. The two
# documents below add each function's task permissions; modules/lambda-function adds its own log
# group and X-Ray.
data "aws_iam_policy_document" "function_base" {
  statement {
    sid       = "UseTopicKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.sns_kms_key_arn]
  }
}

data "aws_iam_policy_document" "raw_function" {
  source_policy_documents = [data.aws_iam_policy_document.function_base.json]

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
  source_policy_documents = [data.aws_iam_policy_document.function_base.json]

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

  # The current snapshot is read to merge an Update into it, then replaced; the run's increment and
  # published ids go under _runs/ for the silver job.
  # An InitialLoad's snapshot is a server-side copy of the run's increment under _runs/.
  statement {
    sid     = "ReadBronzeSnapshots"
    actions = ["s3:GetObject"]
    resources = [
      "${var.bronze_bucket_arn}/${local.data_source}/*",
      "${var.bronze_bucket_arn}/_runs/${local.data_source}/*",
    ]
  }

  statement {
    sid     = "WriteBronzeObjects"
    actions = ["s3:PutObject"]
    resources = [
      "${var.bronze_bucket_arn}/${local.data_source}/*",
      "${var.bronze_bucket_arn}/_runs/${local.data_source}/*",
    ]
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

# Each function with its log group, role, published version and `live` alias, which the state
# machine invokes (a roll back is pointing the alias at an earlier version).
module "function" {
  source   = "../lambda-function"
  for_each = local.functions

  name                   = local.function_names[each.key]
  description            = each.value.description
  source_dir             = "${local.functions_dir}/${each.value.seed}/src"
  runtime                = var.lambda_runtime
  architecture           = var.lambda_architecture
  memory_size            = each.value.memory_size
  timeout                = each.value.timeout
  ephemeral_storage_size = each.value.ephemeral_storage_size
  environment            = each.value.environment
  layers                 = [local.pandas_layer_arn, aws_lambda_layer_version.common.arn]
  policy_json            = local.function_policies[each.key]
  invoked_by             = "the ${local.state_machine_name} state machine"
  alias_name             = local.alias_name
  log_level              = var.log_level
  log_retention_days     = var.log_retention_days
}

# --- State machine ---------------------------------------------------------------------------

data "aws_iam_policy_document" "state_machine" {
  # Only the live aliases: not the unqualified function ($LATEST) nor any other version or alias.
  statement {
    sid     = "InvokePipelineFunctionAliases"
    actions = ["lambda:InvokeFunction"]
    resources = [
      module.function["raw"].alias_arn,
      module.function["bronze"].alias_arn,
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

  # Each dataset's watermark and last full load decide InitialLoad or Update (read only here: the
  # silver workflow advances them).
  statement {
    sid       = "ReadLoadState"
    actions   = ["dynamodb:GetItem"]
    resources = [aws_dynamodb_table.load_state.arn]
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

# Starts the state machine's live alias every morning; a start Scheduler still cannot deliver after
# its retries goes to the dead-letter queue, whose alarm notifies failure-stepfunction.
module "schedule" {
  source = "../daily-schedule"

  name                        = local.schedule_name
  description                 = "Starts ${local.state_machine_name}: WordPress REST API -> raw JSON -> bronze Parquet."
  target_kind                 = "state_machine"
  target_arn                  = module.state_machine.alias_arn
  target_name                 = local.state_machine_name
  state_machine_arn           = module.state_machine.state_machine_arn
  target_qualifier            = module.state_machine.alias_name
  input                       = jsonencode({ trigger = "schedule" })
  schedule_expression         = var.schedule_expression
  schedule_timezone           = var.schedule_timezone
  enabled                     = var.schedule_enabled
  maximum_retry_attempts      = var.schedule_maximum_retry_attempts
  maximum_event_age_seconds   = var.schedule_maximum_event_age_seconds
  dead_letter_queue           = true
  dead_letter_alarm_topic_arn = var.failure_stepfunction_topic_arn
}
