# Internal building block of the project's function modules (pipeline, failure-replay):
#   one Lambda function packaged from a source directory, its log group, its execution role with the
#   caller's task permissions plus its own logs and X-Ray, the function (every change published as a
#   version) and the `live` alias callers invoke.

locals {
  # Built next to the root module, like every package of the project (.build is git-ignored).
  package_path = "${path.root}/.build/${basename(dirname(var.source_dir))}.zip"
}

# --- Package ---------------------------------------------------------------------------------------

data "archive_file" "this" {
  type             = "zip"
  source_dir       = var.source_dir
  output_path      = local.package_path
  output_file_mode = "0644"
  excludes         = ["**/__pycache__/**", "**/*.pyc"]
}

# --- Logs ------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest; log_kms_key_arn adds a customer managed key where a caller's logs need one (its key policy must let the logs service use it). The project's functions log run summaries, names and ARNs, no secrets.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

# --- Role ------------------------------------------------------------------------------------------

# No aws:SourceAccount/aws:SourceArn condition: Lambda does not document sending them when it assumes
# a function's execution role, and a condition on a key that is absent would deny every invocation
# (tests/iam checks trust policies against what each service sends). Who may give the role to a
# function is governed by iam:PassRole.
data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# The caller's task permissions plus what every function needs: its own log group and X-Ray.
data "aws_iam_policy_document" "role" {
  source_policy_documents = [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid     = "WriteTraces"
    actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    # X-Ray trace segments have no resource ARN: AWS accepts only "*" for these actions.
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Execution role of the ${var.name} Lambda function."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.role.json
}

# --- Function --------------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:The project's functions are invoked synchronously (by a state machine that catches and reports every failure) or by a schedule that retries; a dead-letter queue only receives asynchronous invocations, and the alerting module alarms on every function's errors.
  #checkov:skip=CKV_AWS_117:The functions call public WordPress sites and AWS APIs reached with IAM; inside a VPC they would need a NAT gateway or endpoints (a fixed monthly cost) for no access-control gain.
  #checkov:skip=CKV_AWS_173:The environment holds only parameter names, queue URLs, ARNs and tuning numbers, never secrets (callers keep secrets in SSM); Lambda encrypts it at rest with an AWS managed key.
  #checkov:skip=CKV_AWS_272:Code is packaged and deployed from this repository by Terraform; code signing needs an AWS Signer profile and signed S3 uploads outside that flow.
  #checkov:skip=CKV_AWS_115:Each function runs once a day; reserving concurrency would take from the account pool (new accounts have only 10) and can fail the deployment.
  function_name    = var.name
  description      = var.description
  role             = aws_iam_role.this.arn
  handler          = var.handler
  runtime          = var.runtime
  architectures    = [var.architecture]
  filename         = data.archive_file.this.output_path
  source_code_hash = data.archive_file.this.output_base64sha256
  memory_size      = var.memory_size
  timeout          = var.timeout
  layers           = var.layers
  # Every change of code or configuration publishes a new immutable version for the alias below.
  publish = true

  environment {
    variables = var.environment
  }

  dynamic "ephemeral_storage" {
    for_each = var.ephemeral_storage_size == null ? [] : [var.ephemeral_storage_size]

    content {
      size = ephemeral_storage.value
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = "Active"
  }

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.this]
}

# What callers invoke: the version published by the last apply (never $LATEST). A roll back is
# pointing the alias at an earlier version.
resource "aws_lambda_alias" "live" {
  name             = var.alias_name
  description      = "The ${var.name} version ${var.invoked_by} invokes."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}
