variable "name_prefix" {
  description = "Prefix joined with '-' to the function, job, state machine, rule, schedule, queue and role names. Empty keeps the seed names (landing_intake, landing_file_to_bronze, landing_bronze_to_silver, Landing_To_Silver)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

# --- Lakehouse storage (modules/lakehouse-buckets) -------------------------------------------

variable "raw_bucket_name" {
  description = "Name of the raw layer bucket: files land under landing/<dataset>/, invalid ones move to failed/<dataset>/<run id>/. Its S3 event notifications are sent to EventBridge (this module owns the bucket's notification configuration)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_name))
    error_message = "raw_bucket_name must be a valid S3 bucket name."
  }
}

variable "raw_bucket_arn" {
  description = "ARN of the raw layer bucket (the function and the file job may read and delete landing/*, write failed/*)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_arn))
    error_message = "raw_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "bronze_bucket_name" {
  description = "Name of the bronze layer bucket: landing datasets are written to landing/<dataset>/<file id>.parquet."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bronze_bucket_name))
    error_message = "bronze_bucket_name must be a valid S3 bucket name."
  }
}

variable "bronze_bucket_arn" {
  description = "ARN of the bronze layer bucket (landing/* only)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bronze_bucket_arn))
    error_message = "bronze_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "silver_bucket_name" {
  description = "Name of the silver layer bucket: landing/<dataset>/run=<run id>/, quarantine/landing/ and _runs/landing/<run id>/result.json."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.silver_bucket_name))
    error_message = "silver_bucket_name must be a valid S3 bucket name."
  }
}

variable "silver_bucket_arn" {
  description = "ARN of the silver layer bucket (landing/*, quarantine/landing/* and _runs/landing/* only)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.silver_bucket_arn))
    error_message = "silver_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the artifacts bucket: the job scripts and jobs/landing_intake.zip (jobs/), the dataset contracts (datasets/<dataset>.json) and Spark's temporary files (temp/<job name>/)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be a valid S3 bucket name."
  }
}

variable "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_arn))
    error_message = "artifacts_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "bronze_glue_database_name" {
  description = "Glue database of the bronze tables (lakehouse-buckets' glue_database_name): one table per landing dataset, beside WordPress's."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.bronze_glue_database_name))
    error_message = "bronze_glue_database_name must be 1-255 lower-case letters, digits or underscores."
  }
}

variable "silver_glue_database_name" {
  description = "Glue database of the silver tables (lakehouse-buckets' silver_glue_database_name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.silver_glue_database_name))
    error_message = "silver_glue_database_name must be 1-255 lower-case letters, digits or underscores."
  }
}

# --- Audit table (modules/pipeline) ----------------------------------------------------------

variable "audit_table_name" {
  description = "Name of the pipeline's DynamoDB audit table (hash key dataset, range key run_id): one item per landed file, run_id = file#<etag>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.audit_table_name))
    error_message = "audit_table_name must be 3-255 letters, digits, '_', '.' or '-'."
  }
}

variable "audit_table_arn" {
  description = "ARN of the audit table."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", var.audit_table_arn))
    error_message = "audit_table_arn must be a DynamoDB table ARN (arn:aws:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "audit_state_index_name" {
  description = "Name of the audit table's state index (hash key state, range key arrived_at), which the state machine queries for NEW files."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.audit_state_index_name))
    error_message = "audit_state_index_name must be 3-255 letters, digits, '_', '.' or '-'."
  }
}

# --- Alerting (modules/alerting) -------------------------------------------------------------

variable "failure_topic_arn" {
  description = "ARN of the failure-stepfunction SNS topic: the state machine's run report and failure alert, the function's registration refusals and duplicates (ALERT_TOPIC_ARN), and the dead-letter queue's alarm."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.failure_topic_arn))
    error_message = "failure_topic_arn must be an SNS topic ARN."
  }
}

