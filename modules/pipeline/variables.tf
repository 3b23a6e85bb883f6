variable "name_prefix" {
  description = "Prefix joined with '-' to the function, layer, state machine, schedule and queue names. Empty keeps the seed names (data_wordpressapi_raw, WordPress_Raw_To_Bronze, ...)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

# --- Lakehouse storage (modules/lakehouse-buckets) -------------------------------------------

variable "raw_bucket_arn" {
  description = "ARN of the raw layer bucket. The raw function may put, and the bronze function get, objects under wordpress_api/ only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_arn))
    error_message = "raw_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "bronze_bucket_arn" {
  description = "ARN of the bronze layer bucket. The bronze function may put objects under wordpress_api/ only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bronze_bucket_arn))
    error_message = "bronze_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "raw_bucket_parameter_name" {
  description = "Name of the SSM parameter holding the raw bucket name (the functions' RAW_BUCKET_PARAMETER)."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.raw_bucket_parameter_name))
    error_message = "raw_bucket_parameter_name must be a hierarchical SSM parameter name starting with '/'."
  }
}

variable "raw_bucket_parameter_arn" {
  description = "ARN of the SSM parameter holding the raw bucket name (granted ssm:GetParameter)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+$", var.raw_bucket_parameter_arn))
    error_message = "raw_bucket_parameter_arn must be an SSM parameter ARN."
  }
}

variable "bronze_bucket_parameter_name" {
  description = "Name of the SSM parameter holding the bronze bucket name (the bronze function's BRONZE_BUCKET_PARAMETER)."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.bronze_bucket_parameter_name))
    error_message = "bronze_bucket_parameter_name must be a hierarchical SSM parameter name starting with '/'."
  }
}

variable "bronze_bucket_parameter_arn" {
  description = "ARN of the SSM parameter holding the bronze bucket name (granted ssm:GetParameter)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+$", var.bronze_bucket_parameter_arn))
    error_message = "bronze_bucket_parameter_arn must be an SSM parameter ARN."
  }
}

variable "glue_database_name" {
  description = "Glue Data Catalog database the bronze function registers its tables in (the bronze function's GLUE_DATABASE_NAME)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.glue_database_name))
    error_message = "glue_database_name must be 1-255 lower-case letters, digits or underscores."
  }
}

# --- Alerting (modules/alerting) -----------------------------------------------------------------

variable "raw_topic_arn" {
  description = "ARN of the data-lakehouse-raw SNS topic; the raw function publishes its failures there."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.raw_topic_arn))
    error_message = "raw_topic_arn must be an SNS topic ARN."
  }
}

variable "raw_topic_parameter_name" {
  description = "Name of the SSM parameter holding the raw topic ARN (the raw function's SNS_TOPIC_PARAMETER)."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.raw_topic_parameter_name))
    error_message = "raw_topic_parameter_name must be a hierarchical SSM parameter name starting with '/'."
  }
}

variable "raw_topic_parameter_arn" {
  description = "ARN of the SSM parameter holding the raw topic ARN (granted ssm:GetParameter)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+$", var.raw_topic_parameter_arn))
    error_message = "raw_topic_parameter_arn must be an SSM parameter ARN."
  }
}

variable "bronze_topic_arn" {
  description = "ARN of the data-lakehouse-bronze SNS topic; the bronze function publishes its failures there."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.bronze_topic_arn))
    error_message = "bronze_topic_arn must be an SNS topic ARN."
  }
}

variable "bronze_topic_parameter_name" {
  description = "Name of the SSM parameter holding the bronze topic ARN (the bronze function's SNS_TOPIC_PARAMETER)."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.bronze_topic_parameter_name))
    error_message = "bronze_topic_parameter_name must be a hierarchical SSM parameter name starting with '/'."
  }
}

variable "bronze_topic_parameter_arn" {
  description = "ARN of the SSM parameter holding the bronze topic ARN (granted ssm:GetParameter)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+$", var.bronze_topic_parameter_arn))
    error_message = "bronze_topic_parameter_arn must be an SSM parameter ARN."
  }
}

variable "failure_stepfunction_topic_arn" {
  description = "ARN of the failure-stepfunction SNS topic; the state machine publishes the failed step, error and cause there before it ends FAILED."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.failure_stepfunction_topic_arn))
    error_message = "failure_stepfunction_topic_arn must be an SNS topic ARN."
  }
}

