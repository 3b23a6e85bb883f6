# serverless-lakehouse root module: wires one module per concern.
#   lakehouse-buckets  raw, bronze, silver, gold and artifacts buckets, their SSM parameters, the bronze, silver and gold Glue databases
#   alerting           SNS topics, subscriptions, failure routing rules and alarms
#   pipeline           WordPress REST API -> raw JSON -> bronze Parquet -> silver -> gold (Glue), daily, with an audit table
#   athena             the lakehouse workgroup (enforced results location, cost cutoff) and the saved queries of queries/
#   glue-cost-control  stops Glue interactive sessions after a chosen duration
#   failure-replay     starts the pipeline's failed executions (recorded by alerting) again, daily
#   landing-zone       files dropped under s3://<raw>/landing/<dataset>/ -> registered -> bronze -> silver, hourly

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

locals {
  # Every resource is tagged through the provider's default_tags; this is the one place tags are set.
  tags = merge(
    {
      Project   = "serverless-lakehouse"
      ManagedBy = "terraform"
    },
    var.tags,
  )

  # Names AWS wants unique per account and region, made distinct per deployment by name_prefix (a
  # "dev" beside a "prod"). Every other name is "<prefix>-<name>", set inside the modules. Empty
  # prefix: exactly the seed names. README "Names and name_prefix".
  #   SSM parameters: the prefix is a leading path segment, /<prefix>/s3/lakehouse/name/raw.
  #   Glue database:  <prefix>_data_lakehouse_bronze, '-' in the prefix becoming '_' (Athena's rule).
  parameter_path_prefix = var.name_prefix == "" ? "" : "/${var.name_prefix}"
  parameter_names = {
    raw_bucket    = "${local.parameter_path_prefix}/s3/lakehouse/name/raw"
    bronze_bucket = "${local.parameter_path_prefix}/s3/lakehouse/name/bronze"
    raw_topic     = "${local.parameter_path_prefix}/sns/data/lakehouse/raw"
    bronze_topic  = "${local.parameter_path_prefix}/sns/data/lakehouse/bronze"
    endpoints     = "${local.parameter_path_prefix}/wordpress/api/endpoints"
  }
  glue_database_name = join("_", compact([replace(var.name_prefix, "-", "_"), var.glue_database_name]))
}

module "lakehouse_buckets" {
  source = "./modules/lakehouse-buckets"

  name_prefix                        = var.name_prefix
  raw_bucket_name                    = var.raw_bucket_name
  bronze_bucket_name                 = var.bronze_bucket_name
  silver_bucket_name                 = var.silver_bucket_name
  gold_bucket_name                   = var.gold_bucket_name
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  raw_run_expiration_days            = var.raw_run_expiration_days
  glue_database_name                 = local.glue_database_name
  raw_bucket_parameter_name          = local.parameter_names.raw_bucket
  bronze_bucket_parameter_name       = local.parameter_names.bronze_bucket
}

module "alerting" {
  source = "./modules/alerting"

  name_prefix                 = var.name_prefix
  alert_email_addresses       = var.alert_email_addresses
  raw_topic_parameter_name    = local.parameter_names.raw_topic
  bronze_topic_parameter_name = local.parameter_names.bronze_topic
  # Lists of known length (one entry per state machine / function), so rule keys are known at plan time.
  # The pipeline's two state machines publish their own failure alert (step, error, cause): only their
  # TIMED_OUT and ABORTED executions are routed. The Glue cost control does not alert itself: all its
  # failures are routed.
  self_alerting_state_machine_arns = [
    module.pipeline.state_machine_arn,
    module.pipeline.silver_state_machine_arn,
    module.landing_zone.state_machine_arn,
  ]
  state_machine_arns    = module.glue_cost_control[*].state_machine_arn
  lambda_function_names = concat(module.pipeline.function_names, [module.failure_replay.function_name, module.landing_zone.function_name])
  log_retention_days    = var.log_retention_days
}

module "pipeline" {
  source = "./modules/pipeline"

  name_prefix = var.name_prefix

  raw_bucket_arn               = module.lakehouse_buckets.raw_bucket_arn
  bronze_bucket_arn            = module.lakehouse_buckets.bronze_bucket_arn
  raw_bucket_parameter_arn     = module.lakehouse_buckets.raw_bucket_parameter_arn
  raw_bucket_parameter_name    = module.lakehouse_buckets.raw_bucket_parameter_name
  bronze_bucket_parameter_arn  = module.lakehouse_buckets.bronze_bucket_parameter_arn
  bronze_bucket_parameter_name = module.lakehouse_buckets.bronze_bucket_parameter_name
  glue_database_name           = module.lakehouse_buckets.glue_database_name
  silver_bucket_name           = module.lakehouse_buckets.silver_bucket_name
  silver_bucket_arn            = module.lakehouse_buckets.silver_bucket_arn
  artifacts_bucket_name        = module.lakehouse_buckets.artifacts_bucket_name
  artifacts_bucket_arn         = module.lakehouse_buckets.artifacts_bucket_arn
  silver_glue_database_name    = module.lakehouse_buckets.silver_glue_database_name
  gold_bucket_name             = module.lakehouse_buckets.gold_bucket_name
  gold_bucket_arn              = module.lakehouse_buckets.gold_bucket_arn
  gold_glue_database_name      = module.lakehouse_buckets.gold_glue_database_name

  raw_topic_arn                  = module.alerting.raw_topic_arn
  raw_topic_parameter_arn        = module.alerting.raw_topic_parameter_arn
  raw_topic_parameter_name       = module.alerting.raw_topic_parameter_name
  bronze_topic_arn               = module.alerting.bronze_topic_arn
  bronze_topic_parameter_arn     = module.alerting.bronze_topic_parameter_arn
  bronze_topic_parameter_name    = module.alerting.bronze_topic_parameter_name
  failure_stepfunction_topic_arn = module.alerting.failure_stepfunction_topic_arn
  sns_kms_key_arn                = module.alerting.kms_key_arn