variable "sns_kms_key_arn" {
  description = "ARN of the KMS key the SNS topics are encrypted with; the function and the state machine get kms:GenerateDataKey and kms:Decrypt on it, through SNS only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

# --- Function --------------------------------------------------------------------------------

variable "common_layer_arn" {
  description = "Versioned ARN of the project's lakehouse_common layer (modules/pipeline's common_layer_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.common_layer_arn))
    error_message = "common_layer_arn must be a versioned Lambda layer ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

variable "pandas_layer_arn" {
  description = "Versioned ARN of the AWS SDK for pandas layer (pyarrow), the one modules/pipeline's functions use (its pandas_layer_arn output)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.pandas_layer_arn))
    error_message = "pandas_layer_arn must be a versioned Lambda layer ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the landing_intake function: the runtime the lakehouse_common layer and the AWS SDK for pandas layer are built for (modules/pipeline's lambda_runtime)."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.11, python3.12 or python3.13."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the landing_intake function: the layers' (modules/pipeline's lambda_architecture)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "function_memory_size" {
  description = "Memory of the landing_intake function, in MB. It reads a file of up to lambda_max_file_bytes into Arrow and writes Parquet: keep it at several times that size (1769 MB is one full vCPU)."
  type        = number
  default     = 2048

  validation {
    condition     = var.function_memory_size >= 128 && var.function_memory_size <= 10240 && floor(var.function_memory_size) == var.function_memory_size
    error_message = "function_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "function_timeout" {
  description = "Timeout of the landing_intake function, in seconds (at most 900, Lambda's limit)."
  type        = number
  default     = 600

  validation {
    condition     = var.function_timeout >= 30 && var.function_timeout <= 900 && floor(var.function_timeout) == var.function_timeout
    error_message = "function_timeout must be a whole number of seconds from 30 to 900."
  }
}

variable "log_level" {
  description = "Application log level of the function: TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

# --- Landing rules ---------------------------------------------------------------------------

variable "lambda_max_file_bytes" {
  description = "Files up to this size (bytes) are validated and loaded by the function; larger ones go to the landing_file_to_bronze Glue job (a Choice state). Default 64 MiB."
  type        = number
  default     = 67108864

  validation {
    condition     = var.lambda_max_file_bytes >= 1 && var.lambda_max_file_bytes <= 1073741824 && floor(var.lambda_max_file_bytes) == var.lambda_max_file_bytes
    error_message = "lambda_max_file_bytes must be a whole number of bytes from 1 to 1073741824 (1 GiB)."
  }
}

variable "max_files_per_run" {
  description = "Most NEW files one Landing_To_Silver run claims (the Limit of its query on the state index); the rest wait for the next run. Bounded by Step Functions' 256 KiB state payload."
  type        = number
  default     = 500

  validation {
    condition     = var.max_files_per_run >= 1 && var.max_files_per_run <= 1000 && floor(var.max_files_per_run) == var.max_files_per_run
    error_message = "max_files_per_run must be a whole number from 1 to 1000."
  }
}

variable "csv_delimiter" {
  description = "Field delimiter of landed CSV files (CSV_DELIMITER): one character, not a quote, a line break or a space."
  type        = string
  default     = ","

  validation {
    condition     = length(var.csv_delimiter) == 1 && !contains(["\"", "\n", "\r", " "], var.csv_delimiter)
    error_message = "csv_delimiter must be exactly one character other than a double quote, a line break or a space (\",\", \";\", \"|\" or a tab)."
  }
}

# --- Arrival (EventBridge) -------------------------------------------------------------------

variable "event_maximum_retry_attempts" {
  description = "Times EventBridge retries delivering an Object Created event to the function before the event goes to the dead-letter queue."
  type        = number
  default     = 185

  validation {
    condition     = var.event_maximum_retry_attempts >= 0 && var.event_maximum_retry_attempts <= 185 && floor(var.event_maximum_retry_attempts) == var.event_maximum_retry_attempts
    error_message = "event_maximum_retry_attempts must be a whole number from 0 to 185 (EventBridge's limit)."
  }
}

variable "event_maximum_age_seconds" {
  description = "How long EventBridge keeps retrying an undelivered Object Created event, in seconds, before it goes to the dead-letter queue."
  type        = number
  default     = 86400

  validation {
    condition     = var.event_maximum_age_seconds >= 60 && var.event_maximum_age_seconds <= 86400 && floor(var.event_maximum_age_seconds) == var.event_maximum_age_seconds
    error_message = "event_maximum_age_seconds must be a whole number of seconds from 60 to 86400 (EventBridge's limits)."
  }
}

# --- Batch run (schedule) --------------------------------------------------------------------

variable "schedule_expression" {
  description = "EventBridge Scheduler expression of the Landing_To_Silver runs."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be a Scheduler expression: cron(...), rate(...) or at(...)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone a cron(...) schedule expression is read in."
  type        = string
  default     = "Europe/London"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.schedule_timezone))
    error_message = "schedule_timezone must be an IANA time zone such as Europe/London or UTC."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule starts Landing_To_Silver. False keeps everything deployed (files are still registered as NEW) but only manual runs load them."
  type        = bool
  default     = true
}

# --- Glue jobs -------------------------------------------------------------------------------

variable "file_job_worker_type" {
  description = "Glue worker type of landing_file_to_bronze (one large file read with pyarrow on the driver: its memory bounds the file size; G.1X has 16 GB, G.2X 32 GB)."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.file_job_worker_type)
    error_message = "file_job_worker_type must be one of G.1X, G.2X, G.4X, G.8X."
  }
}

