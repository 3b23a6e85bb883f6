variable "name_prefix" {
  description = "Prefix joined with '-' in front of the workgroup and results bucket names, so a second deployment fits in the same account and region. Empty keeps the seed names."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be empty or 2-20 characters of lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "workgroup_name" {
  description = "Seed name of the Athena workgroup; the workgroup is <name_prefix>-<workgroup_name>."
  type        = string
  default     = "lakehouse"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,100}$", var.workgroup_name))
    error_message = "workgroup_name must be 1-100 letters, digits, '.', '_' or '-' (Athena's workgroup name rule, with room for name_prefix)."
  }
}

variable "results_bucket_name" {
  description = "Name of the bucket of query results. Null gives [<name_prefix>-]data-lakehouse-athena-results-<account id>-<region>, unique per account and region."
  type        = string
  default     = null

  validation {
    condition     = var.results_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.results_bucket_name))
    error_message = "results_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "results_expiration_days" {
  description = "Days a query's results (results/ in the results bucket) are kept before they expire; the query can be run again."
  type        = number
  default     = 7

  validation {
    condition     = var.results_expiration_days >= 1 && var.results_expiration_days <= 3650 && floor(var.results_expiration_days) == var.results_expiration_days
    error_message = "results_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Most bytes one query of the workgroup may scan before Athena cancels it (cost limit; Athena bills by bytes scanned). At least 10485760 (10 MB), Athena's minimum."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB, Athena's minimum)."
  }
}

variable "database_names" {
  description = "Deployed Glue database names by seed name: data_lakehouse_gold (required: the database of a saved query without a '-- database:' first line), data_lakehouse_silver, data_lakehouse_bronze. A seed name in a query's '-- database:' line or in a qualified table name (data_lakehouse_gold.posts_enriched) becomes the deployed name."
  type        = map(string)

  validation {
    condition     = contains(keys(var.database_names), "data_lakehouse_gold")
    error_message = "database_names must name the gold database under the key data_lakehouse_gold."
  }

  validation {
    condition     = alltrue([for name in values(var.database_names) : can(regex("^[a-z0-9_]{1,255}$", name))])
    error_message = "Every database_names value must be 1-255 lower-case letters, digits or underscores (Athena's rule)."
  }
}

variable "queries_dir" {
  description = "Directory of the saved queries: each <name>.sql becomes the named query <name> (its first '-- ' comment line is the description). Null reads the repository's queries/."
  type        = string
  default     = null
}
