variable "name_prefix" {
  description = "Prefix joined with '-' in front of the default bucket names. Empty keeps the seed names (data-lakehouse-raw-<account id>-<region>, ...)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "raw_bucket_name" {
  description = "Name of the raw bucket. Null gives [<name_prefix>-]data-lakehouse-raw-<account id>-<region>, unique per account and region."
  type        = string
  default     = null

  validation {
    condition     = var.raw_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_bucket_name))
    error_message = "raw_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "bronze_bucket_name" {
  description = "Name of the bronze bucket. Null gives [<name_prefix>-]data-lakehouse-bronze-<account id>-<region>, unique per account and region."
  type        = string
  default     = null

  validation {
    condition     = var.bronze_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bronze_bucket_name))
    error_message = "bronze_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a noncurrent (overwritten or deleted) object version is kept before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "glue_database_name" {
  description = "Name of the Glue Data Catalog database for the bronze tables (queried with Athena)."
  type        = string
  default     = "data_lakehouse_bronze"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.glue_database_name))
    error_message = "glue_database_name must be 1-255 lower-case letters, digits or underscores (Athena's rule)."
  }
}

variable "raw_bucket_parameter_name" {
  description = "Name of the SSM parameter that publishes the raw bucket name."
  type        = string
  default     = "/s3/lakehouse/name/raw"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.raw_bucket_parameter_name))
    error_message = "raw_bucket_parameter_name must be a hierarchical SSM parameter name starting with '/' (letters, digits, _ . - /)."
  }
}

variable "bronze_bucket_parameter_name" {
  description = "Name of the SSM parameter that publishes the bronze bucket name."
  type        = string
  default     = "/s3/lakehouse/name/bronze"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.bronze_bucket_parameter_name))
    error_message = "bronze_bucket_parameter_name must be a hierarchical SSM parameter name starting with '/' (letters, digits, _ . - /)."
  }
}

variable "silver_bucket_name" {
  description = "Name of the silver bucket. Null gives [<name_prefix>-]data-lakehouse-silver-<account id>-<region>, unique per account and region."
  type        = string
  default     = null

  validation {
    condition     = var.silver_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.silver_bucket_name))
    error_message = "silver_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the bucket holding Glue job scripts and Spark temporary files. Null gives [<name_prefix>-]data-lakehouse-artifacts-<account id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.artifacts_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "silver_bucket_parameter_name" {
  description = "Name of the SSM parameter that publishes the silver bucket name. Null gives /s3/lakehouse/name/silver, or /<name_prefix>/s3/lakehouse/name/silver when name_prefix is set."
  type        = string
  default     = null

  validation {
    condition     = var.silver_bucket_parameter_name == null || can(regex("^/[A-Za-z0-9_.\\-/]+$", var.silver_bucket_parameter_name))
    error_message = "silver_bucket_parameter_name must be null or a hierarchical SSM parameter name starting with '/' (letters, digits, _ . - /)."
  }
}

variable "silver_glue_database_name" {
  description = "Name of the Glue Data Catalog database for the silver tables. Null gives data_lakehouse_silver, or <name_prefix>_data_lakehouse_silver ('-' in the prefix becomes '_') when name_prefix is set."
  type        = string
  default     = null

  validation {
    condition     = var.silver_glue_database_name == null || can(regex("^[a-z0-9_]{1,255}$", var.silver_glue_database_name))
    error_message = "silver_glue_database_name must be null or 1-255 lower-case letters, digits or underscores (Athena's rule)."
  }
}

