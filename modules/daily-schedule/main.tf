# Internal building block of the project's scheduled modules (pipeline, failure-replay):
#   one EventBridge Scheduler schedule that starts a state machine alias or invokes a Lambda alias,
#   its role (trusted by Scheduler for this account, allowed only that target), and optionally a
#   dead-letter queue for starts it could not deliver, with the alarm on it (dead_letter_queue).

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  starts_state_machine = var.target_kind == "state_machine"
  verb                 = local.starts_state_machine ? "start" : "invoke"
}

# --- Dead-letter queue ---------------------------------------------------------------------------

resource "aws_sqs_queue" "dead_letter" {
  count = var.dead_letter_queue ? 1 : 0

  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# --- Role ----------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume_role" {
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

data "aws_iam_policy_document" "role" {
  # Step Functions authorises a start through an alias on the unqualified state machine ARN; the
  # qualifier condition limits the role to the alias (not $LATEST, not a version).
  dynamic "statement" {
    for_each = local.starts_state_machine ? [var.state_machine_arn] : []

    content {
      sid       = "StartTargetAlias"
      actions   = ["states:StartExecution"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "states:StateMachineQualifier"
        values   = [var.target_qualifier]
      }
    }
  }

  # A Lambda alias is invoked on its own (qualified) ARN.
  dynamic "statement" {
    for_each = local.starts_state_machine ? [] : [var.target_arn]

    content {
      sid       = "InvokeTargetAlias"
      actions   = ["lambda:InvokeFunction"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = aws_sqs_queue.dead_letter

    content {
      sid       = "DeadLetterUndelivered${title(local.verb)}s"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.dead_letter[0].arn]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Role EventBridge Scheduler uses to ${local.verb} the ${var.target_name} ${local.starts_state_machine ? "state machine" : "function"}."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.role.json
}

# --- Schedule ------------------------------------------------------------------------------------

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule stores only a fixed, non-secret input; Scheduler encrypts it at rest with an AWS owned key, and a customer managed key would need a key policy for Scheduler.
  name                         = var.name
  description                  = var.description
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    # The live alias: each run starts (or invokes) the published version it points at.
    arn      = var.target_arn
    role_arn = aws_iam_role.this.arn
    input    = var.input

    retry_policy {
      maximum_retry_attempts       = var.maximum_retry_attempts
      maximum_event_age_in_seconds = var.maximum_event_age_seconds
    }

    dynamic "dead_letter_config" {
      for_each = aws_sqs_queue.dead_letter

      content {
        arn = aws_sqs_queue.dead_letter[0].arn
      }
    }
  }
}

# --- Alarm: the schedule could not start its target ----------------------------------------------

# Scheduler sends a start it still cannot deliver after every retry to the dead-letter queue, so a
# visible message there means a run never started. The alarm stays in ALARM until the queue is
# emptied (messages are kept 14 days), then notifies OK. CloudWatch reads SQS's own metric, so the
# queue's SQS-managed encryption needs no key access.
#
# treat_missing_data = "ignore": SQS stops publishing metrics for a queue that has been inactive for
# about six hours, and a message that just sits in the queue is no activity. With "notBreaching" the
# missing data would turn the alarm back to OK (and send an OK message) while the undelivered start
# is still waiting; "ignore" keeps the alarm in its current state until data comes back. When the
# queue is emptied (a receive or delete is activity) SQS reports 0 again and the alarm returns to OK.
resource "aws_cloudwatch_metric_alarm" "dead_letter" {
  count = var.dead_letter_queue ? 1 : 0

  alarm_name        = "${var.name}-dlq-NotEmpty"
  alarm_description = "The ${var.name} schedule could not ${local.verb} ${var.target_name}: its ${local.verb} request is in the ${aws_sqs_queue.dead_letter[0].name} dead-letter queue (the message says why). ${title(local.verb)} the run by hand, then empty the queue."

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.dead_letter[0].name
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "ignore"

  alarm_actions = [var.dead_letter_alarm_topic_arn]
  ok_actions    = [var.dead_letter_alarm_topic_arn]
}
