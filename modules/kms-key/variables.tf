variable "alias" {
  description = "Alias of the key, without the alias/ prefix."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias must be 1-250 letters, digits, '/', '_' or '-', and must not start with aws/ (reserved for AWS managed keys)."
  }
}

variable "description" {
  description = "Description of the key: what it encrypts."
  type        = string

  validation {
    condition     = length(var.description) <= 8192
    error_message = "description must be at most 8192 characters."
  }
}

variable "service_principals" {
  description = "AWS service principals (for example events.amazonaws.com) that may use the key to encrypt and decrypt (kms:GenerateDataKey*, kms:Decrypt). Empty: only IAM principals of the account the key policy delegates to."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for principal in var.service_principals : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", principal))])
    error_message = "service_principals must be AWS service principals such as events.amazonaws.com."
  }
}

variable "cloudwatch_logs_log_group_arns" {
  description = "Log group ARNs (wildcards allowed) CloudWatch Logs may encrypt with the key (logs.<region>.amazonaws.com gets kms:Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe* for those log groups only). Empty: none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.cloudwatch_logs_log_group_arns : can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:.+$", arn))])
    error_message = "cloudwatch_logs_log_group_arns must be CloudWatch Logs log group ARNs (arn:aws:logs:<region>:<account>:log-group:<name>)."
  }
}

variable "deletion_window_in_days" {
  description = "Days a scheduled key deletion waits before the key is deleted (7 to 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number from 7 to 30."
  }
}