variable "silver_quarantine_expiration_days" {
  description = "Days quarantined silver data and its quality reports (quarantine/ in the silver bucket) are kept before they expire."
  type        = number
  default     = 30

  validation {
    condition     = var.silver_quarantine_expiration_days >= 1 && var.silver_quarantine_expiration_days <= 3650 && floor(var.silver_quarantine_expiration_days) == var.silver_quarantine_expiration_days
    error_message = "silver_quarantine_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "silver_run_result_expiration_days" {
  description = "Days the silver job's per-run result files (_runs/ in the silver bucket) are kept; the audit table keeps the history."
  type        = number
  default     = 90

  validation {
    condition     = var.silver_run_result_expiration_days >= 1 && var.silver_run_result_expiration_days <= 3650 && floor(var.silver_run_result_expiration_days) == var.silver_run_result_expiration_days
    error_message = "silver_run_result_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "raw_run_expiration_days" {
  description = "Days each run's raw objects (s3://<raw bucket>/wordpress_api/<name>/<run id>/: a full load or an increment, and the published ids) are kept for replays and audits before they expire."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_run_expiration_days >= 1 && var.raw_run_expiration_days <= 3650 && floor(var.raw_run_expiration_days) == var.raw_run_expiration_days
    error_message = "raw_run_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "bronze_run_expiration_days" {
  description = "Days each run's bronze increment and published ids (s3://<bronze bucket>/_runs/) are kept before they expire; the silver job reads them in the same run."
  type        = number
  default     = 30

  validation {
    condition     = var.bronze_run_expiration_days >= 1 && var.bronze_run_expiration_days <= 3650 && floor(var.bronze_run_expiration_days) == var.bronze_run_expiration_days
    error_message = "bronze_run_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "spark_temp_expiration_days" {
  description = "Days Spark temporary files (temp/ in the artifacts bucket, the Glue job's --TempDir) are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.spark_temp_expiration_days >= 1 && var.spark_temp_expiration_days <= 365 && floor(var.spark_temp_expiration_days) == var.spark_temp_expiration_days
    error_message = "spark_temp_expiration_days must be a whole number of days from 1 to 365."
  }
}

variable "gold_bucket_name" {
  description = "Name of the gold bucket. Null gives [<name_prefix>-]data-lakehouse-gold-<account id>-<region>, unique per account and region."
  type        = string
  default     = null

  validation {
    condition     = var.gold_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.gold_bucket_name))
    error_message = "gold_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "gold_bucket_parameter_name" {
  description = "Name of the SSM parameter that publishes the gold bucket name. Null gives /s3/lakehouse/name/gold, or /<name_prefix>/s3/lakehouse/name/gold when name_prefix is set."
  type        = string
  default     = null

  validation {
    condition     = var.gold_bucket_parameter_name == null || can(regex("^/[A-Za-z0-9_.\\-/]+$", var.gold_bucket_parameter_name))
    error_message = "gold_bucket_parameter_name must be null or a hierarchical SSM parameter name starting with '/' (letters, digits, _ . - /)."
  }
}

variable "gold_glue_database_name" {
  description = "Name of the Glue Data Catalog database for the gold tables. Null gives data_lakehouse_gold, or <name_prefix>_data_lakehouse_gold ('-' in the prefix becomes '_') when name_prefix is set."
  type        = string
  default     = null

  validation {
    condition     = var.gold_glue_database_name == null || can(regex("^[a-z0-9_]{1,255}$", var.gold_glue_database_name))
    error_message = "gold_glue_database_name must be null or 1-255 lower-case letters, digits or underscores (Athena's rule)."
  }
}

variable "gold_quarantine_expiration_days" {
  description = "Days quarantined gold data and its quality reports (quarantine/ in the gold bucket) are kept before they expire."
  type        = number
  default     = 30

  validation {
    condition     = var.gold_quarantine_expiration_days >= 1 && var.gold_quarantine_expiration_days <= 3650 && floor(var.gold_quarantine_expiration_days) == var.gold_quarantine_expiration_days
    error_message = "gold_quarantine_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "gold_run_result_expiration_days" {
  description = "Days the gold job's per-run result files (_runs/ in the gold bucket) are kept; the audit table keeps the history."
  type        = number
  default     = 90

  validation {
    condition     = var.gold_run_result_expiration_days >= 1 && var.gold_run_result_expiration_days <= 3650 && floor(var.gold_run_result_expiration_days) == var.gold_run_result_expiration_days
    error_message = "gold_run_result_expiration_days must be a whole number of days from 1 to 3650."
  }
}