variable "sns_kms_key_arn" {
  description = "ARN of the KMS key the SNS topics are encrypted with; roles that publish get kms:GenerateDataKey and kms:Decrypt on it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

# --- WordPress source ------------------------------------------------------------------------

variable "wordpress_endpoints" {
  description = "WordPress REST API endpoint URLs pulled on every run (https://site/wp-json/wp/v2/posts or https://site/?rest_route=/wp/v2/posts). Stored comma-separated in the endpoints StringList parameter."
  type        = list(string)

  validation {
    condition     = length(var.wordpress_endpoints) > 0 && alltrue([for url in var.wordpress_endpoints : can(regex("^https?://[^\\s,]+$", url))])
    error_message = "wordpress_endpoints must be a non-empty list of http(s) URLs without spaces or commas."
  }
}

variable "endpoints_parameter_name" {
  description = "Name of the StringList SSM parameter this module creates with the endpoint URLs (the raw function's ENDPOINTS_PARAMETER)."
  type        = string
  default     = "/wordpress/api/endpoints"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.endpoints_parameter_name))
    error_message = "endpoints_parameter_name must be a hierarchical SSM parameter name starting with '/'."
  }
}

variable "fetch_concurrency" {
  description = "HTTP requests the raw function keeps in flight at once, across pages and endpoints (FETCH_CONCURRENCY). Keep it small: it is someone else's website."
  type        = number
  default     = 6

  validation {
    condition     = var.fetch_concurrency >= 1 && var.fetch_concurrency <= 16 && floor(var.fetch_concurrency) == var.fetch_concurrency
    error_message = "fetch_concurrency must be a whole number from 1 to 16."
  }
}

variable "request_timeout_seconds" {
  description = "Timeout of one HTTP request to the WordPress site, in seconds (REQUEST_TIMEOUT_SECONDS)."
  type        = number
  default     = 30

  validation {
    condition     = var.request_timeout_seconds > 0 && var.request_timeout_seconds <= 300
    error_message = "request_timeout_seconds must be more than 0 and at most 300."
  }
}

variable "max_attempts" {
  description = "Attempts per HTTP request before the raw function gives up on an endpoint (MAX_ATTEMPTS); connection errors, timeouts, 429 and 5xx are retried."
  type        = number
  default     = 4

  validation {
    condition     = var.max_attempts >= 1 && var.max_attempts <= 10 && floor(var.max_attempts) == var.max_attempts
    error_message = "max_attempts must be a whole number from 1 to 10."
  }
}

variable "retry_base_seconds" {
  description = "Base of the raw function's exponential backoff between HTTP attempts, in seconds (RETRY_BASE_SECONDS); a Retry-After header takes precedence."
  type        = number
  default     = 1

  validation {
    condition     = var.retry_base_seconds >= 0 && var.retry_base_seconds <= 60
    error_message = "retry_base_seconds must be from 0 to 60."
  }
}

# --- Incremental loads ---------------------------------------------------------------------

variable "full_reload_days" {
  description = "A dataset whose last full load (InitialLoad) is older than this many days is loaded in full again, which also reconciles anything an Update missed; 0 = never (FULL_RELOAD_DAYS)."
  type        = number
  default     = 7

  validation {
    condition     = var.full_reload_days >= 0 && var.full_reload_days <= 3650 && floor(var.full_reload_days) == var.full_reload_days
    error_message = "full_reload_days must be a whole number of days from 0 (never) to 3650."
  }
}

variable "lookback_minutes" {
  description = "An Update fetches what was modified after the watermark minus this many minutes (LOOKBACK_MINUTES): WordPress compares site-local times, so the autumn DST hour needs at least 60."
  type        = number
  default     = 60

  validation {
    condition     = var.lookback_minutes >= 0 && var.lookback_minutes <= 10080 && floor(var.lookback_minutes) == var.lookback_minutes
    error_message = "lookback_minutes must be a whole number of minutes from 0 to 10080 (a week)."
  }
}

variable "detect_deletions" {
  description = "Whether an Update also lists the ids the site publishes (_fields=id) and removes from bronze and silver what is gone (DETECT_DELETIONS); false leaves that to the periodic InitialLoad."
  type        = bool
  default     = true
}

variable "incremental_datasets" {
  description = "Datasets (endpoint object names) whose collection supports modified_after and gets Updates; every other endpoint is fetched in full every run (INCREMENTAL_DATASETS)."
  type        = list(string)
  default     = ["posts", "pages"]

  validation {
    condition     = alltrue([for name in var.incremental_datasets : can(regex("^[a-z0-9_]+$", name))])
    error_message = "incremental_datasets must hold object names: lower-case letters, digits and _."
  }
}

