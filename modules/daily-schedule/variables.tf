variable "name" {
  description = "Full schedule name (any name_prefix already joined in). Also names the role, its inline policy, the dead-letter queue <name>-dlq and its alarm <name>-dlq-NotEmpty."
  type        = string

  validation {
    # The queue name "<name>-dlq" must fit SQS's 80 characters; the role IAM's 64.
    condition     = can(regex("^[0-9a-zA-Z_.-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, '.', '-' or '_' (Scheduler's pattern, IAM's role name limit)."
  }
}

variable "description" {
  description = "What each run does (the schedule's description)."
  type        = string

  validation {
    condition     = length(var.description) <= 512
    error_message = "description must be at most 512 characters (Scheduler's limit)."
  }
}

variable "target_kind" {
  description = "What the schedule calls: \"state_machine\" (starts target_arn, a state machine alias) or \"lambda\" (invokes target_arn, a function alias)."
  type        = string

  validation {
    condition     = contains(["state_machine", "lambda"], var.target_kind)
    error_message = "target_kind must be \"state_machine\" or \"lambda\"."
  }
}

variable "target_arn" {
  description = "ARN of the alias the schedule starts or invokes (a state machine's or a function's live alias, never the unqualified resource)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(states:[a-z0-9-]+:[0-9]{12}:stateMachine|lambda:[a-z0-9-]+:[0-9]{12}:function):[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$", var.target_arn))
    error_message = "target_arn must be a qualified state machine or Lambda function ARN (ending in :<alias>)."
  }
}

variable "target_name" {
  description = "Name of the state machine or function the schedule calls, for the role's and the alarm's descriptions."
  type        = string

  validation {
    condition     = length(var.target_name) >= 1 && length(var.target_name) <= 80
    error_message = "target_name must be 1-80 characters."
  }
}

variable "state_machine_arn" {
  description = "Unqualified ARN of the state machine (target_kind \"state_machine\"): Step Functions authorises a start through an alias on it, with the qualifier in states:StateMachineQualifier. Null for \"lambda\"."
  type        = string
  default     = null

  validation {
    condition     = (var.target_kind == "state_machine") == (var.state_machine_arn != null)
    error_message = "state_machine_arn must be set (the unqualified state machine ARN) when target_kind is \"state_machine\", and null otherwise."
  }
}

variable "target_qualifier" {
  description = "The alias at the end of target_arn, which the role's states:StateMachineQualifier condition allows (target_kind \"state_machine\")."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.target_qualifier)) && !can(regex("^[0-9]+$", var.target_qualifier))
    error_message = "target_qualifier must be an alias name: 1-80 letters, digits, '-' or '_', not only digits."
  }
}

variable "input" {
  description = "JSON the schedule passes to each run."
  type        = string
  default     = "{\"trigger\":\"schedule\"}"

  validation {
    condition     = can(jsondecode(var.input))
    error_message = "input must be JSON, e.g. jsonencode({ trigger = \"schedule\" })."
  }
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression of the run: cron(...), rate(...) or at(...)."
  type        = string

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be a Scheduler expression: cron(...), rate(...) or at(...)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone the schedule expression is read in (daylight saving time included)."
  type        = string

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.schedule_timezone))
    error_message = "schedule_timezone must be an IANA time zone such as Europe/London or UTC."
  }
}

variable "enabled" {
  description = "Whether the schedule runs. False keeps everything deployed; only manual runs happen."
  type        = bool
  default     = true
}

variable "maximum_retry_attempts" {
  description = "Times Scheduler retries a start that fails, before the event is dropped (or sent to the dead-letter queue). The default suits a daily run: a few retries within the hour (maximum_event_age_seconds)."
  type        = number
  default     = 2

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 185 && floor(var.maximum_retry_attempts) == var.maximum_retry_attempts
    error_message = "maximum_retry_attempts must be a whole number from 0 to 185."
  }
}

variable "maximum_event_age_seconds" {
  description = "How long Scheduler keeps retrying a failed start, in seconds."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_event_age_seconds >= 60 && var.maximum_event_age_seconds <= 86400 && floor(var.maximum_event_age_seconds) == var.maximum_event_age_seconds
    error_message = "maximum_event_age_seconds must be a whole number of seconds from 60 to 86400."
  }
}

variable "dead_letter_queue" {
  description = "Whether a dead-letter queue <name>-dlq receives every start Scheduler could not deliver after its retries, with an alarm on it notifying dead_letter_alarm_topic_arn. False: a start that keeps failing is dropped. A plain bool, so the queue's count is known at plan time."
  type        = bool
  default     = false
}

variable "dead_letter_alarm_topic_arn" {
  description = "SNS topic the dead-letter alarm notifies (ALARM and OK); required with dead_letter_queue, unused without."
  type        = string
  default     = null

  validation {
    condition     = var.dead_letter_alarm_topic_arn == null ? !var.dead_letter_queue : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.dead_letter_alarm_topic_arn))
    error_message = "dead_letter_alarm_topic_arn must be an SNS topic ARN when dead_letter_queue is true (and may be null only when it is false)."
  }
}
