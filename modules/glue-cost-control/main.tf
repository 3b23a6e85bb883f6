# Glue interactive-session cost control:
#   CloudTrail "CreateSession" record -> EventBridge rule -> GlueSession-WaitAndStop state machine
#   (wait, glue:GetSession, glue:StopSession while it runs, report to success-stepfunction). A FAILED,
#   TIMED_OUT or ABORTED execution reaches failure-stepfunction through the alerting module's failure
#   routing (one message each).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  state_machine_name = join("-", compact([var.name_prefix, var.state_machine_name]))

  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition

  glue_session_arns = "arn:${local.partition}:glue:${local.region}:${local.account_id}:session/*"

  # Successful Glue CreateSession calls as CloudTrail reports them to the default bus. A failed call
  # (the record carries an errorCode) created no session, so it starts nothing.
  create_session_event_pattern = {
    source        = ["aws.glue"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["glue.amazonaws.com"]
      eventName   = ["CreateSession"]
      errorCode   = [{ exists = false }]
    }
  }

  # The execution input: {"session_id": "<id from the record>", "wait_seconds": <number>,
  # "max_provisioning_looks": <number>, "provisioning_look_seconds": <number>}.
  # <session_id> sits inside quotes, so EventBridge inserts the string value as a JSON string; the
  # numbers are rendered by Terraform (the ASL reads them with *Path fields, which take input values,
  # so changing them needs no edit of the ASL file). A heredoc, not jsonencode: jsonencode escapes '<'
  # and '>'.
  event_input_paths = {
    session_id = "$.detail.requestParameters.id"
  }
  execution_input_template = <<-EOT
    {"session_id": "<session_id>", "wait_seconds": ${var.session_max_duration_seconds}, "max_provisioning_looks": ${var.max_provisioning_looks}, "provisioning_look_seconds": ${var.provisioning_look_seconds}}
  EOT

  state_machine_definition_template = "${path.module}/../../statemachine/glue_session_wait_and_stop.asl.json"
  # The look settings are rendered into the definition too, as the defaults of an execution started
  # by hand without them (the EventBridge input always carries them).
  state_machine_definition_vars = {
    success_topic_arn                 = var.success_stepfunction_topic_arn
    default_provisioning_look_count   = var.max_provisioning_looks
    default_provisioning_look_seconds = var.provisioning_look_seconds
  }
}

# --- State machine ----------------------------------------------------------------------------

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "LookAtAndStopGlueSessionsOfThisAccountAndRegion"
    actions   = ["glue:GetSession", "glue:StopSession"]
    resources = [local.glue_session_arns]
  }

  statement {
    sid       = "ReportToSuccessTopic"
    actions   = ["sns:Publish"]
    resources = [var.success_stepfunction_topic_arn]
  }

  statement {
    sid       = "EncryptMessagesForTheSuccessTopic"
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

  name = local.state_machine_name
  # STANDARD: exactly-once, and a Wait state costs nothing while it waits.
  type               = "STANDARD"
  definition         = templatefile(local.state_machine_definition_template, local.state_machine_definition_vars)
  task_policy_json   = data.aws_iam_policy_document.state_machine.json
  role_name          = "${local.state_machine_name}-states"
  role_description   = "Lets the ${local.state_machine_name} state machine look at and stop Glue interactive sessions and report to success-stepfunction."
  log_group_name     = var.log_group_name
  log_retention_days = var.log_retention_days
}

# --- EventBridge: CreateSession -> state machine ------------------------------------------------

resource "aws_cloudwatch_event_rule" "create_session" {
  name          = "${local.state_machine_name}-Trigger"
  description   = "Starts ${local.state_machine_name} for every successful Glue CreateSession call recorded by CloudTrail."
  event_pattern = jsonencode(local.create_session_event_pattern)
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.create_session.arn]
    }
  }
}

data "aws_iam_policy_document" "events" {
  # Step Functions authorises a start through an alias on the unqualified state machine ARN; the
  # qualifier condition limits the rule to the live alias (not $LATEST, not a version).
  statement {
    sid       = "StartThisStateMachineLiveAliasOnly"
    actions   = ["states:StartExecution"]
    resources = [module.state_machine.state_machine_arn]

    condition {
      test     = "StringEquals"
      variable = "states:StateMachineQualifier"
      values   = [module.state_machine.alias_name]
    }
  }
}

resource "aws_iam_role" "events" {
  name               = "${local.state_machine_name}-events"
  description        = "Lets the ${aws_cloudwatch_event_rule.create_session.name} EventBridge rule start the ${local.state_machine_name} state machine."
  assume_role_policy = data.aws_iam_policy_document.events_assume.json
}

resource "aws_iam_role_policy" "events" {
  name   = "start-${local.state_machine_name}"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

resource "aws_cloudwatch_event_target" "state_machine" {
  rule      = aws_cloudwatch_event_rule.create_session.name
  target_id = local.state_machine_name
  # The live alias: each session is watched by the published version it points at.
  arn      = module.state_machine.alias_arn
  role_arn = aws_iam_role.events.arn

  input_transformer {
    input_paths    = local.event_input_paths
    input_template = local.execution_input_template
  }
}
