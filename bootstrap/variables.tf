variable "aws_region" {
  description = "AWS region of the state bucket and lock table, for example eu-west-2."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region code such as eu-west-2 or us-east-1."
  }
}

variable "state_bucket_name" {
  description = "Name of the state bucket. Null gives serverless-lakehouse-tfstate-<account id>-<region>, unique out of the box."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be null or a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table that holds Terraform's state locks."
  type        = string
  default     = "serverless-lakehouse-tfstate-lock"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be 3-255 letters, digits, '_', '-' or '.'."
  }
}

variable "state_key" {
  description = "Object key suggested for the project's state file (the backend.hcl `key`)."
  type        = string
  default     = "serverless-lakehouse/terraform.tfstate"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]+[^/]$", var.state_key)) && !startswith(var.state_key, "/")
    error_message = "state_key must be a relative S3 object key such as serverless-lakehouse/terraform.tfstate."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days an old (noncurrent) state version is kept before it expires; old versions are how a bad apply is rolled back."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "tags" {
  description = "Extra tags for the state bucket, lock table and key (Project, ManagedBy and Component are always set)."
  type        = map(string)
  default     = {}
}
