# The landing zone's two Glue 5.0 jobs, each with its role, security configuration (encrypted
# CloudWatch logs and bookmarks) and the two log groups Glue 5.0 writes its logs to, one KMS key for
# both; the scripts, jobs/landing_intake.zip and the dataset contracts uploaded to the artifacts bucket.
#   landing_file_to_bronze   one file too large for the function (> lambda_max_file_bytes): the same
#                            landing_load.load_file the function runs, from functions/landing_intake/src
#                            zipped as --extra-py-files; pyarrow on the driver, no Spark.
#   landing_bronze_to_silver the datasets that got new bronze files -> silver (Spark), published
#                            atomically or quarantined; shares the publish helpers of the WordPress
#                            silver job (jobs/lakehouse_publish.py, uploaded by modules/pipeline).

locals {
  glue_catalog_arn = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
  # A Glue table request is authorized on the catalog, its database and the table.
  bronze_table_arns = [
    local.glue_catalog_arn,
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.bronze_glue_database_name}",
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.bronze_glue_database_name}/*",
  ]
  silver_table_arns = [
    local.glue_catalog_arn,
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.silver_glue_database_name}",
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.silver_glue_database_name}/*",
  ]

  # functions/landing_intake/src zipped for the file job (landing_load.py and what it imports; they
  # do not import lakehouse_common, which the job does not get).
  intake_package_key = "jobs/landing_intake.zip"

  # The file job runs the function's code (landing_load) on the driver: it gets the pyarrow the
  # function gets from the AWS SDK for pandas layer and the suite tests (requirements-test.txt), not
  # Glue 5.0's older one. Glue installs it from PyPI at start (the job needs a route to PyPI; in a VPC
  # without one, point this at a wheel in S3). Empty adds no --additional-python-modules argument.
  file_job_additional_python_modules = "pyarrow==24.0.0"

  jobs = {
    file_to_bronze = {
      name        = join("-", compact([var.name_prefix, "landing_file_to_bronze"]))
      description = "One landed file too large for the ${local.function_name} function -> s3://<bronze>/${local.landing_prefix}/<dataset>/<file id>.parquet and its bronze table, or failed/ when invalid; records the file's state in the audit table."
      script      = "landing_file_to_bronze.py"
      # --extra-py-files, keys in the artifacts bucket.
      extra_py_keys     = [aws_s3_object.intake_package.key]
      worker_type       = var.file_job_worker_type
      number_of_workers = var.file_job_number_of_workers
      timeout           = var.file_job_timeout_minutes
      # One run per large file; the state machine's Map starts at most this many at once.
      max_concurrent_runs = var.file_job_max_concurrent_runs
      arguments = merge(
        {
          "--raw_bucket"       = var.raw_bucket_name
          "--bronze_bucket"    = var.bronze_bucket_name
          "--bronze_database"  = var.bronze_glue_database_name
          "--audit_table"      = var.audit_table_name
          "--contracts_bucket" = var.artifacts_bucket_name
          "--contracts_prefix" = local.contracts_prefix
          "--csv_delimiter"    = var.csv_delimiter
        },
        local.file_job_additional_python_modules == "" ? {} : { "--additional-python-modules" = local.file_job_additional_python_modules },
      )
    }
    bronze_to_silver = {
      name                = join("-", compact([var.name_prefix, "landing_bronze_to_silver"]))
      description         = "The landing datasets that got new bronze files -> deduplicated, checked silver tables in ${var.silver_glue_database_name}, published atomically or quarantined."
      script              = "landing_bronze_to_silver.py"
      extra_py_keys       = [var.lakehouse_publish_key]
      worker_type         = var.silver_job_worker_type
      number_of_workers   = var.silver_job_number_of_workers
      timeout             = var.silver_job_timeout_minutes
      max_concurrent_runs = 1
      arguments = {
        "--TempDir"         = "s3://${var.artifacts_bucket_name}/temp/${join("-", compact([var.name_prefix, "landing_bronze_to_silver"]))}/"
        "--bronze_bucket"   = var.bronze_bucket_name
        "--bronze_database" = var.bronze_glue_database_name
        "--silver_bucket"   = var.silver_bucket_name
        "--silver_database" = var.silver_glue_database_name
      }
    }
  }

  job_script_keys = { for key, job in local.jobs : key => "jobs/${job.script}" }
  job_temp_prefix = "temp/${local.jobs["bronze_to_silver"].name}/"

  # Glue 5.0 logs every job in real time ("Logging for AWS Glue jobs"): with --custom-logGroup-prefix
  # and a security configuration that encrypts CloudWatch logs, to
  # <prefix>/<security configuration>-role/<job role>/error and .../output. The role has the job's name.
  job_log_name_prefixes     = { for key, job in local.jobs : key => "/aws-glue/jobs/${job.name}" }
  job_security_config_names = { for key, job in local.jobs : key => "${job.name}-encrypted" }
  job_log_groups = merge([
    for key, job in local.jobs : {
      for stream in ["error", "output"] :
      "${key}/${stream}" => "${local.job_log_name_prefixes[key]}/${local.job_security_config_names[key]}-role/${job.name}/${stream}"
    }
  ]...)
  job_log_group_arns = {
    for key, name in local.job_log_groups :
    key => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"
  }

  job_policies = {
    file_to_bronze   = data.aws_iam_policy_document.file_job.json
    bronze_to_silver = data.aws_iam_policy_document.silver_job.json
  }
}

# --- Code and contracts in the artifacts bucket --------------------------------------------------

resource "aws_s3_object" "job_script" {
  #checkov:skip=CKV_AWS_186:The artifacts bucket encrypts every object with SSE-KMS by default (aws/s3 key); the scripts are public-repository code, not data.
  for_each = local.jobs

  bucket       = var.artifacts_bucket_name
  key          = local.job_script_keys[each.key]
  source       = "${path.module}/../../jobs/${each.value.script}"
  content_type = "text/x-python"
  # A changed script changes its hash, so Terraform uploads it again (the bucket's SSE-KMS makes S3's
  # ETag differ from the MD5, hence source_hash rather than etag).
  source_hash = filemd5("${path.module}/../../jobs/${each.value.script}")
}

data "archive_file" "intake_package" {
  type             = "zip"
  source_dir       = "${path.module}/../../functions/landing_intake/src"
  output_path      = "${path.root}/.build/landing_intake_glue.zip"
  output_file_mode = "0644"
  excludes         = ["**/__pycache__/**", "**/*.pyc"]
}

