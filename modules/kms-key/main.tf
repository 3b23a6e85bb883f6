# Internal building block (used by bootstrap/ and modules/alerting): a customer managed KMS key
# with yearly rotation, an alias, and a key policy in which the account administers the key and
# delegates its use to IAM policies, optionally letting AWS services use it too.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_109:This is a key policy: its "*" resource is this key alone, and the account must be able to administer its own key.
  #checkov:skip=CKV_AWS_111:This is a key policy: its "*" resource is this key alone, not every resource of the account.
  #checkov:skip=CKV_AWS_356:This is a key policy: "*" is the only way a key policy names its own key.
  statement {
    sid = "AccountAdministersKeyAndDelegatesUseToIam"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:Create*",
      "kms:Decrypt",
      "kms:Delete*",
      "kms:Describe*",
      "kms:Disable*",
      "kms:Enable*",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:Get*",
      "kms:List*",
      "kms:Put*",
      "kms:ReEncrypt*",
      "kms:Revoke*",
      "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:Update*",
    ]
    # In a key policy "*" means this key; the policy cannot name the key's own ARN before it exists.
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = length(var.service_principals) > 0 ? [var.service_principals] : []

    content {
      sid     = "ServicesEncryptWithKey"
      actions = ["kms:Decrypt", "kms:GenerateDataKey*"]
      # In a key policy "*" means this key; the policy cannot name the key's own ARN before it exists.
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = statement.value
      }
    }
  }

  # CloudWatch Logs encrypts a log group with the key only for the log groups named here.
  dynamic "statement" {
    for_each = length(var.cloudwatch_logs_log_group_arns) > 0 ? [var.cloudwatch_logs_log_group_arns] : []

    content {
      sid     = "CloudWatchLogsEncryptsLogGroups"
      actions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      # In a key policy "*" means this key; the policy cannot name the key's own ARN before it exists.
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${data.aws_region.current.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = statement.value
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
