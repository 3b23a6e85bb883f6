# SNS topics of the project, encrypted with a customer managed key; email subscriptions; the SSM
# parameters of the data-layer topics; failure routing for Step Functions and error alarms for Lambda.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  # Topic key => seed name and the AWS services that publish to it: EventBridge failure routing and
  # the pipeline schedule's dead-letter alarm to failure-stepfunction; Lambda error alarms to
  # failure-lambda. Lambda functions and state machines publish with their own IAM roles, which need
  # no topic policy in the same account.
  topics = {
    failure_stepfunction = { seed = "failure-stepfunction", publishers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] }
    success_stepfunction = { seed = "success-stepfunction", publishers = [] }
    failure_lambda       = { seed = "failure-lambda", publishers = ["cloudwatch.amazonaws.com"] }
    raw                  = { seed = "data-lakehouse-raw", publishers = [] }
    bronze               = { seed = "data-lakehouse-bronze", publishers = [] }
  }

  subscriptions = {
    for pair in flatten([
      for key, addresses in var.alert_email_addresses : [
        for address in distinct(addresses) : { topic = key, address = address }
      ]
    ]) : "${pair.topic}:${pair.address}" => pair
  }

  topic_parameters = {
    raw    = var.raw_topic_parameter_name
    bronze = var.bronze_topic_parameter_name
  }

  # Failure routing: one failure, one message on failure-stepfunction (README, "Who says what").
  # A state machine that alerts itself (its definition catches every error, publishes the step, error
  # and cause, then fails) is routed only for what its definition cannot catch: TIMED_OUT and ABORTED.
  # Every other state machine is routed for FAILED, TIMED_OUT and ABORTED.
  failure_routes = {
    all_statuses = {
      name               = join("-", compact([var.name_prefix, "stepfunction-execution-failed-alert"]))
      description        = "Step Functions executions of the data lakehouse (state machines without their own failure alert) that end FAILED, TIMED_OUT or ABORTED."
      state_machine_arns = var.state_machine_arns
      event_pattern = jsonencode({
        source      = ["aws.states"]
        detail-type = ["Step Functions Execution Status Change"]
        detail = {
          status          = ["FAILED", "TIMED_OUT", "ABORTED"]
          stateMachineArn = var.state_machine_arns
        }
      })
    }
    timed_out_or_aborted = {
      name               = join("-", compact([var.name_prefix, "stepfunction-timed-out-aborted-alert"]))
      description        = "Step Functions executions of the data lakehouse's self-alerting state machines that end TIMED_OUT or ABORTED (their FAILED executions alert themselves)."
      state_machine_arns = var.self_alerting_state_machine_arns
      event_pattern = jsonencode({
        source      = ["aws.states"]
        detail-type = ["Step Functions Execution Status Change"]
        detail = {
          status          = ["TIMED_OUT", "ABORTED"]
          stateMachineArn = var.self_alerting_state_machine_arns
        }
      })
    }
  }

  all_state_machine_arns = concat(var.state_machine_arns, var.self_alerting_state_machine_arns)

  # A rule only for a list that is not empty (an empty list in a pattern matches nothing). The ARNs
  # are unknown until apply, but the lists' lengths are known, so the keys are known at plan time.
  routed_failures = { for key, route in local.failure_routes : key => route if length(route.state_machine_arns) > 0 }
}

# The AWS managed SNS key (alias/aws/sns) cannot be used here: its key policy cannot be changed, so
# CloudWatch alarms and EventBridge rules could not publish to topics encrypted with it.
module "sns_key" {
  source = "../kms-key"

  alias              = join("-", compact([var.name_prefix, "data-lakehouse-alerting"]))
  description        = "Encrypts the ${join("-", compact([var.name_prefix, "data-lakehouse"]))} SNS topics; CloudWatch alarms and EventBridge may use it to publish."
  service_principals = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
}

resource "aws_sns_topic" "this" {
  for_each = local.topics

  name              = join("-", compact([var.name_prefix, each.value.seed]))
  kms_master_key_id = module.sns_key.key_arn
}

data "aws_iam_policy_document" "topic" {
  for_each = local.topics

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sns:Publish"]
    resources = [
      aws_sns_topic.this[each.key].arn,
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

  dynamic "statement" {
    for_each = each.value.publishers

    content {
      sid     = "Allow${title(split(".", statement.value)[0])}Publish"
      actions = ["sns:Publish"]
      resources = [
        aws_sns_topic.this[each.key].arn,
      ]

      principals {
        type        = "Service"
        identifiers = [statement.value]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  for_each = aws_sns_topic.this

  arn    = each.value.arn
  policy = data.aws_iam_policy_document.topic[each.key].json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = local.subscriptions

  topic_arn = aws_sns_topic.this[each.value.topic].arn
  protocol  = "email"
  endpoint  = each.value.address
}

resource "aws_ssm_parameter" "topic_arn" {
  for_each = local.topic_parameters

  #checkov:skip=CKV2_AWS_34:A topic ARN is not a secret; functions read it with a plain GetParameter.
  name        = each.value
  description = "ARN of the ${aws_sns_topic.this[each.key].name} SNS topic (alerts of the ${each.key} data layer)."
  type        = "String"
  value       = aws_sns_topic.this[each.key].arn
}

# Every failure event of the project's state machines (FAILED, TIMED_OUT or ABORTED), whoever reports
# it: the one rule that consumers of all failure events attach their targets to. It sends no message;
# the failure_alert rules below do.
resource "aws_cloudwatch_event_rule" "state_machine_failed" {
  # The ARNs are unknown until apply; the list length is known, so count stays plannable.
  count = length(local.all_state_machine_arns) > 0 ? 1 : 0

  name        = join("-", compact([var.name_prefix, "stepfunction-execution-failed"]))
  description = "Step Functions executions of the data lakehouse that end FAILED, TIMED_OUT or ABORTED."

  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["FAILED", "TIMED_OUT", "ABORTED"]
      stateMachineArn = local.all_state_machine_arns
    }
  })
}

# Failure alerts: each execution end the state machine does not report itself becomes one readable
# message on the failure-stepfunction topic (local.failure_routes says which).
resource "aws_cloudwatch_event_rule" "failure_alert" {
  for_each = local.routed_failures

  name          = each.value.name
  description   = each.value.description
  event_pattern = each.value.event_pattern
}

resource "aws_cloudwatch_event_target" "failure_alert" {
  for_each = aws_cloudwatch_event_rule.failure_alert

  rule      = each.value.name
  target_id = "failure-stepfunction-topic"
  arn       = aws_sns_topic.this["failure_stepfunction"].arn

  input_transformer {
    input_paths = {
      state_machine = "$.detail.stateMachineArn"
      execution     = "$.detail.name"
      execution_arn = "$.detail.executionArn"
      status        = "$.detail.status"
      region        = "$.region"
      time          = "$.time"
    }
    input_template = "\"Step Functions execution <execution> of state machine <state_machine> ended <status> at <time>. Console: https://<region>.console.aws.amazon.com/states/home?region=<region>#/v2/executions/details/<execution_arn>\""
  }
}

# A function error reaches failure-lambda only: the state machine that invoked the function reports
# the failed run on failure-stepfunction itself.
resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = toset(var.lambda_function_names)

  alarm_name          = "${each.value}-errors"
  alarm_description   = "Lambda function ${each.value} reported an error (Errors > 0 in 5 minutes)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["failure_lambda"].arn]
}