variable "pages_per_invocation" {
  description = "Pages (100 records each) one raw invocation fetches in an InitialLoad; a collection with more pages is split into ranges of this size, fetched by parallel invocations (PAGES_PER_INVOCATION)."
  type        = number
  default     = 100

  validation {
    condition     = var.pages_per_invocation >= 1 && var.pages_per_invocation <= 5000 && floor(var.pages_per_invocation) == var.pages_per_invocation
    error_message = "pages_per_invocation must be a whole number from 1 to 5000."
  }
}

variable "load_state_table_name" {
  description = "Seed name of the DynamoDB table of each dataset's watermark and last full load; name_prefix is joined in front of it."
  type        = string
  default     = "data-lakehouse-load-state"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,200}$", var.load_state_table_name))
    error_message = "load_state_table_name must be 3-200 letters, digits, '_', '.' or '-'."
  }
}

# --- Functions -----------------------------------------------------------------------------

variable "lambda_runtime" {
  description = "Python runtime of both functions and the helpers layer: python3.11 (the code needs 3.11: datetime.UTC), python3.12 or python3.13, the versions the suite runs the code on and the AWS SDK for pandas layer is published for."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.11, python3.12 or python3.13: the functions need Python 3.11 or later, and the AWS SDK for pandas layer must be published for the runtime."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of both functions: x86_64 or arm64 (the AWS SDK for pandas layer is looked up for the same architecture)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "pandas_layer_arn" {
  description = "Explicit ARN of the AWS SDK for pandas layer. Null looks it up from the public SSM parameter /aws/service/aws-sdk-pandas/<pandas_layer_version>/py3.<minor>/<architecture>/layer-arn."
  type        = string
  default     = null

  validation {
    condition     = var.pandas_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.pandas_layer_arn))
    error_message = "pandas_layer_arn must be a versioned Lambda layer ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

variable "pandas_layer_version" {
  description = "AWS SDK for pandas release whose managed layer is looked up when pandas_layer_arn is null. Keep it equal to the awswrangler version the tests run with (requirements-test.txt), whose pandas, pyarrow and numpy pins follow what the layer release ships (tests/test_runtime_libraries.py)."
  type        = string
  default     = "3.17.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.pandas_layer_version))
    error_message = "pandas_layer_version must be a release number such as 3.17.1."
  }
}

