variable "name_prefix" {
  description = "Prefix joined with '-' in front of the function, role and schedule names. Empty keeps the seed name replay_failed_executions."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

# --- The record (modules/alerting) -----------------------------------------------------------------

variable "queue_url" {
  description = "URL of the failed-executions SQS queue the function drains (alerting module output failed_executions_queue_url)."
  type        = string

  validation {
    condition     = can(regex("^https://", var.queue_url))
    error_message = "queue_url must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)."
  }
}

variable "queue_arn" {
  description = "ARN of the failed-executions queue (for the receive/delete grant)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$", var.queue_arn))
    error_message = "queue_arn must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)."
  }
}

variable "dead_letter_queue_url" {
  description = "URL of the failed-executions dead-letter queue, where the function sends messages it cannot read."
  type        = string

  validation {
    condition     = can(regex("^https://", var.dead_letter_queue_url))
    error_message = "dead_letter_queue_url must be an SQS queue URL."
  }
}

variable "dead_letter_queue_arn" {
  description = "ARN of the failed-executions dead-letter queue (for the send grant)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$", var.dead_letter_queue_arn))
    error_message = "dead_letter_queue_arn must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)."
  }
}

variable "state_machine_arns" {
  description = "State machines whose failed executions may be replayed: their ARNs, or qualified ARNs (the `live` alias where releases are versioned), on which the replay starts. Only the pipeline's: a Glue cost control execution's session is gone by replay time."
  type        = list(string)

  validation {
    condition     = length(var.state_machine_arns) > 0
    error_message = "state_machine_arns must name at least one state machine."
  }

  validation {
    condition     = alltrue([for arn in var.state_machine_arns : can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", arn))])
    error_message = "state_machine_arns must hold state machine ARNs (arn:aws:states:<region>:<account>:stateMachine:<name>[:<version or alias>])."
  }
}

variable "max_replays" {
  description = "How many times one failure is replayed: a replay that fails again after this many replays is not replayed and alerts failure-stepfunction (it needs a person). 0 never replays."
  type        = number
  default     = 1

  validation {
    condition     = var.max_replays >= 0 && var.max_replays <= 5 && floor(var.max_replays) == var.max_replays
    error_message = "max_replays must be a whole number from 0 to 5."
  }
}

# --- Alerts ----------------------------------------------------------------------------------------

variable "success_stepfunction_topic_arn" {
  description = "ARN of the success-stepfunction topic: one summary per run that replayed something."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.success_stepfunction_topic_arn))
    error_message = "success_stepfunction_topic_arn must be an SNS topic ARN."
  }
}

variable "failure_stepfunction_topic_arn" {
  description = "ARN of the failure-stepfunction topic: one alert per run with failures that need a person."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.failure_stepfunction_topic_arn))
    error_message = "failure_stepfunction_topic_arn must be an SNS topic ARN."
  }
}

variable "sns_kms_key_arn" {
  description = "ARN of the KMS key encrypting the topics (the function needs kms:GenerateDataKey and kms:Decrypt on it to publish)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

# --- Function --------------------------------------------------------------------------------------

variable "common_layer_arn" {
  description = "Versioned ARN of the lakehouse_common layer (pipeline module output common_layer_arn), so the layer is built once."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.common_layer_arn))
    error_message = "common_layer_arn must be a versioned Lambda layer ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the function; the common layer must be compatible with it (the pipeline builds it for its runtime)."
  type        = string
  default     = "python3.13"

  validation {
    condition     = can(regex("^python3\\.1[0-9]$", var.lambda_runtime))
    error_message = "lambda_runtime must be a Python 3.10+ Lambda runtime such as python3.13."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the function: x86_64 or arm64 (keep it equal to the pipeline's, which builds the common layer)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory of the function, in MB."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout of the function, in seconds. It stops receiving 30 s before; keep it below the queue's visibility timeout (alerting: 900 s)."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 60 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 60 to 900."
  }
}

variable "log_level" {
  description = "Application log level of the function (Lambda's JSON log format filters below it)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

# --- Schedule --------------------------------------------------------------------------------------

variable "schedule_expression" {
  description = "EventBridge Scheduler expression of the replay run (default 13:00, six hours after the pipeline's 07:00 run)."
  type        = string
  default     = "cron(0 13 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be a Scheduler expression: cron(...), rate(...) or at(...)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone the schedule expression is read in (daylight saving time included)."
  type        = string
  default     = "Europe/London"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.schedule_timezone))
    error_message = "schedule_timezone must be an IANA time zone such as Europe/London or UTC."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule invokes the function. False keeps everything deployed (failures are still recorded in the queue); invoke the function by hand to replay."
  type        = bool
  default     = true
}
