variable "aws_region" {
  description = "AWS region to deploy into, for example eu-west-2."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region code such as eu-west-2 or us-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix that makes every account-unique name distinct, so a second deployment (dev beside prod) fits in the same account and region: '<prefix>-<name>' for topics, functions, roles, buckets, ...; '/<prefix>/...' for SSM parameters; '<prefix>_' (with '-' as '_') for the Glue database. Empty keeps the seed names (failure-stepfunction, /s3/lakehouse/name/raw, data_lakehouse_bronze, ...)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  description = "Tags applied to every resource through the provider's default_tags (Project and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "raw_bucket_name" {
  description = "Name of the raw bucket. Null gives data-lakehouse-raw-<account id>-<region>, unique out of the box."
  type        = string
  default     = null
}

variable "bronze_bucket_name" {
  description = "Name of the bronze bucket. Null gives data-lakehouse-bronze-<account id>-<region>, unique out of the box."
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days a noncurrent (overwritten or deleted) object version is kept in the lakehouse buckets before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "glue_database_name" {
  description = "Name of the Glue Data Catalog database that holds the bronze tables (queried with Athena), before name_prefix: with a prefix the database is <prefix>_<name>, '-' in the prefix becoming '_'."
  type        = string
  default     = "data_lakehouse_bronze"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.glue_database_name))
    error_message = "glue_database_name must be 1-255 lower-case letters, digits or underscores (Athena's rule)."
  }
}

variable "alert_email_addresses" {
  description = "Email addresses subscribed to each topic, by topic key: failure_stepfunction, success_stepfunction, failure_lambda, raw, bronze. A missing or empty list means no subscription. Each address must confirm the subscription email AWS sends."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.alert_email_addresses) : contains(["failure_stepfunction", "success_stepfunction", "failure_lambda", "raw", "bronze"], key)])
    error_message = "alert_email_addresses keys must be among failure_stepfunction, success_stepfunction, failure_lambda, raw, bronze."
  }

  validation {
    condition     = alltrue([for address in flatten(values(var.alert_email_addresses)) : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "Every alert email address must look like name@example.com."
  }
}

variable "log_retention_days" {
  description = "Retention of the Lambda and Step Functions log groups, in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "wordpress_endpoints" {
  description = "WordPress REST API endpoint URLs the pipeline pulls every day (https://site/wp-json/wp/v2/posts or https://site/?rest_route=/wp/v2/posts). Stored in the /wordpress/api/endpoints StringList parameter."
  type        = list(string)

  validation {
    condition     = length(var.wordpress_endpoints) > 0 && alltrue([for url in var.wordpress_endpoints : can(regex("^https?://[^\\s,]+$", url))])
    error_message = "wordpress_endpoints must be a non-empty list of http(s) URLs without spaces or commas."
  }
}

variable "pipeline_schedule_expression" {
  description = "EventBridge Scheduler expression for the daily pipeline run."
  type        = string
  default     = "cron(0 7 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.pipeline_schedule_expression))
    error_message = "pipeline_schedule_expression must be a Scheduler expression: cron(...), rate(...) or at(...)."
  }
}

variable "full_reload_days" {
  description = "Days after which a dataset is loaded in full again (InitialLoad), reconciling anything an Update missed; 0 = never."
  type        = number
  default     = 7

  validation {
    condition     = var.full_reload_days >= 0 && var.full_reload_days <= 3650 && floor(var.full_reload_days) == var.full_reload_days
    error_message = "full_reload_days must be a whole number of days from 0 (never) to 3650."
  }
}

variable "lookback_minutes" {
  description = "An Update fetches what was modified after the watermark minus this many minutes (60 covers the autumn DST hour)."
  type        = number
  default     = 60

  validation {
    condition     = var.lookback_minutes >= 0 && var.lookback_minutes <= 10080 && floor(var.lookback_minutes) == var.lookback_minutes
    error_message = "lookback_minutes must be a whole number of minutes from 0 to 10080 (a week)."
  }
}

variable "detect_deletions" {
  description = "Whether an Update lists the published ids and removes deleted, trashed and unpublished posts and pages; false leaves that to the periodic InitialLoad."
  type        = bool
  default     = true
}

variable "raw_run_expiration_days" {
  description = "Days each run's raw objects (full load or increment) are kept for replays and audits."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_run_expiration_days >= 1 && var.raw_run_expiration_days <= 3650 && floor(var.raw_run_expiration_days) == var.raw_run_expiration_days
    error_message = "raw_run_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "pipeline_schedule_timezone" {
  description = "IANA time zone the schedule expression is read in."
  type        = string
  default     = "Europe/London"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.pipeline_schedule_timezone))
    error_message = "pipeline_schedule_timezone must be an IANA time zone such as Europe/London or UTC."
  }
}