  wordpress_endpoints      = var.wordpress_endpoints
  endpoints_parameter_name = local.parameter_names.endpoints
  schedule_expression      = var.pipeline_schedule_expression
  schedule_timezone        = var.pipeline_schedule_timezone
  pandas_layer_arn         = var.pandas_layer_arn
  log_retention_days       = var.log_retention_days

  full_reload_days = var.full_reload_days
  lookback_minutes = var.lookback_minutes
  detect_deletions = var.detect_deletions

  bronze_function_memory_size  = var.bronze_function_memory_size
  silver_job_worker_type       = var.silver_job_worker_type
  silver_job_number_of_workers = var.silver_job_number_of_workers
}

# Where people ask questions: the workgroup (results in its own encrypted bucket, a cost cutoff per
# query) and one saved query per queries/*.sql file (modules/athena/README.md).
module "athena" {
  source = "./modules/athena"

  name_prefix                    = var.name_prefix
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  results_expiration_days        = var.athena_results_expiration_days
  # The seed names the saved queries use, and the databases they are in here.
  database_names = {
    data_lakehouse_bronze = module.lakehouse_buckets.glue_database_name
    data_lakehouse_silver = module.lakehouse_buckets.silver_glue_database_name
    data_lakehouse_gold   = module.lakehouse_buckets.gold_glue_database_name
  }
}

module "glue_cost_control" {
  source = "./modules/glue-cost-control"
  count  = var.enable_glue_cost_control ? 1 : 0

  name_prefix                    = var.name_prefix
  session_max_duration_seconds   = var.glue_session_max_duration_seconds
  max_provisioning_looks         = var.glue_session_max_provisioning_looks
  provisioning_look_seconds      = var.glue_session_provisioning_look_seconds
  success_stepfunction_topic_arn = module.alerting.success_stepfunction_topic_arn
  sns_kms_key_arn                = module.alerting.kms_key_arn
  log_retention_days             = var.log_retention_days
}

# Replays the pipeline's failed executions from the queue the alerting module's failure routing
# fills. Not the Glue cost control's: by replay time the session it should stop is gone.
module "failure_replay" {
  source = "./modules/failure-replay"

  name_prefix           = var.name_prefix
  queue_url             = module.alerting.failed_executions_queue_url
  queue_arn             = module.alerting.failed_executions_queue_arn
  dead_letter_queue_url = module.alerting.failed_executions_dead_letter_queue_url
  dead_letter_queue_arn = module.alerting.failed_executions_dead_letter_queue_arn
  # The pipeline's `live` alias: replays start the released version; failures are still matched on
  # the state machine itself.
  state_machine_arns             = [module.pipeline.state_machine_alias_arn]
  max_replays                    = var.failure_replay_max_replays
  success_stepfunction_topic_arn = module.alerting.success_stepfunction_topic_arn
  failure_stepfunction_topic_arn = module.alerting.failure_stepfunction_topic_arn
  sns_kms_key_arn                = module.alerting.kms_key_arn
  common_layer_arn               = module.pipeline.common_layer_arn
  schedule_expression            = var.failure_replay_schedule_expression
  schedule_timezone              = var.failure_replay_schedule_timezone
  schedule_enabled               = var.failure_replay_schedule_enabled
  log_retention_days             = var.log_retention_days
}

# Bring your own dataset: files dropped under s3://<raw>/landing/<dataset>/ are registered as NEW in
# the pipeline's audit table when they arrive, and loaded to bronze and silver by the hourly
# Landing_To_Silver run (modules/landing-zone/README.md).
module "landing_zone" {
  source = "./modules/landing-zone"

  name_prefix = var.name_prefix

  raw_bucket_name           = module.lakehouse_buckets.raw_bucket_name
  raw_bucket_arn            = module.lakehouse_buckets.raw_bucket_arn
  bronze_bucket_name        = module.lakehouse_buckets.bronze_bucket_name
  bronze_bucket_arn         = module.lakehouse_buckets.bronze_bucket_arn
  silver_bucket_name        = module.lakehouse_buckets.silver_bucket_name
  silver_bucket_arn         = module.lakehouse_buckets.silver_bucket_arn
  artifacts_bucket_name     = module.lakehouse_buckets.artifacts_bucket_name
  artifacts_bucket_arn      = module.lakehouse_buckets.artifacts_bucket_arn
  bronze_glue_database_name = module.lakehouse_buckets.glue_database_name
  silver_glue_database_name = module.lakehouse_buckets.silver_glue_database_name

  audit_table_name       = module.pipeline.audit_table_name
  audit_table_arn        = module.pipeline.audit_table_arn
  audit_state_index_name = module.pipeline.audit_state_index_name
  lakehouse_publish_key  = module.pipeline.lakehouse_publish_key

  failure_topic_arn = module.alerting.failure_stepfunction_topic_arn
  sns_kms_key_arn   = module.alerting.kms_key_arn
  common_layer_arn  = module.pipeline.common_layer_arn
  pandas_layer_arn  = module.pipeline.pandas_layer_arn

  lambda_max_file_bytes = var.landing_lambda_max_file_bytes
  max_files_per_run     = var.landing_max_files_per_run
  csv_delimiter         = var.landing_csv_delimiter
  schedule_expression   = var.landing_schedule_expression
  schedule_timezone     = var.landing_schedule_timezone
  schedule_enabled      = var.landing_schedule_enabled
  function_memory_size  = var.landing_function_memory_size
  log_retention_days    = var.log_retention_days
}