variable "file_job_number_of_workers" {
  description = "Workers of landing_file_to_bronze, the driver included (Glue's minimum is 2; the job uses the driver only)."
  type        = number
  default     = 2

  validation {
    condition     = var.file_job_number_of_workers >= 2 && var.file_job_number_of_workers <= 100 && floor(var.file_job_number_of_workers) == var.file_job_number_of_workers
    error_message = "file_job_number_of_workers must be a whole number from 2 to 100."
  }
}

variable "file_job_timeout_minutes" {
  description = "Timeout of one landing_file_to_bronze run, in minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.file_job_timeout_minutes >= 1 && var.file_job_timeout_minutes <= 120 && floor(var.file_job_timeout_minutes) == var.file_job_timeout_minutes
    error_message = "file_job_timeout_minutes must be a whole number of minutes from 1 to 120."
  }
}

variable "silver_job_worker_type" {
  description = "Glue worker type of landing_bronze_to_silver (Spark)."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.silver_job_worker_type)
    error_message = "silver_job_worker_type must be one of G.1X, G.2X, G.4X, G.8X."
  }
}

variable "silver_job_number_of_workers" {
  description = "Workers of landing_bronze_to_silver, the driver included (Glue's minimum is 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.silver_job_number_of_workers >= 2 && var.silver_job_number_of_workers <= 100 && floor(var.silver_job_number_of_workers) == var.silver_job_number_of_workers
    error_message = "silver_job_number_of_workers must be a whole number from 2 to 100."
  }
}

variable "silver_job_timeout_minutes" {
  description = "Timeout of one landing_bronze_to_silver run, in minutes."
  type        = number
  default     = 30

  validation {
    condition     = var.silver_job_timeout_minutes >= 1 && var.silver_job_timeout_minutes <= 120 && floor(var.silver_job_timeout_minutes) == var.silver_job_timeout_minutes
    error_message = "silver_job_timeout_minutes must be a whole number of minutes from 1 to 120."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group this module creates (function, jobs, state machine), in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "file_job_max_concurrent_runs" {
  description = "Runs of landing_file_to_bronze at once (one per large file): keep the state machine's Map concurrency for large files at or below it."
  type        = number
  default     = 4

  validation {
    condition     = var.file_job_max_concurrent_runs >= 1 && var.file_job_max_concurrent_runs <= 50 && floor(var.file_job_max_concurrent_runs) == var.file_job_max_concurrent_runs
    error_message = "file_job_max_concurrent_runs must be a whole number from 1 to 50."
  }
}

variable "lakehouse_publish_key" {
  description = "Key, in the artifacts bucket, of jobs/lakehouse_publish.py, the publish helpers shared with the WordPress silver job (modules/pipeline's lakehouse_publish_key, which uploads it): landing_bronze_to_silver's --extra-py-files."
  type        = string

  validation {
    condition     = can(regex("^jobs/[A-Za-z0-9_.-]+\\.(py|zip)$", var.lakehouse_publish_key))
    error_message = "lakehouse_publish_key must be a key under jobs/ ending in .py or .zip, e.g. jobs/lakehouse_publish.py."
  }
}
