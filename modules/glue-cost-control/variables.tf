variable "name_prefix" {
  description = "Prefix joined with '-' in front of every name this module creates. Empty keeps the seed names (GlueSession-WaitAndStop, ...)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "session_max_duration_seconds" {
  description = "How long a Glue interactive session may run before the state machine stops it, in seconds. Passed to each execution as wait_seconds, so changing it needs no edit of the ASL file."
  type        = number
  default     = 1800

  validation {
    condition     = var.session_max_duration_seconds >= 1 && var.session_max_duration_seconds <= 31536000 && floor(var.session_max_duration_seconds) == var.session_max_duration_seconds
    error_message = "session_max_duration_seconds must be a whole number of seconds from 1 to 31536000 (a Standard workflow's one-year limit)."
  }
}

variable "max_provisioning_looks" {
  description = "How many times the state machine looks at a session (glue:GetSession) before it gives up: a session still PROVISIONING at the last look ends the execution FAILED (GlueSessionStillProvisioning), which the alerting module's failure routing rule reports on failure-stepfunction (there is no ExecutionsFailed alarm). Looks after an IllegalSessionStateException from StopSession count too. The default, 21 looks provisioning_look_seconds (30) apart, waits up to 10 minutes for provisioning to end. Passed to each execution as max_provisioning_looks."
  type        = number
  default     = 21

  validation {
    # Each look adds about 12 events to the execution history; 1000 looks stay well below a Standard
    # execution's 25,000-event limit.
    condition     = var.max_provisioning_looks >= 1 && var.max_provisioning_looks <= 1000 && floor(var.max_provisioning_looks) == var.max_provisioning_looks
    error_message = "max_provisioning_looks must be a whole number from 1 to 1000."
  }
}

variable "provisioning_look_seconds" {
  description = "Seconds between two looks at a session that is still PROVISIONING (or that changed state while it was being stopped). Passed to each execution as provisioning_look_seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.provisioning_look_seconds >= 1 && var.provisioning_look_seconds <= 3600 && floor(var.provisioning_look_seconds) == var.provisioning_look_seconds
    error_message = "provisioning_look_seconds must be a whole number of seconds from 1 to 3600."
  }
}

variable "success_stepfunction_topic_arn" {
  description = "ARN of the success-stepfunction SNS topic the state machine reports each stopped session to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.success_stepfunction_topic_arn))
    error_message = "success_stepfunction_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "sns_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the SNS topics. The state machine role gets kms:GenerateDataKey and kms:Decrypt on it so it can publish to the encrypted success topic."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)."
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

variable "state_machine_name" {
  description = "Seed name of the state machine; name_prefix is joined in front when set. Also names the rule and roles (<name>-...), so at most 35 characters."
  type        = string
  default     = "GlueSession-WaitAndStop"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,35}$", var.state_machine_name))
    error_message = "state_machine_name must be 1-35 characters of letters, digits, '-' and '_'."
  }
}

variable "log_group_name" {
  description = "Name of the state machine's CloudWatch log group. Null gives /aws/vendedlogs/states/<state machine name>-Logs, which is /aws/vendedlogs/states/GlueSession-WaitAndStop-Logs without a name_prefix (the /aws/vendedlogs/ prefix keeps CloudWatch Logs resource policies small)."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_name == null || can(regex("^[A-Za-z0-9_./#-]{1,512}$", var.log_group_name))
    error_message = "log_group_name must be null or 1-512 characters of letters, digits, '_', '-', '/', '.' and '#'."
  }
}
