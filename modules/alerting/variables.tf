variable "name_prefix" {
  description = "Prefix joined with '-' in front of every topic, key alias, rule and alarm name. Empty keeps the seed names (failure-stepfunction, ...)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "alert_email_addresses" {
  description = "Email addresses subscribed to each topic, by topic key: failure_stepfunction, success_stepfunction, failure_lambda, raw, bronze. A missing key or an empty list means no subscription. Each address must confirm the email AWS sends."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.alert_email_addresses) : contains(["failure_stepfunction", "success_stepfunction", "failure_lambda", "raw", "bronze"], key)])
    error_message = "alert_email_addresses keys must be among failure_stepfunction, success_stepfunction, failure_lambda, raw, bronze."
  }

  validation {
    condition     = alltrue([for address in flatten(values(var.alert_email_addresses)) : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "Every address in alert_email_addresses must look like name@example.com."
  }
}

variable "state_machine_arns" {
  description = "ARNs of the project's state machines without their own failure alert: their FAILED, TIMED_OUT and ABORTED executions are routed to the failure-stepfunction topic. An empty list creates no rule."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.state_machine_arns : can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]+$", arn))])
    error_message = "state_machine_arns must hold state machine ARNs (arn:aws:states:<region>:<account>:stateMachine:<name>)."
  }
}

variable "self_alerting_state_machine_arns" {
  description = "ARNs of the project's state machines that publish their own alert (step, error, cause) to failure-stepfunction when an execution fails: only their TIMED_OUT and ABORTED executions are routed, so a failure is reported once. An empty list creates no rule."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.self_alerting_state_machine_arns : can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]+$", arn))])
    error_message = "self_alerting_state_machine_arns must hold unqualified state machine ARNs (arn:aws:states:<region>:<account>:stateMachine:<name>)."
  }
}

variable "lambda_function_names" {
  description = "Names of the project's Lambda functions; each gets a CloudWatch alarm on its Errors metric that notifies the failure-lambda topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.lambda_function_names : can(regex("^[A-Za-z0-9_-]{1,64}$", name))])
    error_message = "lambda_function_names must hold Lambda function names: 1-64 letters, digits, '-' or '_'."
  }
}

variable "raw_topic_parameter_name" {
  description = "Name of the SSM parameter that holds the data-lakehouse-raw topic ARN."
  type        = string
  default     = "/sns/data/lakehouse/raw"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.raw_topic_parameter_name))
    error_message = "raw_topic_parameter_name must be a hierarchical SSM parameter name starting with '/' (letters, digits, _ . - /)."
  }
}

variable "bronze_topic_parameter_name" {
  description = "Name of the SSM parameter that holds the data-lakehouse-bronze topic ARN."
  type        = string
  default     = "/sns/data/lakehouse/bronze"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.bronze_topic_parameter_name))
    error_message = "bronze_topic_parameter_name must be a hierarchical SSM parameter name starting with '/' (letters, digits, _ . - /)."
  }
}

variable "log_retention_days" {
  description = "Retention of the /aws/events/<prefix->stepfunction-failures log group, which keeps every failure event, in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "failed_executions_visibility_timeout_seconds" {
  description = "Visibility timeout of the failed-executions queue, in seconds: how long a message the replay function received stays hidden before another receive can see it. Keep it above the replay function's timeout."
  type        = number
  default     = 900

  validation {
    condition     = var.failed_executions_visibility_timeout_seconds >= 0 && var.failed_executions_visibility_timeout_seconds <= 43200 && floor(var.failed_executions_visibility_timeout_seconds) == var.failed_executions_visibility_timeout_seconds
    error_message = "failed_executions_visibility_timeout_seconds must be a whole number of seconds from 0 to 43200."
  }
}

variable "failed_executions_max_receive_count" {
  description = "Receives after which a message the replay function could not handle (it received it but never deleted it) moves from the failed-executions queue to its dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.failed_executions_max_receive_count >= 1 && var.failed_executions_max_receive_count <= 1000 && floor(var.failed_executions_max_receive_count) == var.failed_executions_max_receive_count
    error_message = "failed_executions_max_receive_count must be a whole number from 1 to 1000."
  }
}