variable "raw_function_memory_size" {
  description = "Memory of the raw function, in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.raw_function_memory_size >= 128 && var.raw_function_memory_size <= 10240 && floor(var.raw_function_memory_size) == var.raw_function_memory_size
    error_message = "raw_function_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "raw_function_timeout" {
  description = "Timeout of the raw function, in seconds (Lambda allows at most 900)."
  type        = number
  default     = 300

  validation {
    condition     = var.raw_function_timeout >= 1 && var.raw_function_timeout <= 900 && floor(var.raw_function_timeout) == var.raw_function_timeout
    error_message = "raw_function_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "bronze_function_memory_size" {
  description = "Memory of the bronze function, in MB. 1769 is the smallest size with a full vCPU (the conversion is CPU-bound) and leaves over 2x headroom for a 300 MB endpoint; see the README's Performance section."
  type        = number
  default     = 1769

  validation {
    condition     = var.bronze_function_memory_size >= 128 && var.bronze_function_memory_size <= 10240 && floor(var.bronze_function_memory_size) == var.bronze_function_memory_size
    error_message = "bronze_function_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "bronze_function_timeout" {
  description = "Timeout of the bronze function, in seconds (Lambda allows at most 900)."
  type        = number
  default     = 300

  validation {
    condition     = var.bronze_function_timeout >= 1 && var.bronze_function_timeout <= 900 && floor(var.bronze_function_timeout) == var.bronze_function_timeout
    error_message = "bronze_function_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "bronze_function_ephemeral_storage_size" {
  description = "Ephemeral storage (/tmp) of the bronze function, in MB: it downloads each raw JSON object there and writes the Parquet file there before uploading it, so /tmp must hold both for the largest endpoint (Lambda's default is 512). The raw function keeps the default."
  type        = number
  default     = 2048

  validation {
    condition     = var.bronze_function_ephemeral_storage_size >= 512 && var.bronze_function_ephemeral_storage_size <= 10240 && floor(var.bronze_function_ephemeral_storage_size) == var.bronze_function_ephemeral_storage_size
    error_message = "bronze_function_ephemeral_storage_size must be a whole number of MB from 512 to 10240."
  }
}

variable "log_level" {
  description = "Application log level of both functions (Lambda's JSON log format filters below it): TRACE, DEBUG, INFO, WARN, ERROR or FATAL. lakehouse_common maps it onto Python's logging (TRACE and DEBUG to DEBUG, WARN to WARNING, FATAL to CRITICAL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "log_retention_days" {
  description = "Retention of the function and state machine log groups, in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

# --- Orchestration -------------------------------------------------------------------------

variable "state_machine_name" {
  description = "Seed name of the state machine; name_prefix is joined in front of it."
  type        = string
  default     = "WordPress_Raw_To_Bronze"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,60}$", var.state_machine_name))
    error_message = "state_machine_name must be 1-60 letters, digits, '_' or '-'."
  }
}

variable "state_machine_log_group_name" {
  description = "Log group of the state machine's ERROR-level execution logs. Null gives /aws/vendedlogs/states/<state machine name>-Logs."
  type        = string
  default     = null

  validation {
    condition     = var.state_machine_log_group_name == null || can(regex("^/aws/vendedlogs/[A-Za-z0-9_./#-]{1,480}$", var.state_machine_log_group_name))
    error_message = "state_machine_log_group_name must start with /aws/vendedlogs/ (it keeps the log group's resource policy small) and use only letters, digits and _ . / # -."
  }
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression of the daily run."
  type        = string
  default     = "cron(0 7 * * ? *)"

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
  description = "Whether the schedule starts the state machine. False keeps everything deployed but only manual runs happen."
  type        = bool
  default     = true
}

variable "schedule_maximum_retry_attempts" {
  description = "Times EventBridge Scheduler retries starting the execution when StartExecution fails, before the event goes to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.schedule_maximum_retry_attempts >= 0 && var.schedule_maximum_retry_attempts <= 185 && floor(var.schedule_maximum_retry_attempts) == var.schedule_maximum_retry_attempts
    error_message = "schedule_maximum_retry_attempts must be a whole number from 0 to 185."
  }
}

variable "schedule_maximum_event_age_seconds" {
  description = "How long EventBridge Scheduler keeps retrying a failed start, in seconds, before the event goes to the dead-letter queue."
  type        = number
  default     = 3600

  validation {
    condition     = var.schedule_maximum_event_age_seconds >= 60 && var.schedule_maximum_event_age_seconds <= 86400 && floor(var.schedule_maximum_event_age_seconds) == var.schedule_maximum_event_age_seconds
    error_message = "schedule_maximum_event_age_seconds must be a whole number of seconds from 60 to 86400."
  }
}

# --- Silver layer (Glue) -------------------------------------------------------------------

variable "silver_bucket_name" {
  description = "Name of the silver layer bucket (lakehouse-buckets' silver_bucket_name): the Glue job's --silver_bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.silver_bucket_name))
    error_message = "silver_bucket_name must be a valid S3 bucket name."
  }
}

variable "silver_bucket_arn" {
  description = "ARN of the silver layer bucket: the job writes only its wordpress_api/, quarantine/wordpress_api/ and _runs/wordpress_api/ prefixes."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.silver_bucket_arn))
    error_message = "silver_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the bucket the Glue job script is uploaded to (jobs/wordpress_bronze_to_silver.py) and Spark writes temporary files to (temp/<job name>/)."
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

variable "silver_glue_database_name" {
  description = "Glue Data Catalog database of the silver tables (lakehouse-buckets' silver_glue_database_name); the job manages only its tables."
  type        = string
  default     = "data_lakehouse_silver"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.silver_glue_database_name))
    error_message = "silver_glue_database_name must be 1-255 lower-case letters, digits or underscores (Athena's rule)."
  }
}

variable "silver_job_name" {
  description = "Seed name of the Glue job (also its role and log group); name_prefix is joined in front of it."
  type        = string
  default     = "wordpress_bronze_to_silver"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.silver_job_name))
    error_message = "silver_job_name must be 1-50 letters, digits, '_' or '-'."
  }
}

variable "silver_job_worker_type" {
  description = "Glue worker type of the silver job: G.1X (4 vCPU, 16 GB, 1 DPU) suits a WordPress site; G.2X doubles memory and cost per worker."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.silver_job_worker_type)
    error_message = "silver_job_worker_type must be one of G.1X, G.2X, G.4X, G.8X."
  }
}

variable "silver_job_number_of_workers" {
  description = "Workers of the silver job, the driver included (Glue's minimum is 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.silver_job_number_of_workers >= 2 && var.silver_job_number_of_workers <= 100 && floor(var.silver_job_number_of_workers) == var.silver_job_number_of_workers
    error_message = "silver_job_number_of_workers must be a whole number from 2 to 100."
  }
}

