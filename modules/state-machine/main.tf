# Internal building block of the project's state machine modules (pipeline, glue-cost-control):
#   the Step Functions state machine, its execution role (trust scoped to this account and this
#   state machine), the role's inline policy (the caller's task permissions plus log delivery and
#   X-Ray), and the vended-logs log group its executions log to.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition

  # Known before the state machine exists, so its role's trust policy can name it without a cycle.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}"
  log_group_name    = coalesce(var.log_group_name, "/aws/vendedlogs/states/${var.name}-Logs")
  role_name         = coalesce(var.role_name, var.name)
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest; a customer managed key would add a key policy for the logs service and cost, and these logs hold only the execution events of the chosen level. The project's one KMS key is the SNS key, whose policy is written for SNS publishers.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "StepFunctionsAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    # Confused-deputy guard: only this state machine of this account may use the role. Executions
    # run through a published version or the live alias, so the ARN Step Functions presents may be
    # qualified (<arn>:<version> or <arn>:<alias>): both forms are accepted, nothing else.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.state_machine_arn, "${local.state_machine_arn}:*"]
    }
  }
}

# The caller's task permissions plus what every state machine needs to log and trace.
data "aws_iam_policy_document" "role" {
  source_policy_documents = [var.task_policy_json]

  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    # Step Functions sets up log delivery through CloudWatch Logs' vended-logs API, whose actions
    # support no resource-level permissions: AWS requires "*" here (Step Functions developer guide, "IAM policies for logging").
    resources = ["*"]
  }

  statement {
    sid = "WriteTraces"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    # X-Ray segments and sampling rules have no resource ARN: AWS accepts only "*" for these actions.
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  name               = local.role_name
  description        = var.role_description
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  lifecycle {
    precondition {
      condition     = length(local.role_name) <= 64
      error_message = "The role name ${local.role_name} is longer than IAM's 64 characters: shorten name (or name_prefix), or set role_name."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = local.role_name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.role.json
}

resource "aws_sfn_state_machine" "this" {
  name       = var.name
  role_arn   = aws_iam_role.this.arn
  type       = var.type
  definition = var.definition
  # Every change of the definition or configuration publishes a new immutable version; callers start
  # the `live` alias below, never the unversioned ARN (Step Functions' incremental deployment guidance).
  publish = true

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = true
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = true
  }

  # Step Functions checks the role can deliver logs when the state machine is created, and the first
  # execution needs the task permissions.
  depends_on = [aws_iam_role_policy.this]
}

# The alias callers start (schedules, EventBridge targets): it routes every execution to the version
# published by the last apply. A roll back points it at an earlier version.
resource "aws_sfn_alias" "live" {
  name        = var.alias_name
  description = "The ${var.name} version in service: started by the schedules and rules that run it."

  routing_configuration {
    state_machine_version_arn = aws_sfn_state_machine.this.state_machine_version_arn
    weight                    = 100
  }
}
