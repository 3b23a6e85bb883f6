# Replays failed executions (issue 12): the replay_failed_executions function
# (functions/replay_failed_executions) drains the failed-executions queue the alerting module fills
# and starts each failed execution of an allowed state machine again with its original input, on
# its own EventBridge Scheduler schedule.

data "aws_caller_identity" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  function_name = join("-", compact([var.name_prefix, "replay_failed_executions"]))
  schedule_name = "${local.function_name}-daily"

  # An entry may be qualified (a version or the `live` alias): the replay starts on the entry as
  # given; executions are listed on, and belong to, the state machine itself.
  state_machine_arns = distinct([for arn in var.state_machine_arns : join(":", slice(split(":", arn), 0, 7))])
  # Step Functions authorizes a start through a version or alias on the unqualified state machine ARN;
  # the condition key states:StateMachineQualifier narrows it to the qualifiers given
  # ("Authorization for versions and aliases in Step Functions workflows"). Unqualified entries: none.
  start_qualifiers = distinct([for arn in var.state_machine_arns : element(split(":", arn), 7) if length(split(":", arn)) == 8])
  starts_qualified = length(local.start_qualifiers) > 0 && alltrue([for arn in var.state_machine_arns : length(split(":", arn)) == 8])
  execution_arns   = [for arn in local.state_machine_arns : "${replace(arn, ":stateMachine:", ":execution:")}:*"]
}

# --- Package ---------------------------------------------------------------------------------------

data "archive_file" "function" {
  type             = "zip"
  source_dir       = "${path.module}/../../functions/replay_failed_executions/src"
  output_path      = "${path.root}/.build/replay_failed_executions.zip"
  output_file_mode = "0644"
  excludes         = ["**/__pycache__/**", "**/*.pyc"]
}

# --- Function --------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest; a customer managed key would add a key policy for the logs service and cost, and these logs hold only execution names and ARNs.
  name              = "/aws/lambda/${local.function_name}"
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

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  statement {
    sid       = "DrainFailedExecutions"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
    resources = [var.queue_arn]
  }

  statement {
    sid       = "DeadLetterUnreadableMessages"
    actions   = ["sqs:SendMessage"]
    resources = [var.dead_letter_queue_arn]
  }

  statement {
    sid       = "ReadExecutions"
    actions   = ["states:DescribeExecution"]
    resources = local.execution_arns
  }

  statement {
    sid       = "ListExecutions"
    actions   = ["states:ListExecutions"]
    resources = local.state_machine_arns
  }

  statement {
    sid       = "StartReplays"
    actions   = ["states:StartExecution"]
    resources = local.state_machine_arns

    dynamic "condition" {
      for_each = local.starts_qualified ? [local.start_qualifiers] : []

      content {
        test     = "StringEquals"
        variable = "states:StateMachineQualifier"
        values   = condition.value
      }
    }
  }

  statement {
    sid       = "PublishSummaries"
    actions   = ["sns:Publish"]
    resources = [var.success_stepfunction_topic_arn, var.failure_stepfunction_topic_arn]
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

resource "aws_iam_role" "function" {
  name               = local.function_name
  description        = "Execution role of the ${local.function_name} Lambda function."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "function" {
  name   = local.function_name
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:A failed run loses nothing: undeleted messages stay in the failed-executions queue for the next run (its redrive policy dead-letters what keeps failing), and the alerting module alarms on the function's errors.
  #checkov:skip=CKV_AWS_117:The function calls only SQS, Step Functions and SNS through IAM; inside a VPC it would need endpoints or a NAT gateway for no access-control gain.
  #checkov:skip=CKV_AWS_173:The environment holds only a queue URL, ARNs and a number, no secrets; Lambda encrypts it at rest with an AWS managed key.
  #checkov:skip=CKV_AWS_272:Code is packaged and deployed from this repository by Terraform; code signing needs an AWS Signer profile and signed S3 uploads outside that flow.
  #checkov:skip=CKV_AWS_115:One run a day; reserving concurrency would take from the account pool (new accounts have only 10) and can fail the deployment. Concurrent runs are safe: replay names are unique.
  function_name    = local.function_name
  description      = "Drains the failed-executions queue and starts each failed execution of an allowed state machine again with its input (replay-<name>)."
  role             = aws_iam_role.function.arn
  handler          = "lambda_function.lambda_handler"
  runtime          = var.lambda_runtime
  architectures    = [var.lambda_architecture]
  filename         = data.archive_file.function.output_path
  source_code_hash = data.archive_file.function.output_base64sha256
  memory_size      = var.memory_size
  timeout          = var.timeout
  layers           = [var.common_layer_arn]
  # Every change of code or configuration publishes a new immutable version for the alias below.
  publish = true

  environment {
    variables = {
      QUEUE_URL             = var.queue_url
      DEAD_LETTER_QUEUE_URL = var.dead_letter_queue_url
      STATE_MACHINE_ARNS    = join(",", var.state_machine_arns)
      MAX_REPLAYS           = tostring(var.max_replays)
      SUCCESS_TOPIC_ARN     = var.success_stepfunction_topic_arn
      FAILURE_TOPIC_ARN     = var.failure_stepfunction_topic_arn
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function.name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = "Active"
  }

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.function]
}

# What the schedule invokes: the version published by the last apply (never $LATEST). A roll back is
# pointing the alias at an earlier version.
resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "The ${local.function_name} version the ${local.schedule_name} schedule invokes."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

# --- Schedule --------------------------------------------------------------------------------------

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
  statement {
    sid       = "InvokeReplayFunctionAlias"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_alias.live.arn]
  }
}

resource "aws_iam_role" "scheduler" {
  name               = local.schedule_name
  description        = "Role EventBridge Scheduler uses to invoke the ${local.function_name} function."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume_role.json
}

resource "aws_iam_role_policy" "scheduler" {
  name   = local.schedule_name
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule stores only a fixed, empty input; Scheduler encrypts it at rest with an AWS owned key, and a customer managed key would need a key policy for Scheduler.
  name                         = local.schedule_name
  description                  = "Invokes ${local.function_name}: replays the failed executions recorded in the failed-executions queue."
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_alias.live.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ trigger = "schedule" })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }
}
