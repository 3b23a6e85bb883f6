# Replays failed executions (issue 12): the replay_failed_executions function
# (functions/replay_failed_executions) drains the failed-executions queue the alerting module fills
# and starts each failed execution of an allowed state machine again with its original input, on
# its own EventBridge Scheduler schedule. The function is built by modules/lambda-function, the
# schedule by modules/daily-schedule.

locals {
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

# --- Function --------------------------------------------------------------------------------------

# The function's task permissions; modules/lambda-function adds its own log group and X-Ray.
data "aws_iam_policy_document" "function" {
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
}

# The function with its log group, role, published version and `live` alias, which the schedule
# invokes (a roll back is pointing the alias at an earlier version).
module "function" {
  source = "../lambda-function"

  name         = local.function_name
  description  = "Drains the failed-executions queue and starts each failed execution of an allowed state machine again with its input (replay-<name>)."
  source_dir   = "${path.module}/../../functions/replay_failed_executions/src"
  runtime      = var.lambda_runtime
  architecture = var.lambda_architecture
  memory_size  = var.memory_size
  timeout      = var.timeout
  environment = {
    QUEUE_URL             = var.queue_url
    DEAD_LETTER_QUEUE_URL = var.dead_letter_queue_url
    STATE_MACHINE_ARNS    = join(",", var.state_machine_arns)
    MAX_REPLAYS           = tostring(var.max_replays)
    SUCCESS_TOPIC_ARN     = var.success_stepfunction_topic_arn
    FAILURE_TOPIC_ARN     = var.failure_stepfunction_topic_arn
  }
  layers             = [var.common_layer_arn]
  policy_json        = data.aws_iam_policy_document.function.json
  invoked_by         = "the ${local.schedule_name} schedule"
  log_level          = var.log_level
  log_retention_days = var.log_retention_days
}

# --- Schedule --------------------------------------------------------------------------------------

# The module's defaults: input {"trigger":"schedule"}, two retries within the hour, and no
# dead-letter queue (a replay that does not start today is retried by tomorrow's run, and the failed
# executions wait in their queue meanwhile).
module "schedule" {
  source = "../daily-schedule"

  name        = local.schedule_name
  description = "Invokes ${local.function_name}: replays the failed executions recorded in the failed-executions queue."
  target_kind = "lambda"
  target_arn  = module.function.alias_arn
  target_name = local.function_name

  schedule_expression = var.schedule_expression
  schedule_timezone   = var.schedule_timezone
  enabled             = var.schedule_enabled
}