resource "aws_s3_object" "intake_package" {
  #checkov:skip=CKV_AWS_186:The artifacts bucket encrypts every object with SSE-KMS by default (aws/s3 key); the package is public-repository code, not data.
  bucket       = var.artifacts_bucket_name
  key          = local.intake_package_key
  source       = data.archive_file.intake_package.output_path
  content_type = "application/zip"
  source_hash  = data.archive_file.intake_package.output_md5
}

# Every contract of the repository's datasets/ (<dataset>.json), at datasets/<dataset>.json; a dataset
# without one is defined by its first valid file.
resource "aws_s3_object" "contract" {
  #checkov:skip=CKV_AWS_186:The artifacts bucket encrypts every object with SSE-KMS by default (aws/s3 key); contracts are schemas from the repository, not data.
  for_each = fileset(local.contracts_dir, "*.json")

  bucket       = var.artifacts_bucket_name
  key          = "${local.contracts_prefix}${each.value}"
  source       = "${local.contracts_dir}/${each.value}"
  content_type = "application/json"
  source_hash  = filemd5("${local.contracts_dir}/${each.value}")
}

# --- Encryption and logs -------------------------------------------------------------------------

# Glue's CloudWatch Logs and job bookmark encryption need a customer managed key the logs service may
# use for exactly the jobs' log groups.
module "glue_key" {
  source = "../kms-key"

  alias                          = join("-", compact([var.name_prefix, "landing-glue-jobs"]))
  description                    = "Encrypts the CloudWatch logs and job bookmarks of the ${local.jobs["file_to_bronze"].name} and ${local.jobs["bronze_to_silver"].name} Glue jobs."
  cloudwatch_logs_log_group_arns = values(local.job_log_group_arns)
}

resource "aws_glue_security_configuration" "job" {
  for_each = local.jobs

  name = local.job_security_config_names[each.key]

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = module.glue_key.key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = module.glue_key.key_arn
    }

    # SSE-S3: Athena readers of the tables need no KMS grant on a project key.
    s3_encryption {
      s3_encryption_mode = "SSE-S3"
    }
  }
}

# Created before the first run, so that they have a retention and the key (Glue would create them
# without either).
resource "aws_cloudwatch_log_group" "job" {
  for_each = local.job_log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = module.glue_key.key_arn
}

# --- Roles ---------------------------------------------------------------------------------------

data "aws_iam_policy_document" "glue_assume_role" {
  statement {
    sid     = "GlueAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    # No aws:SourceAccount/aws:SourceArn condition: Glue does not document sending them when a job
    # run assumes its role, and a condition on an absent key would deny every run. Who may give the
    # role to a job is governed by iam:PassRole.
  }
}

# What each job needs besides its task: its code, its own log groups, the Glue key, its metrics.
data "aws_iam_policy_document" "job_base" {
  for_each = local.jobs

  statement {
    sid     = "ReadJobCode"
    actions = ["s3:GetObject"]
    resources = [
      for key in concat([local.job_script_keys[each.key]], each.value.extra_py_keys) : "${var.artifacts_bucket_arn}/${key}"
    ]
  }

  # Glue writes the job's logs to its two groups with the job's role, associates the security
  # configuration's key (logs:AssociateKmsKey, without which the Glue guide says logging is disabled)
  # and may try to create them.
  statement {
    sid       = "WriteOwnJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = flatten([for stream in ["error", "output"] : [local.job_log_group_arns["${each.key}/${stream}"], "${local.job_log_group_arns["${each.key}/${stream}"]}:*"]])
  }

  statement {
    sid       = "UseGlueKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.glue_key.key_arn]
  }

  statement {
    sid     = "PublishJobMetrics"
    actions = ["cloudwatch:PutMetricData"]
    # PutMetricData has no resource ARN: AWS accepts only "*"; the condition keeps it to Glue's namespace.
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }
}