variable "pandas_layer_arn" {
  description = "Explicit ARN of the AWS SDK for pandas layer. Null looks up the managed layer's public SSM parameter for the runtime and architecture."
  type        = string
  default     = null

  validation {
    condition     = var.pandas_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.pandas_layer_arn))
    error_message = "pandas_layer_arn must be a versioned Lambda layer ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

variable "bronze_function_memory_size" {
  description = "Memory of the bronze function, in MB (Lambda gives CPU in proportion: 1769 MB is one full vCPU). The default suits endpoints up to about 300 MB of raw JSON; 3538 gives two worker processes for a faster conversion at about 1.5x the cost per run (README, Performance)."
  type        = number
  default     = 1769

  validation {
    condition     = var.bronze_function_memory_size >= 128 && var.bronze_function_memory_size <= 10240 && floor(var.bronze_function_memory_size) == var.bronze_function_memory_size
    error_message = "bronze_function_memory_size must be a whole number of MB from 128 to 10240 (Lambda's limits)."
  }
}

variable "silver_job_worker_type" {
  description = "Glue worker type of the silver job: G.1X (4 vCPU, 16 GB, 1 DPU) suits a WordPress site; G.2X, G.4X and G.8X double memory and cost per worker at each step (README, Cost of a daily run)."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.silver_job_worker_type)
    error_message = "silver_job_worker_type must be one of G.1X, G.2X, G.4X, G.8X."
  }
}

variable "silver_job_number_of_workers" {
  description = "Workers of the silver job, the driver included (Glue's minimum is 2). Each is billed per second with a 1-minute minimum: below that minimum a third worker adds 50% to the bill and saves nothing (README, Cost of a daily run)."
  type        = number
  default     = 2

  validation {
    condition     = var.silver_job_number_of_workers >= 2 && var.silver_job_number_of_workers <= 100 && floor(var.silver_job_number_of_workers) == var.silver_job_number_of_workers
    error_message = "silver_job_number_of_workers must be a whole number from 2 to 100."
  }
}

variable "silver_bucket_name" {
  description = "Name of the silver bucket. Null gives [<name_prefix>-]data-lakehouse-silver-<account id>-<region>, unique out of the box."
  type        = string
  default     = null

  validation {
    condition     = var.silver_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.silver_bucket_name))
    error_message = "silver_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "gold_bucket_name" {
  description = "Name of the gold bucket. Null gives [<name_prefix>-]data-lakehouse-gold-<account id>-<region>, unique out of the box."
  type        = string
  default     = null

  validation {
    condition     = var.gold_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.gold_bucket_name))
    error_message = "gold_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "Most bytes one query in the lakehouse's Athena workgroup may scan before Athena cancels it (Athena bills by bytes scanned). At least 10485760 (10 MB), Athena's minimum; the default is 1 GiB."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.athena_bytes_scanned_cutoff_per_query >= 10485760 && floor(var.athena_bytes_scanned_cutoff_per_query) == var.athena_bytes_scanned_cutoff_per_query
    error_message = "athena_bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB, Athena's minimum)."
  }
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results are kept in the results bucket before they expire (a query can be run again)."
  type        = number
  default     = 7

  validation {
    condition     = var.athena_results_expiration_days >= 1 && var.athena_results_expiration_days <= 3650 && floor(var.athena_results_expiration_days) == var.athena_results_expiration_days
    error_message = "athena_results_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "enable_glue_cost_control" {
  description = "Deploy the Glue interactive-session cost control (stops every session after glue_session_max_duration_seconds)."
  type        = bool
  default     = true
}

variable "glue_session_max_duration_seconds" {
  description = "How long a Glue interactive session may run before the cost control stops it, in seconds."
  type        = number
  default     = 1800

  validation {
    condition     = var.glue_session_max_duration_seconds >= 1 && var.glue_session_max_duration_seconds <= 31536000 && floor(var.glue_session_max_duration_seconds) == var.glue_session_max_duration_seconds
    error_message = "glue_session_max_duration_seconds must be a whole number of seconds from 1 to 31536000 (a Standard workflow's one-year limit)."
  }
}

variable "glue_session_max_provisioning_looks" {
  description = "How many times the cost control looks at a Glue session (glue:GetSession) before a session still PROVISIONING ends the execution FAILED (1 to 1000; the default 21 looks glue_session_provisioning_look_seconds apart wait up to 10 minutes)."
  type        = number
  default     = 21

  validation {
    condition     = var.glue_session_max_provisioning_looks >= 1 && var.glue_session_max_provisioning_looks <= 1000 && floor(var.glue_session_max_provisioning_looks) == var.glue_session_max_provisioning_looks
    error_message = "glue_session_max_provisioning_looks must be a whole number from 1 to 1000."
  }
}

