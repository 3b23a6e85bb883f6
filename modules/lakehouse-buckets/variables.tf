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
