variable "name" {
  description = "Full name of the state machine (any name_prefix already joined in). Also names the role and its inline policy unless role_name is set, and the default log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.name))
    error_message = "name must be 1-80 characters of letters, digits, '-' and '_' (Step Functions' limit)."
  }
}

variable "definition" {
  description = "The Amazon States Language definition as rendered JSON, e.g. templatefile(local.state_machine_definition_template, local.state_machine_definition_vars)."
  type        = string

  validation {
    condition     = can(jsondecode(var.definition).States)
    error_message = "definition must be a JSON state machine definition with a States object."
  }
}

variable "type" {
  description = "Workflow type: STANDARD (exactly-once, up to a year, Wait states cost nothing) or EXPRESS."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.type)
    error_message = "type must be STANDARD or EXPRESS."
  }
}

variable "log_group_name" {
  description = "Name of the state machine's CloudWatch log group. Null gives /aws/vendedlogs/states/<name>-Logs (the /aws/vendedlogs/ prefix keeps CloudWatch Logs resource policies small)."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_name == null || can(regex("^[A-Za-z0-9_./#-]{1,512}$", var.log_group_name))
    error_message = "log_group_name must be null or 1-512 characters of letters, digits, '_', '-', '/', '.' and '#'."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine's log group, in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_level" {
  description = "Which execution events are logged (with execution data): ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be one of ALL, ERROR, FATAL, OFF."
  }
}

variable "task_policy_json" {
  description = "JSON of the caller's data \"aws_iam_policy_document\" holding only the workflow's task permissions (invoke, publish, ...). Merged into the role policy with this module's log delivery (DeliverExecutionLogs) and X-Ray (WriteTraces) statements; its statement sids must differ from those two."
  type        = string

  validation {
    condition     = can(jsondecode(var.task_policy_json).Statement)
    error_message = "task_policy_json must be an IAM policy document (JSON with a Statement), e.g. data.aws_iam_policy_document.<name>.json."
  }
}

variable "role_description" {
  description = "Description of the state machine's execution role: what the workflow may do."
  type        = string

  validation {
    condition     = length(var.role_description) >= 1 && length(var.role_description) <= 1000
    error_message = "role_description must be 1-1000 characters."
  }
}

variable "role_name" {
  description = "Name of the execution role and its inline policy. Null uses name (then name must be at most 64 characters, IAM's limit)."
  type        = string
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be null or 1-64 characters of letters, digits and '+=,.@_-'."
  }
}

variable "alias_name" {
  description = "Name of the alias that routes every execution to the latest published version; callers start it (its ARN is the alias_arn output)."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name))
    error_message = "alias_name must be 1-80 letters, digits, '-' or '_', and not only digits (a number names a version)."
  }
}
