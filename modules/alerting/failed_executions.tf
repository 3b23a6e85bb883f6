# The record of failed executions (issue 12): the failure routing rule in main.tf also delivers each
# FAILED, TIMED_OUT or ABORTED event, unchanged, to an SQS queue (read by modules/failure-replay,
# which starts the failed executions again) and to a CloudWatch Logs group kept for inspection.

locals {
  failed_executions_queue_name = join("-", compact([var.name_prefix, "stepfunction-failed-executions"]))
  # EventBridge only lists and writes log groups under /aws/events/ (its resource policy below).
  failure_events_log_group_name = "/aws/events/${join("-", compact([var.name_prefix, "stepfunction-failures"]))}"
}

# --- Queue of failed executions, with its dead-letter queue ---------------------------------------

resource "aws_sqs_queue" "failed_executions_dead_letter" {
  name                      = "${local.failed_executions_queue_name}-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  sqs_managed_sse_enabled   = true
}

# SSE-SQS, not a KMS key: EventBridge can send to an SSE-SQS queue without key permissions.
resource "aws_sqs_queue" "failed_executions" {
  name                       = local.failed_executions_queue_name
  message_retention_seconds  = 1209600 # 14 days, the SQS maximum
  visibility_timeout_seconds = var.failed_executions_visibility_timeout_seconds
  sqs_managed_sse_enabled    = true

  # A message the replay function received this many times without deleting it (it failed while
  # handling it, run after run) moves to the dead-letter queue instead of being retried forever.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.failed_executions_dead_letter.arn
    maxReceiveCount     = var.failed_executions_max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "failed_executions_dead_letter" {
  queue_url = aws_sqs_queue.failed_executions_dead_letter.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.failed_executions.arn]
  })
}

data "aws_iam_policy_document" "failed_executions_queue" {
  count = length(aws_cloudwatch_event_rule.state_machine_failed)

  statement {
    sid       = "AllowFailureRuleSend"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failed_executions.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only the failure routing rule may send: no other rule, account or service.
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.state_machine_failed[0].arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
    resources = [aws_sqs_queue.failed_executions.arn]

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

resource "aws_sqs_queue_policy" "failed_executions" {
  count = length(aws_cloudwatch_event_rule.state_machine_failed)

  queue_url = aws_sqs_queue.failed_executions.id
  policy    = data.aws_iam_policy_document.failed_executions_queue[0].json
}

resource "aws_cloudwatch_event_target" "failed_executions_queue" {
  count = length(aws_cloudwatch_event_rule.state_machine_failed)

  rule      = aws_cloudwatch_event_rule.state_machine_failed[0].name
  target_id = "failed-executions-queue"
  arn       = aws_sqs_queue.failed_executions.arn
  # No input transformer: the replay function reads the event exactly as EventBridge delivers it.

  depends_on = [aws_sqs_queue_policy.failed_executions]
}

# --- Log group of failure events -----------------------------------------------------------------

resource "aws_cloudwatch_log_group" "failure_events" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest; a customer managed key would need a key policy for the logs service, and these events hold execution names, ARNs and inputs of public WordPress data.
  name              = local.failure_events_log_group_name
  retention_in_days = var.log_retention_days
}

# The shape AWS documents for EventBridge -> CloudWatch Logs targets (EventBridge user guide,
# "CloudWatch Logs permissions"): events.amazonaws.com and delivery.logs.amazonaws.com may create
# streams and put events; here only in this log group. EventBridge ignores an IAM role for Logs
# targets, so this account-level resource policy is the only way to grant it.
data "aws_iam_policy_document" "failure_events_log_group" {
  statement {
    sid       = "TrustEventsToStoreLogEvent"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.failure_events.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "failure_events" {
  policy_name     = join("-", compact([var.name_prefix, "stepfunction-failures-events"]))
  policy_document = data.aws_iam_policy_document.failure_events_log_group.json
}

resource "aws_cloudwatch_event_target" "failure_events_log_group" {
  count = length(aws_cloudwatch_event_rule.state_machine_failed)

  rule      = aws_cloudwatch_event_rule.state_machine_failed[0].name
  target_id = "failure-events-log-group"
  arn       = aws_cloudwatch_log_group.failure_events.arn

  depends_on = [aws_cloudwatch_log_resource_policy.failure_events]
}
