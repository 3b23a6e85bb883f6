variable "name" {
  description = "Full function name (any name_prefix already joined in). Also names the role, its inline policy and the log group /aws/lambda/<name>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, '-' or '_' (Lambda's and IAM's limits)."
  }
}

variable "description" {
  description = "What the function does (Lambda's function description)."
  type        = string

  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters (Lambda's limit)."
  }
}

variable "source_dir" {
  description = "Directory whose contents are the deployment package, e.g. functions/<name>/src; zipped to <root>/.build/<name of its parent directory>.zip."
  type        = string

  validation {
    condition     = length(var.source_dir) > 0 && !endswith(var.source_dir, "/")
    error_message = "source_dir must be a directory path without a trailing '/', e.g. \"$${path.module}/../../functions/<name>/src\"."
  }
}

variable "handler" {
  description = "Entry point, <module>.<function>."
  type        = string
  default     = "lambda_function.lambda_handler"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.]+\\.[A-Za-z0-9_]+$", var.handler))
    error_message = "handler must be <module>.<function>, e.g. lambda_function.lambda_handler."
  }
}

variable "runtime" {
  description = "Python runtime: python3.11 (the project's code needs 3.11: datetime.UTC), python3.12 or python3.13."
  type        = string

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.11, python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Instruction set: x86_64 or arm64 (layers must be built for the same one)."
  type        = string

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory of the function, in MB."
  type        = number

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout of the function, in seconds (Lambda allows at most 900)."
  type        = number

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "ephemeral_storage_size" {
  description = "Ephemeral storage (/tmp), in MB. Null keeps Lambda's default (512)."
  type        = number
  default     = null

  validation {
    condition     = var.ephemeral_storage_size == null || try(var.ephemeral_storage_size >= 512 && var.ephemeral_storage_size <= 10240 && floor(var.ephemeral_storage_size) == var.ephemeral_storage_size, false)
    error_message = "ephemeral_storage_size must be null or a whole number of MB from 512 to 10240."
  }
}

variable "environment" {
  description = "Environment variables of the function (names, ARNs, tuning numbers: never secrets)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.environment) : can(regex("^[a-zA-Z][a-zA-Z0-9_]*$", key)) && !startswith(key, "AWS_")])
    error_message = "environment keys must start with a letter, hold only letters, digits and '_', and not start with AWS_ (reserved by Lambda)."
  }
}

variable "layers" {
  description = "Versioned ARNs of the layers the function uses, in order (Lambda allows at most 5)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.layers) <= 5
    error_message = "layers must hold at most 5 layer version ARNs (Lambda's limit)."
  }
}

variable "policy_json" {
  description = "JSON of the caller's data \"aws_iam_policy_document\" holding only the function's task permissions (read, write, publish, ...). Merged into the role policy with this module's WriteOwnLogs (its log group) and WriteTraces (X-Ray) statements; its statement sids must differ from those two."
  type        = string

  validation {
    condition     = can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be an IAM policy document (JSON with a Statement), e.g. data.aws_iam_policy_document.<name>.json."
  }
}

variable "invoked_by" {
  description = "Who invokes the live alias, for its description: \"The <name> version <invoked_by> invokes.\", e.g. \"the WordPress_Raw_To_Bronze state machine\"."
  type        = string

  validation {
    condition     = length(var.invoked_by) >= 1 && length(var.invoked_by) <= 200
    error_message = "invoked_by must be 1-200 characters (the alias description is limited to 256)."
  }
}

variable "alias_name" {
  description = "Name of the alias that follows the latest published version; callers invoke it (its ARN is the alias_arn output)."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name)) && var.alias_name != "$LATEST"
    error_message = "alias_name must be 1-128 letters, digits, '-' or '_', and not only digits (a number names a version)."
  }
}

variable "log_level" {
  description = "Application log level (Lambda's JSON log format filters below it): TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
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

variable "log_kms_key_arn" {
  description = "ARN of a customer managed KMS key encrypting the log group (its key policy must let logs.<region>.amazonaws.com use it). Null: CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}