variable "silver_job_timeout_minutes" {
  description = "Timeout of one silver job run, in minutes. At most 60: the state machine's Glue task gives up after 65 minutes."
  type        = number
  default     = 30

  validation {
    condition     = var.silver_job_timeout_minutes >= 1 && var.silver_job_timeout_minutes <= 60 && floor(var.silver_job_timeout_minutes) == var.silver_job_timeout_minutes
    error_message = "silver_job_timeout_minutes must be a whole number of minutes from 1 to 60."
  }
}

variable "silver_state_machine_name" {
  description = "Seed name of the silver state machine; name_prefix is joined in front of it."
  type        = string
  default     = "WordPress_Bronze_To_Silver"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,60}$", var.silver_state_machine_name))
    error_message = "silver_state_machine_name must be 1-60 letters, digits, '_' or '-'."
  }
}

variable "silver_state_machine_log_group_name" {
  description = "Log group of the silver state machine's ERROR-level execution logs. Null gives /aws/vendedlogs/states/<state machine name>-Logs."
  type        = string
  default     = null

  validation {
    condition     = var.silver_state_machine_log_group_name == null || can(regex("^/aws/vendedlogs/[A-Za-z0-9_./#-]{1,480}$", var.silver_state_machine_log_group_name))
    error_message = "silver_state_machine_log_group_name must start with /aws/vendedlogs/ and use only letters, digits and _ . / # -."
  }
}

variable "audit_table_name" {
  description = "Seed name of the DynamoDB audit table (one item per dataset per run); name_prefix is joined in front of it."
  type        = string
  default     = "data-lakehouse-audit"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,200}$", var.audit_table_name))
    error_message = "audit_table_name must be 3-200 letters, digits, '_', '.' or '-'."
  }
}

variable "audit_table_deletion_protection" {
  description = "Whether DynamoDB refuses to delete the audit table (terraform destroy then fails until it is turned off)."
  type        = bool
  default     = true
}

variable "gold_bucket_name" {
  description = "Name of the gold layer bucket (lakehouse-buckets' gold_bucket_name): the gold job's --gold_bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.gold_bucket_name))
    error_message = "gold_bucket_name must be a valid S3 bucket name."
  }
}

variable "gold_bucket_arn" {
  description = "ARN of the gold layer bucket: the gold job writes only its wordpress_api/, quarantine/wordpress_api/ and _runs/wordpress_api/ prefixes."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.gold_bucket_arn))
    error_message = "gold_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "gold_glue_database_name" {
  description = "Glue Data Catalog database of the gold tables (lakehouse-buckets' gold_glue_database_name); the gold job manages only its tables."
  type        = string
  default     = "data_lakehouse_gold"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.gold_glue_database_name))
    error_message = "gold_glue_database_name must be 1-255 lower-case letters, digits or underscores (Athena's rule)."
  }
}

variable "gold_job_name" {
  description = "Seed name of the gold Glue job (also its role, log groups and key alias); name_prefix is joined in front of it."
  type        = string
  default     = "wordpress_silver_to_gold"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.gold_job_name))
    error_message = "gold_job_name must be 1-50 letters, digits, '_' or '-'."
  }
}

variable "gold_job_worker_type" {
  description = "Glue worker type of the gold job: G.1X (4 vCPU, 16 GB, 1 DPU) suits a WordPress site; G.2X doubles memory and cost per worker."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.gold_job_worker_type)
    error_message = "gold_job_worker_type must be one of G.1X, G.2X, G.4X, G.8X."
  }
}

variable "gold_job_number_of_workers" {
  description = "Workers of the gold job, the driver included (Glue's minimum is 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.gold_job_number_of_workers >= 2 && var.gold_job_number_of_workers <= 100 && floor(var.gold_job_number_of_workers) == var.gold_job_number_of_workers
    error_message = "gold_job_number_of_workers must be a whole number from 2 to 100."
  }
}

variable "gold_job_timeout_minutes" {
  description = "Timeout of one gold job run, in minutes. At most 60, like the silver job (the state machine's Glue task waits 65 minutes)."
  type        = number
  default     = 30

  validation {
    condition     = var.gold_job_timeout_minutes >= 1 && var.gold_job_timeout_minutes <= 60 && floor(var.gold_job_timeout_minutes) == var.gold_job_timeout_minutes
    error_message = "gold_job_timeout_minutes must be a whole number of minutes from 1 to 60."
  }
}