variable "glue_session_provisioning_look_seconds" {
  description = "Seconds between two looks of the cost control at a Glue session that is still PROVISIONING (1 to 3600)."
  type        = number
  default     = 30

  validation {
    condition     = var.glue_session_provisioning_look_seconds >= 1 && var.glue_session_provisioning_look_seconds <= 3600 && floor(var.glue_session_provisioning_look_seconds) == var.glue_session_provisioning_look_seconds
    error_message = "glue_session_provisioning_look_seconds must be a whole number of seconds from 1 to 3600."
  }
}

variable "failure_replay_schedule_expression" {
  description = "EventBridge Scheduler expression of the daily run that replays the pipeline's failed executions (default 13:00, six hours after the 07:00 run)."
  type        = string
  default     = "cron(0 13 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.failure_replay_schedule_expression))
    error_message = "failure_replay_schedule_expression must be a Scheduler expression: cron(...), rate(...) or at(...)."
  }
}

variable "failure_replay_schedule_timezone" {
  description = "IANA time zone the failure replay schedule expression is read in."
  type        = string
  default     = "Europe/London"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.failure_replay_schedule_timezone))
    error_message = "failure_replay_schedule_timezone must be an IANA time zone such as Europe/London or UTC."
  }
}

variable "failure_replay_schedule_enabled" {
  description = "Whether failed pipeline executions are replayed on the schedule. False still records them in the failed-executions queue and the /aws/events/<prefix->stepfunction-failures log group."
  type        = bool
  default     = true
}

variable "failure_replay_max_replays" {
  description = "How many times one failed pipeline execution is replayed; a replay that fails again after that many alerts failure-stepfunction instead. 0 records failures but never replays."
  type        = number
  default     = 1

  validation {
    condition     = var.failure_replay_max_replays >= 0 && var.failure_replay_max_replays <= 5 && floor(var.failure_replay_max_replays) == var.failure_replay_max_replays
    error_message = "failure_replay_max_replays must be a whole number from 0 to 5."
  }
}

# --- Landing zone (modules/landing-zone) -------------------------------------------------------

variable "landing_schedule_expression" {
  description = "EventBridge Scheduler expression of the Landing_To_Silver runs, which load the files registered as NEW since the last run (fewer runs, fewer Glue job starts)."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.landing_schedule_expression))
    error_message = "landing_schedule_expression must be a Scheduler expression: cron(...), rate(...) or at(...)."
  }
}

variable "landing_schedule_timezone" {
  description = "IANA time zone a cron(...) landing_schedule_expression is read in."
  type        = string
  default     = "Europe/London"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.landing_schedule_timezone))
    error_message = "landing_schedule_timezone must be an IANA time zone such as Europe/London or UTC."
  }
}

variable "landing_schedule_enabled" {
  description = "Whether the schedule starts Landing_To_Silver. False keeps registering landed files as NEW; only manual runs load them."
  type        = bool
  default     = true
}

variable "landing_lambda_max_file_bytes" {
  description = "Landed files up to this size (bytes) are validated and loaded by the landing_intake function; larger ones by the landing_file_to_bronze Glue job. Default 64 MiB."
  type        = number
  default     = 67108864

  validation {
    condition     = var.landing_lambda_max_file_bytes >= 1 && var.landing_lambda_max_file_bytes <= 1073741824 && floor(var.landing_lambda_max_file_bytes) == var.landing_lambda_max_file_bytes
    error_message = "landing_lambda_max_file_bytes must be a whole number of bytes from 1 to 1073741824 (1 GiB)."
  }
}

variable "landing_max_files_per_run" {
  description = "Most NEW files one Landing_To_Silver run loads; the rest wait for the next run."
  type        = number
  default     = 500

  validation {
    condition     = var.landing_max_files_per_run >= 1 && var.landing_max_files_per_run <= 1000 && floor(var.landing_max_files_per_run) == var.landing_max_files_per_run
    error_message = "landing_max_files_per_run must be a whole number from 1 to 1000."
  }
}

variable "landing_csv_delimiter" {
  description = "Field delimiter of landed CSV files: one character, not a quote, a line break or a space."
  type        = string
  default     = ","

  validation {
    condition     = length(var.landing_csv_delimiter) == 1 && !contains(["\"", "\n", "\r", " "], var.landing_csv_delimiter)
    error_message = "landing_csv_delimiter must be exactly one character other than a double quote, a line break or a space (\",\", \";\", \"|\" or a tab)."
  }
}

variable "landing_function_memory_size" {
  description = "Memory of the landing_intake function, in MB: it reads files up to landing_lambda_max_file_bytes into Arrow, so keep it at several times that size."
  type        = number
  default     = 2048

  validation {
    condition     = var.landing_function_memory_size >= 128 && var.landing_function_memory_size <= 10240 && floor(var.landing_function_memory_size) == var.landing_function_memory_size
    error_message = "landing_function_memory_size must be a whole number of MB from 128 to 10240."
  }
}