data "aws_iam_policy_document" "file_job" {
  source_policy_documents = [
    data.aws_iam_policy_document.job_base["file_to_bronze"].json,
    data.aws_iam_policy_document.load_files.json,
  ]

  # The file's audit item: read, then its outcome (BRONZE, INVALID, SUPERSEDED, FAILED) recorded.
  statement {
    sid       = "RecordFileStates"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [var.audit_table_arn]
  }
}

data "aws_iam_policy_document" "silver_job" {
  source_policy_documents = [data.aws_iam_policy_document.job_base["bronze_to_silver"].json]

  statement {
    sid       = "UseSparkTempDir"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.artifacts_bucket_arn}/${local.job_temp_prefix}*"]
  }

  statement {
    sid       = "ListSparkTempDir"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.job_temp_prefix}*"]
    }
  }

  statement {
    sid       = "ReadBronzeFiles"
    actions   = ["s3:GetObject"]
    resources = ["${var.bronze_bucket_arn}/${local.landing_prefix}/*"]
  }

  statement {
    sid       = "ListBronzeFiles"
    actions   = ["s3:ListBucket"]
    resources = [var.bronze_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.landing_prefix}/*"]
    }
  }

  # Each dataset's bronze table: its location and primary_key.
  statement {
    sid       = "ReadBronzeTables"
    actions   = ["glue:GetTable"]
    resources = local.bronze_table_arns
  }

  # Published runs and quarantined data with their reports. DeleteObject: after switching a table the
  # job removes the run folders it superseded.
  statement {
    sid     = "WriteSilverObjects"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${var.silver_bucket_arn}/${local.landing_prefix}/*",
      "${var.silver_bucket_arn}/quarantine/${local.landing_prefix}/*",
    ]
  }

  # The run's result.json, written with one PutObject.
  statement {
    sid       = "WriteRunResults"
    actions   = ["s3:PutObject"]
    resources = ["${var.silver_bucket_arn}/_runs/${local.landing_prefix}/*"]
  }

  # Spark lists what it writes: a new folder's existence check, the committer's _temporary/, and
  # mkdirs' walk up the parents, which reaches quarantine/ itself on the first quarantine.
  statement {
    sid       = "ListSilverObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.silver_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.landing_prefix}/*", "quarantine/", "quarantine/${local.landing_prefix}/*", "_runs/${local.landing_prefix}/*"]
    }
  }

  # Each silver table: created on its dataset's first publish, then switched with one UpdateTable.
  statement {
    sid       = "ManageSilverTables"
    actions   = ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable"]
    resources = local.silver_table_arns
  }
}

resource "aws_iam_role" "job" {
  for_each = local.jobs

  name               = each.value.name
  description        = "Role of the ${each.value.name} Glue job."
  assume_role_policy = data.aws_iam_policy_document.glue_assume_role.json
}

resource "aws_iam_role_policy" "job" {
  for_each = local.jobs

  name   = each.value.name
  role   = aws_iam_role.job[each.key].id
  policy = local.job_policies[each.key]
}

# --- Jobs ----------------------------------------------------------------------------------------

resource "aws_glue_job" "this" {
  for_each = local.jobs

  name                   = each.value.name
  description            = each.value.description
  role_arn               = aws_iam_role.job[each.key].arn
  glue_version           = "5.0"
  worker_type            = each.value.worker_type
  number_of_workers      = each.value.number_of_workers
  timeout                = each.value.timeout
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.job[each.key].name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${var.artifacts_bucket_name}/${aws_s3_object.job_script[each.key].key}"
  }

  # More starts than this while runs are going fail (Glue.ConcurrentRunsExceededException), which the
  # state machine retries with backoff.
  execution_property {
    max_concurrent_runs = each.value.max_concurrent_runs
  }

  default_arguments = merge(
    {
      "--job-language" = "python"
      # Glue 5.0 logging (Glue 4.0's continuous-logging arguments do nothing here).
      "--custom-logGroup-prefix" = local.job_log_name_prefixes[each.key]
      "--enable-metrics"         = "true"
      "--extra-py-files"         = join(",", [for key in each.value.extra_py_keys : "s3://${var.artifacts_bucket_name}/${key}"])
    },
    each.value.arguments,
  )

  depends_on = [aws_iam_role_policy.job, aws_cloudwatch_log_group.job]
}
